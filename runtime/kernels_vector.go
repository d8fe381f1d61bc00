//go:build amd64 && !purego

package runtime

// vector reports whether the vector kernels run: the processor and the
// operating system support AVX2 and FMA. Tests switch it off to check the
// plain Go path on the same machine.
var vector = hasAVX2FMA()
