//go:build arm64 && !purego

package runtime

// vector reports whether the NEON kernels (kernels_arm64.s) run: every
// arm64 processor has NEON, so they do unless GRADGEN_KERNELS=portable.
// They give exactly the bits of the plain Go loops (see kernels.go). Tests
// switch vector off to check the plain Go path on the same machine.
var vector = kernelsAllowed("neon")

// avx512 is false: arm64 has no AVX-512 kernels.
var avx512 = false

// The NEON kernels. Each does, lane by lane, the steps of the plain Go loop
// it stands for, over the longest prefix of whole vectors; the slices'
// lengths are multiples of the vector width (4 float32s, 2 float64s) unless
// a comment says otherwise.

// dotLanesF32 returns Dot's four sums s0…s3 over a and b (len(a) a multiple
// of 4): s_l sums a[i]·b[i] over i ≡ l (mod 4) in order, in lane l.
//
//go:noescape
func dotLanesF32(a, b []float32) (s0, s1, s2, s3 float32)

// dotLanesF64 is dotLanesF32 for float64 (len(a) a multiple of 4).
//
//go:noescape
func dotLanesF64(a, b []float64) (s0, s1, s2, s3 float64)

// dot4F32 returns the dot products of w with x0…x3, each summed in order:
// the four sums are the lanes of one vector.
//
//go:noescape
func dot4F32(w, x0, x1, x2, x3 []float32) (s0, s1, s2, s3 float32)

//go:noescape
func dot4F64(w, x0, x1, x2, x3 []float64) (s0, s1, s2, s3 float64)

// dot4x3F32 returns Dot4x3's twelve dot products, each summed in order:
// the sums of wᵢ are the lanes of one vector.
//
//go:noescape
func dot4x3F32(w0, w1, w2, x0, x1, x2, x3 []float32) (s00, s01, s02, s03, s10, s11, s12, s13, s20, s21, s22, s23 float32)

//go:noescape
func dot4x3F64(w0, w1, w2, x0, x1, x2, x3 []float64) (s00, s01, s02, s03, s10, s11, s12, s13, s20, s21, s22, s23 float64)

// axpyF32 adds a·x to y (FMLA).
//
//go:noescape
func axpyF32(y []float32, a float32, x []float32)

//go:noescape
func axpyF64(y []float64, a float64, x []float64)

// scaleF32 sets y to a·x.
//
//go:noescape
func scaleF32(y []float32, a float32, x []float32)

//go:noescape
func scaleF64(y []float64, a float64, x []float64)

// axpy4F32 adds (((a0·x0 + a1·x1) + a2·x2) + a3·x3) to y: FMUL, three
// FMLAs, FADD.
//
//go:noescape
func axpy4F32(y []float32, a0, a1, a2, a3 float32, x0, x1, x2, x3 []float32)

//go:noescape
func axpy4F64(y []float64, a0, a1, a2, a3 float64, x0, x1, x2, x3 []float64)

// gerSetF32 sets out, len(d) rows of len(x), to d xᵀ.
//
//go:noescape
func gerSetF32(out, d, x []float32)

//go:noescape
func gerSetF64(out, d, x []float64)

// gerAddF32 adds d xᵀ to out, len(d) rows of len(x).
//
//go:noescape
func gerAddF32(out, d, x []float32)

//go:noescape
func gerAddF64(out, d, x []float64)

// gemvTF32 adds dy[k]·w[k] to out for k = 0, 1, … in order; w holds
// len(dy) rows of len(out).
//
//go:noescape
func gemvTF32(out, w, dy []float32)

//go:noescape
func gemvTF64(out, w, dy []float64)

// reluF32 sets the elements of y that are less than 0 to +0.
//
//go:noescape
func reluF32(y []float32)

//go:noescape
func reluF64(y []float64)

// reluGradF32 sets y[i] to +0 where a[i] <= 0.
//
//go:noescape
func reluGradF32(y, a []float32)

//go:noescape
func reluGradF64(y, a []float64)

// sgdF32 is SGD's step (flags: 1 decay), as in optim.go.
//
//go:noescape
func sgdF32(p, g []float32, a, wd float32, flags int)

//go:noescape
func sgdF64(p, g []float64, a, wd float64, flags int)

// momentumF32 is Momentum's step (flags: 1 decay, 2 first, 4 nesterov).
//
//go:noescape
func momentumF32(p, g, v []float32, a, mu, c, wd float32, flags int)

//go:noescape
func momentumF64(p, g, v []float64, a, mu, c, wd float64, flags int)

// adamF32 is Adam's and AdamW's step with the flush of subnormal moments
// (flags: 1 L2, 2 decoupled).
//
//go:noescape
func adamF32(p, g, m, v []float32, w, b2, c2, stepSize, bc2sqrt, eps, wd, keep float32, flags int)

//go:noescape
func adamF64(p, g, m, v []float64, w, b2, c2, stepSize, bc2sqrt, eps, wd, keep float64, flags int)

// The amd64 kernels' stand-ins: avx512 is false, and the code that calls
// the AVX2 ones checks onARM64 first, so they are never called.

func dotF32(a, b []float32) float32 { panic("gradgen: no AVX2 kernels on arm64") }
func dotF64(a, b []float64) float64 { panic("gradgen: no AVX2 kernels on arm64") }
func adamZF32(p, g, m, v []float32, w, b2, c2, stepSize, bc2sqrt, eps, wd, keep float32, flags int) {
	panic("gradgen: no AVX-512 kernels on arm64")
}
func adamZF64(p, g, m, v []float64, w, b2, c2, stepSize, bc2sqrt, eps, wd, keep float64, flags int) {
	panic("gradgen: no AVX-512 kernels on arm64")
}
func sgdZF32(p, g []float32, a, wd float32, flags int) { panic("gradgen: no AVX-512 kernels on arm64") }
func sgdZF64(p, g []float64, a, wd float64, flags int) { panic("gradgen: no AVX-512 kernels on arm64") }
func momentumZF32(p, g, v []float32, a, mu, c, wd float32, flags int) {
	panic("gradgen: no AVX-512 kernels on arm64")
}
func momentumZF64(p, g, v []float64, a, mu, c, wd float64, flags int) {
	panic("gradgen: no AVX-512 kernels on arm64")
}

// kernelF32 and kernelF64 panic unless avx512, which is never set here:
// staticcheck would take the loops around their calls in gemm.go for dead
// code if they panicked outright.
func kernelF32(rows, k int, a *float32, sa int, b *float32, sb int, c *float32, ldc int, mask uint32, add bool) {
	if !avx512 {
		panic("gradgen: no AVX-512 kernels on arm64")
	}
}
func kernelF64(rows, k int, a *float64, sa int, b *float64, sb int, c *float64, ldc int, mask uint32, add bool) {
	if !avx512 {
		panic("gradgen: no AVX-512 kernels on arm64")
	}
}
func kernelNTF32(rows, cols, n int, mask uint32, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, add bool) {
	panic("gradgen: no AVX-512 kernels on arm64")
}
func kernelNTF64(rows, cols, n int, mask uint32, a *float64, lda int, b *float64, ldb int, c *float64, ldc int, add bool) {
	panic("gradgen: no AVX-512 kernels on arm64")
}
func kernel2F32(rows, k int, a *float32, sa int, b *float32, sb int, c *float32, ldc int, add bool) {
	panic("gradgen: no AVX2 kernels on arm64")
}
func kernel2F64(rows, k int, a *float64, sa int, b *float64, sb int, c *float64, ldc int, add bool) {
	panic("gradgen: no AVX2 kernels on arm64")
}
