package runtime

import "unsafe"

// The matrix products of batched layers, each a whole product in one call.
// In gradgen's terms, for a tile of rows (samples) of a layer y = W x + b:
//
//	MulNT: y = x Wᵀ    (c = a bᵀ, a: the tile's x, b: the weights)
//	MulNN: x̄ = ȳ W     (c = a b,  a: the tile's ȳ, b: the weights)
//	MulTN: W̄ += ȳᵀ x   (c = aᵀ b, a: the tile's ȳ, b: the tile's x)
//
// On a processor with AVX-512 they run register-blocked micro-kernels
// (../asm/gemm.go). MulNN and MulTN keep a tile of up to gemmRows rows and
// two vectors of columns of c in registers while the kernel adds the outer
// products of a's and b's rows; MulNN first packs a block of a's rows so
// that each step's column of a is contiguous. MulNT keeps a 4×6 tile of dot
// products. With AVX2 only, MulNN and MulTN run a 6-row, two-vector AVX2
// micro-kernel and MulNT the Dot4x3 row kernel; without AVX2, plain Go.
// On arm64 MulNT runs a NEON micro-kernel of 16 rows by 4 columns
// (gemm_arm64.go) and MulNN and MulTN the NEON row kernels, all in the
// plain loops' order.
//
// Every path sums in a fixed order, so its results are the same on every
// run. On amd64 the paths order and fuse the sums differently, so they may
// differ from each other in the last bits (GRADGEN_KERNELS picks one); on
// arm64 NEON and plain Go give the same bits.

// gemmRows is the most rows of c a micro-kernel computes at once.
const gemmRows = 12

// The dot-product micro-kernels' tile: ntRows rows of a by ntCols rows of b.
const (
	ntRows = 4
	ntCols = 6
)

// gemm2Rows is the most rows of c the AVX2 micro-kernel computes at once.
const gemm2Rows = 6

// gemmDepth is how much of the inner dimension MulNN packs at once: a
// packed block of a (gemmDepth × gemmRows elements, at most 24 KiB) stays in
// the first-level cache while the kernel sweeps the columns of b.
const gemmDepth = 256

// gemmCols is the number of columns of c a micro-kernel computes at once:
// two 512-bit vectors.
func gemmCols[T Float]() int {
	var x T
	return 128 / int(unsafe.Sizeof(x))
}

// gemmMask selects the first n < gemmCols columns of a micro-kernel's tile.
func gemmMask[T Float](n int) uint32 {
	if n >= gemmCols[T]() {
		return 1<<gemmCols[T]() - 1
	}
	return 1<<n - 1
}

// kernel runs the micro-kernel for tiles of rows rows (1 ≤ rows ≤ gemmRows).
func kernel[T Float](rows, k int, a *T, sa int, b *T, sb int, c *T, ldc int, mask uint32, add bool) {
	if is32[T]() {
		kernelF32(rows, k, (*float32)(unsafe.Pointer(a)), sa, (*float32)(unsafe.Pointer(b)), sb, (*float32)(unsafe.Pointer(c)), ldc, mask, add)
	} else {
		kernelF64(rows, k, (*float64)(unsafe.Pointer(a)), sa, (*float64)(unsafe.Pointer(b)), sb, (*float64)(unsafe.Pointer(c)), ldc, mask, add)
	}
}

// kernelNT runs the dot-product micro-kernel for tiles of rows × cols
// (rows ≤ ntRows, cols ≤ ntCols).
func kernelNT[T Float](rows, cols, n int, mask uint32, a *T, lda int, b *T, ldb int, c *T, ldc int, add bool) {
	if is32[T]() {
		kernelNTF32(rows, cols, n, mask, (*float32)(unsafe.Pointer(a)), lda, (*float32)(unsafe.Pointer(b)), ldb, (*float32)(unsafe.Pointer(c)), ldc, add)
	} else {
		kernelNTF64(rows, cols, n, mask, (*float64)(unsafe.Pointer(a)), lda, (*float64)(unsafe.Pointer(b)), ldb, (*float64)(unsafe.Pointer(c)), ldc, add)
	}
}

// zeroInner handles a product with an empty inner dimension: c = 0, or c
// unchanged when add is set.
func zeroInner[T Float](c []T, add bool) {
	if !add {
		clear(c)
	}
}

// MulTN sets c to aᵀ b, or adds aᵀ b to it when add is set: c holds m rows
// of n elements, a holds k rows of m and b k rows of n, all contiguous.
//
//	c[i][j] (+)= Σ_p a[p][i]·b[p][j]
//
// It is the weight gradient of a tile: W̄ += ȳᵀ x over the tile's k rows.
func MulTN[T Float](c, a, b []T, m, n, k int, add bool) {
	c, a, b = c[:m*n], a[:k*m], b[:k*n]
	if m == 0 || n == 0 || k == 0 {
		zeroInner(c, add)
		return
	}
	if avx512 {
		cols := gemmCols[T]()
		for i0 := 0; i0 < m; i0 += gemmRows {
			rows := min(gemmRows, m-i0)
			for j0 := 0; j0 < n; j0 += cols {
				kernel(rows, k, &a[i0], m, &b[j0], n, &c[i0*n+j0], n, gemmMask[T](n-j0), add)
			}
		}
		return
	}
	if vector && !onARM64 && n >= 2*lanes[T]() { // NEON: the row kernels below
		// AVX2: the micro-kernel straight from a and b. Narrower products
		// take the row kernels, which handle short rows better.
		for i0 := 0; i0 < m; i0 += gemm2Rows {
			rows := min(gemm2Rows, m-i0)
			rankUpdate2(rows, k, a[i0:], m, b, n, c[i0*n:], n, n, add)
		}
		return
	}
	if !add {
		clear(c)
	}
	p := 0
	for ; p+4 <= k; p += 4 {
		a0, a1, a2, a3 := a[p*m:(p+1)*m], a[(p+1)*m:(p+2)*m], a[(p+2)*m:(p+3)*m], a[(p+3)*m:(p+4)*m]
		b0, b1, b2, b3 := b[p*n:(p+1)*n], b[(p+1)*n:(p+2)*n], b[(p+2)*n:(p+3)*n], b[(p+3)*n:(p+4)*n]
		for i := range m {
			Axpy4(c[i*n:(i+1)*n], a0[i], a1[i], a2[i], a3[i], b0, b1, b2, b3)
		}
	}
	for ; p < k; p++ {
		ap, bp := a[p*m:(p+1)*m], b[p*n:(p+1)*n]
		for i := range m {
			Axpy(c[i*n:(i+1)*n], ap[i], bp)
		}
	}
}

// MulNN sets c to a b, or adds a b to it when add is set: c holds m rows of
// n elements, a holds m rows of k and b k rows of n, all contiguous.
//
//	c[i][j] (+)= Σ_p a[i][p]·b[p][j]
//
// It is the input gradient of a tile: x̄ = ȳ W, row by row x̄ = Wᵀ ȳ.
func MulNN[T Float](c, a, b []T, m, n, k int, add bool) {
	c, a, b = c[:m*n], a[:m*k], b[:k*n]
	if m == 0 || n == 0 || k == 0 {
		zeroInner(c, add)
		return
	}
	if avx512 {
		mulNN512(c, a, b, m, n, k, add)
		return
	}
	if vector && !onARM64 && n >= 2*lanes[T]() { // NEON: the row kernels below
		mulNN2(c, a, b, m, n, k, add)
		return
	}
	for i := range m {
		ci, ai := c[i*n:(i+1)*n], a[i*k:(i+1)*k]
		if !add {
			clear(ci)
		}
		p := 0
		for ; p+4 <= k; p += 4 {
			Axpy4(ci, ai[p], ai[p+1], ai[p+2], ai[p+3], b[p*n:(p+1)*n], b[(p+1)*n:(p+2)*n], b[(p+2)*n:(p+3)*n], b[(p+3)*n:(p+4)*n])
		}
		for ; p < k; p++ {
			Axpy(ci, ai[p], b[p*n:(p+1)*n])
		}
	}
}

// mulNN512 is MulNN with the micro-kernels: for each block of gemmRows rows
// of a and gemmDepth of its columns, it packs the block column by column
// (the kernel reads a column of a as one short contiguous vector), then
// runs the kernel across all columns of c.
func mulNN512[T Float](c, a, b []T, m, n, k int, add bool) {
	var pack [gemmDepth * gemmRows]T
	cols := gemmCols[T]()
	for i0 := 0; i0 < m; i0 += gemmRows {
		rows := min(gemmRows, m-i0)
		for p0 := 0; p0 < k; p0 += gemmDepth {
			depth := min(gemmDepth, k-p0)
			for i := range rows {
				row := a[(i0+i)*k+p0 : (i0+i)*k+p0+depth]
				for p, v := range row {
					pack[p*rows+i] = v
				}
			}
			for j0 := 0; j0 < n; j0 += cols {
				kernel(rows, depth, &pack[0], rows, &b[p0*n+j0], n, &c[i0*n+j0], n, gemmMask[T](n-j0), add || p0 > 0)
			}
		}
	}
}

// MulNT sets c to a bᵀ, or adds a bᵀ to it when add is set: c holds m rows
// of n elements, a holds m rows of k and b n rows of k, all contiguous.
//
//	c[i][j] (+)= Σ_p a[i][p]·b[j][p]
//
// It is the forward product of a tile: y = x Wᵀ, row by row y = W x, with
// W as nn.Linear stores it.
func MulNT[T Float](c, a, b []T, m, n, k int, add bool) {
	c, a, b = c[:m*n], a[:m*k], b[:n*k]
	if m == 0 || n == 0 || k == 0 {
		zeroInner(c, add)
		return
	}
	if avx512 {
		lanes := gemmCols[T]() / 2
		full, mask := k/lanes, uint32(1)<<(k%lanes)-1
		// A block of ntCols rows of b stays in the first-level cache while
		// the kernel runs down the rows of a.
		for j0 := 0; j0 < n; j0 += ntCols {
			cols := min(ntCols, n-j0)
			for i0 := 0; i0 < m; i0 += ntRows {
				kernelNT(min(ntRows, m-i0), cols, full, mask, &a[i0*k], k, &b[j0*k], k, &c[i0*n+j0], n, add)
			}
		}
		return
	}
	if vector && onARM64 {
		mulNTNEON(c, a, b, m, n, k, add) // gemm_arm64.go: the plain loop's bits
		return
	}
	row := func(s []T, i int) []T { return s[i*k : (i+1)*k] }
	set := func(i, j int, v T) {
		if add {
			c[i*n+j] += v
		} else {
			c[i*n+j] = v
		}
	}
	i := 0
	for ; i+4 <= m; i += 4 {
		x0, x1, x2, x3 := row(a, i), row(a, i+1), row(a, i+2), row(a, i+3)
		j := 0
		for ; j+3 <= n; j += 3 {
			s := Dot4x3(row(b, j), row(b, j+1), row(b, j+2), x0, x1, x2, x3)
			for jj := range 3 {
				for ii := range 4 {
					set(i+ii, j+jj, s[jj][ii])
				}
			}
		}
		for ; j < n; j++ {
			s0, s1, s2, s3 := Dot4(row(b, j), x0, x1, x2, x3)
			set(i, j, s0)
			set(i+1, j, s1)
			set(i+2, j, s2)
			set(i+3, j, s3)
		}
	}
	for ; i < m; i++ {
		for j := range n {
			set(i, j, Dot(row(b, j), row(a, i)))
		}
	}
}

// kernel2 runs the AVX2 micro-kernel for tiles of rows rows (1 ≤ rows ≤
// gemm2Rows) and two 256-bit vectors of columns.
func kernel2[T Float](rows, k int, a *T, sa int, b *T, sb int, c *T, ldc int, add bool) {
	if is32[T]() {
		kernel2F32(rows, k, (*float32)(unsafe.Pointer(a)), sa, (*float32)(unsafe.Pointer(b)), sb, (*float32)(unsafe.Pointer(c)), ldc, add)
	} else {
		kernel2F64(rows, k, (*float64)(unsafe.Pointer(a)), sa, (*float64)(unsafe.Pointer(b)), sb, (*float64)(unsafe.Pointer(c)), ldc, add)
	}
}

// rankUpdate2 sets or adds c[i][j] = Σ_p a[p·sa+i]·b[p·sb+j] for i < rows
// and j < n (c's rows ldc apart) with the AVX2 micro-kernel on whole
// panels of two vectors of columns; the columns past the last whole panel
// are summed in Go, in the same order (without fused multiply-adds).
func rankUpdate2[T Float](rows, k int, a []T, sa int, b []T, sb int, c []T, ldc int, n int, add bool) {
	cols := 2 * lanes[T]()
	full := n - n%cols
	for j0 := 0; j0 < full; j0 += cols {
		kernel2(rows, k, &a[0], sa, &b[j0], sb, &c[j0], ldc, add)
	}
	for i := range rows {
		for j := full; j < n; j++ {
			var s T
			for p := range k {
				s += a[p*sa+i] * b[p*sb+j]
			}
			if add {
				c[i*ldc+j] += s
			} else {
				c[i*ldc+j] = s
			}
		}
	}
}

// mulNN2 is MulNN with the AVX2 micro-kernel: like mulNN512, it packs a
// block of rows of a column by column, then runs the kernel across c.
func mulNN2[T Float](c, a, b []T, m, n, k int, add bool) {
	var pack [gemmDepth * gemm2Rows]T
	for i0 := 0; i0 < m; i0 += gemm2Rows {
		rows := min(gemm2Rows, m-i0)
		for p0 := 0; p0 < k; p0 += gemmDepth {
			depth := min(gemmDepth, k-p0)
			for i := range rows {
				for p, v := range a[(i0+i)*k+p0 : (i0+i)*k+p0+depth] {
					pack[p*rows+i] = v
				}
			}
			rankUpdate2(rows, depth, pack[:], rows, b[p0*n:], n, c[i0*n:], n, n, add || p0 > 0)
		}
	}
}
