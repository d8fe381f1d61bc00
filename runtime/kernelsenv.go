package runtime

import (
	"fmt"
	"os"
)

// KernelsEnv names the environment variable that caps the kernels a
// program runs, for reproducing one machine's results on another. On amd64
// the kernel paths sum in different orders, so an AVX-512 machine and an
// AVX2 one differ in the last bits, and the portable path gives the same
// bits on every amd64 machine with FMA (which the standard library's
// math.Exp uses when it is there). On arm64 the NEON kernels give the
// plain Go path's bits, so the value only chooses the speed. Other
// architectures always run plain Go.
//
//	GRADGEN_KERNELS=portable   plain Go only
//	GRADGEN_KERNELS=neon       at most the NEON kernels (arm64); on amd64 the same as avx2
//	GRADGEN_KERNELS=avx2       at most the AVX2/FMA kernels (amd64); NEON on arm64
//	GRADGEN_KERNELS=avx512     at most the AVX-512 kernels (the default: the best the CPU has)
//
// Any other value stops the program when it starts, naming these.
const KernelsEnv = "GRADGEN_KERNELS"

// kernelLevels orders the values of GRADGEN_KERNELS: NEON, arm64's only
// vector kernels, is at the level of amd64's first.
var kernelLevels = map[string]int{"portable": 0, "neon": 1, "avx2": 1, "avx512": 2}

// kernelsAllowed reports whether GRADGEN_KERNELS allows the kernels of
// level (neon, avx2, avx512).
func kernelsAllowed(level string) bool {
	v, ok := os.LookupEnv(KernelsEnv)
	if !ok || v == "" {
		return true
	}
	limit, known := kernelLevels[v]
	if !known {
		panic(fmt.Sprintf("gradgen: %s=%q: want portable, neon, avx2 or avx512", KernelsEnv, v))
	}
	return kernelLevels[level] <= limit
}
