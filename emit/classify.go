package emit

import (
	. "github.com/dave/jennifer/jen"

	"github.com/gradgen/gradgen/ir"
)

// What a classifier's users read from its logits, by the program's link
// function: PredictProba, which applies the link, and Classify (one class)
// or Labels (independent labels), which decide by it. A network with the
// identity link (regression) gets none of them.

// sampleParam is the parameter name of a method: one sample of width n,
// *[n]T, or the struct of its named parts (see fields.go).
func sampleParam(p *ir.Program, name, n string) *Statement {
	return Id(name).Add(publicSample(p, n))
}

// logits declares y and writes Predict's output for x to it; y stays on the
// stack, so the deciding methods allocate nothing.
func logits(p *ir.Program) []Code {
	return []Code{
		Var().Id("y").Index(Id("Outputs")).Add(elem(p)),
		Id("m").Dot("Predict").Call(Id("x"), Op("&").Id("y")),
	}
}

// predictProbaMethod declares Model.PredictProba: the link applied to
// Predict's logits.
func predictProbaMethod(file *File, p *ir.Program) {
	var fn string
	switch p.Link {
	case ir.Softmax:
		fn = "Softmax"
		doc(file, "PredictProba writes to p the probability of each class for x: the softmax of Predict's\n"+
			"logits, as torch.softmax(logits, dim=1): they sum to 1 up to rounding.")
	case ir.Sigmoid:
		fn = "SigmoidAll"
		doc(file, "PredictProba writes to p, for each output of x, the probability that its label is 1: σ of\n"+
			"Predict's logits, as torch.sigmoid(logits).")
	default:
		return
	}
	body := []Code{Id("m").Dot("Predict").Call(Id("x"), Id("p"))}
	switch outputMap(p) {
	case ir.OpSoftmax: // Predict gives the probabilities already
	case ir.OpLogSoftmax: // Predict gives their logarithms
		body = append(body, For(Id("j").Op(":=").Range().Id("p")).Block(
			Id("p").Index(Id("j")).Op("=").Add(rt("Exp")).Call(Id("p").Index(Id("j")))))
	default:
		body = append(body, rt(fn).Call(all(Id("p"))))
	}
	file.Func().Params(Id("m").Op("*").Id("Model")).Id("PredictProba").Params(
		sampleParam(p, "x", "Inputs"), sampleParam(p, "p", "Outputs"),
	).Block(body...)
}

// outputMap returns the op of the map Predict applies after the last
// layer (softmax, log_softmax), or OpInvalid for none.
func outputMap(p *ir.Program) ir.Op {
	if f := p.Func(ir.RolePredict); f != nil && len(f.Outputs) > 0 {
		if op := f.Outputs[0].Value.Op; op == ir.OpSoftmax || op == ir.OpLogSoftmax {
			return op
		}
	}
	return ir.OpInvalid
}

// classifyMethod declares Model.Classify for one class among the outputs
// (softmax) or one binary label (σ of a single output).
func classifyMethod(file *File, p *ir.Program) {
	var decide []Code
	switch {
	case p.Link == ir.Softmax:
		doc(file, "Classify returns the class of x in [0, Outputs): the index of the largest logit, which is\n"+
			"the most probable class (the first on a tie), as torch.argmax(logits, dim=1).")
		decide = []Code{Return(rt("Argmax").Call(all(Id("y"))))}
	case p.Link == ir.Sigmoid && p.Outputs[0].Width == 1:
		doc(file, "Classify returns the class of x, 1 when its probability is above 0.5 (its logit above 0)\n"+
			"and 0 otherwise, as (torch.sigmoid(logit) > 0.5).")
		decide = []Code{If(Id("y").Index(Lit(0)).Op(">").Lit(0)).Block(Return(Lit(1))), Return(Lit(0))}
	default:
		return
	}
	file.Func().Params(Id("m").Op("*").Id("Model")).Id("Classify").Params(sampleParam(p, "x", "Inputs")).Int().Block(
		append(logits(p), decide...)...)
}

// labelsMethod declares Model.Labels for several independent binary labels
// (σ of each of several outputs).
func labelsMethod(file *File, p *ir.Program) {
	if p.Link != ir.Sigmoid || p.Outputs[0].Width == 1 {
		return
	}
	doc(file, "Labels sets on[j] when output j's label is 1 for x: when its probability is above 0.5\n"+
		"(its logit above 0), as (torch.sigmoid(logits) > 0.5).")
	file.Func().Params(Id("m").Op("*").Id("Model")).Id("Labels").Params(
		sampleParam(p, "x", "Inputs"), Id("on").Op("*").Index(Id("Outputs")).Bool(),
	).Block(
		append(logits(p), For(Id("j").Op(":=").Range().Id("y")).Block(
			Id("on").Index(Id("j")).Op("=").Id("y").Index(Id("j")).Op(">").Lit(0),
		))...)
}
