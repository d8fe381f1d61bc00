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
