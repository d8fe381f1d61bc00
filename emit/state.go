package emit

import (
	. "github.com/dave/jennifer/jen"

	"github.com/gradgen/gradgen/ir"
)

// The declarations of Model, the state training keeps, and of the methods
// that read or update it as a whole: CheckFinite and the optimizer's Step.

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
	case ir.Adam:
		fields = append(fields,
			Id("adamM").Id("Params").Comment("Adam's first moment"),
			Id("adamV").Id("Params").Comment("Adam's second moment"),
		)
	}
	fields = append(fields, Id("steps").Int().Comment("optimizer steps taken (Adam's t)"))
	for _, f := range p.Funcs {
		fields = append(fields, Id(lowerFirst(workName(f))).Id(workName(f)))
	}
	fields = append(fields,
		Line(),
		Id("workers").Index().Op("*").Id("worker").Comment("started by SetWorkers"),
		Id("wg").Qual("sync", "WaitGroup"),
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

// stepMethod declares Model.Step: one optimizer step over every parameter.
func stepMethod(file *File, p *ir.Program) {
	docf(file, "Step applies one optimizer step to m.Params using m.Grad: %s,\nwith torch.optim's semantics.", p.Optimizer)
	file.Func().Params(Id("m").Op("*").Id("Model")).Id("Step").Params().Block(
		append(stepStart(p), Id("m").Dot("stepRange").Call(Lit(0), Len(Id("m").Dot("Params").Dot("Slice").Call())))...)
}

// stepRangeMethod declares Model.stepRange: one call into the runtime's
// optimizer over the range [lo, hi) of the flat parameter, gradient and
// state slices.
func stepRangeMethod(file *File, p *ir.Program) {
	o := p.Optimizer
	slice := func(field string) Code { return Id("m").Dot(field).Dot("Slice").Call().Index(Id("lo"), Id("hi")) }
	update := rt("SGD").Call(slice("Params"), slice("Grad"), Lit(o.LR))
	switch o.Kind {
	case ir.Momentum:
		update = rt("Momentum").Call(slice("Params"), slice("Grad"), slice("velocity"), Lit(o.LR), Lit(o.Momentum))
	case ir.Adam:
		update = rt("Adam").Call(slice("Params"), slice("Grad"), slice("adamM"), slice("adamV"), Id("m").Dot("steps"),
			Lit(o.LR), Lit(o.Beta1), Lit(o.Beta2), Lit(o.Epsilon))
	}
	doc(file, "stepRange applies the optimizer's update to the elements [lo, hi) of the flat parameters.\n"+
		"The update is element-wise, so disjoint ranges may run concurrently and give Step's bits.")
	file.Func().Params(Id("m").Op("*").Id("Model")).Id("stepRange").Params(Id("lo"), Id("hi").Int()).Block(update)
}

// stepStart is what Step does once before updating any range: it counts
// the step (Adam's t; for every optimizer, what Steps reports and a training
// checkpoint keeps).
func stepStart(_ *ir.Program) []Code {
	return []Code{Id("m").Dot("steps").Op("++")}
}

// stepStartIf is stepStart when step is set, in a function that may step.
func stepStartIf(p *ir.Program) Code {
	if start := stepStart(p); start != nil {
		return If(Id("step")).Block(start...)
	}
	return Null()
}

// stateFields are the fields of Model that hold the optimizer's buffers, in
// the order a training checkpoint stores them, and the one that counts its
// steps.
func stateFields(p *ir.Program) (buffers []string, step string) {
	switch p.Optimizer.Kind {
	case ir.Momentum:
		return []string{"velocity"}, "steps"
	case ir.Adam:
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
	fields := Dict{Id("Optimizer"): Lit(p.Optimizer.Kind.String())}
	if len(bufs) > 0 {
		fields[Id("Buffers")] = Index().Index().Add(c.elem()).Values(bufs...)
	}
	if withStep && step != "" {
		fields[Id("Step")] = Uint64().Call(Id("m").Dot(step))
	}
	return Op("&").Add(rt("TrainingState")).Types(c.elem()).Values(fields)
}

// modelSave declares Model.Save, which writes the whole training state.
func modelSave(file *File, p *ir.Program) {
	c := &funcCtx{p: p}
	doc(file, "Save writes m's training state to a checkpoint file atomically: the parameters and what the\n"+
		"optimizer keeps for the next Step ("+p.Optimizer.Kind.String()+": "+stateDoc(p)+"), so that a model loaded from it\n"+
		"trains on with the bits of one that never stopped. Params.Load reads its parameters.")
	file.Func().Params(Id("m").Op("*").Id("Model")).Id("Save").Params(Id("path").String()).Error().Block(
		Return(rt("SaveState").Call(Id("path"), Id("SpecHash"), Id("m").Dot("Params").Dot("Slice").Call(), trainingState(c, p, true))),
	)
}

// modelLoad declares Model.Load, which reads a checkpoint of Model.Save.
func modelLoad(file *File, p *ir.Program) {
	c := &funcCtx{p: p}
	_, step := stateFields(p)
	body := []Code{
		Id("st").Op(":=").Add(trainingState(c, p, false)),
		If(Err().Op(":=").Add(rt("LoadState").Call(Id("path"), Id("SpecHash"), Id("m").Dot("Params").Dot("Slice").Call(), Id("st"))),
			Err().Op("!=").Nil()).Block(Return(Err())),
	}
	if step != "" {
		body = append(body, Id("m").Dot(step).Op("=").Int().Call(Id("st").Dot("Step")))
	}
	body = append(body, Return(Nil()))
	doc(file, "Load reads a checkpoint written by Model.Save into m, all or nothing: a file of another network,\n"+
		"element type or optimizer, one holding parameters only (Params.Save), or a truncated or corrupted one\n"+
		"is an error that names the problem, and then m is left unchanged.")
	file.Func().Params(Id("m").Op("*").Id("Model")).Id("Load").Params(Id("path").String()).Error().Block(body...)
}

// stateDoc says what the optimizer keeps, for Save's doc comment.
func stateDoc(p *ir.Program) string {
	switch p.Optimizer.Kind {
	case ir.Momentum:
		return "its momentum buffer"
	case ir.Adam:
		return "its moments and step count"
	}
	return "nothing"
}

// stepsMethod declares Model.Steps.
func stepsMethod(file *File, _ *ir.Program) {
	doc(file, "Steps returns the number of optimizer steps m has taken (by Step and Train), which\n"+
		"Save keeps: a resumed program can tell from it how far its training got.")
	file.Func().Params(Id("m").Op("*").Id("Model")).Id("Steps").Params().Int().Block(Return(Id("m").Dot("steps")))
}
