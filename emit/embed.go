package emit

import (
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
