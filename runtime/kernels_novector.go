//go:build !(amd64 || arm64) || purego

package runtime

// vector is false: this build has no vector kernels.
var vector = false

// The vector kernels' stand-ins; vectorLen is 0, so they are never called.

func dotF32(a, b []float32) float32 { panic("gradgen: no vector kernels") }
func dotF64(a, b []float64) float64 { panic("gradgen: no vector kernels") }
func dot4F32(w, x0, x1, x2, x3 []float32) (float32, float32, float32, float32) {
	panic("gradgen: no vector kernels")
}
func dot4F64(w, x0, x1, x2, x3 []float64) (float64, float64, float64, float64) {
	panic("gradgen: no vector kernels")
}
func axpyF32(y []float32, a float32, x []float32) { panic("gradgen: no vector kernels") }
func axpyF64(y []float64, a float64, x []float64) { panic("gradgen: no vector kernels") }
func axpy4F32(y []float32, a0, a1, a2, a3 float32, x0, x1, x2, x3 []float32) {
	panic("gradgen: no vector kernels")
}
func axpy4F64(y []float64, a0, a1, a2, a3 float64, x0, x1, x2, x3 []float64) {
	panic("gradgen: no vector kernels")
}
func adamF32(p, g, m, v []float32, w, b2, c2, stepSize, bc2sqrt, eps, wd, keep float32, flags int) {
	panic("gradgen: no vector kernels")
}
func adamF64(p, g, m, v []float64, w, b2, c2, stepSize, bc2sqrt, eps, wd, keep float64, flags int) {
	panic("gradgen: no vector kernels")
}
func sgdF32(p, g []float32, a, wd float32, flags int) { panic("gradgen: no vector kernels") }
func sgdF64(p, g []float64, a, wd float64, flags int) { panic("gradgen: no vector kernels") }
func momentumF32(p, g, v []float32, a, mu, c, wd float32, flags int) {
	panic("gradgen: no vector kernels")
}
func momentumF64(p, g, v []float64, a, mu, c, wd float64, flags int) {
	panic("gradgen: no vector kernels")
}
func adamZF32(p, g, m, v []float32, w, b2, c2, stepSize, bc2sqrt, eps, wd, keep float32, flags int) {
	panic("gradgen: no vector kernels")
}
func adamZF64(p, g, m, v []float64, w, b2, c2, stepSize, bc2sqrt, eps, wd, keep float64, flags int) {
	panic("gradgen: no vector kernels")
}
func sgdZF32(p, g []float32, a, wd float32, flags int) { panic("gradgen: no vector kernels") }
func sgdZF64(p, g []float64, a, wd float64, flags int) { panic("gradgen: no vector kernels") }
func momentumZF32(p, g, v []float32, a, mu, c, wd float32, flags int) {
	panic("gradgen: no vector kernels")
}
func momentumZF64(p, g, v []float64, a, mu, c, wd float64, flags int) {
	panic("gradgen: no vector kernels")
}
func scaleF32(y []float32, a float32, x []float32) { panic("gradgen: no vector kernels") }
func scaleF64(y []float64, a float64, x []float64) { panic("gradgen: no vector kernels") }
func gerSetF32(out, d, x []float32)                { panic("gradgen: no vector kernels") }
func gerAddF32(out, d, x []float32)                { panic("gradgen: no vector kernels") }
func gerSetF64(out, d, x []float64)                { panic("gradgen: no vector kernels") }
func gerAddF64(out, d, x []float64)                { panic("gradgen: no vector kernels") }
func gemvTF32(out, w, dy []float32)                { panic("gradgen: no vector kernels") }
func gemvTF64(out, w, dy []float64)                { panic("gradgen: no vector kernels") }
func dot4x3F32(w0, w1, w2, x0, x1, x2, x3 []float32) (s00, s01, s02, s03, s10, s11, s12, s13, s20, s21, s22, s23 float32) {
	panic("gradgen: no vector kernels")
}
func dot4x3F64(w0, w1, w2, x0, x1, x2, x3 []float64) (s00, s01, s02, s03, s10, s11, s12, s13, s20, s21, s22, s23 float64) {
	panic("gradgen: no vector kernels")
}

// avx512 is false: this build has no vector kernels.
var avx512 = false

// No micro-kernels: avx512 is false, so these are never called. (kernelF32
// and kernelF64 test it rather than panic outright, lest staticcheck take
// the loops around their calls in gemm.go for dead code.)
func kernelF32(rows, k int, a *float32, sa int, b *float32, sb int, c *float32, ldc int, mask uint32, add bool) {
	if !avx512 {
		panic("gradgen: no vector kernels")
	}
}
func kernelF64(rows, k int, a *float64, sa int, b *float64, sb int, c *float64, ldc int, mask uint32, add bool) {
	if !avx512 {
		panic("gradgen: no vector kernels")
	}
}
func kernelNTF32(rows, cols, n int, mask uint32, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, add bool) {
	panic("gradgen: no vector kernels")
}
func kernelNTF64(rows, cols, n int, mask uint32, a *float64, lda int, b *float64, ldb int, c *float64, ldc int, add bool) {
	panic("gradgen: no vector kernels")
}
func reluF32(y []float32)        { panic("gradgen: no vector kernels") }
func reluF64(y []float64)        { panic("gradgen: no vector kernels") }
func reluGradF32(y, a []float32) { panic("gradgen: no vector kernels") }
func reluGradF64(y, a []float64) { panic("gradgen: no vector kernels") }
func kernel2F32(rows, k int, a *float32, sa int, b *float32, sb int, c *float32, ldc int, add bool) {
	panic("gradgen: no vector kernels")
}
func kernel2F64(rows, k int, a *float64, sa int, b *float64, sb int, c *float64, ldc int, add bool) {
	panic("gradgen: no vector kernels")
}
