package emit

import (
	. "github.com/dave/jennifer/jen"

	"github.com/gradgen/gradgen/ir"
)

// The declarations of inference: NewModel and Predict, which runs the
// predict function (Forward, with its Scratch, printed by function.go);
// classify.go adds what classifiers read from the outputs.

// newModel declares NewModel.
func newModel(file *File, p *ir.Program) {
	doc(file, "NewModel returns a model whose parameters are initialised by Params.Init(seed), with the\n"+
		"spec's optimizer settings, DefaultHyperparams.")
	body := []Code{
		Id("m").Op(":=").Op("&").Id("Model").Values(Dict{Id("hyper"): Id("DefaultHyperparams").Call()}),
		Id("m").Dot("Params").Dot("Init").Call(Id("seed")),
		seedDropout(p),
	}
	body = append(body, sparseAlloc(p)...)
	file.Func().Id("NewModel").Params(Id("seed").Uint64()).Op("*").Id("Model").Block(append(body, Return(Id("m")))...)
}

// predictMethod declares Model.Predict, a call of Forward on the model's
// parameters and scratch.
func predictMethod(file *File, p *ir.Program) {
	f := p.Func(ir.RolePredict)
	a := modelArgs(f)
	a.x, a.y = asRow(p, "Predict", "x", "Inputs"), asRow(p, "Predict", "y", "Outputs")
	switch outputMap(p) {
	case ir.OpSoftmax:
		doc(file, "Predict writes the network's output for x to y: the softmax of the last layer's output,\nthe probability of each class. The loss reads the logits under it.")
	case ir.OpLogSoftmax:
		doc(file, "Predict writes the network's output for x to y: the log softmax of the last layer's\noutput, the log-probability of each class. The loss reads the logits under it.")
	default:
		doc(file, "Predict writes the network's output for x to y: the last layer's output after its\nactivation (logits, for the cross-entropy losses).")
	}
	file.Func().Params(Id("m").Op("*").Id("Model")).Id("Predict").Params(
		sampleParam(p, "x", "Inputs"), sampleParam(p, "y", "Outputs"),
	).Block(call(f, a))
}

// predictBatchMethod declares Model.PredictBatch: Forward on each sample of
// a batch shorter than SmallBatch, else the batched predict function tile by
// tile, whose products run the matrix kernels.
func predictBatchMethod(file *File, p *ir.Program) {
	f, one := p.Func(ir.RolePredictBatch), p.Func(ir.RolePredict)
	if f == nil || one == nil {
		return
	}
	docf(file, "PredictBatch writes the network's output for each xs[i] to ys[i], as Predict does, for a\n"+
		"whole batch at a time: tiles of tileRows samples run through the matrix kernels. The results\n"+
		"equal Predict's up to rounding (the products sum in another order). xs and ys must have\n"+
		"equal lengths.")
	xs, ys := asRows(p, "PredictBatch", "xs", "Inputs"), Id("ys")
	if structOut(p) {
		ys = Id("outputRows").Call(Id("ys"))
	}
	sample := modelArgs(one)
	sample.x, sample.y = Op("&").Id("rx").Index(Id("i")), Op("&").Id("ry").Index(Id("i"))
	tile := modelArgs(f)
	tile.x, tile.y = Id("rx").Index(Id("lo"), Id("hi")), Id("ry").Index(Id("lo"), Id("hi"))
	tile.fresh = Id("lo").Op("==").Lit(0)
	body := []Code{
		If(Len(Id("xs")).Op("!=").Len(Id("ys"))).Block(
			rt("PanicBatchLengths").Call(Lit(p.Package), Lit("PredictBatch"), Len(Id("xs")), Len(Id("ys"))),
		),
		List(Id("rx"), Id("ry")).Op(":=").List(xs, ys),
	}
	if p.SmallBatch > 1 {
		body = append(body, If(Len(Id("rx")).Op("<").Lit(p.SmallBatch)).Block(
			For(Id("i").Op(":=").Range().Id("rx")).Block(call(one, sample)),
			Return(),
		))
	}
	body = append(body, For(Id("lo").Op(":=").Lit(0), Id("lo").Op("<").Len(Id("rx")), Id("lo").Op("+=").Id("tileRows")).Block(
		Id("hi").Op(":=").Min(Id("lo").Op("+").Id("tileRows"), Len(Id("rx"))),
		call(f, tile),
	))
	file.Func().Params(Id("m").Op("*").Id("Model")).Id("PredictBatch").Params(
		Id("xs").Add(publicBatch(p, "Inputs")), Id("ys").Add(predictionBatch(p)),
	).Block(body...)
}

// predictionBatch is the type of a batch of predictions: []Output, or
// [][Outputs]T.
func predictionBatch(p *ir.Program) *Statement {
	if structOut(p) {
		return Index().Id("Output")
	}
	return batchType(p, "Outputs")
}
