package runtime

// GradSGD makes one row of a weight gradient and steps the weight's row
// with it, for a per-sample training function whose weight takes its
// optimizer step row by row (ir.Value.Step):
//
//	g = s·x   (g += s·x when add)
//	p -= lr·g (torch.optim.SGD without momentum, as SGD)
//
// It gives the bits of Scale (or Axpy) followed by SGD on the row. When the
// vector kernels run and there is no weight decay it makes both in one pass,
// so the gradient row is never read back. p, g and x must have equal
// lengths.
func GradSGD[T Float](p, g []T, s T, x []T, add bool, lr float64, h *Hyperparams) {
	checkLen("GradSGD", "p", "g", len(p), len(g))
	checkLen("GradSGD", "p", "x", len(p), len(x))
	n := vectorLen[T](len(p))
	if !gradSGDKernel || n == 0 || h.WeightDecay != 0 {
		if add {
			Axpy(g, s, x)
		} else {
			Scale(g, s, x)
		}
		SGD(p, g, lr, h)
		return
	}
	a := T(lr)
	if is32[T]() {
		gradSGDF32(as32(p[:n]), as32(g[:n]), float32(s), float32(a), as32(x[:n]), add)
	} else {
		gradSGDF64(as64(p[:n]), as64(g[:n]), float64(s), float64(a), as64(x[:n]), add)
	}
	for i := n; i < len(p); i++ {
		if add {
			g[i] += s * x[i]
		} else {
			g[i] = s * x[i]
		}
		p[i] -= T(a * g[i])
	}
}
