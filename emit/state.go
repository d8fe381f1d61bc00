package emit

import (
	. "github.com/dave/jennifer/jen"

	"github.com/gradgen/gradgen/ir"
)

// The declarations of Model, the state training keeps, and of the methods
// that read or write it as a whole: CheckFinite, Steps, Save and Load
// (optimizer.go declares the optimizer's methods).

// modelType declares Model: the parameters, their gradient, the optimizer's
// state, a workspace per function and the workers.
func modelType(file *File, p *ir.Program) {
	fields := []Code{
		Id("Params").Id("Params").Comment("the trained parameters"),
		Id("Grad").Id("Params").Comment("∂loss/∂Params, set by Backward"),
		Line(),
	}
	switch p.Optimizer.Kind {
	case ir.Momentum:
		fields = append(fields, Id("velocity").Id("Params").Comment("momentum buffer v"))
	case ir.Adam, ir.AdamW:
		fields = append(fields,
			Id("adamM").Id("Params").Comment("Adam's first moment"),
			Id("adamV").Id("Params").Comment("Adam's second moment"),
		)
	}
	fields = append(fields,
		Id("steps").Int().Comment("optimizer steps taken (Adam's t; the schedule's position)"),
		Id("hyper").Add(rt("Hyperparams")).Comment("the optimizer's settings"),
		Id("lr").Float64().Comment("the learning rate of the step under way"),
		dropoutField(p),
	)
	fields = append(fields, sparseFields(p)...)
	for _, f := range p.Funcs {
		fields = append(fields, Id(lowerFirst(workName(f))).Id(workName(f)))
	}
	fields = append(fields,
		Line(),
		Id("workers").Index().Op("*").Id("worker").Comment("started by SetWorkers"),
		Id("wg").Add(rt("WaitGroup")).Comment("the workers' shares under way"),
	)
	doc(file, "Model is a network with its gradient, optimizer state and workspace. Make one with\n"+
		"NewModel; after that none of its methods allocate. A Model is not safe for concurrent use.")
	file.Type().Id("Model").Struct(fields...)
}

// modelCheckFinite declares Model.CheckFinite, over the parameters and the
// gradient.
func modelCheckFinite(file *File, _ *ir.Program) {
	doc(file, "CheckFinite returns an error naming the first NaN or infinity in m.Params or m.Grad,\n"+
		"such as \"Grad.B2[1] is +Inf\", or nil: call it before saving a checkpoint.")
	file.Func().Params(Id("m").Op("*").Id("Model")).Id("CheckFinite").Params().Error().Block(
		If(Err().Op(":=").Id("m").Dot("Params").Dot("CheckFinite").Call(), Err().Op("!=").Nil()).Block(Return(Err())),
		Return(rt("CheckFinite").Call(Id("Layout"), Id("m").Dot("Grad").Dot("Slice").Call(), Lit("Grad"))),
	)
}

// stateFields are the fields of Model that hold the optimizer's buffers, in
// the order a training checkpoint stores them, and the one that counts its
// steps.
func stateFields(p *ir.Program) (buffers []string, step string) {
	switch p.Optimizer.Kind {
	case ir.Momentum:
		return []string{"velocity"}, "steps"
	case ir.Adam, ir.AdamW:
		return []string{"adamM", "adamV"}, "steps"
	}
	return nil, "steps"
}

// trainingState is the runtime's view of m's training state: a composite
// literal of gradgen.TrainingState over the fields of stateFields.
func trainingState(c *funcCtx, p *ir.Program, withStep bool) *Statement {
	buffers, step := stateFields(p)
	bufs := make([]Code, len(buffers))
	for i, b := range buffers {
		bufs[i] = Id("m").Dot(b).Dot("Slice").Call()
	}
	fields := Dict{Id("Optimizer"): Lit(p.Optimizer.Kind.String()), Id("Hyper"): Op("&").Id("m").Dot("hyper")}
	if len(bufs) > 0 {
		fields[Id("Buffers")] = Index().Index().Add(c.elem()).Values(bufs...)
	}
	if withStep && step != "" {
		fields[Id("Step")] = Uint64().Call(Id("m").Dot(step))
	}
	if hasDropout(p) {
		fields[Id("Dropout")] = Op("&").Id("m").Dot("dropout")
	}
	return Op("&").Add(rt("TrainingState")).Types(c.elem()).Values(fields)
}

// modelSave declares Model.Save, which writes the whole training state.
func modelSave(file *File, p *ir.Program) {
	c := &funcCtx{p: p}
	doc(file, "Save writes m's training state to a checkpoint file atomically: the parameters and what the\n"+
		"optimizer keeps for the next Step ("+p.Optimizer.Kind.String()+": "+stateDoc(p)+"), and the hyperparameters,\n"+
		"so that a model loaded from it trains on with the bits of one that never stopped. Params.Load reads\n"+
		"its parameters.")
	file.Func().Params(Id("m").Op("*").Id("Model")).Id("Save").Params(Id("path").String()).Error().Block(
		Return(rt("SaveState").Call(Id("path"), Id("checkpointKey"), Id("m").Dot("Params").Dot("Slice").Call(), trainingState(c, p, true))),
	)
}

// modelLoad declares Model.Load, which reads a checkpoint of Model.Save.
func modelLoad(file *File, p *ir.Program) {
	c := &funcCtx{p: p}
	_, step := stateFields(p)
	body := []Code{
		Id("st").Op(":=").Add(trainingState(c, p, false)),
		If(Err().Op(":=").Add(rt("LoadState").Call(Id("path"), Id("checkpointKey"), Id("m").Dot("Params").Dot("Slice").Call(), Id("st"))),
			Err().Op("!=").Nil()).Block(Return(Err())),
	}
	if step != "" {
		body = append(body, Id("m").Dot(step).Op("=").Int().Call(Id("st").Dot("Step")))
	}
	body = append(body, Return(Nil()))
	doc(file, "Load reads a checkpoint written by Model.Save into m, with its hyperparameters, all or nothing: a\n"+
		"file of other parameter shapes, element type or optimizer kind, one holding parameters only\n"+
		"(Params.Save), or a truncated or corrupted one is an error that names the problem, and then m is\n"+
		"left unchanged.")
	file.Func().Params(Id("m").Op("*").Id("Model")).Id("Load").Params(Id("path").String()).Error().Block(body...)
}

// stateDoc says what the optimizer keeps, for Save's doc comment.
func stateDoc(p *ir.Program) string {
	switch p.Optimizer.Kind {
	case ir.Momentum:
		return "its momentum buffer and step count"
	case ir.Adam, ir.AdamW:
		return "its moments and step count"
	}
	return "its step count, the schedule's position"
}

// stepsMethod declares Model.Steps.
func stepsMethod(file *File, _ *ir.Program) {
	doc(file, "Steps returns the number of optimizer steps m has taken (by Step and Train), which\n"+
		"Save keeps: a resumed program can tell from it how far its training got.")
	file.Func().Params(Id("m").Op("*").Id("Model")).Id("Steps").Params().Int().Block(Return(Id("m").Dot("steps")))
}
