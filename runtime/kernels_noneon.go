//go:build !arm64 || purego

package runtime

// The NEON kernels' stand-ins: outside arm64's vector build, onARM64 or
// vector is false, so they are never called.

func dotLanesF32(a, b []float32) (s0, s1, s2, s3 float32) { panic("gradgen: no NEON kernels") }
func dotLanesF64(a, b []float64) (s0, s1, s2, s3 float64) { panic("gradgen: no NEON kernels") }

func mulNTNEON[T Float](c, a, b []T, m, n, k int, add bool) { panic("gradgen: no NEON kernels") }
