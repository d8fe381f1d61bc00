package emit

import (
	. "github.com/dave/jennifer/jen"

	"github.com/gradgen/gradgen/ir"
)

// The declarations of the optimizer: its run-time hyperparameters (the
// spec's are their defaults), Step and the range update that Step, the
// workers and the fused per-sample step share. Only the optimizer's kind
// shapes the code; every setting is read from the model at run time.

// defaultHyperparams declares DefaultHyperparams, the spec's settings.
func defaultHyperparams(file *File, p *ir.Program) {
	o := p.Optimizer
	fields := Dict{Id("LR"): Lit(o.LR)}
	set := func(name string, x float64) {
		if x != 0 {
			fields[Id(name)] = Lit(x)
		}
	}
	set("WeightDecay", o.WeightDecay)
	switch o.Kind {
	case ir.Momentum:
		set("Momentum", o.Momentum)
		set("Dampening", o.Dampening)
		if o.Nesterov {
			fields[Id("Nesterov")] = True()
		}
	case ir.Adam, ir.AdamW:
		set("Beta1", o.Beta1)
		set("Beta2", o.Beta2)
		set("Eps", o.Epsilon)
	}
	set("ClipGradNorm", o.ClipGradNorm)
	if s := scheduleLit(o.Schedule); s != nil {
		fields[Id("Schedule")] = s
	}
	doc(file, "DefaultHyperparams returns the optimizer settings of the spec, which NewModel gives every model:\n"+
		o.String()+".")
	file.Func().Id("DefaultHyperparams").Params().Add(rt("Hyperparams")).Block(Return(rt("Hyperparams").Values(fields)))
}

// scheduleLit is the runtime's Schedule for s, or nil for a constant rate.
func scheduleLit(s ir.Schedule) Code {
	fields := Dict{}
	if s.Warmup > 0 {
		fields[Id("Warmup")] = Lit(s.Warmup)
	}
	switch s.Kind {
	case "cosine":
		fields[Id("Kind")] = rt("Cosine")
		fields[Id("TMax")] = Lit(s.TMax)
		if s.EtaMin != 0 {
			fields[Id("EtaMin")] = Lit(s.EtaMin)
		}
	case "step":
		fields[Id("Kind")] = rt("StepDecay")
		fields[Id("StepSize")] = Lit(s.StepSize)
		fields[Id("Gamma")] = Lit(s.Gamma)
	}
	if len(fields) == 0 {
		return nil
	}
	return rt("Schedule").Values(fields)
}

// hyperparamsMethods declares Model.Hyperparams, SetHyperparams, SetLR and LR.
func hyperparamsMethods(file *File, p *ir.Program) {
	m := Id("m").Dot("hyper")
	doc(file, "Hyperparams returns the optimizer settings m uses: DefaultHyperparams unless changed.")
	file.Func().Params(Id("m").Op("*").Id("Model")).Id("Hyperparams").Params().Add(rt("Hyperparams")).Block(Return(m.Clone()))

	docf(file, "SetHyperparams makes h the optimizer settings of the steps that follow, or returns an error\n"+
		"naming every setting out of the range torch.optim.%s allows and changes nothing. The settings of\n"+
		"other optimizer kinds are ignored. Save keeps them, as PyTorch's optimizer state_dict keeps its\n"+
		"param_groups.", torchOptimizer(p.Optimizer.Kind))
	file.Func().Params(Id("m").Op("*").Id("Model")).Id("SetHyperparams").Params(Id("h").Add(rt("Hyperparams"))).Error().Block(
		Return(rt("SetHyperparams").Call(Lit(p.Package), Lit(p.Optimizer.Kind.String()), Op("&").Add(m.Clone()), Id("h"))),
	)

	doc(file, "SetLR sets the base learning rate, which the schedule, if any, scales from the next step on.\n"+
		"It panics unless lr is a finite number > 0.")
	file.Func().Params(Id("m").Op("*").Id("Model")).Id("SetLR").Params(Id("lr").Float64()).Block(
		rt("SetLR").Call(Lit(p.Package), Op("&").Add(m.Clone()), Id("lr")),
	)

	doc(file, "LR returns the learning rate of the next optimizer step: the base rate as the schedule sets\n"+
		"it after Steps() steps.")
	file.Func().Params(Id("m").Op("*").Id("Model")).Id("LR").Params().Float64().Block(
		Return(m.Clone().Dot("LRAt").Call(Id("m").Dot("steps"))),
	)
}

// torchOptimizer names the torch.optim class of an optimizer kind.
func torchOptimizer(k ir.OptimizerKind) string {
	switch k {
	case ir.Adam:
		return "Adam"
	case ir.AdamW:
		return "AdamW"
	}
	return "SGD"
}

// stepMethod declares Model.Step: one optimizer step over every parameter.
func stepMethod(file *File, p *ir.Program) {
	docf(file, "Step applies one optimizer step to m.Params using m.Grad, with torch.optim.%s's semantics\n"+
		"and m's hyperparameters (DefaultHyperparams: %s).", torchOptimizer(p.Optimizer.Kind), p.Optimizer)
	file.Func().Params(Id("m").Op("*").Id("Model")).Id("Step").Params().Block(
		Id("m").Dot("beginStep").Call(),
		sparseStep(p),
		Id("m").Dot("stepRange").Call(Lit(0), Len(Id("m").Dot("Params").Dot("Slice").Call())),
	)
}

// beginStepMethod declares Model.beginStep, what a step does once before
// updating any range of the parameters.
func beginStepMethod(file *File, _ *ir.Program) {
	doc(file, "beginStep starts an optimizer step: it clips the gradient when m's hyperparameters say so\n"+
		"(clip_grad_norm_, which needs the whole gradient), fixes the step's learning rate from the\n"+
		"schedule and counts the step (Adam's t; what Steps reports and Save keeps).")
	file.Func().Params(Id("m").Op("*").Id("Model")).Id("beginStep").Params().Block(
		If(Id("m").Dot("hyper").Dot("ClipGradNorm").Op(">").Lit(0)).Block(
			rt("ClipGradNorm").Call(Id("m").Dot("Grad").Dot("Slice").Call(), Id("m").Dot("hyper").Dot("ClipGradNorm")),
		),
		Id("m").Dot("lr").Op("=").Id("m").Dot("hyper").Dot("LRAt").Call(Id("m").Dot("steps")),
		Id("m").Dot("steps").Op("++"),
	)
}

// stepRangeMethod declares Model.stepRange, the optimizer's update of the
// elements [lo, hi) of the flat parameters, skipping frozen ones.
func stepRangeMethod(file *File, p *ir.Program) {
	o := p.Optimizer
	slice := func(field string) Code { return Id("m").Dot(field).Dot("Slice").Call().Index(Id("lo"), Id("hi")) }
	lr, step, hyper := Id("m").Dot("lr"), Id("m").Dot("steps"), Op("&").Id("m").Dot("hyper")
	update := rt("SGD").Call(slice("Params"), slice("Grad"), lr, hyper)
	switch o.Kind {
	case ir.Momentum:
		update = rt("Momentum").Call(slice("Params"), slice("Grad"), slice("velocity"), lr, step, hyper)
	case ir.Adam, ir.AdamW:
		update = rt(torchOptimizer(o.Kind)).Call(slice("Params"), slice("Grad"), slice("adamM"), slice("adamV"), lr, step, hyper)
	}
	ranges := trainableRanges(p)
	if len(ranges) == 1 && ranges[0] == [2]int{0, p.NumParams()} {
		doc(file, "stepRange applies the optimizer's update to the elements [lo, hi) of the flat parameters.\n"+
			"The update is element-wise, so disjoint ranges may run concurrently and give Step's bits.")
		file.Func().Params(Id("m").Op("*").Id("Model")).Id("stepRange").Params(Id("lo"), Id("hi").Int()).Block(update)
		return
	}
	var list []Code
	for _, r := range ranges {
		list = append(list, Values(Lit(r[0]), Lit(r[1])))
	}
	doc(file, "trainable are the ranges of the flat parameters that the optimizer updates; the others\n"+
		"are frozen (trainable: false).")
	file.Var().Id("trainable").Op("=").Index(Lit(len(ranges))).Index(Lit(2)).Int().Values(list...)
	doc(file, "stepRange applies the optimizer's update to the trainable elements of [lo, hi) of the flat\n"+
		"parameters. The update is element-wise, so disjoint ranges may run concurrently and give Step's bits.")
	file.Func().Params(Id("m").Op("*").Id("Model")).Id("stepRange").Params(Id("from"), Id("to").Int()).Block(
		For(List(Id("_"), Id("r")).Op(":=").Range().Id("trainable")).Block(
			List(Id("lo"), Id("hi")).Op(":=").List(Max(Id("from"), Id("r").Index(Lit(0))), Min(Id("to"), Id("r").Index(Lit(1)))),
			If(Id("lo").Op("<").Id("hi")).Block(update),
		),
	)
}

// gradStepMethod declares Model.gradStep, which the per-sample training
// function calls (when Train steps a weight row by row with SGD) to make a
// row of the weight's gradient and take SGD's step on it in one pass.
func gradStepMethod(file *File, p *ir.Program) {
	f := p.Func(ir.RoleTrainSample)
	if f == nil {
		return
	}
	c := newFuncCtx(p, f)
	used := false
	for _, v := range f.Values {
		used = used || c.gradSGD(v)
	}
	if !used {
		return
	}
	doc(file, "gradStep makes the gradient row at lo of the flat parameters, s·x (or adds it to the row when\n"+
		"add), and takes SGD's step on the parameters' row with it: the bits of Scale (or Axpy) and then\n"+
		"stepRange on the row, in one pass.")
	row := func(field string) Code {
		return Id("m").Dot(field).Dot("Slice").Call().Index(Id("lo"), Id("lo").Op("+").Len(Id("x")))
	}
	file.Func().Params(Id("m").Op("*").Id("Model")).Id("gradStep").Params(
		Id("lo").Int(), Id("s").Add(elem(p)), Id("x").Index().Add(elem(p)), Id("add").Bool(),
	).Block(
		rt("GradSGD").Call(row("Params"), row("Grad"), Id("s"), Id("x"), Id("add"), Id("m").Dot("lr"), Op("&").Id("m").Dot("hyper")),
	)
}

// trainableRanges are the maximal ranges of the flat parameters that are
// not frozen, in order.
func trainableRanges(p *ir.Program) [][2]int {
	var ranges [][2]int
	for _, q := range p.Params {
		end := q.Offset + q.Type.Elems()
		switch {
		case q.Frozen:
		case len(ranges) > 0 && ranges[len(ranges)-1][1] == q.Offset:
			ranges[len(ranges)-1][1] = end
		default:
			ranges = append(ranges, [2]int{q.Offset, end})
		}
	}
	return ranges
}
