// Command asm generates the vector kernels of gradgen's runtime with avo:
// dot products and scaled additions (axpy) over float32 and float64 slices,
// with AVX2 and FMA, and the CPUID check that selects them at run time.
//
//	cd asm && go run . -out ../runtime/kernels_amd64.s -stubs ../runtime/kernels_amd64.go -pkg runtime
//
// It is a module of its own so that avo stays out of gradgen's requirements;
// its output is checked in and checked for staleness like generated code.
//
// Every kernel takes slices whose length is a multiple of the vector width
// (8 float32 or 4 float64); the Go wrappers in runtime/kernels.go handle the
// rest in Go. Each kernel ends with VZEROUPPER, so scalar code after it does
// not pay for a dirty upper AVX state.
package main

import (
	"fmt"
	"strings"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// kind is one element type's instructions.
type kind struct {
	name      string // F32, F64
	goType    string
	size      int                // bytes per element
	lanes     int                // elements per YMM register
	sub       func(a, b, dst Op) // dst = b - a
	mul       func(a, b, dst Op)
	div       func(a, b, dst Op) // dst = b / a
	sqrt      func(a, dst Op)
	zero      func(r Op)
	load      func(m, r Op)
	store     func(r, m Op)
	fma       func(a, b, acc Op) // acc += a·b
	add       func(a, b, dst Op)
	hadd      func(a, b, dst Op)
	broadcast func(src, dst Op)
	max       func(a, b, dst Op)       // dst = b > a ? b : a, in Go operand order; a when unordered
	cmp       func(pred, a, b, dst Op) // dst = b pred a (Go operand order), lane by lane: all ones or zeros
	and       func(a, b, dst Op)
	andn      func(a, b, dst Op) // dst = a &^ b: Intel's ANDN with b first
	movZ      func(a, k, dst Op) // dst = a where mask k, else 0 (AVX-512)
	hsumSteps int                // horizontal adds after folding 256 bits into 128
}

var f32 = kind{
	name: "F32", goType: "float32", size: 4, lanes: 8,
	sub:       func(a, b, dst Op) { VSUBPS(a, b, dst) },
	mul:       func(a, b, dst Op) { VMULPS(a, b, dst) },
	div:       func(a, b, dst Op) { VDIVPS(a, b, dst) },
	sqrt:      func(a, dst Op) { VSQRTPS(a, dst) },
	zero:      func(r Op) { VXORPS(r, r, r) },
	load:      func(m, r Op) { VMOVUPS(m, r) },
	store:     func(r, m Op) { VMOVUPS(r, m) },
	fma:       func(a, b, acc Op) { VFMADD231PS(a, b, acc) },
	add:       func(a, b, dst Op) { VADDPS(a, b, dst) },
	hadd:      func(a, b, dst Op) { VHADDPS(a, b, dst) },
	broadcast: func(src, dst Op) { VBROADCASTSS(src, dst) },
	max:       func(a, b, dst Op) { VMAXPS(a, b, dst) },
	cmp:       func(pred, a, b, dst Op) { VCMPPS(pred, a, b, dst) },
	and:       func(a, b, dst Op) { VANDPS(a, b, dst) },
	andn:      func(a, b, dst Op) { VANDNPS(a, b, dst) },
	movZ:      func(a, k, dst Op) { VMOVAPS_Z(a, k, dst) },
	hsumSteps: 2,
}

var f64 = kind{
	name: "F64", goType: "float64", size: 8, lanes: 4,
	sub:       func(a, b, dst Op) { VSUBPD(a, b, dst) },
	mul:       func(a, b, dst Op) { VMULPD(a, b, dst) },
	div:       func(a, b, dst Op) { VDIVPD(a, b, dst) },
	sqrt:      func(a, dst Op) { VSQRTPD(a, dst) },
	zero:      func(r Op) { VXORPD(r, r, r) },
	load:      func(m, r Op) { VMOVUPD(m, r) },
	store:     func(r, m Op) { VMOVUPD(r, m) },
	fma:       func(a, b, acc Op) { VFMADD231PD(a, b, acc) },
	add:       func(a, b, dst Op) { VADDPD(a, b, dst) },
	hadd:      func(a, b, dst Op) { VHADDPD(a, b, dst) },
	broadcast: func(src, dst Op) { VBROADCASTSD(src, dst) },
	max:       func(a, b, dst Op) { VMAXPD(a, b, dst) },
	cmp:       func(pred, a, b, dst Op) { VCMPPD(pred, a, b, dst) },
	and:       func(a, b, dst Op) { VANDPD(a, b, dst) },
	andn:      func(a, b, dst Op) { VANDNPD(a, b, dst) },
	movZ:      func(a, k, dst Op) { VMOVAPD_Z(a, k, dst) },
	hsumSteps: 1,
}

func main() {
	ConstraintExpr("!purego")
	for _, k := range []kind{f32, f64} {
		dot(k)
		dot4(k)
		dot4x3(k)
		axpy(k)
		scale(k)
		gradSGD(k)
		axpy4(k)
		ger(k, true)
		ger(k, false)
		gemvT(k)
		for _, w := range []width{ymm, zmm} {
			adam(k, w)
			sgd(k, w)
			momentum(k, w)
		}
		relu(k)
		reluGrad(k)
		for rows := 1; rows <= gemm2Rows; rows++ {
			gemm2Kernel(k, rows)
		}
	}
	for _, z := range []zkind{z32, z64} {
		for rows := 1; rows <= gemmRows; rows++ {
			gemmKernel(z, rows)
		}
		for rows := 1; rows <= ntRows; rows++ {
			for cols := 1; cols <= ntCols; cols++ {
				ntKernel(z, rows, cols)
			}
		}
	}
	cpu()
	hasAVX512()
	Generate()
}

// addr is the memory operand of a scalar parameter: broadcasting straight
// from memory avoids a legacy-SSE load, which after 256-bit code would pay
// the AVX-SSE transition penalty.
func addr(name string) Mem {
	b, err := Param(name).Resolve()
	if err != nil {
		panic(err)
	}
	return b.Addr
}

// hsum folds the lanes of acc into its lowest element.
func hsum(k kind, acc VecVirtual) Register {
	top := XMM()
	VEXTRACTF128(U8(1), acc, top)
	x := acc.AsX()
	k.add(x, top, x)
	for range k.hsumSteps {
		k.hadd(x, x, x)
	}
	return x
}

// dot: func(a, b []T) T, the dot product, four vectors per iteration.
func dot(k kind) {
	TEXT("dot"+k.name, NOSPLIT, fmt.Sprintf("func(a, b []%s) %s", k.goType, k.goType))
	Doc(fmt.Sprintf("dot%s returns Σ a[i]·b[i]; len(a) = len(b) is a multiple of %d.", k.name, k.lanes))
	a := Mem{Base: Load(Param("a").Base(), GP64())}
	b := Mem{Base: Load(Param("b").Base(), GP64())}
	n := Load(Param("a").Len(), GP64())
	const unroll = 4
	acc := make([]VecVirtual, unroll)
	for i := range acc {
		acc[i] = YMM()
		k.zero(acc[i])
	}
	Label("dot" + k.name + "block")
	CMPQ(n, U32(unroll*k.lanes))
	JL(LabelRef("dot" + k.name + "single"))
	for i := range unroll {
		v := YMM()
		k.load(a.Offset(32*i), v)
		k.fma(b.Offset(32*i), v, acc[i])
	}
	ADDQ(U32(32*unroll), a.Base)
	ADDQ(U32(32*unroll), b.Base)
	SUBQ(U32(unroll*k.lanes), n)
	JMP(LabelRef("dot" + k.name + "block"))

	Label("dot" + k.name + "single")
	CMPQ(n, U32(0))
	JE(LabelRef("dot" + k.name + "reduce"))
	v := YMM()
	k.load(a, v)
	k.fma(b, v, acc[0])
	ADDQ(U32(32), a.Base)
	ADDQ(U32(32), b.Base)
	SUBQ(U32(k.lanes), n)
	JMP(LabelRef("dot" + k.name + "single"))

	Label("dot" + k.name + "reduce")
	k.add(acc[0], acc[1], acc[0])
	k.add(acc[2], acc[3], acc[2])
	k.add(acc[0], acc[2], acc[0])
	sum := hsum(k, acc[0])
	VZEROUPPER() // before the scalar store: no SSE code with a dirty upper state
	Store(sum, ReturnIndex(0))
	RET()
}

// dot4: func(w, x0, x1, x2, x3 []T) (s0, s1, s2, s3 T), the dot products of
// one vector with four: each load of w serves four products, and two vectors
// per iteration keep eight sums in flight.
func dot4(k kind) {
	T := k.goType
	TEXT("dot4"+k.name, NOSPLIT, fmt.Sprintf("func(w, x0, x1, x2, x3 []%s) (s0, s1, s2, s3 %s)", T, T))
	Doc(fmt.Sprintf("dot4%s returns w·x0, w·x1, w·x2, w·x3; every length equals len(w), a multiple of %d.", k.name, k.lanes))
	w := Mem{Base: Load(Param("w").Base(), GP64())}
	n := Load(Param("w").Len(), GP64())
	xs := make([]Mem, 4)
	for r := range xs {
		xs[r] = Mem{Base: Load(Param(fmt.Sprintf("x%d", r)).Base(), GP64())}
	}
	acc := make([][2]VecVirtual, 4)
	for r := range acc {
		for u := range 2 {
			acc[r][u] = YMM()
			k.zero(acc[r][u])
		}
	}
	step := func(u int) {
		v := YMM()
		k.load(w.Offset(32*u), v)
		for r := range 4 {
			k.fma(xs[r].Offset(32*u), v, acc[r][u])
		}
	}
	advance := func(vectors int) {
		ADDQ(U32(32*vectors), w.Base)
		for r := range 4 {
			ADDQ(U32(32*vectors), xs[r].Base)
		}
		SUBQ(U32(vectors*k.lanes), n)
	}
	Label("dot4" + k.name + "block")
	CMPQ(n, U32(2*k.lanes))
	JL(LabelRef("dot4" + k.name + "single"))
	step(0)
	step(1)
	advance(2)
	JMP(LabelRef("dot4" + k.name + "block"))

	Label("dot4" + k.name + "single")
	CMPQ(n, U32(0))
	JE(LabelRef("dot4" + k.name + "reduce"))
	step(0)
	advance(1)
	JMP(LabelRef("dot4" + k.name + "single"))

	Label("dot4" + k.name + "reduce")
	sums := make([]Register, 4)
	for r := range 4 {
		k.add(acc[r][0], acc[r][1], acc[r][0])
		sums[r] = hsum(k, acc[r][0])
	}
	VZEROUPPER() // before the scalar stores: no SSE code with a dirty upper state
	for r, sum := range sums {
		Store(sum, ReturnIndex(r))
	}
	RET()
}

// dot4x3: the twelve dot products of three weight rows with four input
// rows, a register-blocked micro-kernel: each chunk loads three weight and
// four input vectors and does twelve FMAs into twelve accumulators, so the
// FMA units, not the loads, set the pace. Results come back row-major:
// s00 = w0·x0, s01 = w0·x1, …, s23 = w2·x3.
func dot4x3(k kind) {
	T := k.goType
	var results []string
	for i := range 3 {
		for r := range 4 {
			results = append(results, fmt.Sprintf("s%d%d", i, r))
		}
	}
	TEXT("dot4x3"+k.name, NOSPLIT, fmt.Sprintf("func(w0, w1, w2, x0, x1, x2, x3 []%s) (%s %s)", T, strings.Join(results, ", "), T))
	Doc(fmt.Sprintf("dot4x3%s returns wᵢ·x_r for three w and four x; every length equals len(w0), a multiple of %d.", k.name, k.lanes))
	n := Load(Param("w0").Len(), GP64())
	ws := make([]Mem, 3)
	for i := range ws {
		ws[i] = Mem{Base: Load(Param(fmt.Sprintf("w%d", i)).Base(), GP64())}
	}
	xs := make([]Mem, 4)
	for r := range xs {
		xs[r] = Mem{Base: Load(Param(fmt.Sprintf("x%d", r)).Base(), GP64())}
	}
	acc := make([][4]VecVirtual, 3)
	for i := range acc {
		for r := range 4 {
			acc[i][r] = YMM()
			k.zero(acc[i][r])
		}
	}
	Label("dot4x3" + k.name + "loop")
	CMPQ(n, U32(0))
	JE(LabelRef("dot4x3" + k.name + "reduce"))
	wv := make([]VecVirtual, 3)
	for i := range wv {
		wv[i] = YMM()
		k.load(ws[i], wv[i])
	}
	for r := range 4 {
		x := YMM()
		k.load(xs[r], x)
		for i := range 3 {
			k.fma(x, wv[i], acc[i][r])
		}
	}
	for i := range ws {
		ADDQ(U32(32), ws[i].Base)
	}
	for r := range xs {
		ADDQ(U32(32), xs[r].Base)
	}
	SUBQ(U32(k.lanes), n)
	JMP(LabelRef("dot4x3" + k.name + "loop"))
	Label("dot4x3" + k.name + "reduce")
	sums := make([]Register, 0, 12)
	for i := range 3 {
		for r := range 4 {
			sums = append(sums, hsum(k, acc[i][r]))
		}
	}
	VZEROUPPER() // before the scalar stores: no SSE code with a dirty upper state
	for idx, sum := range sums {
		Store(sum, ReturnIndex(idx))
	}
	RET()
}

// axpy: func(y []T, a T, x []T), y += a·x.
func axpy(k kind) {
	T := k.goType
	TEXT("axpy"+k.name, NOSPLIT, fmt.Sprintf("func(y []%s, a %s, x []%s)", T, T, T))
	Doc(fmt.Sprintf("axpy%s adds a·x to y; len(x) = len(y) is a multiple of %d.", k.name, k.lanes))
	y := Mem{Base: Load(Param("y").Base(), GP64())}
	x := Mem{Base: Load(Param("x").Base(), GP64())}
	n := Load(Param("y").Len(), GP64())
	a := YMM()
	k.broadcast(addr("a"), a)
	Label("axpy" + k.name + "loop")
	CMPQ(n, U32(0))
	JE(LabelRef("axpy" + k.name + "done"))
	v := YMM()
	k.load(y, v)
	k.fma(x, a, v)
	k.store(v, y)
	ADDQ(U32(32), y.Base)
	ADDQ(U32(32), x.Base)
	SUBQ(U32(k.lanes), n)
	JMP(LabelRef("axpy" + k.name + "loop"))
	Label("axpy" + k.name + "done")
	VZEROUPPER()
	RET()
}

// scale: func(y []T, a T, x []T), y = a·x.
func scale(k kind) {
	T := k.goType
	TEXT("scale"+k.name, NOSPLIT, fmt.Sprintf("func(y []%s, a %s, x []%s)", T, T, T))
	Doc(fmt.Sprintf("scale%s sets y to a·x; len(x) = len(y) is a multiple of %d.", k.name, k.lanes))
	y := Mem{Base: Load(Param("y").Base(), GP64())}
	x := Mem{Base: Load(Param("x").Base(), GP64())}
	n := Load(Param("y").Len(), GP64())
	a := YMM()
	k.broadcast(addr("a"), a)
	Label("scale" + k.name + "loop")
	CMPQ(n, U32(0))
	JE(LabelRef("scale" + k.name + "done"))
	v := YMM()
	k.mul(x, a, v)
	k.store(v, y)
	ADDQ(U32(32), y.Base)
	ADDQ(U32(32), x.Base)
	SUBQ(U32(k.lanes), n)
	JMP(LabelRef("scale" + k.name + "loop"))
	Label("scale" + k.name + "done")
	VZEROUPPER()
	RET()
}

// axpy4: func(y []T, a0, a1, a2, a3 T, x0, x1, x2, x3 []T),
// y += a0·x0 + a1·x1 + a2·x2 + a3·x3: one pass over y for four products.
func axpy4(k kind) {
	T := k.goType
	TEXT("axpy4"+k.name, NOSPLIT, fmt.Sprintf("func(y []%s, a0, a1, a2, a3 %s, x0, x1, x2, x3 []%s)", T, T, T))
	Doc(fmt.Sprintf("axpy4%s adds a0·x0 + a1·x1 + a2·x2 + a3·x3 to y; every length equals len(y), a multiple of %d.", k.name, k.lanes))
	y := Mem{Base: Load(Param("y").Base(), GP64())}
	n := Load(Param("y").Len(), GP64())
	as := make([]VecVirtual, 4)
	xs := make([]Mem, 4)
	for r := range 4 {
		as[r] = YMM()
		k.broadcast(addr(fmt.Sprintf("a%d", r)), as[r])
		xs[r] = Mem{Base: Load(Param(fmt.Sprintf("x%d", r)).Base(), GP64())}
	}
	Label("axpy4" + k.name + "loop")
	CMPQ(n, U32(0))
	JE(LabelRef("axpy4" + k.name + "done"))
	v := YMM()
	k.load(y, v)
	for r := range 4 {
		k.fma(xs[r], as[r], v)
	}
	k.store(v, y)
	ADDQ(U32(32), y.Base)
	for r := range 4 {
		ADDQ(U32(32), xs[r].Base)
	}
	SUBQ(U32(k.lanes), n)
	JMP(LabelRef("axpy4" + k.name + "loop"))
	Label("axpy4" + k.name + "done")
	VZEROUPPER()
	RET()
}

// ger: func(out, d, x []T), the outer product out = d xᵀ (set) or
// out += d xᵀ (add), out being len(d) rows of len(x): a whole weight
// gradient in one call, for layers too narrow for one call per row.
func ger(k kind, set bool) {
	T := k.goType
	name := "gerAdd" + k.name
	what := "adds d xᵀ to out"
	if set {
		name, what = "gerSet"+k.name, "sets out to d xᵀ"
	}
	TEXT(name, NOSPLIT, fmt.Sprintf("func(out, d, x []%s)", T))
	Doc(fmt.Sprintf("%s %s, row by row; len(x) is a multiple of %d and len(out) = len(d)·len(x).", name, what, k.lanes))
	out := Mem{Base: Load(Param("out").Base(), GP64())}
	d := Mem{Base: Load(Param("d").Base(), GP64())}
	rows := Load(Param("d").Len(), GP64())
	xBase := Load(Param("x").Base(), GP64())
	cols := Load(Param("x").Len(), GP64())
	Label(name + "row")
	CMPQ(rows, U32(0))
	JE(LabelRef(name + "done"))
	di := YMM()
	k.broadcast(d, di)
	x := Mem{Base: GP64()}
	MOVQ(xBase, x.Base)
	n := GP64()
	MOVQ(cols, n)
	Label(name + "col")
	CMPQ(n, U32(0))
	JE(LabelRef(name + "next"))
	v := YMM()
	if set {
		k.mul(x, di, v)
	} else {
		k.load(out, v)
		k.fma(x, di, v)
	}
	k.store(v, out)
	ADDQ(U32(32), out.Base)
	ADDQ(U32(32), x.Base)
	SUBQ(U32(k.lanes), n)
	JMP(LabelRef(name + "col"))
	Label(name + "next")
	ADDQ(U32(k.size), d.Base)
	DECQ(rows)
	JMP(LabelRef(name + "row"))
	Label(name + "done")
	VZEROUPPER()
	RET()
}

// gemvT: func(out, w, dy []T), out += Σ_k dy[k]·w[k], w being len(dy) rows
// of len(out): the product Wᵀ ȳ in one call.
func gemvT(k kind) {
	T := k.goType
	name := "gemvT" + k.name
	TEXT(name, NOSPLIT, fmt.Sprintf("func(out, w, dy []%s)", T))
	Doc(fmt.Sprintf("%s adds Σ_k dy[k]·w[k] to out; len(out) is a multiple of %d and len(w) = len(dy)·len(out).", name, k.lanes))
	w := Mem{Base: Load(Param("w").Base(), GP64())}
	dy := Mem{Base: Load(Param("dy").Base(), GP64())}
	rows := Load(Param("dy").Len(), GP64())
	outBase := Load(Param("out").Base(), GP64())
	cols := Load(Param("out").Len(), GP64())
	for c := 1; c <= gemvTNarrow; c++ {
		CMPQ(cols, U32(c*k.lanes))
		JE(LabelRef(fmt.Sprintf("%snarrow%d", name, c)))
	}
	Label(name + "row")
	CMPQ(rows, U32(0))
	JE(LabelRef(name + "done"))
	dk := YMM()
	k.broadcast(dy, dk)
	out := Mem{Base: GP64()}
	MOVQ(outBase, out.Base)
	n := GP64()
	MOVQ(cols, n)
	Label(name + "col")
	CMPQ(n, U32(0))
	JE(LabelRef(name + "next"))
	v := YMM()
	k.load(out, v)
	k.fma(w, dk, v)
	k.store(v, out)
	ADDQ(U32(32), out.Base)
	ADDQ(U32(32), w.Base)
	SUBQ(U32(k.lanes), n)
	JMP(LabelRef(name + "col"))
	Label(name + "next")
	ADDQ(U32(k.size), dy.Base)
	DECQ(rows)
	JMP(LabelRef(name + "row"))
	Label(name + "done")
	VZEROUPPER()
	RET()
	for c := 1; c <= gemvTNarrow; c++ {
		gemvTRegisters(k, fmt.Sprintf("%snarrow%d", name, c), c, w, dy, rows, outBase)
	}
}

// gemvTNarrow is the most vectors of out gemvT keeps in registers.
const gemvTNarrow = 4

// gemvTRegisters is gemvT for an out of c vectors, labelled label: out
// stays in c registers across the rows instead of being loaded and stored
// for each, which for short rows (a tiny layer's) would chain every row's
// multiply-adds through a store and a load. The sums are the same, in the
// same order.
func gemvTRegisters(k kind, label string, c int, w, dy Mem, rows, outBase Register) {
	Label(label)
	out := Mem{Base: outBase}
	acc := make([]VecVirtual, c)
	for v := range c {
		acc[v] = YMM()
		k.load(out.Offset(32*v), acc[v])
	}
	Label(label + "row")
	CMPQ(rows, U32(0))
	JE(LabelRef(label + "done"))
	dk := YMM()
	k.broadcast(dy, dk)
	for v := range c {
		k.fma(w.Offset(32*v), dk, acc[v])
	}
	ADDQ(U32(32*c), w.Base)
	ADDQ(U32(k.size), dy.Base)
	DECQ(rows)
	JMP(LabelRef(label + "row"))
	Label(label + "done")
	for v := range c {
		k.store(acc[v], out.Offset(32*v))
	}
	VZEROUPPER()
	RET()
}

// cpu: func() bool, whether the processor and the OS support AVX2 and FMA:
// CPUID.1:ECX has FMA (bit 12), OSXSAVE (27) and AVX (28); XGETBV(0) shows
// the OS saves XMM and YMM state (bits 1 and 2); CPUID.7.0:EBX has AVX2 (5).
func cpu() {
	TEXT("hasAVX2FMA", NOSPLIT, "func() bool")
	Doc("hasAVX2FMA reports whether the processor and the operating system support AVX2 and FMA.")
	MOVL(U32(1), EAX)
	XORL(ECX, ECX)
	CPUID()
	MOVL(ECX, R8L)
	ANDL(U32(1<<12|1<<27|1<<28), R8L)
	CMPL(R8L, U32(1<<12|1<<27|1<<28))
	JNE(LabelRef("no"))
	XORL(ECX, ECX)
	XGETBV()
	ANDL(U32(6), EAX)
	CMPL(EAX, U32(6))
	JNE(LabelRef("no"))
	MOVL(U32(7), EAX)
	XORL(ECX, ECX)
	CPUID()
	ANDL(U32(1<<5), EBX)
	CMPL(EBX, U32(1<<5))
	JNE(LabelRef("no"))
	MOVB(U8(1), AL)
	Store(AL, ReturnIndex(0))
	RET()
	Label("no")
	MOVB(U8(0), AL)
	Store(AL, ReturnIndex(0))
	RET()
}
