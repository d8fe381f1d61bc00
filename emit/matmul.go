package emit

import (
	"fmt"

	. "github.com/dave/jennifer/jen"

	"github.com/gradgen/gradgen/ir"
)

// The product emitters: one function per op and kernel (ir.Kernel), each
// built from the row helpers and epilogues of kernels.go.

// emitAffine computes y = W x + b for each row x, then applies v's maps:
//
//	y[j] = Σ_k W[j][k]·x[k] + b[j]
//
// by the kernel the layout pass chose.
func emitAffine(c *funcCtx, v *ir.Value) []Code {
	x, w := v.Args[0], v.Args[1]
	nOut, nIn := w.Type.Dims[0], w.Type.Dims[1]
	switch v.Kernel {
	case ir.KernelGemm:
		// The whole tile: y = x Wᵀ.
		return c.gemm(v, nOut, rt("MulNT").Call(Id("out"), c.tile(x), c.flat(w), Id("rows"), Lit(nOut), Lit(nIn), False()))
	case ir.KernelVector:
		return c.affineRows(v, vecDotBlock(c, w, nOut), vecDotRow(c, w, nOut))
	}
	return c.affineRows(v, dotBlock(c, w, nOut, nIn), dotRow(c, w, nOut, nIn))
}

// affineRows runs an Affine's dot products row by row: block on four rows
// at a time (in0…in3 into out0…out3), single on each remaining row (in into
// out), then the bias and maps. With inline loops a block computes two
// outputs at a time from eight sums and a single row four at a time, a
// leftover output splitting its sum four ways.
func (c *funcCtx) affineRows(v *ir.Value, block, single []Code) []Code {
	x := v.Args[0]
	block = append([]Code{c.rowsOf("in", x), c.rowsOf("out", v)}, block...)
	single = append([]Code{c.rowOf("in", x), c.rowOf("out", v)}, single...)
	return append(c.blocked(block, single), c.epilogueLoop(v, v.Type.Cols())...)
}

// vecDotBlock writes out0…out3[j] = W[j]·in0…in3: three weight rows at a
// time with the runtime's Dot4x3 micro-kernel (twelve sums in registers),
// the last one or two with Dot4.
func vecDotBlock(c *funcCtx, w *ir.Value, nOut int) []Code {
	var code []Code
	ins := []Code{all(Id("in0")), all(Id("in1")), all(Id("in2")), all(Id("in3"))}
	if nOut >= 3 {
		var stores []Code
		for i := range 3 {
			j := plus("j", i)
			for r := range blockRows {
				stores = append(stores, id("out%d", r).Index(j.Clone()).Op("=").Id("sums").Index(Lit(i)).Index(Lit(r)))
			}
		}
		rows := []Code{all(c.ref(w).Index(Id("j"))), all(c.ref(w).Index(Id("j").Op("+").Lit(1))), all(c.ref(w).Index(Id("j").Op("+").Lit(2)))}
		body := append([]Code{Id("sums").Op(":=").Add(rt("Dot4x3")).Call(append(rows, ins...)...)}, stores...)
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
	return byFour("j", nOut, func(j []*Statement) []Code {
		outs, rows := make([]Code, 4), make([]Code, 4)
		for i := range 4 {
			outs[i], rows[i] = Id("out").Index(j[i]), all(c.ref(w).Index(j[i].Clone()))
		}
		return []Code{List(outs...).Op("=").Add(rt("Dot4")).Call(append([]Code{all(Id("in"))}, rows...)...)}
	}, []Code{
		Id("out").Index(Id("j")).Op("=").Add(rt("Dot")).Call(all(c.ref(w).Index(Id("j"))), all(Id("in"))),
	})
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

// dotRow writes out[j] = W[j]·in for every j of one row: four outputs at a
// time, then each leftover output with its sum split four ways.
func dotRow(c *funcCtx, w *ir.Value, nOut, nIn int) []Code {
	four := func(j []*Statement) []Code {
		var ws, rows, sums, body, outs []Code
		for i := range 4 {
			ws = append(ws, id("w%d", i))
			rows = append(rows, Op("&").Add(c.ref(w)).Index(j[i]))
			sums = append(sums, id("a%d", i))
			body = append(body, id("a%d", i).Op("+=").Id(fmt.Sprintf("w%d", i)).Index(Id("k")).Op("*").Id("xk"))
			outs = append(outs, Id("out").Index(j[i].Clone()))
		}
		return []Code{
			List(ws...).Op(":=").List(rows...),
			Var().List(sums...).Add(c.elem()),
			For(List(Id("k"), Id("xk")).Op(":=").Range().Id("in")).Block(body...),
			List(outs...).Op("=").List(sums...),
		}
	}
	one := append([]Code{Id("w").Op(":=").Op("&").Add(c.ref(w)).Index(Id("j"))}, splitDot(c, nIn)...)
	one = append(one, Id("out").Index(Id("j")).Op("=").Parens(Id("a0").Op("+").Id("a1")).Op("+").Parens(Id("a2").Op("+").Id("a3")))
	return byFour("j", nOut, four, one)
}

// byFour is the loops of idx over [0, n): four at a time, with the
// statements four(idx, idx+1, idx+2, idx+3), then one at a time, with one.
func byFour(idx string, n int, four func(at []*Statement) []Code, one []Code) []Code {
	var code []Code
	if n >= 4 {
		at := make([]*Statement, 4)
		for i := range at {
			at[i] = plus(idx, i)
		}
		code = append(code, For(Id(idx).Op(":=").Lit(0), Id(idx).Op("<").Lit(n-3), Id(idx).Op("+=").Lit(4)).Block(four(at)...))
	}
	if from := n - n%4; from < n {
		code = append(code, For(Id(idx).Op(":=").Lit(from), Id(idx).Op("<").Lit(n), Id(idx).Op("++")).Block(one...))
	}
	return code
}

// splitDot declares a0…a3 and sums w·in into them, four ways.
func splitDot(c *funcCtx, n int) []Code {
	code := []Code{Var().List(Id("a0"), Id("a1"), Id("a2"), Id("a3")).Add(c.elem()), Id("k").Op(":=").Lit(0)}
	if n >= 4 {
		var body []Code
		for i := range 4 {
			k := plus("k", i)
			body = append(body, id("a%d", i).Op("+=").Id("w").Index(k).Op("*").Id("in").Index(k.Clone()))
		}
		code = append(code, For(Empty(), Id("k").Op("<=").Lit(n-4), Id("k").Op("+=").Lit(4)).Block(body...))
	}
	code = append(code, For(Empty(), Id("k").Op("<").Lit(n), Id("k").Op("++")).Block(
		Id("a0").Op("+=").Id("w").Index(Id("k")).Op("*").Id("in").Index(Id("k")),
	))
	return code
}

// emitMatMul computes y = Wᵀ g for each row g, then applies v's maps, by the
// kernel the layout pass chose. Batched functions normally get an Affine of
// a transposed W instead (the layout pass).
func emitMatMul(c *funcCtx, v *ir.Value) []Code {
	g, w := v.Args[0], v.Args[1]
	nOut, nIn := w.Type.Dims[0], w.Type.Dims[1]
	var code []Code
	switch v.Kernel {
	case ir.KernelGemm:
		// The whole tile: x̄ = ȳ W.
		return c.gemm(v, nIn, rt("MulNN").Call(Id("out"), c.tile(g), c.flat(w), Id("rows"), Lit(nIn), Lit(nOut), False()))
	case ir.KernelWhole:
		// One call for the whole product: out = Wᵀ ȳ.
		code = append(c.zeroedRow(g, v), rt("GemvT").Call(all(Id("out")), c.flat(w), all(Id("dy"))))
	case ir.KernelVector:
		code = c.rowLoop(append(c.zeroedRow(g, v), axpyRows(c, w, nOut)...))
	default:
		code = c.rowLoop(append(c.zeroedRow(g, v), scaledRows(c, w, nOut, nIn)))
	}
	return append(code, c.epilogueLoop(v, nIn)...)
}

// zeroedRow binds dy to the row of g and out to the row of v, and zeroes it
// for the products to add to.
func (c *funcCtx) zeroedRow(g, v *ir.Value) []Code {
	return []Code{
		Id("dy").Op(":=").Add(c.row(g)),
		Id("out").Op(":=").Add(c.row(v)),
		Op("*").Id("out").Op("=").Index(Lit(v.Type.Cols())).Add(c.elem()).Values(),
	}
}

// scaledRows adds row k of W, scaled by dy[k], to out (contiguous in
// memory) for every k, with inline loops.
func scaledRows(c *funcCtx, w *ir.Value, nOut, nIn int) Code {
	return For(Id("k").Op(":=").Range().Lit(nOut)).Block(
		Id("dk").Op(":=").Id("dy").Index(Id("k")),
		Id("w").Op(":=").Op("&").Add(c.ref(w)).Index(Id("k")),
		For(Id("j").Op(":=").Range().Lit(nIn)).Block(
			Id("out").Index(Id("j")).Op("+=").Id("dk").Op("*").Id("w").Index(Id("j")),
		),
	)
}

// axpyRows adds the rows of W, scaled by dy, to out with the runtime's
// Axpy4: one pass over out per four weight rows.
func axpyRows(c *funcCtx, w *ir.Value, nOut int) []Code {
	return byFour("k", nOut, func(k []*Statement) []Code {
		ds, ws := make([]Code, 4), make([]Code, 4)
		for i := range 4 {
			ds[i], ws[i] = Id("dy").Index(k[i]), all(c.ref(w).Index(k[i].Clone()))
		}
		return []Code{rt("Axpy4").Call(append(append([]Code{all(Id("out"))}, ds...), ws...)...)}
	}, []Code{
		rt("Axpy").Call(all(Id("out")), Id("dy").Index(Id("k")), all(c.ref(w).Index(Id("k")))),
	})
}

// emitMatMulTN sums the outer products g xᵀ of the rows into y:
//
//	y[i][j] += Σ_r g[r][i]·x[r][j]
//
// by the kernel the layout pass chose; a gradient marked first is written,
// not added to, when the caller sets first.
func emitMatMulTN(c *funcCtx, v *ir.Value) []Code {
	switch {
	case v.Kernel == ir.KernelGemm:
		return c.outerGemm(v)
	case v.Kernel == ir.KernelWhole:
		return c.outerWhole(v)
	case v.First:
		return c.outerFirst(v)
	}
	return c.outerRows(v)
}

// outerGemm sums the whole tile's products with one call: W̄ += ȳᵀ x, or
// W̄ = ȳᵀ x on the first tile.
func (c *funcCtx) outerGemm(v *ir.Value) []Code {
	g, x := v.Args[0], v.Args[1]
	nOut, nIn := v.Type.Dims[0], v.Type.Dims[1]
	add := True()
	if v.First {
		add = Op("!").Id("first")
	}
	return []Code{rt("MulTN").Call(c.flat(v), c.tile(g), c.tile(x), Lit(nOut), Lit(nIn), Id("rows"), add)}
}

// outerWhole adds one sample's outer product with one call (Ger), which
// writes it instead on the first sample; then a fused step updates the
// whole weight.
func (c *funcCtx) outerWhole(v *ir.Value) []Code {
	g, x := v.Args[0], v.Args[1]
	nOut, nIn := v.Type.Dims[0], v.Type.Dims[1]
	first := Id("first")
	if !v.First {
		first = False()
	}
	return []Code{
		c.rowOf("dy", g), c.rowOf("in", x),
		rt("Ger").Call(c.flat(v), all(Id("dy")), all(Id("in")), first),
		c.stepRows(v, Lit(0), Lit(nOut*nIn)),
	}
}

// outerFirst adds one sample's outer product row by row, or writes it on
// the first sample (Scale and =, instead of Axpy and +=). With step, each
// row of the weight takes its optimizer step right after its gradient row
// is made.
func (c *funcCtx) outerFirst(v *ir.Value) []Code {
	nOut, nIn := v.Type.Dims[0], v.Type.Dims[1]
	step := c.stepRows(v, Id("i").Op("*").Lit(nIn), Parens(Id("i").Op("+").Lit(1)).Op("*").Lit(nIn))
	loop := func(kernel, op string, add bool) Code {
		body := append(c.outerRow(v, kernel, op), step.Clone())
		if c.gradSGD(v) {
			// With SGD the row's gradient and its step are one pass.
			body = []Code{If(Id("step").Op("!=").Nil()).Block(
				Id("step").Dot("gradStep").Call(c.atParam(v, Id("i").Op("*").Lit(nIn)), Id("dy").Index(Id("i")), all(Id("in")), Lit(add)),
			).Else().Block(c.outerRow(v, kernel, op)...)}
		}
		return For(Id("i").Op(":=").Range().Lit(nOut)).Block(body...)
	}
	return []Code{
		c.rowOf("dy", v.Args[0]), c.rowOf("in", v.Args[1]),
		If(Id("first")).Block(loop("Scale", "=", false)).Else().Block(loop("Axpy", "+=", true)),
	}
}

// gradSGD reports whether the fused step of the Step gradient v makes each
// row and steps it in one call (Model.gradStep): the optimizer is SGD and
// the rows go through the vector kernels.
func (c *funcCtx) gradSGD(v *ir.Value) bool {
	return v.Step && v.Kernel == ir.KernelVector && c.p.Optimizer.Kind == ir.SGD
}

// atParam is the offset x within the gradient v's parameter as an offset
// in the flat parameters.
func (c *funcCtx) atParam(v *ir.Value, x *Statement) Code {
	if off := paramOffset(c.p, c.grads[v]); off > 0 {
		return Lit(off).Op("+").Add(x)
	}
	return x
}

// outerRow updates row i of y with dy[i]·in: the runtime's kernel (Axpy or
// Scale) for a vector kernel, else an inline loop of op (+= or =).
func (c *funcCtx) outerRow(v *ir.Value, kernel, op string) []Code {
	if v.Kernel == ir.KernelVector {
		return []Code{rt(kernel).Call(all(c.ref(v).Index(Id("i"))), Id("dy").Index(Id("i")), all(Id("in")))}
	}
	return []Code{
		Id("di").Op(":=").Id("dy").Index(Id("i")),
		Id("out").Op(":=").Op("&").Add(c.ref(v)).Index(Id("i")),
		For(Id("j").Op(":=").Range().Lit(v.Type.Dims[1])).Block(
			Id("out").Index(Id("j")).Op(op).Id("di").Op("*").Id("in").Index(Id("j")),
		),
	}
}

// outerRows adds the rows' outer products to y: a block adds four rows'
// products to each row of y in one pass (Axpy4, or one inline loop), so y
// is read and written once per four rows; leftover rows, and a per-sample
// function's one, take outerRow.
func (c *funcCtx) outerRows(v *ir.Value) []Code {
	g, x := v.Args[0], v.Args[1]
	var four []Code
	if v.Kernel == ir.KernelVector {
		four = []Code{rt("Axpy4").Call(all(c.ref(v).Index(Id("i"))), Id("dy0").Index(Id("i")), Id("dy1").Index(Id("i")),
			Id("dy2").Index(Id("i")), Id("dy3").Index(Id("i")), all(Id("in0")), all(Id("in1")), all(Id("in2")), all(Id("in3")))}
	} else {
		four = c.outerFour(v)
	}
	block := []Code{c.rowsOf("dy", g), c.rowsOf("in", x), For(Id("i").Op(":=").Range().Lit(v.Type.Dims[0])).Block(four...)}
	single := []Code{c.rowOf("dy", g), c.rowOf("in", x), For(Id("i").Op(":=").Range().Lit(v.Type.Dims[0])).Block(c.outerRow(v, "Axpy", "+=")...)}
	return c.blocked(block, single)
}

// outerFour adds four rows' products to row i of y in one inline loop:
// out[j] += d0·in0[j] + … + d3·in3[j].
func (c *funcCtx) outerFour(v *ir.Value) []Code {
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
	return []Code{
		List(ds...).Op(":=").List(dys...),
		Id("out").Op(":=").Op("&").Add(c.ref(v)).Index(Id("i")),
		For(Id("j").Op(":=").Range().Lit(v.Type.Dims[1])).Block(
			Id("out").Index(Id("j")).Op("+=").Add(sum...),
		),
	}
}

// stepRows is the fused optimizer step of a Step gradient v (see
// ir.Value.Step): when the caller passes step, it updates the parameter's
// elements [from, to) once their gradient is final.
func (c *funcCtx) stepRows(v *ir.Value, from, to *Statement) *Statement {
	if !v.Step {
		return Null()
	}
	return If(Id("step").Op("!=").Nil()).Block(Id("step").Dot("stepRange").Call(c.atParam(v, from), c.atParam(v, to)))
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
	if !c.f.Batched() {
		return copy
	}
	return []Code{If(Id("fresh")).Block(copy...)}
}
