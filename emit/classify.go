package emit

import (
	. "github.com/dave/jennifer/jen"

	"github.com/gradgen/gradgen/ir"
)

// classifyAPI declares what a classifier's users read from its logits, by
// the program's link function: PredictProba, which applies the link, and
// Classify (one class) or Labels (independent labels), which decide by it.
// A network with the identity link (regression) gets neither.
func classifyAPI(file *File, p *ir.Program) {
	c := &funcCtx{p: p}
	x := Id("x").Op("*").Index(Id("Inputs")).Add(c.elem())
	proba := func(text, fn string) {
		doc(file, text)
		file.Func().Params(Id("m").Op("*").Id("Model")).Id("PredictProba").Params(
			x.Clone(), Id("p").Op("*").Index(Id("Outputs")).Add(c.elem()),
		).Block(
			Id("m").Dot("Predict").Call(Id("x"), Id("p")),
			Qual(runtimePath, fn).Call(Id("p").Index(Empty(), Empty())),
		)
	}
	// logits declares y and writes Predict's output for x to it; y stays on
	// the stack, so the deciding methods allocate nothing.
	logits := []Code{
		Var().Id("y").Index(Id("Outputs")).Add(c.elem()),
		Id("m").Dot("Predict").Call(Id("x"), Op("&").Id("y")),
	}
	switch {
	case p.Link == ir.Softmax:
		proba("PredictProba writes to p the probability of each class for x: the softmax of Predict's\n"+
			"logits, as torch.softmax(logits, dim=1): they sum to 1 up to rounding.", "Softmax")
		doc(file, "Classify returns the class of x in [0, Outputs): the index of the largest logit, which is\n"+
			"the most probable class (the first on a tie), as torch.argmax(logits, dim=1).")
		file.Func().Params(Id("m").Op("*").Id("Model")).Id("Classify").Params(x.Clone()).Int().Block(
			append(logits, Return(Qual(runtimePath, "Argmax").Call(Id("y").Index(Empty(), Empty()))))...)
	case p.Link == ir.Sigmoid:
		proba("PredictProba writes to p, for each output of x, the probability that its label is 1: σ of\n"+
			"Predict's logits, as torch.sigmoid(logits).", "SigmoidAll")
		if p.Outputs == 1 {
			doc(file, "Classify returns the class of x, 1 when its probability is above 0.5 (its logit above 0)\n"+
				"and 0 otherwise, as (torch.sigmoid(logit) > 0.5).")
			file.Func().Params(Id("m").Op("*").Id("Model")).Id("Classify").Params(x.Clone()).Int().Block(
				append(logits,
					If(Id("y").Index(Lit(0)).Op(">").Lit(0)).Block(Return(Lit(1))),
					Return(Lit(0)))...)
			return
		}
		doc(file, "Labels sets on[j] when output j's label is 1 for x: when its probability is above 0.5\n"+
			"(its logit above 0), as (torch.sigmoid(logits) > 0.5).")
		file.Func().Params(Id("m").Op("*").Id("Model")).Id("Labels").Params(
			x.Clone(), Id("on").Op("*").Index(Id("Outputs")).Bool(),
		).Block(
			append(logits, For(Id("j").Op(":=").Range().Id("y")).Block(
				Id("on").Index(Id("j")).Op("=").Id("y").Index(Id("j")).Op(">").Lit(0),
			))...)
	}
}
