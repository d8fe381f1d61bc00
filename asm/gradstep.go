package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// gradSGD: func(p, g []T, s, a T, x []T, add bool), one row of a weight
// gradient made and stepped in one pass, for the per-sample training
// function's fused step (runtime.GradSGD):
//
//	g = s·x          (g += s·x with a fused multiply-add when add, as axpy)
//	p = p − a·g      (torch.optim.SGD without momentum or weight decay, as sgd)
//
// Each element is rounded exactly as scale or axpy and then sgd round it, so
// the results are the bits of those kernels one after the other; the row of
// g is not read back from memory.
func gradSGD(k kind) {
	T := k.goType
	name := "gradSGD" + k.name
	TEXT(name, NOSPLIT, fmt.Sprintf("func(p, g []%s, s, a %s, x []%s, add bool)", T, T, T))
	Doc(fmt.Sprintf("%s makes g = s·x (or adds s·x to g when add) and subtracts a·g from p; every length equals len(p), a multiple of %d.", name, k.lanes))
	p := Mem{Base: Load(Param("p").Base(), GP64())}
	g := Mem{Base: Load(Param("g").Base(), GP64())}
	x := Mem{Base: Load(Param("x").Base(), GP64())}
	n := Load(Param("p").Len(), GP64())
	s, a := YMM(), YMM()
	k.broadcast(addr("s"), s)
	k.broadcast(addr("a"), a)
	add := Load(Param("add"), GP8())
	CMPB(add, U8(0))
	JNE(LabelRef(name + "add"))
	gradSGDLoop(k, name+"set", p, g, x, n, s, a, false)
	JMP(LabelRef(name + "done"))
	Label(name + "add")
	gradSGDLoop(k, name+"add", p, g, x, n, s, a, true)
	Label(name + "done")
	VZEROUPPER()
	RET()
}

// gradSGDLoop is gradSGD's loop over the vectors of the row, labelled
// label: one vector of g, then of p, per iteration.
func gradSGDLoop(k kind, label string, p, g, x Mem, n Register, s, a VecVirtual, add bool) {
	Label(label + "loop")
	CMPQ(n, U32(0))
	JE(LabelRef(label + "end"))
	v, d, q := YMM(), YMM(), YMM()
	if add {
		k.load(g, v)
		k.fma(x, s, v) // g += s·x
	} else {
		k.mul(x, s, v) // g = s·x
	}
	k.store(v, g)
	k.mul(v, a, d) // d = a·g
	k.load(p, q)
	k.sub(d, q, q) // p = p − d
	k.store(q, p)
	for _, m := range []Mem{p, g, x} {
		ADDQ(U32(32), m.Base)
	}
	SUBQ(U32(k.lanes), n)
	JMP(LabelRef(label + "loop"))
	Label(label + "end")
}
