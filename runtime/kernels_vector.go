//go:build amd64 && !purego

package runtime

// vector reports whether the vector kernels run: the processor and the
// operating system support AVX2 and FMA, and GRADGEN_KERNELS allows them.
// Tests switch it off to check the plain Go path on the same machine.
var vector = hasAVX2FMA() && kernelsAllowed("avx2")

// avx512 reports whether the AVX-512 matrix kernels run (see gemm.go).
var avx512 = vector && hasAVX512() && kernelsAllowed("avx512")

// kernelF32 calls the micro-kernel gemmF32R<rows>. The calls are direct, so
// that pointers to a caller's stack need not escape.
func kernelF32(rows, k int, a *float32, sa int, b *float32, sb int, c *float32, ldc int, mask uint32, add bool) {
	switch rows {
	case 1:
		gemmF32R1(k, a, sa, b, sb, c, ldc, mask, add)
	case 2:
		gemmF32R2(k, a, sa, b, sb, c, ldc, mask, add)
	case 3:
		gemmF32R3(k, a, sa, b, sb, c, ldc, mask, add)
	case 4:
		gemmF32R4(k, a, sa, b, sb, c, ldc, mask, add)
	case 5:
		gemmF32R5(k, a, sa, b, sb, c, ldc, mask, add)
	case 6:
		gemmF32R6(k, a, sa, b, sb, c, ldc, mask, add)
	case 7:
		gemmF32R7(k, a, sa, b, sb, c, ldc, mask, add)
	case 8:
		gemmF32R8(k, a, sa, b, sb, c, ldc, mask, add)
	case 9:
		gemmF32R9(k, a, sa, b, sb, c, ldc, mask, add)
	case 10:
		gemmF32R10(k, a, sa, b, sb, c, ldc, mask, add)
	case 11:
		gemmF32R11(k, a, sa, b, sb, c, ldc, mask, add)
	case 12:
		gemmF32R12(k, a, sa, b, sb, c, ldc, mask, add)
	}
}

// kernelF64 calls the micro-kernel gemmF64R<rows>. The calls are direct, so
// that pointers to a caller's stack need not escape.
func kernelF64(rows, k int, a *float64, sa int, b *float64, sb int, c *float64, ldc int, mask uint32, add bool) {
	switch rows {
	case 1:
		gemmF64R1(k, a, sa, b, sb, c, ldc, mask, add)
	case 2:
		gemmF64R2(k, a, sa, b, sb, c, ldc, mask, add)
	case 3:
		gemmF64R3(k, a, sa, b, sb, c, ldc, mask, add)
	case 4:
		gemmF64R4(k, a, sa, b, sb, c, ldc, mask, add)
	case 5:
		gemmF64R5(k, a, sa, b, sb, c, ldc, mask, add)
	case 6:
		gemmF64R6(k, a, sa, b, sb, c, ldc, mask, add)
	case 7:
		gemmF64R7(k, a, sa, b, sb, c, ldc, mask, add)
	case 8:
		gemmF64R8(k, a, sa, b, sb, c, ldc, mask, add)
	case 9:
		gemmF64R9(k, a, sa, b, sb, c, ldc, mask, add)
	case 10:
		gemmF64R10(k, a, sa, b, sb, c, ldc, mask, add)
	case 11:
		gemmF64R11(k, a, sa, b, sb, c, ldc, mask, add)
	case 12:
		gemmF64R12(k, a, sa, b, sb, c, ldc, mask, add)
	}
}

// kernelNTF32 calls the dot-product micro-kernel gemmNTF32R<rows>C<cols>.
func kernelNTF32(rows, cols, n int, mask uint32, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, add bool) {
	switch rows*8 + cols {
	case 1*8 + 1:
		gemmNTF32R1C1(n, mask, a, lda, b, ldb, c, ldc, add)
	case 1*8 + 2:
		gemmNTF32R1C2(n, mask, a, lda, b, ldb, c, ldc, add)
	case 1*8 + 3:
		gemmNTF32R1C3(n, mask, a, lda, b, ldb, c, ldc, add)
	case 1*8 + 4:
		gemmNTF32R1C4(n, mask, a, lda, b, ldb, c, ldc, add)
	case 1*8 + 5:
		gemmNTF32R1C5(n, mask, a, lda, b, ldb, c, ldc, add)
	case 1*8 + 6:
		gemmNTF32R1C6(n, mask, a, lda, b, ldb, c, ldc, add)
	case 2*8 + 1:
		gemmNTF32R2C1(n, mask, a, lda, b, ldb, c, ldc, add)
	case 2*8 + 2:
		gemmNTF32R2C2(n, mask, a, lda, b, ldb, c, ldc, add)
	case 2*8 + 3:
		gemmNTF32R2C3(n, mask, a, lda, b, ldb, c, ldc, add)
	case 2*8 + 4:
		gemmNTF32R2C4(n, mask, a, lda, b, ldb, c, ldc, add)
	case 2*8 + 5:
		gemmNTF32R2C5(n, mask, a, lda, b, ldb, c, ldc, add)
	case 2*8 + 6:
		gemmNTF32R2C6(n, mask, a, lda, b, ldb, c, ldc, add)
	case 3*8 + 1:
		gemmNTF32R3C1(n, mask, a, lda, b, ldb, c, ldc, add)
	case 3*8 + 2:
		gemmNTF32R3C2(n, mask, a, lda, b, ldb, c, ldc, add)
	case 3*8 + 3:
		gemmNTF32R3C3(n, mask, a, lda, b, ldb, c, ldc, add)
	case 3*8 + 4:
		gemmNTF32R3C4(n, mask, a, lda, b, ldb, c, ldc, add)
	case 3*8 + 5:
		gemmNTF32R3C5(n, mask, a, lda, b, ldb, c, ldc, add)
	case 3*8 + 6:
		gemmNTF32R3C6(n, mask, a, lda, b, ldb, c, ldc, add)
	case 4*8 + 1:
		gemmNTF32R4C1(n, mask, a, lda, b, ldb, c, ldc, add)
	case 4*8 + 2:
		gemmNTF32R4C2(n, mask, a, lda, b, ldb, c, ldc, add)
	case 4*8 + 3:
		gemmNTF32R4C3(n, mask, a, lda, b, ldb, c, ldc, add)
	case 4*8 + 4:
		gemmNTF32R4C4(n, mask, a, lda, b, ldb, c, ldc, add)
	case 4*8 + 5:
		gemmNTF32R4C5(n, mask, a, lda, b, ldb, c, ldc, add)
	case 4*8 + 6:
		gemmNTF32R4C6(n, mask, a, lda, b, ldb, c, ldc, add)
	}
}

// kernelNTF64 calls the dot-product micro-kernel gemmNTF64R<rows>C<cols>.
func kernelNTF64(rows, cols, n int, mask uint32, a *float64, lda int, b *float64, ldb int, c *float64, ldc int, add bool) {
	switch rows*8 + cols {
	case 1*8 + 1:
		gemmNTF64R1C1(n, mask, a, lda, b, ldb, c, ldc, add)
	case 1*8 + 2:
		gemmNTF64R1C2(n, mask, a, lda, b, ldb, c, ldc, add)
	case 1*8 + 3:
		gemmNTF64R1C3(n, mask, a, lda, b, ldb, c, ldc, add)
	case 1*8 + 4:
		gemmNTF64R1C4(n, mask, a, lda, b, ldb, c, ldc, add)
	case 1*8 + 5:
		gemmNTF64R1C5(n, mask, a, lda, b, ldb, c, ldc, add)
	case 1*8 + 6:
		gemmNTF64R1C6(n, mask, a, lda, b, ldb, c, ldc, add)
	case 2*8 + 1:
		gemmNTF64R2C1(n, mask, a, lda, b, ldb, c, ldc, add)
	case 2*8 + 2:
		gemmNTF64R2C2(n, mask, a, lda, b, ldb, c, ldc, add)
	case 2*8 + 3:
		gemmNTF64R2C3(n, mask, a, lda, b, ldb, c, ldc, add)
	case 2*8 + 4:
		gemmNTF64R2C4(n, mask, a, lda, b, ldb, c, ldc, add)
	case 2*8 + 5:
		gemmNTF64R2C5(n, mask, a, lda, b, ldb, c, ldc, add)
	case 2*8 + 6:
		gemmNTF64R2C6(n, mask, a, lda, b, ldb, c, ldc, add)
	case 3*8 + 1:
		gemmNTF64R3C1(n, mask, a, lda, b, ldb, c, ldc, add)
	case 3*8 + 2:
		gemmNTF64R3C2(n, mask, a, lda, b, ldb, c, ldc, add)
	case 3*8 + 3:
		gemmNTF64R3C3(n, mask, a, lda, b, ldb, c, ldc, add)
	case 3*8 + 4:
		gemmNTF64R3C4(n, mask, a, lda, b, ldb, c, ldc, add)
	case 3*8 + 5:
		gemmNTF64R3C5(n, mask, a, lda, b, ldb, c, ldc, add)
	case 3*8 + 6:
		gemmNTF64R3C6(n, mask, a, lda, b, ldb, c, ldc, add)
	case 4*8 + 1:
		gemmNTF64R4C1(n, mask, a, lda, b, ldb, c, ldc, add)
	case 4*8 + 2:
		gemmNTF64R4C2(n, mask, a, lda, b, ldb, c, ldc, add)
	case 4*8 + 3:
		gemmNTF64R4C3(n, mask, a, lda, b, ldb, c, ldc, add)
	case 4*8 + 4:
		gemmNTF64R4C4(n, mask, a, lda, b, ldb, c, ldc, add)
	case 4*8 + 5:
		gemmNTF64R4C5(n, mask, a, lda, b, ldb, c, ldc, add)
	case 4*8 + 6:
		gemmNTF64R4C6(n, mask, a, lda, b, ldb, c, ldc, add)
	}
}

// kernel2F32 calls the AVX2 micro-kernel gemm2F32R<rows>.
func kernel2F32(rows, k int, a *float32, sa int, b *float32, sb int, c *float32, ldc int, add bool) {
	switch rows {
	case 1:
		gemm2F32R1(k, a, sa, b, sb, c, ldc, add)
	case 2:
		gemm2F32R2(k, a, sa, b, sb, c, ldc, add)
	case 3:
		gemm2F32R3(k, a, sa, b, sb, c, ldc, add)
	case 4:
		gemm2F32R4(k, a, sa, b, sb, c, ldc, add)
	case 5:
		gemm2F32R5(k, a, sa, b, sb, c, ldc, add)
	case 6:
		gemm2F32R6(k, a, sa, b, sb, c, ldc, add)
	}
}

// kernel2F64 calls the AVX2 micro-kernel gemm2F64R<rows>.
func kernel2F64(rows, k int, a *float64, sa int, b *float64, sb int, c *float64, ldc int, add bool) {
	switch rows {
	case 1:
		gemm2F64R1(k, a, sa, b, sb, c, ldc, add)
	case 2:
		gemm2F64R2(k, a, sa, b, sb, c, ldc, add)
	case 3:
		gemm2F64R3(k, a, sa, b, sb, c, ldc, add)
	case 4:
		gemm2F64R4(k, a, sa, b, sb, c, ldc, add)
	case 5:
		gemm2F64R5(k, a, sa, b, sb, c, ldc, add)
	case 6:
		gemm2F64R6(k, a, sa, b, sb, c, ldc, add)
	}
}
