package runtime

// The element-wise steps a batched function applies to a whole tile after
// its product. Each gives exactly the bits of the generated scalar loops
// (the vector kernels compare and select; they round nothing), so the
// per-sample and the batched paths agree.

// AddBias adds b to each row of y, which holds len(y)/len(b) rows.
func AddBias[T Float](y, b []T) {
	if len(b) < 4*lanes[T]() {
		// Short rows (a tiny layer's): a loop costs less than a call per
		// row, with the same sums.
		for len(y) >= len(b) && len(b) > 0 {
			row := y[:len(b)]
			for i, bi := range b {
				row[i] += bi
			}
			y = y[len(b):]
		}
		return
	}
	for len(y) >= len(b) && len(b) > 0 {
		Axpy(y[:len(b)], 1, b) // 1·b is exact: y + b rounded once
		y = y[len(b):]
	}
}

// ReLU sets the elements of y that are less than 0 to 0; NaN and −0 stay.
func ReLU[T Float](y []T) {
	n := vectorLen[T](len(y))
	if n > 0 {
		if is32[T]() {
			reluF32(as32(y[:n]))
		} else {
			reluF64(as64(y[:n]))
		}
	}
	for i := n; i < len(y); i++ {
		if y[i] < 0 {
			y[i] = 0
		}
	}
}

// ReLUGrad sets y[i] to 0 where a[i] <= 0 (where a[i] is NaN, y[i] stays):
// the gradient through max(0, ·), whose output a is.
func ReLUGrad[T Float](y, a []T) {
	a = a[:len(y)]
	n := vectorLen[T](len(y))
	if n > 0 {
		if is32[T]() {
			reluGradF32(as32(y[:n]), as32(a[:n]))
		} else {
			reluGradF64(as64(y[:n]), as64(a[:n]))
		}
	}
	for i := n; i < len(y); i++ {
		if a[i] <= 0 {
			y[i] = 0
		}
	}
}
