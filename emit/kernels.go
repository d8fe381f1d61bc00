package emit

import (
	"fmt"

	. "github.com/dave/jennifer/jen"

	"github.com/gradgen/gradgen/ir"
)

// What the product emitters (matmul.go) share: the rows a kernel works on,
// the flat views the runtime's kernels take, and the epilogue that adds a
// bias and applies the fused maps after a product.
//
// The matrix kernels. A batched function runs them on blocks of four rows,
// so each weight element loaded from memory serves four samples and eight
// independent sums keep the floating-point adders busy; leftover rows take
// the one-row path, which per-sample functions use throughout. Every loop
// bound is a constant except the number of rows, so the compiler removes
// the bounds checks.

// blockRows is the number of rows a batched kernel handles per block.
const blockRows = 4

func id(format string, args ...any) *Statement { return Id(fmt.Sprintf(format, args...)) }

// plus is the index name+i, or name for i = 0.
func plus(name string, i int) *Statement {
	if i == 0 {
		return Id(name)
	}
	return Id(name).Op("+").Lit(i)
}

// rowAt is a pointer to row r+off of a batched value in a batched function.
func (c *funcCtx) rowAt(v *ir.Value, off int) *Statement {
	return Op("&").Add(c.ref(v)).Index(plus("r", off))
}

// blocked returns the loops of a batched kernel: block(…) for each block
// of blockRows rows starting at r, then single(…) for each remaining row.
// A per-sample function runs single once.
func (c *funcCtx) blocked(block, single []Code) []Code {
	if !c.f.Batched() {
		return single
	}
	return []Code{
		Id("r").Op(":=").Lit(0),
		For(Empty(), Id("r").Op("+").Lit(blockRows).Op("<=").Id("rows"), Id("r").Op("+=").Lit(blockRows)).Block(block...),
		For(Empty(), Id("r").Op("<").Id("rows"), Id("r").Op("++")).Block(single...),
	}
}

// rowOf binds name to the row of v the single-row path works on.
func (c *funcCtx) rowOf(name string, v *ir.Value) Code {
	if !c.f.Batched() {
		return Id(name).Op(":=").Add(c.row(v))
	}
	return Id(name).Op(":=").Add(c.rowAt(v, 0))
}

// rowsOf binds name0 … name3 to the rows of v a block works on.
func (c *funcCtx) rowsOf(name string, v *ir.Value) Code {
	names := make([]Code, blockRows)
	rows := make([]Code, blockRows)
	for i := range blockRows {
		names[i] = id("%s%d", name, i)
		rows[i] = c.rowAt(v, i)
	}
	return List(names...).Op(":=").List(rows...)
}

// bias is the bias operand of an Affine, or nil.
func bias(v *ir.Value) *ir.Value {
	if v.Op == ir.OpAffine && len(v.Args) == 3 {
		return v.Args[2]
	}
	return nil
}

// all is s[:], a slice of a whole array.
func all(s *Statement) *Statement { return s.Index(Empty(), Empty()) }

// rt names a function of the runtime.
func rt(name string) *Statement { return Qual(runtimePath, name) }

// tile is the rows of a batched value in a batched function as one flat
// slice: unsafe.Slice(&s.b0[0][0], rows*512).
func (c *funcCtx) tile(v *ir.Value) *Statement {
	return Qual("unsafe", "Slice").Call(Op("&").Add(c.ref(v)).Index(Lit(0)).Index(Lit(0)), Id("rows").Op("*").Lit(v.Type.Cols()))
}

// flat is the parameter v (or the gradient of one) as a flat slice of the
// whole struct's Slice(): p.Slice()[80:336].
func (c *funcCtx) flat(v *ir.Value) *Statement {
	name, holder := v.Name, "p"
	if q := c.grads[v]; q != "" {
		name, holder = q, "g"
	}
	off := paramOffset(c.p, name)
	return Id(holder).Dot("Slice").Call().Index(Lit(off), Lit(off+v.Type.Elems()))
}

// paramOffset is where parameter name starts in Params.Slice().
func paramOffset(p *ir.Program, name string) int {
	for _, q := range p.Params {
		if q.Name == name {
			return q.Offset
		}
	}
	panic("emit: no parameter " + name)
}

// epilogueLoop adds an Affine's bias to each element of its result and
// applies v's maps, row by row, after the kernel has written it.
func (c *funcCtx) epilogueLoop(v *ir.Value, n int) []Code {
	b := bias(v)
	if len(v.Maps) == 0 && b == nil {
		return nil
	}
	if code, ok := c.tileEpilogue(v, c.tile(v)); ok {
		return code
	}
	body := []Code{Id("out").Op(":=").Add(c.row(v))}
	if b != nil {
		body = append(body, Id("b").Op(":=").Add(c.row(b)))
	}
	body = append(body, c.bindMaps(v)...)
	inner := []Code{Id("acc").Op(":=").Id("out").Index(Id("j"))}
	if b != nil {
		inner = append(inner, Id("acc").Op("+=").Id("b").Index(Id("j")))
	}
	inner = append(inner, c.epilogue(v)...)
	inner = append(inner, Id("out").Index(Id("j")).Op("=").Id("acc"))
	body = append(body, For(Id("j").Op(":=").Range().Lit(n)).Block(inner...))
	if !c.f.Batched() {
		return []Code{Block(body...)} // a scope of its own beside the kernel's
	}
	return c.rowLoop(body)
}

// gemm is a product computed for the whole tile by call, which writes out,
// a flat view of the tile of v (n columns), followed by v's bias and maps.
func (c *funcCtx) gemm(v *ir.Value, n int, call Code) []Code {
	code := []Code{Id("out").Op(":=").Add(c.tile(v)), call}
	if epilogue, ok := c.tileEpilogue(v, Id("out")); ok {
		return append(code, epilogue...)
	}
	return append(code, c.epilogueLoop(v, n)...)
}

// tileMaps are the maps with a runtime kernel for a whole tile, which a
// batched function calls instead of a loop whose branches the data decides.
var tileMaps = map[ir.Op]string{ir.OpReLU: "ReLU", ir.OpReLUGrad: "ReLUGrad"}

// tileEpilogue adds the bias and applies the maps of v in a batched function
// with one runtime call each over the whole tile, when every map has a tile
// kernel; the kernels give the bits of the scalar loop.
func (c *funcCtx) tileEpilogue(v *ir.Value, out *Statement) ([]Code, bool) {
	if !c.f.Batched() {
		return nil, false
	}
	for _, m := range v.Maps {
		if tileMaps[m.Op] == "" {
			return nil, false
		}
	}
	var code []Code
	if b := bias(v); b != nil {
		code = append(code, rt("AddBias").Call(out.Clone(), all(c.ref(b))))
	}
	for _, m := range v.Maps {
		args := []Code{out.Clone()}
		for _, a := range m.Args {
			args = append(args, c.tile(a))
		}
		code = append(code, rt(tileMaps[m.Op]).Call(args...))
	}
	return code, true
}
