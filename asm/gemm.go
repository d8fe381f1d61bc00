package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// The AVX-512 micro-kernels of the runtime's matrix products: a tile of up
// to gemmRows rows and two 512-bit vectors of columns of C, held in 24
// registers while the kernel adds the outer products a_p b_pᵀ of k pairs of
// short vectors. Each step loads two vectors of b_p and broadcasts the
// elements of a_p one by one, so every load feeds two FMAs and the 24 sums
// are independent, enough to keep both FMA units busy. Masks select the
// columns of a tile narrower than two vectors: masked loads read zeros and
// masked stores leave C alone there, so no code path handles tails.

// gemmRows is the most rows of C a micro-kernel keeps in registers
// (2·gemmRows accumulators plus two vectors of b and a broadcast).
const gemmRows = 12

// zkind is one element type's AVX-512 instructions.
type zkind struct {
	name        string // F32, F64
	goType      string
	size        int // bytes per element
	lanes       int // elements per ZMM register
	maskMove    func(a, b Op)
	broadcast   func(src, dst Op)
	fma         func(a, b, acc Op)
	add         func(a, b, dst Op)
	zero        func(r Op)
	loadZ       func(m, k, r Op) // r = m where k, else 0
	storeK      func(r, k, m Op) // m = r where k
	load        func(m, r Op)
	permute     func(src, dst Op) // dst = the lanes of src swapped within 128 bits (float32: after adding one swap)
	addScalar   func(m, r Op)     // r += m, the lowest element
	storeScalar func(r, m Op)
}

// rowSumsF32 ends the float32 dot-product kernel: for each row i of the
// tile it sums the lanes of its accumulators acc[i][0…cols) together, so
// that the row's sums land in the first cols lanes of one register, which
// it stores (adds, when addFlag is set) to the row of c with one masked
// move. Summing the accumulators of a row together takes a third of the
// shuffles and adds of summing each on its own, and one store instead of
// cols: on a short dot product that is most of the kernel's work. Each sum
// adds lane l to lane l+8, then neighbours, then pairs, then the two
// halves of 128 bits.
func rowSumsF32(name string, acc [][]VecVirtual, c, ldc Register, addFlag Register) {
	cols := len(acc[0])
	keep := K()
	bits := GP32()
	MOVL(U32(1<<cols-1), bits)
	KMOVW(bits, keep)
	for i, row := range acc {
		sums := rowSumF32(row)
		out := Mem{Base: c}
		skip := fmt.Sprintf("%srow%d", name, i)
		TESTB(addFlag, addFlag)
		JE(LabelRef(skip))
		old := ZMM()
		VMOVUPS_Z(out, keep, old)
		VADDPS(old, sums, sums)
		Label(skip)
		VMOVUPS(sums, keep, out)
		if i+1 < len(acc) {
			ADDQ(ldc, c)
		}
	}
}

// rowSumF32 returns a register whose lane j holds the sum of the lanes of
// accs[j], for up to eight accumulators (a row of the kernel's tile has up
// to six); lanes past len(accs) hold anything.
func rowSumF32(accs []VecVirtual) VecVirtual {
	// Fold each accumulator's upper 256 bits onto its lower.
	half := make([]VecVirtual, len(accs))
	for j, a := range accs {
		t := ZMM()
		VSHUFF64X2(U8(0x4e), a, a, t)
		VADDPS(t, a, a)
		half[j] = a
	}
	quad := func(g []VecVirtual) VecVirtual {
		at := func(j int) VecVirtual { return g[min(j, len(g)-1)] } // padding: lanes no one stores
		// Pairs: per 128 bits (a0+a1, a2+a3, b0+b1, b2+b3).
		pair := func(a, b VecVirtual) VecVirtual {
			lo, hi := ZMM(), ZMM()
			VSHUFPS(U8(0x88), b, a, lo)
			VSHUFPS(U8(0xdd), b, a, hi)
			VADDPS(hi, lo, lo)
			return lo
		}
		ab, cd := pair(at(0), at(1)), pair(at(2), at(3))
		// Then (a, b, c, d) per 128 bits, and the two low 128 bits added.
		v := pair(ab, cd)
		t := ZMM()
		VSHUFF64X2(U8(0xb1), v, v, t)
		VADDPS(t, v, v)
		return v
	}
	first := quad(half[:min(4, len(half))])
	if len(half) <= 4 {
		return first
	}
	VINSERTF32X4(U8(1), quad(half[4:]).AsX(), first, first)
	return first
}

// hsum512 sums the lanes of acc into every lane, with AVX-512 F shuffles
// only (the VEX-encoded VHADDPS cannot name registers 16–31): swap halves,
// then quarters, then elements within 128 bits, adding each time.
func (z zkind) hsum512(acc VecVirtual) VecVirtual {
	t := ZMM()
	VSHUFF64X2(U8(0x4e), acc, acc, t)
	z.add(t, acc, acc)
	VSHUFF64X2(U8(0xb1), acc, acc, t)
	z.add(t, acc, acc)
	z.permute(acc, t)
	z.add(t, acc, acc)
	return acc
}

var z32 = zkind{
	name: "F32", goType: "float32", size: 4, lanes: 16,
	maskMove:  func(a, b Op) { KMOVW(a, b) },
	broadcast: func(src, dst Op) { VBROADCASTSS(src, dst) },
	fma:       func(a, b, acc Op) { VFMADD231PS(a, b, acc) },
	add:       func(a, b, dst Op) { VADDPS(a, b, dst) },
	zero:      func(r Op) { VPXORD(r, r, r) },
	loadZ:     func(m, k, r Op) { VMOVUPS_Z(m, k, r) },
	storeK:    func(r, k, m Op) { VMOVUPS(r, k, m) },
	load:      func(m, r Op) { VMOVUPS(m, r) },
	permute: func(src, dst Op) {
		VPERMILPS(U8(0x4e), src, dst)
		VADDPS(dst, src, src)
		VPERMILPS(U8(0xb1), src, dst)
	},
	addScalar:   func(m, r Op) { VADDSS(m, r, r) },
	storeScalar: func(r, m Op) { VMOVSS(r, m) },
}

var z64 = zkind{
	name: "F64", goType: "float64", size: 8, lanes: 8,
	maskMove:    func(a, b Op) { KMOVW(a, b) }, // KMOVB needs AVX-512 DQ; lanes 8–15 do not exist
	broadcast:   func(src, dst Op) { VBROADCASTSD(src, dst) },
	fma:         func(a, b, acc Op) { VFMADD231PD(a, b, acc) },
	add:         func(a, b, dst Op) { VADDPD(a, b, dst) },
	zero:        func(r Op) { VPXORD(r, r, r) },
	loadZ:       func(m, k, r Op) { VMOVUPD_Z(m, k, r) },
	storeK:      func(r, k, m Op) { VMOVUPD(r, k, m) },
	load:        func(m, r Op) { VMOVUPD(m, r) },
	permute:     func(src, dst Op) { VPERMILPD(U8(0x55), src, dst) },
	addScalar:   func(m, r Op) { VADDSD(m, r, r) },
	storeScalar: func(r, m Op) { VMOVSD(r, m) },
}

// gemmKernel: func(k int, a *T, sa int, b *T, sb int, c *T, ldc int,
// mask uint32, add bool), for a tile of rows rows:
//
//	c[i·ldc + j] (+)= Σ_{p<k} a[p·sa + i] · b[p·sb + j]   for i < rows, j < 2·lanes
//
// where bit j of mask is set (the low lanes bits for the first vector, the
// next lanes bits for the second); add keeps C's values and adds to them.
// Strides are in elements.
func gemmKernel(z zkind, rows int) {
	name := fmt.Sprintf("gemm%sR%d", z.name, rows)
	TEXT(name, NOSPLIT, fmt.Sprintf("func(k int, a *%[1]s, sa int, b *%[1]s, sb int, c *%[1]s, ldc int, mask uint32, add bool)", z.goType))
	Pragma("noescape")
	Doc(fmt.Sprintf("%s sets or adds (add) c[i·ldc+j] = Σ_p a[p·sa+i]·b[p·sb+j] for i < %d and the columns j < %d whose mask bit is set; k ≥ 0.", name, rows, 2*z.lanes))

	k := Load(Param("k"), GP64())
	a := Load(Param("a"), GP64())
	sa := Load(Param("sa"), GP64())
	b := Load(Param("b"), GP64())
	sb := Load(Param("sb"), GP64())
	SHLQ(U8(log2(z.size)), sa)
	SHLQ(U8(log2(z.size)), sb)

	m := GP64()
	Load(Param("mask"), m.As32())
	k0, k1 := K(), K()
	z.maskMove(m.As32(), k0)
	SHRQ(U8(z.lanes), m)
	z.maskMove(m.As32(), k1)

	acc := make([][2]VecVirtual, rows)
	for i := range acc {
		for h := range 2 {
			acc[i][h] = ZMM()
			z.zero(acc[i][h])
		}
	}

	loop, done := name+"loop", name+"store"
	Label(loop)
	TESTQ(k, k)
	JE(LabelRef(done))
	b0, b1 := ZMM(), ZMM()
	z.loadZ(Mem{Base: b}, k0, b0)
	z.loadZ(Mem{Base: b, Disp: 64}, k1, b1)
	for i := range rows {
		t := ZMM()
		z.broadcast(Mem{Base: a, Disp: i * z.size}, t)
		z.fma(b0, t, acc[i][0])
		z.fma(b1, t, acc[i][1])
	}
	ADDQ(sa, a)
	ADDQ(sb, b)
	DECQ(k)
	JMP(LabelRef(loop))

	Label(done)
	c := Load(Param("c"), GP64())
	ldc := Load(Param("ldc"), GP64())
	SHLQ(U8(log2(z.size)), ldc)
	addFlag := Load(Param("add"), GP8())
	TESTB(addFlag, addFlag)
	JE(LabelRef(name + "set"))
	ci := GP64()
	MOVQ(c, ci)
	for i := range rows {
		for h := range 2 {
			old := ZMM()
			z.loadZ(Mem{Base: ci, Disp: 64 * h}, []Op{k0, k1}[h], old)
			z.add(old, acc[i][h], acc[i][h])
		}
		if i+1 < rows {
			ADDQ(ldc, ci)
		}
	}
	Label(name + "set")
	for i := range rows {
		z.storeK(acc[i][0], k0, Mem{Base: c})
		z.storeK(acc[i][1], k1, Mem{Base: c, Disp: 64})
		if i+1 < rows {
			ADDQ(ldc, c)
		}
	}
	VZEROUPPER()
	RET()
}

// hasAVX512: the processor supports AVX-512 F and the operating system
// saves its state (XCR0 bits 1, 2 and 5–7).
func hasAVX512() {
	TEXT("hasAVX512", NOSPLIT, "func() bool")
	Doc("hasAVX512 reports whether the processor and the operating system support AVX-512 F.")
	MOVL(U32(1), EAX)
	XORL(ECX, ECX)
	CPUID()
	ANDL(U32(1<<27), ECX) // OSXSAVE: XGETBV may run
	JE(LabelRef("no512"))
	XORL(ECX, ECX)
	XGETBV()
	ANDL(U32(0xe6), EAX)
	CMPL(EAX, U32(0xe6))
	JNE(LabelRef("no512"))
	MOVL(U32(7), EAX)
	XORL(ECX, ECX)
	CPUID()
	ANDL(U32(1<<16), EBX)
	JE(LabelRef("no512"))
	MOVB(U8(1), AL)
	Store(AL, ReturnIndex(0))
	RET()
	Label("no512")
	MOVB(U8(0), AL)
	Store(AL, ReturnIndex(0))
	RET()
}

func log2(n int) int {
	s := 0
	for 1<<s < n {
		s++
	}
	return s
}

// The dot-product micro-kernels: c = a bᵀ for tiles of up to ntRows rows
// of a and ntCols rows of b, all rows contiguous along the inner index. A
// layer's forward product y = x Wᵀ is one, with x's and W's rows as they
// are in memory, so no operand is transposed or packed. Each step loads a
// vector of each row and adds its products into one register per element
// of the tile; at the end each register's lanes are summed.

const (
	ntRows = 4 // rows of a, each loaded once per step
	ntCols = 6 // rows of b, each loaded once and used ntRows times
)

// ntKernel: func(n int, mask uint32, a *T, lda int, b *T, ldb int, c *T,
// ldc int, add bool), for a tile of rows × cols:
//
//	c[i·ldc + j] (+)= Σ_p a[i·lda + p] · b[j·ldb + p]   for i < rows, j < cols
//
// over n whole vectors of p and then, when mask is not 0, one more vector
// of which the lanes in mask count. Strides are in elements.
func ntKernel(z zkind, rows, cols int) {
	name := fmt.Sprintf("gemmNT%sR%dC%d", z.name, rows, cols)
	TEXT(name, NOSPLIT, fmt.Sprintf("func(n int, mask uint32, a *%[1]s, lda int, b *%[1]s, ldb int, c *%[1]s, ldc int, add bool)", z.goType))
	Pragma("noescape")
	Doc(fmt.Sprintf("%s sets or adds (add) c[i·ldc+j] = Σ_p a[i·lda+p]·b[j·ldb+p] for i < %d, j < %d, over n whole vectors of p and a last one masked by mask.", name, rows, cols))

	n := Load(Param("n"), GP64())
	a := Load(Param("a"), GP64())
	lda := Load(Param("lda"), GP64())
	b := Load(Param("b"), GP64())
	ldb := Load(Param("ldb"), GP64())
	SHLQ(U8(log2(z.size)), lda)
	SHLQ(U8(log2(z.size)), ldb)
	// Row addresses: base + index·scale with index lda, 2·lda (scale 2),
	// 3·lda, ldb, 3·ldb, 5·ldb.
	lda3, ldb3, ldb5 := GP64(), GP64(), GP64()
	LEAQ(Mem{Base: lda, Index: lda, Scale: 2}, lda3)
	LEAQ(Mem{Base: ldb, Index: ldb, Scale: 2}, ldb3)
	LEAQ(Mem{Base: ldb, Index: ldb, Scale: 4}, ldb5)
	rowA := func(i int) Mem {
		switch i {
		case 0:
			return Mem{Base: a}
		case 1:
			return Mem{Base: a, Index: lda, Scale: 1}
		case 2:
			return Mem{Base: a, Index: lda, Scale: 2}
		default:
			return Mem{Base: a, Index: lda3, Scale: 1}
		}
	}
	rowB := func(j int) Mem {
		switch j {
		case 0:
			return Mem{Base: b}
		case 1:
			return Mem{Base: b, Index: ldb, Scale: 1}
		case 2:
			return Mem{Base: b, Index: ldb, Scale: 2}
		case 3:
			return Mem{Base: b, Index: ldb3, Scale: 1}
		case 4:
			return Mem{Base: b, Index: ldb, Scale: 4}
		default:
			return Mem{Base: b, Index: ldb5, Scale: 1}
		}
	}

	acc := make([][]VecVirtual, rows)
	for i := range acc {
		acc[i] = make([]VecVirtual, cols)
		for j := range acc[i] {
			acc[i][j] = ZMM()
			z.zero(acc[i][j])
		}
	}
	step := func(masked Op) {
		x := make([]VecVirtual, rows)
		for i := range x {
			x[i] = ZMM()
			if masked != nil {
				z.loadZ(rowA(i), masked, x[i])
			} else {
				z.load(rowA(i), x[i])
			}
		}
		for j := range cols {
			w := ZMM()
			if masked != nil {
				z.loadZ(rowB(j), masked, w)
			} else {
				z.load(rowB(j), w)
			}
			for i := range rows {
				z.fma(w, x[i], acc[i][j])
			}
		}
	}
	loop, tail := name+"loop", name+"tail"
	Label(loop)
	TESTQ(n, n)
	JE(LabelRef(tail))
	step(nil)
	ADDQ(U32(64), a)
	ADDQ(U32(64), b)
	DECQ(n)
	JMP(LabelRef(loop))

	Label(tail)
	m := GP64()
	Load(Param("mask"), m.As32())
	TESTQ(m, m)
	JE(LabelRef(name + "sum"))
	km := K()
	z.maskMove(m.As32(), km)
	step(km)

	Label(name + "sum")
	c := Load(Param("c"), GP64())
	ldc := Load(Param("ldc"), GP64())
	SHLQ(U8(log2(z.size)), ldc)
	addFlag := Load(Param("add"), GP8())
	if z.name == "F32" {
		rowSumsF32(name, acc, c, ldc, addFlag)
	} else {
		elementSums(z, name, acc, c, ldc, addFlag)
	}
	VZEROUPPER()
	RET()
}

// elementSums ends the dot-product kernel element by element (float64):
// each accumulator's lanes are summed on their own and stored (added, when
// addFlag is set) to its element of c, whose rows are ldc bytes apart.
func elementSums(z zkind, name string, acc [][]VecVirtual, c, ldc, addFlag Register) {
	for i, row := range acc {
		for j, a := range row {
			s := z.hsum512(a)
			out := Mem{Base: c, Disp: j * z.size}
			TESTB(addFlag, addFlag)
			skip := fmt.Sprintf("%sstore%d_%d", name, i, j)
			JE(LabelRef(skip))
			z.addScalar(out, s.AsX())
			Label(skip)
			z.storeScalar(s.AsX(), out)
		}
		if i+1 < len(acc) {
			ADDQ(ldc, c)
		}
	}
}

// gemm2Rows is the most rows of C the AVX2 micro-kernel keeps in
// registers: 2·gemm2Rows accumulators, two vectors of b and a broadcast
// fill 15 of the 16 YMM registers.
const gemm2Rows = 6

// gemm2Kernel is the AVX2/FMA twin of gemmKernel for processors without
// AVX-512: func(k int, a *T, sa int, b *T, sb int, c *T, ldc int, add bool)
// on a tile of rows rows and two 256-bit vectors of columns, all of them
// (AVX2 has no cheap masks; the Go side pads a narrower tile).
func gemm2Kernel(k kind, rows int) {
	name := fmt.Sprintf("gemm2%sR%d", k.name, rows)
	TEXT(name, NOSPLIT, fmt.Sprintf("func(k int, a *%[1]s, sa int, b *%[1]s, sb int, c *%[1]s, ldc int, add bool)", k.goType))
	Pragma("noescape")
	Doc(fmt.Sprintf("%s sets or adds (add) c[i·ldc+j] = Σ_p a[p·sa+i]·b[p·sb+j] for i < %d and j < %d; k ≥ 0.", name, rows, 2*k.lanes))

	n := Load(Param("k"), GP64())
	a := Load(Param("a"), GP64())
	sa := Load(Param("sa"), GP64())
	b := Load(Param("b"), GP64())
	sb := Load(Param("sb"), GP64())
	SHLQ(U8(log2(k.size)), sa)
	SHLQ(U8(log2(k.size)), sb)

	acc := make([][2]VecVirtual, rows)
	for i := range acc {
		for h := range 2 {
			acc[i][h] = YMM()
			k.zero(acc[i][h])
		}
	}
	loop, done := name+"loop", name+"store"
	Label(loop)
	TESTQ(n, n)
	JE(LabelRef(done))
	b0, b1 := YMM(), YMM()
	k.load(Mem{Base: b}, b0)
	k.load(Mem{Base: b, Disp: 32}, b1)
	for i := range rows {
		t := YMM()
		k.broadcast(Mem{Base: a, Disp: i * k.size}, t)
		k.fma(b0, t, acc[i][0])
		k.fma(b1, t, acc[i][1])
	}
	ADDQ(sa, a)
	ADDQ(sb, b)
	DECQ(n)
	JMP(LabelRef(loop))

	Label(done)
	c := Load(Param("c"), GP64())
	ldc := Load(Param("ldc"), GP64())
	SHLQ(U8(log2(k.size)), ldc)
	addFlag := Load(Param("add"), GP8())
	TESTB(addFlag, addFlag)
	JE(LabelRef(name + "set"))
	ci := GP64()
	MOVQ(c, ci)
	for i := range rows {
		for h := range 2 {
			k.add(Mem{Base: ci, Disp: 32 * h}, acc[i][h], acc[i][h])
		}
		if i+1 < rows {
			ADDQ(ldc, ci)
		}
	}
	Label(name + "set")
	for i := range rows {
		k.store(acc[i][0], Mem{Base: c})
		k.store(acc[i][1], Mem{Base: c, Disp: 32})
		if i+1 < rows {
			ADDQ(ldc, c)
		}
	}
	VZEROUPPER()
	RET()
}
