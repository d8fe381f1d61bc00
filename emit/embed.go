package emit

import (
	"fmt"
	"slices"

	. "github.com/dave/jennifer/jen"

	"github.com/gradgen/gradgen/ir"
	"github.com/gradgen/gradgen/spec"
)

// The code of embeddings: a lookup of each sample's id in a table, and the
// scatter-add of the table's gradient into the rows the batch touches. An
// id is an int32 whose bits the input row's slot holds (Input's field).

// idOf is the id in column off of the input row in: the int32 at the
// slot's address.
func idOf(off int) *Statement {
	return Op("*").Parens(Op("*").Int32()).Call(Qual("unsafe", "Pointer").Call(Op("&").Id("in").Index(Lit(off))))
}

// emitEmbed writes z = E[id] row by row, then the value's maps. The
// methods have checked every id against the table's rows.
func emitEmbed(c *funcCtx, v *ir.Value) []Code {
	return c.rowLoop(append([]Code{
		Id("in").Op(":=").Add(c.row(v.Args[0])),
		Id("out").Op(":=").Add(c.row(v)),
		Op("*").Id("out").Op("=").Add(c.ref(v.Args[1])).Index(idOf(int(v.Aux))),
	}, c.mapInPlace(v)...))
}

// emitEmbedGrad adds ȳ to the id's row of the table's gradient, row by row
// in the batch's order (Ē[id] += ȳ), so repeated ids sum in a fixed order.
func emitEmbedGrad(c *funcCtx, v *ir.Value) []Code {
	return c.rowLoop([]Code{
		Id("dy").Op(":=").Add(c.row(v.Args[0])),
		Id("in").Op(":=").Add(c.row(v.Args[1])),
		Id("out").Op(":=").Op("&").Add(c.ref(v)).Index(idOf(int(v.Aux))),
		For(Id("j").Op(":=").Range().Id("dy")).Block(Id("out").Index(Id("j")).Op("+=").Id("dy").Index(Id("j"))),
	})
}

// hasIDs reports whether p has an integer input.
func hasIDs(p *ir.Program) bool {
	return slices.ContainsFunc(p.InputFields, func(q ir.Port) bool { return q.Categories > 0 })
}

// checkIDsFunc declares checkIDs, which panics (runtime.PanicID) naming the
// first sample of xs whose id is out of its input's range, and returns xs.
func checkIDsFunc(file *File, p *ir.Program) {
	if !hasIDs(p) {
		return
	}
	var checks []Code
	for _, q := range p.InputFields {
		if q.Categories == 0 {
			continue
		}
		id := Id("xs").Index(Id("i")).Dot(spec.FieldName(q.Name))
		checks = append(checks, If(id.Clone().Op("<").Lit(0).Op("||").Add(id.Clone()).Op(">=").Lit(q.Categories)).Block(
			rt("PanicID").Call(Lit(p.Package), Id("method"), Lit(q.Name), Id("i"), id.Clone(), Lit(q.Categories)),
		))
	}
	doc(file, "checkIDs panics, naming the sample, when an id of xs, an argument of method, is out of\n"+
		"its input's range, before anything reads a table; it returns xs.")
	file.Func().Id("checkIDs").Params(Id("method").String(), Id("xs").Index().Id("Input")).Index().Id("Input").Block(
		For(Id("i").Op(":=").Range().Id("xs")).Block(checks...),
		Return(Id("xs")),
	)
}

// hasSparse reports whether p has an embedding table that trains: its
// gradient is cleared, and stepped by SGD, row by row.
func hasSparse(p *ir.Program) bool {
	return slices.ContainsFunc(p.Params, func(q ir.Param) bool { return q.Sparse && !q.Frozen })
}

// sparseParams are p's embedding tables that train.
func sparseParams(p *ir.Program) []ir.Param {
	var qs []ir.Param
	for _, q := range p.Params {
		if q.Sparse && !q.Frozen {
			qs = append(qs, q)
		}
	}
	return qs
}

// denseRanges are the ranges of the flat parameters outside the tables.
func denseRanges(p *ir.Program) [][2]int {
	var ranges [][2]int
	lo := 0
	for _, q := range sparseParams(p) {
		if q.Offset > lo {
			ranges = append(ranges, [2]int{lo, q.Offset})
		}
		lo = q.Offset + q.Type.Elems()
	}
	if n := p.NumParams(); n > lo {
		ranges = append(ranges, [2]int{lo, n})
	}
	return ranges
}

// rowsField and markField name Model's record of the rows of table q the
// last Backward touched, and which are in it.
func rowsField(q ir.Param) string { return "rows" + q.Name }
func markField(q ir.Param) string { return "mark" + q.Name }

// sparseFields are Model's records of the rows each table's gradient holds.
func sparseFields(p *ir.Program) []Code {
	var fields []Code
	for _, q := range sparseParams(p) {
		fields = append(fields,
			Id(rowsField(q)).Index().Int32().Comment(fmt.Sprintf("the rows of Grad.%s the last Backward touched, once each", q.Name)),
			Id(markField(q)).Index().Bool().Comment(fmt.Sprintf("whether a row of Grad.%s is in %s", q.Name, rowsField(q))),
		)
	}
	return fields
}

// sparseAlloc makes the records in NewModel, with room for every row, so
// that no call allocates.
func sparseAlloc(p *ir.Program) []Code {
	var code []Code
	for _, q := range sparseParams(p) {
		rows := q.Type.Dims[0]
		code = append(code,
			Id("m").Dot(rowsField(q)).Op("=").Make(Index().Int32(), Lit(0), Lit(rows)),
			Id("m").Dot(markField(q)).Op("=").Make(Index().Bool(), Lit(rows)),
		)
	}
	return code
}

// idColumn is the column of the input row that holds the ids of table q.
func idColumn(p *ir.Program, q ir.Param) int {
	off := 0
	for _, in := range p.InputFields {
		if in.Name == q.IDs {
			return off
		}
		off += in.Width
	}
	panic("emit: no input " + q.IDs + " for table " + q.Name)
}

// clearGradMethod declares Model.clearGrad for a network with embedding
// tables: Backward's clearing of the gradient, which costs what the batch
// touches rather than the tables' size.
func clearGradMethod(file *File, p *ir.Program) {
	if !hasSparse(p) {
		return
	}
	c := &funcCtx{p: p}
	body := []Code{Id("g").Op(":=").Id("m").Dot("Grad").Dot("Slice").Call()}
	for _, r := range denseRanges(p) {
		body = append(body, Clear(Id("g").Index(Lit(r[0]), Lit(r[1]))))
	}
	for _, q := range sparseParams(p) {
		rows, mark := Id("m").Dot(rowsField(q)), Id("m").Dot(markField(q))
		id := Op("*").Parens(Op("*").Int32()).Call(Qual("unsafe", "Pointer").Call(Op("&").Id("xs").Index(Id("i")).Index(Lit(idColumn(p, q)))))
		body = append(body,
			For(List(Id("_"), Id("r")).Op(":=").Range().Add(rows)).Block(
				Clear(Id("m").Dot("Grad").Dot(q.Name).Index(Id("r")).Index(Empty(), Empty())),
				mark.Clone().Index(Id("r")).Op("=").False(),
			),
			rows.Clone().Op("=").Add(rows.Clone()).Index(Empty(), Lit(0)),
			For(Id("i").Op(":=").Range().Id("xs")).Block(
				If(Id("r").Op(":=").Add(id), Op("!").Add(mark.Clone()).Index(Id("r"))).Block(
					mark.Clone().Index(Id("r")).Op("=").True(),
					rows.Clone().Op("=").Append(rows.Clone(), Id("r")),
					Comment("Zero already: the write brings the row to the cache, the batch's misses overlapping here"),
					Comment("rather than one by one in the backward pass's scatter-add."),
					Clear(Id("m").Dot("Grad").Dot(q.Name).Index(Id("r")).Index(Empty(), Empty())),
				),
			),
		)
	}
	doc(file, "clearGrad zeroes m.Grad before a Backward over the batch xs: the parameters outside the\n"+
		"embedding tables, and the rows of each table's gradient that the last Backward touched, the only\n"+
		"ones not zero. It records the rows xs touches, which Step (SGD) updates alone.")
	file.Func().Params(Id("m").Op("*").Id("Model")).Id("clearGrad").Params(Id("xs").Index().Index(Id("Inputs")).Add(c.elem())).Block(body...)
}

// sparseStep is Step's path for SGD without weight decay or clipping: the
// rows of the tables that no id of the last batch names have zero gradient,
// so they keep their values, and only the batch's rows are stepped.
func sparseStep(p *ir.Program) Code {
	if !hasSparse(p) || p.Optimizer.Kind != ir.SGD {
		return Null()
	}
	var code []Code
	for _, r := range denseRanges(p) {
		code = append(code, Id("m").Dot("stepRange").Call(Lit(r[0]), Lit(r[1])))
	}
	for _, q := range sparseParams(p) {
		d := q.Type.Dims[1]
		code = append(code, For(List(Id("_"), Id("r")).Op(":=").Range().Id("m").Dot(rowsField(q))).Block(
			Id("lo").Op(":=").Lit(q.Offset).Op("+").Int().Call(Id("r")).Op("*").Lit(d),
			Id("m").Dot("stepRange").Call(Id("lo"), Id("lo").Op("+").Lit(d)),
		))
	}
	code = append(code, Return())
	h := Id("m").Dot("hyper")
	return If(h.Clone().Dot("WeightDecay").Op("==").Lit(0).Op("&&").Add(h.Clone()).Dot("Momentum").Op("==").Lit(0).Op("&&").Add(h.Clone()).Dot("ClipGradNorm").Op("==").Lit(0)).Block(code...)
}
