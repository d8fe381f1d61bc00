package emit

import (
	"fmt"

	. "github.com/dave/jennifer/jen"

	"github.com/gradgen/gradgen/ir"
)

// The matrix kernels. A batched function runs them on blocks of four rows,
// so each weight element loaded from memory serves four samples and eight
// independent sums keep the floating-point adders busy; leftover rows take
// the one-row path, which per-sample functions use throughout. Every loop
// bound is a constant except the number of rows, so the compiler removes
// the bounds checks.

// blockRows is the number of rows a batched kernel handles per block.
const blockRows = 4

func id(format string, args ...any) *Statement { return Id(fmt.Sprintf(format, args...)) }

// rowAt is a pointer to row r+off of a batched value in a batched function.
func (c *funcCtx) rowAt(v *ir.Value, off int) *Statement {
	idx := Id("r")
	if off > 0 {
		idx = Id("r").Op("+").Lit(off)
	}
	return Op("&").Add(c.ref(v)).Index(idx)
}

// blocked returns the loops of a batched kernel: block(…) for each block
// of blockRows rows starting at r, then single(…) for each remaining row.
// A per-sample function runs single once.
func (c *funcCtx) blocked(block, single []Code) []Code {
	if c.perSample() {
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
	if c.perSample() {
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

// emitAffine computes y = W x + b for each row x, then applies v's maps:
//
//	y[j] = Σ_k W[j][k]·x[k] + b[j]
//
// A block of four rows computes two outputs at a time from eight sums; the
// single-row path computes four outputs at a time, and a leftover output
// splits its sum four ways.
func emitAffine(c *funcCtx, v *ir.Value) []Code {
	x, w := v.Args[0], v.Args[1]
	nOut, nIn := w.Type.Dims[0], w.Type.Dims[1]
	if v.Gemm {
		// The whole tile: y = x Wᵀ.
		return c.gemm(v, nOut, rt("MulNT").Call(Id("out"), c.tile(x), c.flat(w), Id("rows"), Lit(nOut), Lit(nIn), False()))
	}
	block := []Code{c.rowsOf("in", x), c.rowsOf("out", v)}
	single := []Code{c.rowOf("in", x), c.rowOf("out", v)}
	if v.Vector {
		block = append(block, vecDotBlock(c, w, nOut)...)
		single = append(single, vecDotRow(c, w, nOut)...)
	} else {
		block = append(block, dotBlock(c, w, nOut, nIn)...)
		single = append(single, dotRow(c, w, nOut, nIn)...)
	}
	return append(c.blocked(block, single), c.epilogueLoop(v, nOut)...)
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

// vecDotBlock writes out0…out3[j] = W[j]·in0…in3: three weight rows at a
// time with the runtime's Dot4x3 micro-kernel (twelve sums in registers),
// the last one or two with Dot4.
func vecDotBlock(c *funcCtx, w *ir.Value, nOut int) []Code {
	var code []Code
	ins := []Code{all(Id("in0")), all(Id("in1")), all(Id("in2")), all(Id("in3"))}
	if nOut >= 3 {
		var stores []Code
		for i := range 3 {
			j := Id("j")
			if i > 0 {
				j = Id("j").Op("+").Lit(i)
			}
			for r := range blockRows {
				stores = append(stores, id("out%d", r).Index(j.Clone()).Op("=").Id("s").Index(Lit(i)).Index(Lit(r)))
			}
		}
		rows := []Code{all(c.ref(w).Index(Id("j"))), all(c.ref(w).Index(Id("j").Op("+").Lit(1))), all(c.ref(w).Index(Id("j").Op("+").Lit(2)))}
		body := append([]Code{Id("s").Op(":=").Add(rt("Dot4x3")).Call(append(rows, ins...)...)}, stores...)
		code = append(code, For(Id("j").Op(":=").Lit(0), Id("j").Op("<").Lit(nOut-2), Id("j").Op("+=").Lit(3)).Block(body...))
	}
	if from := nOut - nOut%3; from < nOut {
		var outs []Code
		for r := range blockRows {
			outs = append(outs, id("out%d", r).Index(Id("j")))
		}
		code = append(code, For(Id("j").Op(":=").Lit(from), Id("j").Op("<").Lit(nOut), Id("j").Op("++")).Block(
			List(outs...).Op("=").Add(rt("Dot4")).Call(append([]Code{all(c.ref(w).Index(Id("j")))}, ins...)...),
		))
	}
	return code
}

// vecDotRow writes out[j] = W[j]·in for one row: Dot4 against four weight
// rows at a time, Dot for the rest.
func vecDotRow(c *funcCtx, w *ir.Value, nOut int) []Code {
	var code []Code
	if nOut >= 4 {
		var outs, rows []Code
		for i := range 4 {
			j := Id("j")
			if i > 0 {
				j = Id("j").Op("+").Lit(i)
			}
			outs = append(outs, Id("out").Index(j))
			rows = append(rows, all(c.ref(w).Index(j.Clone())))
		}
		code = append(code, For(Id("j").Op(":=").Lit(0), Id("j").Op("<").Lit(nOut-3), Id("j").Op("+=").Lit(4)).Block(
			List(outs...).Op("=").Add(rt("Dot4")).Call(append([]Code{all(Id("in"))}, rows...)...),
		))
	}
	if from := nOut - nOut%4; from < nOut {
		code = append(code, For(Id("j").Op(":=").Lit(from), Id("j").Op("<").Lit(nOut), Id("j").Op("++")).Block(
			Id("out").Index(Id("j")).Op("=").Add(rt("Dot")).Call(all(c.ref(w).Index(Id("j"))), all(Id("in"))),
		))
	}
	return code
}

// dotBlock writes out0…out3[j] = W[j]·in0…in3 for every j.
func dotBlock(c *funcCtx, w *ir.Value, nOut, nIn int) []Code {
	var code []Code
	pair := func(j Code, j1 Code) []Code {
		var sums, body, stores []Code
		body = append(body, List(Id("u0"), Id("u1")).Op(":=").List(Id("w0").Index(Id("k")), Id("w1").Index(Id("k"))))
		for r := range blockRows {
			sums = append(sums, id("a%d0", r), id("a%d1", r))
			body = append(body,
				id("x%d", r).Op(":=").Id(fmt.Sprintf("in%d", r)).Index(Id("k")),
				id("a%d0", r).Op("+=").Id("u0").Op("*").Id(fmt.Sprintf("x%d", r)),
				id("a%d1", r).Op("+=").Id("u1").Op("*").Id(fmt.Sprintf("x%d", r)),
			)
			stores = append(stores, List(id("out%d", r).Index(j), id("out%d", r).Index(j1)).Op("=").List(id("a%d0", r), id("a%d1", r)))
		}
		out := []Code{
			List(Id("w0"), Id("w1")).Op(":=").List(Op("&").Add(c.ref(w)).Index(j), Op("&").Add(c.ref(w)).Index(j1)),
			Var().List(sums...).Add(c.elem()),
			For(Id("k").Op(":=").Range().Lit(nIn)).Block(body...),
		}
		return append(out, stores...)
	}
	if nOut >= 2 {
		code = append(code, For(Id("j").Op(":=").Lit(0), Id("j").Op("<").Lit(nOut-1), Id("j").Op("+=").Lit(2)).
			Block(pair(Id("j"), Id("j").Op("+").Lit(1))...))
	}
	if nOut%2 == 1 {
		j := nOut - 1
		var sums, body, stores []Code
		body = append(body, Id("u").Op(":=").Id("w0").Index(Id("k")))
		for r := range blockRows {
			sums = append(sums, id("a%d", r))
			body = append(body, id("a%d", r).Op("+=").Id("u").Op("*").Id(fmt.Sprintf("in%d", r)).Index(Id("k")))
			stores = append(stores, id("out%d", r).Index(Lit(j)).Op("=").Id(fmt.Sprintf("a%d", r)))
		}
		last := []Code{
			Id("w0").Op(":=").Op("&").Add(c.ref(w)).Index(Lit(j)),
			Var().List(sums...).Add(c.elem()),
			For(Id("k").Op(":=").Range().Lit(nIn)).Block(body...),
		}
		code = append(code, Block(append(last, stores...)...))
	}
	return code
}

// dotRow writes out[j] = W[j]·in for every j of one row.
func dotRow(c *funcCtx, w *ir.Value, nOut, nIn int) []Code {
	var code []Code
	if nOut >= 4 {
		var ws, rows, sums, body, stores, outs []Code
		for i := range 4 {
			ws = append(ws, id("w%d", i))
			jIdx := Id("j")
			if i > 0 {
				jIdx = Id("j").Op("+").Lit(i)
			}
			rows = append(rows, Op("&").Add(c.ref(w)).Index(jIdx))
			sums = append(sums, id("a%d", i))
			body = append(body, id("a%d", i).Op("+=").Id(fmt.Sprintf("w%d", i)).Index(Id("k")).Op("*").Id("xk"))
			outs = append(outs, Id("out").Index(jIdx.Clone()))
			stores = append(stores, id("a%d", i))
		}
		code = append(code, For(Id("j").Op(":=").Lit(0), Id("j").Op("<").Lit(nOut-3), Id("j").Op("+=").Lit(4)).Block(
			List(ws...).Op(":=").List(rows...),
			Var().List(sums...).Add(c.elem()),
			For(List(Id("k"), Id("xk")).Op(":=").Range().Id("in")).Block(body...),
			List(outs...).Op("=").List(stores...),
		))
	}
	if rest := nOut % 4; rest > 0 || nOut < 4 {
		from := nOut - nOut%4
		body := []Code{Id("w").Op(":=").Op("&").Add(c.ref(w)).Index(Id("j"))}
		body = append(body, splitDot(c, nIn)...)
		body = append(body, Id("out").Index(Id("j")).Op("=").Parens(Id("a0").Op("+").Id("a1")).Op("+").Parens(Id("a2").Op("+").Id("a3")))
		code = append(code, For(Id("j").Op(":=").Lit(from), Id("j").Op("<").Lit(nOut), Id("j").Op("++")).Block(body...))
	}
	return code
}

// splitDot declares a0…a3 and sums w·in into them, four ways.
func splitDot(c *funcCtx, n int) []Code {
	code := []Code{Var().List(Id("a0"), Id("a1"), Id("a2"), Id("a3")).Add(c.elem()), Id("k").Op(":=").Lit(0)}
	if n >= 4 {
		var body []Code
		for i := range 4 {
			k := Id("k")
			if i > 0 {
				k = Id("k").Op("+").Lit(i)
			}
			body = append(body, id("a%d", i).Op("+=").Id("w").Index(k).Op("*").Id("in").Index(k.Clone()))
		}
		code = append(code, For(Empty(), Id("k").Op("<=").Lit(n-4), Id("k").Op("+=").Lit(4)).Block(body...))
	}
	code = append(code, For(Empty(), Id("k").Op("<").Lit(n), Id("k").Op("++")).Block(
		Id("a0").Op("+=").Id("w").Index(Id("k")).Op("*").Id("in").Index(Id("k")),
	))
	return code
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
	if c.perSample() {
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
	if c.perSample() {
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

// emitMatMul computes y = Wᵀ g for each row g by adding row k of W, scaled
// by g[k], to y (contiguous in memory), then applies v's maps. Batched
// functions normally get an Affine of a transposed W instead (the layout pass).
func emitMatMul(c *funcCtx, v *ir.Value) []Code {
	g, w := v.Args[0], v.Args[1]
	nOut, nIn := w.Type.Dims[0], w.Type.Dims[1]
	if v.Gemm {
		// The whole tile: x̄ = ȳ W.
		return c.gemm(v, nIn, rt("MulNN").Call(Id("out"), c.tile(g), c.flat(w), Id("rows"), Lit(nIn), Lit(nOut), False()))
	}
	if v.Whole && c.perSample() {
		// One call for the whole product: out = Wᵀ ȳ.
		body := []Code{
			Id("dy").Op(":=").Add(c.row(g)),
			Id("out").Op(":=").Add(c.row(v)),
			Op("*").Id("out").Op("=").Index(Lit(nIn)).Add(c.elem()).Values(),
			rt("GemvT").Call(all(Id("out")), c.flat(w), all(Id("dy"))),
		}
		return append(body, c.epilogueLoop(v, nIn)...)
	}
	if v.Vector {
		return append(c.rowLoop(vecMatMulRow(c, g, v, w, nOut, nIn)), c.epilogueLoop(v, nIn)...)
	}
	body := []Code{
		Id("dy").Op(":=").Add(c.row(g)),
		Id("out").Op(":=").Add(c.row(v)),
		Op("*").Id("out").Op("=").Index(Lit(nIn)).Add(c.elem()).Values(),
		For(Id("k").Op(":=").Range().Lit(nOut)).Block(
			Id("dk").Op(":=").Id("dy").Index(Id("k")),
			Id("w").Op(":=").Op("&").Add(c.ref(w)).Index(Id("k")),
			For(Id("j").Op(":=").Range().Lit(nIn)).Block(
				Id("out").Index(Id("j")).Op("+=").Id("dk").Op("*").Id("w").Index(Id("j")),
			),
		),
	}
	return append(c.rowLoop(body), c.epilogueLoop(v, nIn)...)
}

// vecMatMulRow adds the rows of W, scaled by g, to the row of y with the
// runtime's Axpy4: one pass over y per four weight rows.
func vecMatMulRow(c *funcCtx, g, v, w *ir.Value, nOut, nIn int) []Code {
	code := []Code{
		Id("dy").Op(":=").Add(c.row(g)),
		Id("out").Op(":=").Add(c.row(v)),
		Op("*").Id("out").Op("=").Index(Lit(nIn)).Add(c.elem()).Values(),
	}
	if nOut >= 4 {
		var ds, ws []Code
		for i := range 4 {
			k := Id("k")
			if i > 0 {
				k = Id("k").Op("+").Lit(i)
			}
			ds = append(ds, Id("dy").Index(k))
			ws = append(ws, all(c.ref(w).Index(k.Clone())))
		}
		code = append(code, For(Id("k").Op(":=").Lit(0), Id("k").Op("<").Lit(nOut-3), Id("k").Op("+=").Lit(4)).Block(
			rt("Axpy4").Call(append(append([]Code{all(Id("out"))}, ds...), ws...)...),
		))
	}
	if from := nOut - nOut%4; from < nOut {
		code = append(code, For(Id("k").Op(":=").Lit(from), Id("k").Op("<").Lit(nOut), Id("k").Op("++")).Block(
			rt("Axpy").Call(all(Id("out")), Id("dy").Index(Id("k")), all(c.ref(w).Index(Id("k")))),
		))
	}
	return code
}

// emitMatMulTN sums the outer products g xᵀ of the rows into y:
//
//	y[i][j] += Σ_r g[r][i]·x[r][j]
//
// A block adds four rows' products to y[i] in one pass, so y is read and
// written once per four rows.
func emitMatMulTN(c *funcCtx, v *ir.Value) []Code {
	g, x := v.Args[0], v.Args[1]
	nOut, nIn := v.Type.Dims[0], v.Type.Dims[1]
	if v.Gemm {
		// The whole tile: W̄ += ȳᵀ x, or W̄ = ȳᵀ x on the first tile.
		add := True()
		if c.first[v] {
			add = Op("!").Id("first")
		}
		return []Code{rt("MulTN").Call(c.flat(v), c.tile(g), c.tile(x), Lit(nOut), Lit(nIn), Id("rows"), add)}
	}
	var ds, dys, sum []Code
	for r := range blockRows {
		ds = append(ds, id("d%d", r))
		dys = append(dys, id("dy%d", r).Index(Id("i")))
		term := id("d%d", r).Op("*").Id(fmt.Sprintf("in%d", r)).Index(Id("j"))
		if r == 0 {
			sum = append(sum, term)
		} else {
			sum = append(sum, Op("+").Add(term))
		}
	}
	block := []Code{
		c.rowsOf("dy", g), c.rowsOf("in", x),
		For(Id("i").Op(":=").Range().Lit(nOut)).Block(
			List(ds...).Op(":=").List(dys...),
			Id("out").Op(":=").Op("&").Add(c.ref(v)).Index(Id("i")),
			For(Id("j").Op(":=").Range().Lit(nIn)).Block(
				Id("out").Index(Id("j")).Op("+=").Add(sum...),
			),
		),
	}
	if v.Whole && c.perSample() {
		// One call for the whole outer product; the first sample writes it.
		first := Id("first")
		if !c.first[v] {
			first = False()
		}
		return []Code{
			c.rowOf("dy", g), c.rowOf("in", x),
			rt("Ger").Call(c.flat(v), all(Id("dy")), all(Id("in")), first),
			c.stepRows(v, Lit(0), Lit(nOut*nIn)),
		}
	}
	if c.first[v] {
		// The first sample writes the gradient; later ones add to it.
		assign, add := "Scale", "Axpy"
		// With step, each row of the weight takes its optimizer step
		// right after its gradient row is made.
		step := c.stepRows(v, Id("i").Op("*").Lit(nIn), Parens(Id("i").Op("+").Lit(1)).Op("*").Lit(nIn))
		loop := func(kernel, op string) Code {
			if v.Vector {
				return For(Id("i").Op(":=").Range().Lit(nOut)).Block(
					rt(kernel).Call(all(c.ref(v).Index(Id("i"))), Id("dy").Index(Id("i")), all(Id("in"))),
					step.Clone(),
				)
			}
			return For(Id("i").Op(":=").Range().Lit(nOut)).Block(
				Id("di").Op(":=").Id("dy").Index(Id("i")),
				Id("out").Op(":=").Op("&").Add(c.ref(v)).Index(Id("i")),
				For(Id("j").Op(":=").Range().Lit(nIn)).Block(
					Id("out").Index(Id("j")).Op(op).Id("di").Op("*").Id("in").Index(Id("j")),
				),
				step.Clone(),
			)
		}
		return []Code{
			c.rowOf("dy", g), c.rowOf("in", x),
			If(Id("first")).Block(loop(assign, "=")).Else().Block(loop(add, "+=")),
		}
	}
	if v.Vector {
		block = []Code{
			c.rowsOf("dy", g), c.rowsOf("in", x),
			For(Id("i").Op(":=").Range().Lit(nOut)).Block(
				rt("Axpy4").Call(all(c.ref(v).Index(Id("i"))), Id("dy0").Index(Id("i")), Id("dy1").Index(Id("i")),
					Id("dy2").Index(Id("i")), Id("dy3").Index(Id("i")), all(Id("in0")), all(Id("in1")), all(Id("in2")), all(Id("in3"))),
			),
		}
		single := []Code{
			c.rowOf("dy", g), c.rowOf("in", x),
			For(Id("i").Op(":=").Range().Lit(nOut)).Block(
				rt("Axpy").Call(all(c.ref(v).Index(Id("i"))), Id("dy").Index(Id("i")), all(Id("in"))),
			),
		}
		return c.blocked(block, single)
	}
	single := []Code{
		c.rowOf("dy", g), c.rowOf("in", x),
		For(Id("i").Op(":=").Range().Lit(nOut)).Block(
			Id("di").Op(":=").Id("dy").Index(Id("i")),
			Id("out").Op(":=").Op("&").Add(c.ref(v)).Index(Id("i")),
			For(Id("j").Op(":=").Range().Lit(nIn)).Block(
				Id("out").Index(Id("j")).Op("+=").Id("di").Op("*").Id("in").Index(Id("j")),
			),
		),
	}
	return c.blocked(block, single)
}

// transposeBlock is the side of the square blocks a transpose copies, so
// that the strided writes of a block stay in cache.
const transposeBlock = 16

// emitTranspose copies W [out][in] into y [in][out] block by block. In a
// batched function it runs on a call's first tile only (fresh): the weights
// do not change during a call, and the buffer is the transpose's alone.
func emitTranspose(c *funcCtx, v *ir.Value) []Code {
	w := v.Args[0]
	nOut, nIn := w.Type.Dims[0], w.Type.Dims[1]
	copy := []Code{
		Id("out").Op(":=").Op("&").Add(c.ref(v)),
		For(Id("i0").Op(":=").Lit(0), Id("i0").Op("<").Lit(nOut), Id("i0").Op("+=").Lit(transposeBlock)).Block(
			For(Id("j0").Op(":=").Lit(0), Id("j0").Op("<").Lit(nIn), Id("j0").Op("+=").Lit(transposeBlock)).Block(
				For(Id("i").Op(":=").Id("i0"), Id("i").Op("<").Min(Id("i0").Op("+").Lit(transposeBlock), Lit(nOut)), Id("i").Op("++")).Block(
					Id("w").Op(":=").Op("&").Add(c.ref(w)).Index(Id("i")),
					For(Id("j").Op(":=").Id("j0"), Id("j").Op("<").Min(Id("j0").Op("+").Lit(transposeBlock), Lit(nIn)), Id("j").Op("++")).Block(
						Id("out").Index(Id("j")).Index(Id("i")).Op("=").Id("w").Index(Id("j")),
					),
				),
			),
		),
	}
	if c.perSample() {
		return copy
	}
	return []Code{If(Id("fresh")).Block(copy...)}
}

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

// stepRows is the fused optimizer step of a Step gradient v (see
// ir.Value.Step): when the caller passes step, it updates the parameter's
// elements [from, to) once their gradient is final.
func (c *funcCtx) stepRows(v *ir.Value, from, to Code) *Statement {
	if !v.Step {
		return Null()
	}
	at := func(x Code) Code {
		if off := paramOffset(c.p, c.grads[v]); off > 0 {
			return Lit(off).Op("+").Add(x)
		}
		return x
	}
	return If(Id("step").Op("!=").Nil()).Block(Id("step").Dot("stepRange").Call(at(from), at(to)))
}
