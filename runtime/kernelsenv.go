package runtime

import (
	"fmt"
	"os"
)

// KernelsEnv names the environment variable that caps the kernels a
// program runs on amd64, for reproducing one machine's results on another:
// the kernel paths sum in different orders, so an AVX-512 machine and an
// AVX2 one differ in the last bits, and the portable path gives the same
// bits on every amd64 machine with FMA (which the standard library's
// math.Exp uses when it is there). Other architectures always run plain Go.
//
//	GRADGEN_KERNELS=portable   plain Go only
//	GRADGEN_KERNELS=avx2       at most the AVX2/FMA kernels
//	GRADGEN_KERNELS=avx512     at most the AVX-512 kernels (the default: the best the CPU has)
//
// Any other value stops the program when it starts, naming these.
const KernelsEnv = "GRADGEN_KERNELS"

// kernelLevels orders the values of GRADGEN_KERNELS.
var kernelLevels = map[string]int{"portable": 0, "avx2": 1, "avx512": 2}

// kernelsAllowed reports whether GRADGEN_KERNELS allows the kernels of
// level (avx2, avx512).
func kernelsAllowed(level string) bool {
	v, ok := os.LookupEnv(KernelsEnv)
	if !ok || v == "" {
		return true
	}
	limit, known := kernelLevels[v]
	if !known {
		panic(fmt.Sprintf("gradgen: %s=%q: want portable, avx2 or avx512", KernelsEnv, v))
	}
	return kernelLevels[level] <= limit
}
