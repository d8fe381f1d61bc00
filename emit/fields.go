package emit

import (
	"fmt"
	"strings"

	. "github.com/dave/jennifer/jen"

	"github.com/gradgen/gradgen/ir"
	"github.com/gradgen/gradgen/spec"
)

// A network of several named inputs or heads reads one flat row and writes
// one (ir.Program.InputFields, OutputFields). Its API names their parts: a
// sample is an Input struct, its targets a Target and its prediction an
// Output, each a struct of arrays of the element type, laid out in memory
// as the flat row, so a method converts a pointer or a slice without a copy
// and calls the flat methods behind it.

// structIn and structOut report whether p's API takes Input structs and
// Target and Output structs.
func structIn(p *ir.Program) bool  { return len(p.InputFields) > 0 }
func structOut(p *ir.Program) bool { return len(p.OutputFields) > 0 }

// structs reports whether p's API has any of the structs.
func structs(p *ir.Program) bool { return structIn(p) || structOut(p) }

// fieldTypes declares Input, or Output and Target, with their helpers.
func fieldTypes(file *File, p *ir.Program) {
	if structIn(p) {
		fieldStruct(file, p, "Input", "one sample: each input of the spec, in order", p.InputFields, "Inputs")
		rowsFunc(file, p, "inputRows", "Input", "Inputs")
		checkIDsFunc(file, p)
	}
	if structOut(p) {
		doc(file, "Heads is the number of heads: the fields of Output and Target, and of HeadLosses' result.")
		file.Const().Id("Heads").Op("=").Lit(len(p.OutputFields))
		fieldStruct(file, p, "Output", "a prediction: each head's output, in order", p.OutputFields, "Outputs")
		fieldStruct(file, p, "Target", "a sample's targets: each head's, in order", p.OutputFields, "Outputs")
		rowsFunc(file, p, "targetRows", "Target", "Outputs")
		rowsFunc(file, p, "outputRows", "Output", "Outputs")
	}
}

// fieldStruct declares the struct name of the ports' fields.
func fieldStruct(file *File, p *ir.Program, name, what string, ports []ir.Port, width string) {
	docf(file, "%s is %s. It is laid out in memory as [%s]%s, the row the\n"+
		"generated functions read, so a conversion costs nothing.", name, what, width, p.DType.GoName())
	file.Type().Id(name).StructFunc(func(g *Group) {
		for _, port := range ports {
			if port.Categories > 0 {
				// An id is an int32 in its slot of the row (its first 4
				// bytes), then padding for a float64 row.
				g.Id(spec.FieldName(port.Name)).Int32().Comment(fmt.Sprintf("%s, an id in [0, %d)", port.Name, port.Categories))
				if p.DType == ir.F64 {
					g.Id("_").Int32()
				}
				continue
			}
			g.Id(spec.FieldName(port.Name)).Index(Lit(port.Width)).Add(elem(p)).Comment(fmt.Sprintf("%s, %d values", port.Name, port.Width))
		}
	})
	file.Comment(fmt.Sprintf("%s must be as large as the row it stands for: this fails to compile otherwise.", name))
	file.Var().Id("_").Index(Id(width).Op("*").Qual("unsafe", "Sizeof").Call(elem(p).Call(Lit(0)))).Byte().Op("=").
		Index(Qual("unsafe", "Sizeof").Call(Id(name).Values())).Byte().Values()
}

// rowsFunc declares name, which views a slice of the struct typ as rows of
// width.
func rowsFunc(file *File, p *ir.Program, name, typ, width string) {
	docf(file, "%s views s as the rows the generated functions read, without a copy.", name)
	file.Func().Id(name).Params(Id("s").Index().Id(typ)).Index().Index(Id(width)).Add(elem(p)).Block(
		Return(Qual("unsafe", "Slice").Call(
			Parens(Op("*").Index(Id(width)).Add(elem(p))).Call(Qual("unsafe", "Pointer").Call(Qual("unsafe", "SliceData").Call(Id("s")))),
			Len(Id("s")),
		)),
	)
}

// publicSample is the type of one sample of the API: *Input (for n
// "Inputs"; *Output for "Outputs") when p names its parts, else *[n]T.
func publicSample(p *ir.Program, n string) *Statement {
	switch {
	case n == "Inputs" && structIn(p):
		return Op("*").Id("Input")
	case n == "Outputs" && structOut(p):
		return Op("*").Id("Output")
	}
	return Op("*").Index(Id(n)).Add(elem(p))
}

// publicBatch is the type of a batch of the API: []Input, []Target, or
// [][n]T.
func publicBatch(p *ir.Program, n string) *Statement {
	switch {
	case n == "Inputs" && structIn(p):
		return Index().Id("Input")
	case n == "Outputs" && structOut(p):
		return Index().Id("Target")
	}
	return batchType(p, n)
}

// asRow converts the API sample name (of width n) to a row pointer, the
// argument of method; an input's ids are checked first.
func asRow(p *ir.Program, method, name, n string) *Statement {
	if (n == "Inputs" && structIn(p)) || (n == "Outputs" && structOut(p)) {
		ptr := Id(name)
		if n == "Inputs" && hasIDs(p) {
			ptr = Op("&").Id("checkIDs").Call(Lit(method), Qual("unsafe", "Slice").Call(Id(name), Lit(1))).Index(Lit(0))
		}
		return Parens(Op("*").Index(Id(n)).Add(elem(p))).Call(Qual("unsafe", "Pointer").Call(ptr))
	}
	return Id(name)
}

// asRows converts the API batch name, an argument of method, to rows; an
// input's ids are checked first.
func asRows(p *ir.Program, method, name, n string) *Statement {
	switch {
	case n == "Inputs" && structIn(p) && hasIDs(p):
		return Id("inputRows").Call(Id("checkIDs").Call(Lit(method), Id(name)))
	case n == "Inputs" && structIn(p):
		return Id("inputRows").Call(Id(name))
	case n == "Outputs" && structOut(p):
		return Id("targetRows").Call(Id(name))
	}
	return Id(name)
}

// headLossesMethod declares Model.HeadLosses for a network of several
// heads: each head's own mean loss over the batch, unweighted, as the loss
// functions add them up beside the weighted total.
func headLossesMethod(file *File, p *ir.Program) {
	if !structOut(p) {
		return
	}
	names := make([]string, len(p.OutputFields))
	for i, h := range p.OutputFields {
		names[i] = h.Name
	}
	docf(file, "HeadLosses returns each head's mean loss over the batch (xs, ts), unweighted, in the order of\n"+
		"Output's fields (%s); a head with loss none gives 0. Loss is their sum, each times its weight.",
		strings.Join(names, ", "))
	f, fs := p.Func(ir.RoleLoss), p.Func(ir.RoleLossSample)
	body := []Code{lengthCheck(p, "HeadLosses"), Var().Id("loss").Add(elem(p))}
	tile := modelArgs(f)
	tile.terms = Op("&").Id("h")
	if fs != nil && p.SmallBatch > 1 {
		a := sampleArgs(fs)
		a.terms = Op("&").Id("h")
		body = append(body, If(Len(Id("xs")).Op("<").Lit(p.SmallBatch)).Block(
			For(Id("i").Op(":=").Range().Id("xs")).Block(Id("loss").Op("+=").Add(call(fs, a))),
			Return(),
		))
	}
	body = append(body, tileLoop(f, tile, batchVarsOf(p, ""), Id("loss")), Return())
	file.Func().Params(Id("m").Op("*").Id("Model")).Id("HeadLosses").Params(
		Id("xs").Add(publicBatch(p, "Inputs")), Id("ts").Add(publicBatch(p, "Outputs")),
	).Params(Id("h").Index(Id("Heads")).Add(elem(p))).Block(
		Return(Id("m").Dot("headLosses").Call(asRows(p, "HeadLosses", "xs", "Inputs"), asRows(p, "HeadLosses", "ts", "Outputs"))),
	)
	file.Comment("headLosses is HeadLosses over the batch as rows.")
	file.Func().Params(Id("m").Op("*").Id("Model")).Id("headLosses").Params(batchParams(p)...).Params(
		Id("h").Index(Id("Heads")).Add(elem(p))).Block(body...)
}
