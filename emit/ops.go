package emit

import (
	"fmt"
	"go/token"
	"go/types"
	"slices"

	. "github.com/dave/jennifer/jen"

	"github.com/gradgen/gradgen/ir"
)

// opEmitters holds one function per IR op that computes something: each
// returns the statements of that op's loop. Leaves have none (they name
// storage). The table is complete: a test fails when an op lacks an entry.
var opEmitters map[ir.Op]func(c *funcCtx, v *ir.Value) []Code

// mapEmitters holds one function per element-wise op: each returns the
// statements that update the element acc in place, given the element of
// each extra operand.
var mapEmitters = map[ir.Op]func(c *funcCtx, aux float64, operands []*Statement) []Code{
	// acc += b[j]
	ir.OpAdd: func(c *funcCtx, _ float64, o []*Statement) []Code { return []Code{Id("acc").Op("+=").Add(o[0])} },
	// acc += b[j]: a residual connection, or layer norm's β
	ir.OpSum: func(c *funcCtx, _ float64, o []*Statement) []Code { return []Code{Id("acc").Op("+=").Add(o[0])} },
	// acc *= b[j]: layer norm's γ, or its gradient
	ir.OpMul: func(c *funcCtx, _ float64, o []*Statement) []Code { return []Code{Id("acc").Op("*=").Add(o[0])} },
	// if acc < 0 { acc = 0 }: NaN passes through, as in PyTorch.
	ir.OpReLU: func(c *funcCtx, _ float64, _ []*Statement) []Code {
		return []Code{If(Id("acc").Op("<").Lit(0)).Block(Id("acc").Op("=").Lit(0))}
	},
	// if acc < 0 { acc *= α }
	ir.OpLeakyReLU: func(c *funcCtx, aux float64, _ []*Statement) []Code {
		return []Code{If(Id("acc").Op("<").Lit(0)).Block(Id("acc").Op("*=").Add(c.lit(aux)))}
	},
	ir.OpSigmoid: func(c *funcCtx, _ float64, _ []*Statement) []Code {
		return []Code{Id("acc").Op("=").Qual(runtimePath, "Sigmoid").Call(Id("acc"))}
	},
	ir.OpTanh: func(c *funcCtx, _ float64, _ []*Statement) []Code {
		return []Code{Id("acc").Op("=").Qual(runtimePath, "Tanh").Call(Id("acc"))}
	},
	// if a[j] <= 0 { acc = 0 }: PyTorch's threshold_backward on the output.
	ir.OpReLUGrad: func(c *funcCtx, _ float64, o []*Statement) []Code {
		return []Code{If(o[0].Op("<=").Lit(0)).Block(Id("acc").Op("=").Lit(0))}
	},
	// if !(a[j] > 0) { acc *= α }
	ir.OpLeakyReLUGrad: func(c *funcCtx, aux float64, o []*Statement) []Code {
		return []Code{If(Op("!").Parens(o[0].Op(">").Lit(0))).Block(Id("acc").Op("*=").Add(c.lit(aux)))}
	},
	// acc = acc * (1 - a[j]) * a[j], PyTorch's sigmoid_backward.
	ir.OpSigmoidGrad: func(c *funcCtx, _ float64, o []*Statement) []Code {
		return []Code{Id("acc").Op("=").Id("acc").Op("*").Parens(Lit(1).Op("-").Add(o[0])).Op("*").Add(o[0].Clone())}
	},
	// acc = acc * (1 - a[j]*a[j]), PyTorch's tanh_backward.
	ir.OpTanhGrad: func(c *funcCtx, _ float64, o []*Statement) []Code {
		return []Code{Id("acc").Op("=").Id("acc").Op("*").Parens(Lit(1).Op("-").Add(o[0]).Op("*").Add(o[0].Clone()))}
	},
}

func init() {
	opEmitters = map[ir.Op]func(c *funcCtx, v *ir.Value) []Code{
		ir.OpAffine:         emitAffine,
		ir.OpMatMul:         emitMatMul,
		ir.OpMatMulTN:       emitMatMulTN,
		ir.OpSumRows:        emitSumRows,
		ir.OpMSE:            emitMSE,
		ir.OpSoftmaxCE:      emitSoftmaxCE,
		ir.OpBCELogits:      emitBCELogits,
		ir.OpMSEGrad:        emitMSEGrad,
		ir.OpSoftmaxCEGrad:  emitSoftmaxCEGrad,
		ir.OpBCELogitsGrad:  emitBCELogitsGrad,
		ir.OpTranspose:      emitTranspose,
		ir.OpSoftmax:        emitRowMap("Softmax"),
		ir.OpLogSoftmax:     emitRowMap("LogSoftmax"),
		ir.OpSoftmaxGrad:    emitSoftmaxGrad,
		ir.OpConcat:         emitConcat,
		ir.OpSlice:          emitSlice,
		ir.OpColumns:        emitSlice,
		ir.OpLogSoftmaxGrad: emitLogSoftmaxGrad,
		ir.OpNormalize:      emitNormalize,
		ir.OpNormalizeGrad:  emitNormalizeGrad,
		ir.OpDropout:        emitDropout,
		ir.OpEmbed:          emitEmbed,
		ir.OpEmbedGrad:      emitEmbedGrad,
	}
	for _, op := range ir.Ops() {
		if op.Info().Class == ir.Elementwise {
			opEmitters[op] = emitElementwise
		}
	}
}

// epilogue returns the statements that apply v's maps to acc at column j
// of row r, with each map operand bound in the row loop by bindMaps.
func (c *funcCtx) epilogue(v *ir.Value) []Code {
	var code []Code
	names := operandNames(v)
	for _, m := range v.Maps {
		operands := make([]*Statement, len(m.Args))
		for i, a := range m.Args {
			operands[i] = Id(names[a]).Index(Id("j"))
		}
		code = append(code, mapEmitters[m.Op](c, m.Aux, operands)...)
	}
	return code
}

// bindMaps binds a local to the row of each of v's map operands.
func (c *funcCtx) bindMaps(v *ir.Value) []Code {
	var code []Code
	names := operandNames(v)
	bound := make(map[*ir.Value]bool)
	for _, m := range v.Maps {
		for _, a := range m.Args {
			if !bound[a] {
				bound[a] = true
				code = append(code, Id(names[a]).Op(":=").Add(c.row(a)))
			}
		}
	}
	return code
}

// loopLocals are the locals of the op loops in whose scopes map operands are
// bound and read (epilogueLoop, emitElementwise, lossGrad) or around them
// (the kernels' rows and indexes, the loss).
var loopLocals = []string{
	"in", "out", "w", "b", "acc", "dy", "dk", "di", "i", "j", "k", "r", "rows", "loss",
	"zr", "tr", "scale", "sum", "mx", "se", "st", "zj", "tj", "yr", "unweighted",
}

// reserved reports whether a map operand cannot be named name: it is a local
// of the op loops, a parameter of a generated function (funcParams), a
// package the generated file imports, or predeclared in Go.
func reserved(name string) bool {
	if name == "_" || name == runtimeName || name == "unsafe" || types.Universe.Lookup(name) != nil || slices.Contains(loopLocals, name) {
		return true
	}
	return slices.ContainsFunc(funcParams, func(q param) bool { return q.name == name })
}

// operandNames names the locals that hold v's map operands after the values
// they hold (a1 for the activation a1, b1 for the bias B1), falling back to
// m0, m1, … when a label is not a usable identifier.
func operandNames(v *ir.Value) map[*ir.Value]string {
	names := make(map[*ir.Value]string)
	used := make(map[string]bool)
	k := 0
	for _, m := range v.Maps {
		for _, a := range m.Args {
			if names[a] != "" {
				continue
			}
			name := lowerFirst(a.Name)
			if !token.IsIdentifier(name) || reserved(name) || used[name] {
				name = fmt.Sprintf("m%d", k)
				for used[name] {
					name += "_"
				}
			}
			k++
			names[a], used[name] = name, true
		}
	}
	return names
}

// emitSumRows sums the rows of g into y.
func emitSumRows(c *funcCtx, v *ir.Value) []Code {
	n := v.Type.Dims[0]
	if v.First && !c.f.Batched() {
		// The first sample writes the gradient; later ones add to it.
		return []Code{
			Id("dy").Op(":=").Add(c.row(v.Args[0])),
			Id("out").Op(":=").Add(c.row(v)),
			If(Id("first")).Block(Op("*").Id("out").Op("=").Op("*").Id("dy")).Else().Block(
				For(Id("j").Op(":=").Range().Lit(n)).Block(Id("out").Index(Id("j")).Op("+=").Id("dy").Index(Id("j"))),
			),
		}
	}
	body := []Code{
		Id("dy").Op(":=").Add(c.row(v.Args[0])),
		Id("out").Op(":=").Add(c.row(v)),
		For(Id("j").Op(":=").Range().Lit(n)).Block(Id("out").Index(Id("j")).Op("+=").Id("dy").Index(Id("j"))),
	}
	if v.First {
		// A share's first tile starts the sum from zero.
		return append([]Code{If(Id("first")).Block(c.ref(v).Op("=").Index(Lit(n)).Add(c.elem()).Values())}, c.rowLoop(body)...)
	}
	return c.rowLoop(body)
}

// emitElementwise maps the first operand element by element, then applies
// the value's own maps.
func emitElementwise(c *funcCtx, v *ir.Value) []Code {
	n := v.Type.Cols()
	self := ir.Map{Op: v.Op, Args: v.Args[1:], Aux: v.Aux}
	w := *v
	w.Maps = append([]ir.Map{self}, v.Maps...)
	body := []Code{Id("in").Op(":=").Add(c.row(v.Args[0])), Id("out").Op(":=").Add(c.row(v))}
	body = append(body, c.bindMaps(&w)...)
	inner := []Code{Id("acc").Op(":=").Id("in").Index(Id("j"))}
	inner = append(inner, c.epilogue(&w)...)
	inner = append(inner, Id("out").Index(Id("j")).Op("=").Id("acc"))
	body = append(body, For(Id("j").Op(":=").Range().Lit(n)).Block(inner...))
	return c.rowLoop(body)
}

// scale declares name = T(num / float64(batch·n)), the factor of a mean
// over the batch (n = 1) or over every element (n = the row width),
// computed in float64 as PyTorch does for its Python-float scalars.
func (c *funcCtx) scale(name string, num float64, n int) Code {
	den := Id("batch")
	if n != 1 {
		den = Id("batch").Op("*").Lit(n)
	}
	return Id(name).Op(":=").Add(c.elem()).Call(Lit(num).Op("/").Float64().Call(den))
}

// reduce wraps a loss's per-row statements: they add to sum, which is
// scaled into the function's loss once per tile.
func (c *funcCtx) reduce(v *ir.Value, n int, perRow []Code) []Code {
	rows := append([]Code{Id("zr").Op(":=").Add(c.row(v.Args[0]))}, c.targetRow(v)...)
	rows = append(rows, perRow...)
	code := []Code{Var().Id("sum").Add(c.elem())}
	code = append(code, c.rowLoop(rows)...)
	code = append(code, c.scale("scale", v.LossWeight(), n), Id("loss").Op("+=").Id("sum").Op("*").Id("scale"))
	if c.f.Sig.Terms {
		// The head's own mean, unweighted, for HeadLosses.
		head := Id("terms").Index(Lit(c.head(v)))
		add := head.Op("+=").Id("sum").Op("*").Id("scale")
		if v.LossWeight() != 1 {
			add = Block(c.scale("unweighted", 1, n), Id("terms").Index(Lit(c.head(v))).Op("+=").Id("sum").Op("*").Id("unweighted"))
		}
		code = append(code, If(Id("terms").Op("!=").Nil()).Block(add))
	}
	return code
}

// head is the index of the head whose loss term v is.
func (c *funcCtx) head(v *ir.Value) int {
	for _, o := range c.f.Outputs {
		if o.Kind == ir.LossOut && o.Value == v {
			return o.Port
		}
	}
	panic("emit: " + v.Ref() + " is no loss term")
}

// targetRow binds tr to the row of the targets of the loss (or loss
// gradient) v. When v also takes labels, a call passes either targets or
// labels: then tr is nil for a call with labels and k is the row's class
// (−1 for a call with targets).
func (c *funcCtx) targetRow(v *ir.Value) []Code {
	t := v.Args[1]
	if len(v.Args) < 3 {
		return []Code{Id("tr").Op(":=").Add(c.row(t))}
	}
	if !c.f.Batched() {
		return []Code{List(Id("tr"), Id("k")).Op(":=").List(Id("t"), Int().Call(Id("l")))}
	}
	return []Code{
		Var().Id("tr").Op("*").Index(Lit(t.Type.Cols())).Add(c.elem()),
		Id("k").Op(":=").Lit(-1),
		If(Id("ls").Op("!=").Nil()).Block(Id("k").Op("=").Int().Call(Id("ls").Index(Id("r")))).Else().Block(
			Id("tr").Op("=").Op("&").Id("ts").Index(Id("r"))),
	}
}

// emitMSE adds Σ (z − t)² / (N·n) to the loss.
func emitMSE(c *funcCtx, v *ir.Value) []Code {
	n := v.Args[0].Type.Cols()
	return c.reduce(v, n, []Code{
		For(Id("j").Op(":=").Range().Lit(n)).Block(
			Id("d").Op(":=").Id("zr").Index(Id("j")).Op("-").Id("tr").Index(Id("j")),
			Id("sum").Op("+=").Id("d").Op("*").Id("d"),
		),
	})
}

// logSumExp declares mx = max_j z[j] and lse = mx + log Σ_j e^(z[j] − mx),
// which never overflows: every exponent is ≤ 0.
func (c *funcCtx) logSumExp(n int) []Code {
	return []Code{
		Id("mx").Op(":=").Id("zr").Index(Lit(0)),
		For(List(Id("_"), Id("zj")).Op(":=").Range().Id("zr").Index(Lit(1), Empty())).Block(
			Id("mx").Op("=").Max(Id("mx"), Id("zj")),
		),
		Var().Id("se").Add(c.elem()),
		For(Id("j").Op(":=").Range().Lit(n)).Block(
			Id("se").Op("+=").Qual(runtimePath, "Exp").Call(Id("zr").Index(Id("j")).Op("-").Id("mx")),
		),
	}
}

// emitSoftmaxCE adds −Σ t · log softmax(z) / N = Σ t (lse − z) / N to the loss.
// With a label k instead of targets the sum has the one term lse − z[k]:
// the same bits as its one-hot row, whose other terms add 0 exactly.
func emitSoftmaxCE(c *funcCtx, v *ir.Value) []Code {
	n := v.Args[0].Type.Cols()
	row := c.logSumExp(n)
	sum := For(Id("j").Op(":=").Range().Lit(n)).Block(
		Id("sum").Op("+=").Id("tr").Index(Id("j")).Op("*").Parens(Id("lse").Op("-").Id("zr").Index(Id("j"))),
	)
	if len(v.Args) == 3 {
		sum = If(Id("tr").Op("==").Nil()).Block(
			Id("sum").Op("+=").Id("lse").Op("-").Id("zr").Index(Id("k")),
		).Else().Block(sum)
	}
	row = append(row, Id("lse").Op(":=").Id("mx").Op("+").Qual(runtimePath, "Log").Call(Id("se")), sum)
	return c.reduce(v, 1, row)
}

// emitBCELogits adds Σ max(z,0) − z t + log(1 + e^−|z|) / (N·n) to the loss.
func emitBCELogits(c *funcCtx, v *ir.Value) []Code {
	n := v.Args[0].Type.Cols()
	return c.reduce(v, n, []Code{
		For(Id("j").Op(":=").Range().Lit(n)).Block(
			Id("zj").Op(":=").Id("zr").Index(Id("j")),
			Id("sum").Op("+=").Max(Id("zj"), Lit(0)).Op("-").Id("zj").Op("*").Id("tr").Index(Id("j")).
				Op("+").Qual(runtimePath, "Log1p").Call(Qual(runtimePath, "Exp").Call(Op("-").Qual(runtimePath, "Abs").Call(Id("zj")))),
		),
	})
}

// lossGrad writes a loss gradient row by row: prelude runs once per call,
// perRow once per row (zr, tr and out bound to the rows of z, t and y), and acc(j) is element j before
// the maps.
func (c *funcCtx) lossGrad(v *ir.Value, prelude, perRow []Code, acc Code) []Code {
	n := v.Type.Cols()
	body := append([]Code{Id("zr").Op(":=").Add(c.row(v.Args[0]))}, c.targetRow(v)...)
	body = append(body, Id("out").Op(":=").Add(c.row(v)))
	body = append(body, c.bindMaps(v)...)
	body = append(body, perRow...)
	inner := []Code{Id("acc").Op(":=").Add(acc)}
	inner = append(inner, c.epilogue(v)...)
	inner = append(inner, Id("out").Index(Id("j")).Op("=").Id("acc"))
	body = append(body, For(Id("j").Op(":=").Range().Lit(n)).Block(inner...))
	return append(prelude, c.rowLoop(body)...)
}

// emitMSEGrad writes 2(z − t)/(N·n), PyTorch's mse_loss_backward.
func emitMSEGrad(c *funcCtx, v *ir.Value) []Code {
	return c.lossGrad(v, []Code{c.scale("scale", 2*v.LossWeight(), v.Type.Cols())}, nil,
		Id("scale").Op("*").Parens(Id("zr").Index(Id("j")).Op("-").Id("tr").Index(Id("j"))))
}

// emitSoftmaxCEGrad writes (softmax(z)·Σt − t)/N: the gradient of
// −Σ t · log softmax(z), the log-softmax backward of −t/N.
//
// With a label k instead of targets, Σt = 1 and t[j] = 1 at j = k, else 0:
// the same bits as its one-hot row.
func emitSoftmaxCEGrad(c *funcCtx, v *ir.Value) []Code {
	n := v.Type.Cols()
	perRow := c.logSumExp(n)
	sumT := For(List(Id("_"), Id("tj")).Op(":=").Range().Id("tr")).Block(Id("st").Op("+=").Id("tj"))
	tj := Id("tr").Index(Id("j"))
	if len(v.Args) == 3 {
		perRow = append(perRow,
			Id("st").Op(":=").Add(c.lit(1)),
			If(Id("tr").Op("!=").Nil()).Block(Id("st").Op("=").Lit(0), sumT),
		)
		tj = Id("target").Call(Id("tr"), Id("j"), Id("k"))
	} else {
		perRow = append(perRow, Var().Id("st").Add(c.elem()), sumT)
	}
	acc := Parens(Qual(runtimePath, "Exp").Call(Id("zr").Index(Id("j")).Op("-").Id("mx")).Op("/").Id("se").Op("*").Id("st").
		Op("-").Add(tj)).Op("*").Id("scale")
	return c.lossGrad(v, []Code{c.scale("scale", v.LossWeight(), 1)}, perRow, acc)
}

// emitBCELogitsGrad writes (σ(z) − t)/(N·n).
func emitBCELogitsGrad(c *funcCtx, v *ir.Value) []Code {
	acc := Parens(Qual(runtimePath, "Sigmoid").Call(Id("zr").Index(Id("j"))).Op("-").Id("tr").Index(Id("j"))).Op("*").Id("scale")
	return c.lossGrad(v, []Code{c.scale("scale", v.LossWeight(), v.Type.Cols())}, nil, acc)
}

// emitRowMap maps each row as a whole with the runtime's function fn
// (Softmax, LogSoftmax), then applies the value's maps.
func emitRowMap(fn string) func(c *funcCtx, v *ir.Value) []Code {
	return func(c *funcCtx, v *ir.Value) []Code {
		body := []Code{
			Id("in").Op(":=").Add(c.row(v.Args[0])),
			Id("out").Op(":=").Add(c.row(v)),
			Op("*").Id("out").Op("=").Op("*").Id("in"),
			rt(fn).Call(all(Id("out"))),
		}
		return c.rowLoop(append(body, c.mapInPlace(v)...))
	}
}

// mapInPlace applies v's maps, if any, to each element of the row out.
func (c *funcCtx) mapInPlace(v *ir.Value) []Code {
	if len(v.Maps) == 0 {
		return nil
	}
	code := c.bindMaps(v)
	inner := append([]Code{Id("acc").Op(":=").Id("out").Index(Id("j"))}, c.epilogue(v)...)
	inner = append(inner, Id("out").Index(Id("j")).Op("=").Id("acc"))
	return append(code, For(Id("j").Op(":=").Range().Lit(v.Type.Cols())).Block(inner...))
}

// emitSoftmaxGrad writes z̄ = y ⊙ (ȳ − ȳ·y) row by row, as PyTorch's
// softmax_backward_data.
func emitSoftmaxGrad(c *funcCtx, v *ir.Value) []Code {
	return c.rowMapGrad(v, Id("dy").Index(Id("j")).Op("*").Id("yr").Index(Id("j")),
		Id("yr").Index(Id("j")).Op("*").Parens(Id("dy").Index(Id("j")).Op("-").Id("sum")))
}

// emitLogSoftmaxGrad writes z̄ = ȳ − e^y Σ ȳ row by row, as PyTorch's
// log_softmax_backward_data.
func emitLogSoftmaxGrad(c *funcCtx, v *ir.Value) []Code {
	return c.rowMapGrad(v, Id("dy").Index(Id("j")),
		Id("dy").Index(Id("j")).Op("-").Qual(runtimePath, "Exp").Call(Id("yr").Index(Id("j"))).Op("*").Id("sum"))
}

// emitNormalize writes y = (z − μ)/σ row by row (runtime.Normalize, as
// PyTorch's layer_norm without its affine part), then the value's maps: γ
// and β.
func emitNormalize(c *funcCtx, v *ir.Value) []Code {
	return c.rowLoop(append([]Code{
		Id("in").Op(":=").Add(c.row(v.Args[0])),
		Id("out").Op(":=").Add(c.row(v)),
		rt("Normalize").Call(all(Id("out")), all(Id("in")), Lit(v.Aux)),
	}, c.mapInPlace(v)...))
}

// emitNormalizeGrad writes z̄ = (ȳ − mean ȳ − y·mean(ȳ ⊙ y)) / σ row by
// row (runtime.NormalizeGrad), from ȳ, y and z.
func emitNormalizeGrad(c *funcCtx, v *ir.Value) []Code {
	return c.rowLoop(append([]Code{
		Id("dy").Op(":=").Add(c.row(v.Args[0])),
		Id("yr").Op(":=").Add(c.row(v.Args[1])),
		Id("zr").Op(":=").Add(c.row(v.Args[2])),
		Id("out").Op(":=").Add(c.row(v)),
		rt("NormalizeGrad").Call(all(Id("out")), all(Id("dy")), all(Id("yr")), all(Id("zr")), Lit(v.Aux)),
	}, c.mapInPlace(v)...))
}

// rowMapGrad writes the gradient of a row map from ȳ (dy) and the map's
// output y (yr), row by row: sum = Σ_j term(j), then element j is
// elem(j), then v's maps.
func (c *funcCtx) rowMapGrad(v *ir.Value, term, elem Code) []Code {
	n := v.Type.Cols()
	return c.rowLoop(append([]Code{
		Id("dy").Op(":=").Add(c.row(v.Args[0])),
		Id("yr").Op(":=").Add(c.row(v.Args[1])),
		Id("out").Op(":=").Add(c.row(v)),
		Var().Id("sum").Add(c.elem()),
		For(Id("j").Op(":=").Range().Lit(n)).Block(Id("sum").Op("+=").Add(term)),
		For(Id("j").Op(":=").Range().Lit(n)).Block(Id("out").Index(Id("j")).Op("=").Add(elem)),
	}, c.mapInPlace(v)...))
}

// emitConcat copies each operand's row into its columns of the result's
// row, then applies the value's maps.
func emitConcat(c *funcCtx, v *ir.Value) []Code {
	body := []Code{Id("out").Op(":=").Add(c.row(v))}
	off := 0
	for _, a := range v.Args {
		w := a.Type.Cols()
		body = append(body, Block(
			Id("in").Op(":=").Add(c.row(a)),
			Copy(Id("out").Index(Lit(off), Lit(off+w)), all(Id("in"))),
		))
		off += w
	}
	return c.rowLoop(append(body, c.mapInPlace(v)...))
}

// emitSlice copies the columns [off, off+n) of its operand's row (off is
// the value's Aux), then applies the value's maps.
func emitSlice(c *funcCtx, v *ir.Value) []Code {
	off, w := int(v.Aux), v.Type.Cols()
	body := []Code{
		Id("in").Op(":=").Add(c.row(v.Args[0])),
		Id("out").Op(":=").Add(c.row(v)),
		Copy(all(Id("out")), Id("in").Index(Lit(off), Lit(off+w))),
	}
	return c.rowLoop(append(body, c.mapInPlace(v)...))
}
