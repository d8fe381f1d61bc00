package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
)

// The element-wise maps batched functions apply to a whole tile after its
// product, with exactly the results of the generated scalar code:
//
//	relu:     if y < 0 { y = 0 }          (NaN and −0 stay)
//	reluGrad: if a <= 0 { y = 0 }         (a NaN keeps y)
//
// MAXPS returns its second (Intel) source when the comparison fails or is
// unordered, which is the element itself; CMPPS with "not less or equal"
// is true for NaN.

// relu: func(y []T), y = max(y, 0) as above.
func relu(k kind) {
	name := "relu" + k.name
	TEXT(name, NOSPLIT, fmt.Sprintf("func(y []%s)", k.goType))
	Doc(fmt.Sprintf("%s sets the negative elements of y to 0; len(y) is a multiple of %d.", name, k.lanes))
	y := Mem{Base: Load(Param("y").Base(), GP64())}
	n := Load(Param("y").Len(), GP64())
	zero := YMM()
	k.zero(zero)
	Label(name + "loop")
	CMPQ(n, U32(0))
	JE(LabelRef(name + "done"))
	v := YMM()
	k.load(y, v)
	k.max(v, zero, v) // zero > v ? zero : v
	k.store(v, y)
	ADDQ(U32(32), y.Base)
	SUBQ(U32(k.lanes), n)
	JMP(LabelRef(name + "loop"))
	Label(name + "done")
	VZEROUPPER()
	RET()
}

// reluGrad: func(y, a []T), y = 0 where a <= 0.
func reluGrad(k kind) {
	name := "reluGrad" + k.name
	TEXT(name, NOSPLIT, fmt.Sprintf("func(y, a []%s)", k.goType))
	Doc(fmt.Sprintf("%s sets y to 0 where a <= 0; len(a) = len(y) is a multiple of %d.", name, k.lanes))
	y := Mem{Base: Load(Param("y").Base(), GP64())}
	a := Mem{Base: Load(Param("a").Base(), GP64())}
	n := Load(Param("y").Len(), GP64())
	zero := YMM()
	k.zero(zero)
	Label(name + "loop")
	CMPQ(n, U32(0))
	JE(LabelRef(name + "done"))
	keep := YMM()
	k.cmp(U8(9), a, zero, keep) // keep = !(0 >= a), NGE_UQ: true for NaN
	v := YMM()
	k.and(y, keep, v)
	k.store(v, y)
	ADDQ(U32(32), y.Base)
	ADDQ(U32(32), a.Base)
	SUBQ(U32(k.lanes), n)
	JMP(LabelRef(name + "loop"))
	Label(name + "done")
	VZEROUPPER()
	RET()
}
