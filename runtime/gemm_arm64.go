//go:build arm64 && !purego

package runtime

import "unsafe"

// ntKernelF32 adds to the sums in acc the products of the k steps of pack
// (sixteen rows of a per step, transposed) with groups groups of four rows
// of b, the rows ldb elements apart from b on, each sum in order. acc holds
// the sums group by group, column by column, sixteen each. See NTKERNEL in
// kernels_arm64.s.
//
//go:noescape
func ntKernelF32(k int, pack, b *float32, ldb int, acc *float32, groups int)

// ntKernelF64 is ntKernelF32 for float64, with eight rows per column.
//
//go:noescape
func ntKernelF64(k int, pack, b *float64, ldb int, acc *float64, groups int)

// ntKernel runs the micro-kernel of T.
func ntKernel[T Float](k int, pack, b *T, ldb int, acc *T, groups int) {
	if is32[T]() {
		ntKernelF32(k, (*float32)(unsafe.Pointer(pack)), (*float32)(unsafe.Pointer(b)), ldb, (*float32)(unsafe.Pointer(acc)), groups)
	} else {
		ntKernelF64(k, (*float64)(unsafe.Pointer(pack)), (*float64)(unsafe.Pointer(b)), ldb, (*float64)(unsafe.Pointer(acc)), groups)
	}
}

// mulNTNEON is MulNT on NEON. On the plain path each c[i][j] of the rows
// in whole groups of four is one dot product summed in order from zero
// (by Dot4x3 or Dot4), and each of the other rows' is Dot's sum in four
// parts; any tiling that keeps every sum's order gives the same bits. So
// the micro-kernel takes tiles of four vectors of rows (sixteen float32s,
// eight float64s; the rows of a in the lanes) by groups of four rows of b,
// and MulNT's own row kernels the columns past the last group and the rows
// past the last four. For each block of columns (up to 256 float32s, 512
// float64s) a tile of a's rows is packed transposed, depth steps of k at a
// time (64 float32s, 128 float64s), and the block's sums carry from one
// part of k to the next in acc. (The arrays take 20 KiB of stack for
// float32, 40 KiB for float64.)
func mulNTNEON[T Float](c, a, b []T, m, n, k int, add bool) {
	var pack [1024]T // a's rows of the tile, transposed, depth steps of k
	var acc [4096]T  // the sums of a block of columns, tile rows each
	tile := 4 * lanes[T]()
	depth, block := len(pack)/tile, len(acc)/tile
	m4, n4 := m&^3, n&^3
	for i0 := 0; i0 < m4; i0 += tile {
		rows := min(tile, m4-i0) // the lanes past rows add up whatever: unused
		for j0 := 0; j0 < n4; j0 += block {
			cols := min(block, n4-j0)
			sums := acc[:cols*tile]
			clear(sums)
			for p0 := 0; p0 < k; p0 += depth {
				d := min(depth, k-p0)
				for i := range rows {
					for p, v := range a[(i0+i)*k+p0 : (i0+i)*k+p0+d] {
						pack[p*tile+i] = v
					}
				}
				ntKernel(d, &pack[0], &b[j0*k+p0], k, &sums[0], cols/4)
			}
			for j := range cols {
				for i, s := range sums[j*tile : j*tile+rows] {
					if add {
						c[(i0+i)*n+j0+j] += s
					} else {
						c[(i0+i)*n+j0+j] = s
					}
				}
			}
		}
	}
	// The rest as MulNT's plain loop computes it.
	row := func(s []T, i int) []T { return s[i*k : (i+1)*k] }
	set := func(i, j int, v T) {
		if add {
			c[i*n+j] += v
		} else {
			c[i*n+j] = v
		}
	}
	for i := 0; i < m4; i += 4 {
		x0, x1, x2, x3 := row(a, i), row(a, i+1), row(a, i+2), row(a, i+3)
		j := n4
		if n-j == 3 {
			s := Dot4x3(row(b, j), row(b, j+1), row(b, j+2), x0, x1, x2, x3)
			for jj := range 3 {
				for ii := range 4 {
					set(i+ii, j+jj, s[jj][ii])
				}
			}
			j += 3
		}
		for ; j < n; j++ {
			s0, s1, s2, s3 := Dot4(row(b, j), x0, x1, x2, x3)
			set(i, j, s0)
			set(i+1, j, s1)
			set(i+2, j, s2)
			set(i+3, j, s3)
		}
	}
	for i := m4; i < m; i++ {
		for j := range n {
			set(i, j, Dot(row(b, j), row(a, i)))
		}
	}
}
