//go:build !amd64 || purego

package runtime

// gradSGDKernel is false: this build has no fused gradient-and-step kernels.
const gradSGDKernel = false

func gradSGDF32(p, g []float32, s, a float32, x []float32, add bool) {
	panic("gradgen: no gradSGD kernel")
}
func gradSGDF64(p, g []float64, s, a float64, x []float64, add bool) {
	panic("gradgen: no gradSGD kernel")
}
