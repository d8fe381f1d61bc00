package generic

import (
	"unsafe"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"
)

// gemm sets c = op(a)·op(b) + beta·c with gonum's BLAS, where op(a) is m×k,
// op(b) is k×n and c is m×n, all row-major and contiguous; op transposes the
// stored matrix when transA or transB is set.
func gemm[T Float](transA, transB bool, m, n, k int, a, b []T, beta T, c []T) {
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	tA, tB := transpose(transA), transpose(transB)
	// T's underlying type is float32 or float64, told apart by its size.
	if unsafe.Sizeof(beta) == 4 {
		blas32.Gemm(tA, tB, 1, general32(ar, ac, a), general32(br, bc, b), float32(beta), general32(m, n, c))
		return
	}
	blas64.Gemm(tA, tB, 1, general64(ar, ac, a), general64(br, bc, b), float64(beta), general64(m, n, c))
}

// transpose returns the BLAS flag for op.
func transpose(t bool) blas.Transpose {
	if t {
		return blas.Trans
	}
	return blas.NoTrans
}

// general32 views data, whose elements are float32 underneath, as a
// contiguous rows×cols blas32 matrix.
func general32[T Float](rows, cols int, data []T) blas32.General {
	d := unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(data))), len(data))
	return blas32.General{Rows: rows, Cols: cols, Stride: cols, Data: d}
}

// general64 views data, whose elements are float64 underneath, as a
// contiguous rows×cols blas64 matrix.
func general64[T Float](rows, cols int, data []T) blas64.General {
	d := unsafe.Slice((*float64)(unsafe.Pointer(unsafe.SliceData(data))), len(data))
	return blas64.General{Rows: rows, Cols: cols, Stride: cols, Data: d}
}
