package emit

import (
	"fmt"

	. "github.com/dave/jennifer/jen"

	"github.com/gradgen/gradgen/ir"
	"github.com/gradgen/gradgen/runtime"
)

// api declares the package's public API around its functions (the contract in
// ARCHITECTURE.md): the size constants, Params with Slice and Init, and Model
// with Predict, Loss, Backward, Step and Train.
func api(file *File, p *ir.Program) {
	c := &funcCtx{p: p}
	elem := c.elem
	xs := func() *Statement { return Index().Index(Id("Inputs")).Add(elem()) }
	ts := func() *Statement { return Index().Index(Id("Outputs")).Add(elem()) }
	loss, train, sample, lossSample := p.Func(ir.RoleLoss), p.Func(ir.RoleTrain), p.Func(ir.RoleTrainSample), p.Func(ir.RoleLossSample)

	doc(file, "The generated code fails to build against a runtime it was not made for.")
	file.Const().Defs(
		Id("_").Op("=").Qual(runtimePath, "EnforceVersion").Call(Lit(runtime.GenVersion).Op("-").Qual(runtimePath, "MinVersion")),
		Id("_").Op("=").Qual(runtimePath, "EnforceVersion").Call(Qual(runtimePath, "MaxVersion").Op("-").Lit(runtime.GenVersion)),
	)

	file.Const().Defs(
		Comment("Inputs is the width of one input sample."),
		Id("Inputs").Op("=").Lit(p.Inputs),
		Comment("Outputs is the width of one output (and of one target)."),
		Id("Outputs").Op("=").Lit(p.Outputs),
		Comment("NumParams is the number of trainable scalars, the length of Params.Slice()."),
		Id("NumParams").Op("=").Lit(p.NumParams()),
		Comment("tileRows is the most samples Loss and Backward process in one pass of their"),
		Comment("workspace; longer batches are walked in tiles."),
		Id("tileRows").Op("=").Lit(train.Rows),
	)

	// Params, in PyTorch's nn.Sequential parameter order.
	fields := make([]Code, len(p.Params))
	for i, q := range p.Params {
		t := elem()
		for d := len(q.Type.Dims) - 1; d >= 0; d-- {
			t = Index(Lit(q.Type.Dims[d])).Add(t)
		}
		fields[i] = Id(q.Name).Add(t).Comment(q.Doc)
	}
	doc(file, "Params holds every trainable parameter. Weights are [out][in], row-major, as in\n"+
		"PyTorch's nn.Linear, and the fields are in the order of nn.Sequential(...).parameters().")
	file.Type().Id("Params").Struct(fields...)

	first := p.Params[0].Name
	doc(file, "Slice returns all parameters as one slice that aliases p, in field order.")
	file.Func().Params(Id("p").Op("*").Id("Params")).Id("Slice").Params().Index().Add(elem()).Block(
		Return(Qual("unsafe", "Slice").Call(Op("&").Id("p").Dot(first).Add(zeroIndex(p.Params[0])), Id("NumParams"))),
	)

	// Layout guard: Slice is only valid if the fields are packed in order.
	guard := []Code{Var().Id("x").Index(Lit(1)).Struct()}
	size := Lit(p.DType.Size())
	guard = append(guard, Id("_").Op("=").Id("x").Index(Qual("unsafe", "Sizeof").Call(Id("Params").Values()).Op("-").Id("NumParams").Op("*").Add(size)))
	for _, q := range p.Params {
		guard = append(guard, Id("_").Op("=").Id("x").Index(Qual("unsafe", "Offsetof").Call(Id("Params").Values().Dot(q.Name)).Op("-").Lit(q.Offset*p.DType.Size())))
	}
	doc(file, "Params must be packed with no padding, in field order, for Slice to alias it;\nthese constant indexes fail to compile otherwise.")
	file.Func().Id("_").Params().Block(guard...)

	// Init, layer by layer as nn.Linear.reset_parameters.
	init := []Code{
		Var().Id("r").Qual(runtimePath, "Rand"),
		Id("r").Dot("Seed").Call(Id("seed")),
		Id("s").Op(":=").Id("p").Dot("Slice").Call(),
	}
	for i := 0; i < len(p.Params); i++ {
		q := p.Params[i]
		if q.Init == ir.InitLinearWeight && i+1 < len(p.Params) && p.Params[i+1].Init == ir.InitLinearBias {
			i++ // nn.Linear draws its weight, then its bias
			init = append(init, paramInit(q, &p.Params[i]))
			continue
		}
		init = append(init, paramInit(q, nil))
	}
	doc(file, "Init sets p as PyTorch's nn.Linear initialises a layer: every weight and bias drawn from\n"+
		"U(−1/√fan_in, 1/√fan_in), layer by layer, weights before biases, from gradgen's runtime.Rand\n"+
		"seeded with seed. The same seed gives the same parameters in every gradgen version.")
	file.Func().Params(Id("p").Op("*").Id("Params")).Id("Init").Params(Id("seed").Uint64()).Block(init...)

	// Layout, finiteness and checkpoints: what a training loop needs to
	// watch its parameters and keep them.
	var infos []Code
	for _, q := range p.Params {
		shape := make([]Code, len(q.Type.Dims))
		for i, d := range q.Type.Dims {
			shape[i] = Lit(d)
		}
		infos = append(infos, Values(
			Id("Name").Op(":").Lit(q.Name),
			Id("Torch").Op(":").Lit(q.Torch),
			Id("Shape").Op(":").Index().Int().Values(shape...),
			Id("Offset").Op(":").Lit(q.Offset),
		))
	}
	doc(file, "SpecHash identifies the spec this package was generated from (the hash of its canonical\n"+
		"form); checkpoints carry it, so parameters saved for one network do not load into another.")
	file.Const().Id("SpecHash").Op("=").Lit(p.SpecHash)
	doc(file, "Layout describes each parameter tensor of Params.Slice(): its field, its PyTorch name in\n"+
		"nn.Sequential's state_dict (for safetensors files), its shape and its offset.")
	file.Var().Id("Layout").Op("=").Index().Qual(runtimePath, "ParamInfo").ValuesFunc(func(g *Group) {
		for _, info := range infos {
			g.Line().Add(info)
		}
		g.Line()
	})
	doc(file, "CheckFinite returns an error naming the first NaN or infinity in p, such as\n"+
		"\"Params.W1[3][0] is NaN\", or nil. It allocates only to report.")
	file.Func().Params(Id("p").Op("*").Id("Params")).Id("CheckFinite").Params().Error().Block(
		Return(Qual(runtimePath, "CheckFinite").Call(Id("Layout"), Id("p").Dot("Slice").Call(), Lit("Params"))),
	)
	doc(file, "Save writes p to a checkpoint file atomically (a temporary file, then a rename): a\n"+
		"versioned header with SpecHash and the element type, the parameters, and a checksum.")
	file.Func().Params(Id("p").Op("*").Id("Params")).Id("Save").Params(Id("path").String()).Error().Block(
		Return(Qual(runtimePath, "SaveParams").Call(Id("path"), Id("SpecHash"), Id("p").Dot("Slice").Call())),
	)
	doc(file, "Load reads a checkpoint written by Save into p. A file of another network or element type,\n"+
		"a truncated or corrupted one is an error, and then p is left unchanged.")
	file.Func().Params(Id("p").Op("*").Id("Params")).Id("Load").Params(Id("path").String()).Error().Block(
		Return(Qual(runtimePath, "LoadParams").Call(Id("path"), Id("SpecHash"), Id("p").Dot("Slice").Call())),
	)

	// Model.
	modelFields := []Code{
		Id("Params").Id("Params").Comment("the trained parameters"),
		Id("Grad").Id("Params").Comment("∂loss/∂Params, set by Backward"),
		Line(),
	}
	switch p.Optimizer.Kind {
	case ir.Momentum:
		modelFields = append(modelFields, Id("velocity").Id("Params").Comment("momentum buffer v"))
	case ir.Adam:
		modelFields = append(modelFields,
			Id("adamM").Id("Params").Comment("Adam's first moment"),
			Id("adamV").Id("Params").Comment("Adam's second moment"),
			Id("adamStep").Int().Comment("steps taken"),
		)
	}
	for _, f := range p.Funcs {
		modelFields = append(modelFields, Id(lowerFirst(workName(f))).Id(workName(f)))
	}
	modelFields = append(modelFields,
		Line(),
		Id("workers").Index().Op("*").Id("worker").Comment("started by SetWorkers"),
		Id("wg").Qual("sync", "WaitGroup"),
	)
	doc(file, "Model is a network with its gradient, optimizer state and workspace. Make one with\n"+
		"NewModel; after that none of its methods allocate. A Model is not safe for concurrent use.")
	file.Type().Id("Model").Struct(modelFields...)

	doc(file, "NewModel returns a model whose parameters are initialised by Params.Init(seed).")
	file.Func().Id("NewModel").Params(Id("seed").Uint64()).Op("*").Id("Model").Block(
		Id("m").Op(":=").New(Id("Model")),
		Id("m").Dot("Params").Dot("Init").Call(Id("seed")),
		Return(Id("m")),
	)

	doc(file, "Predict writes the network's output for x to y: the last layer's output after its\nactivation (logits, for the cross-entropy losses).")
	file.Func().Params(Id("m").Op("*").Id("Model")).Id("Predict").Params(
		Id("x").Op("*").Index(Id("Inputs")).Add(elem()), Id("y").Op("*").Index(Id("Outputs")).Add(elem()),
	).Block(
		Id("Forward").Call(Op("&").Id("m").Dot("Params"), Op("&").Id("m").Dot(lowerFirst(workName(p.Func(ir.RolePredict)))), Id("x"), Id("y")),
	)
	classifyAPI(file, p)

	tiles := func(method string, f *ir.Func, grad bool) []Code {
		args := []Code{Op("&").Id("m").Dot("Params")}
		if grad {
			args = append(args, Op("&").Id("m").Dot("Grad"))
		}
		args = append(args, Op("&").Id("m").Dot(lowerFirst(workName(f))),
			Id("xs").Index(Id("lo"), Id("hi")), Id("ts").Index(Id("lo"), Id("hi")), Len(Id("xs")))
		if grad && tileFirst(p, f) {
			args = append(args, Id("lo").Op("==").Lit(0)) // first: the first tile writes the gradient
		}
		if hasOp(f, ir.OpTranspose) {
			args = append(args, Id("lo").Op("==").Lit(0)) // fresh
		}
		code := []Code{lengthCheck(p, method)}
		clearGrad := Clear(Id("m").Dot("Grad").Dot("Slice").Call())
		code = append(code, Var().Id("loss").Add(elem()))
		if !grad && lossSample != nil && p.SmallBatch > 1 {
			// Short batches: one per-sample pass each, as Backward takes.
			call := Id("loss").Op("+=").Id(goName(lossSample)).Call(Op("&").Id("m").Dot("Params"),
				Op("&").Id("m").Dot(lowerFirst(workName(lossSample))), Op("&").Id("xs").Index(Id("i")), Op("&").Id("ts").Index(Id("i")), Len(Id("xs")))
			code = append(code, If(Len(Id("xs")).Op("<").Lit(p.SmallBatch)).Block(
				For(Id("i").Op(":=").Range().Id("xs")).Block(call),
				Return(Id("loss")),
			))
		}
		if grad && sample != nil && p.SmallBatch > 1 {
			// Short batches skip the tile set-up: one per-sample pass each.
			call := sampleCall(p, sample, Nil()) // Backward does not step
			var short []Code
			if writesEveryGradient(p, sample) {
				// The first sample writes every gradient: no clearing.
				short = []Code{
					If(Len(Id("xs")).Op("==").Lit(0)).Block(clearGrad.Clone(), Return(Lit(0))),
					For(Id("i").Op(":=").Range().Id("xs")).Block(call),
				}
			} else {
				short = []Code{clearGrad.Clone(), For(Id("i").Op(":=").Range().Id("xs")).Block(call)}
			}
			code = append(code, If(Len(Id("xs")).Op("<").Lit(p.SmallBatch)).Block(append(short, Return(Id("loss")))...))
		}
		if grad {
			// Long batches with workers: this goroutine takes the first share.
			code = append(code, If(Len(Id("m").Dot("workers")).Op(">").Lit(0).Op("&&").Len(Id("xs")).Op(">=").Lit(2).Op("*").Id("tileRows")).Block(
				Return(Id("m").Dot("backwardShared").Call(Id("xs"), Id("ts"), False())),
			))
			code = append(code, clearUnlessFirst(p, f, Id("m").Dot("Grad"), Id("xs")))
		}
		return append(code,
			For(Id("lo").Op(":=").Lit(0), Id("lo").Op("<").Len(Id("xs")), Id("lo").Op("+=").Id("tileRows")).Block(
				Id("hi").Op(":=").Min(Id("lo").Op("+").Id("tileRows"), Len(Id("xs"))),
				Id("loss").Op("+=").Id(goName(f)).Call(args...),
			),
			Return(Id("loss")),
		)
	}
	doc(file, "Loss returns the mean loss of the batch (xs, ts), as PyTorch's loss with reduction=\"mean\",\n"+
		"without computing gradients. An empty batch has loss 0; xs and ts must have equal lengths.")
	file.Func().Params(Id("m").Op("*").Id("Model")).Id("Loss").Params(Id("xs").Add(xs()), Id("ts").Add(ts())).Add(elem()).
		Block(tiles("Loss", loss, false)...)

	doc(file, "Backward sets m.Grad to the gradient of the batch's mean loss with respect to m.Params\n"+
		"and returns that loss. An empty batch leaves m.Grad zero and returns 0.")
	file.Func().Params(Id("m").Op("*").Id("Model")).Id("Backward").Params(Id("xs").Add(xs()), Id("ts").Add(ts())).Add(elem()).
		Block(tiles("Backward", train, true)...)

	docf(file, "Step applies one optimizer step to m.Params using m.Grad: %s,\nwith torch.optim's semantics.", p.Optimizer)
	file.Func().Params(Id("m").Op("*").Id("Model")).Id("Step").Params().Block(
		append(stepStart(p), Id("m").Dot("stepRange").Call(Lit(0), Len(Id("m").Dot("Params").Dot("Slice").Call())))...)
	doc(file, "stepRange applies the optimizer's update to the elements [lo, hi) of the flat parameters.\n"+
		"The update is element-wise, so disjoint ranges may run concurrently and give Step's bits.")
	file.Func().Params(Id("m").Op("*").Id("Model")).Id("stepRange").Params(Id("lo"), Id("hi").Int()).Block(stepRange(p)...)

	doc(file, "CheckFinite returns an error naming the first NaN or infinity in m.Params or m.Grad,\n"+
		"such as \"Grad.B2[1] is +Inf\", or nil: call it before saving a checkpoint.")
	file.Func().Params(Id("m").Op("*").Id("Model")).Id("CheckFinite").Params().Error().Block(
		If(Err().Op(":=").Id("m").Dot("Params").Dot("CheckFinite").Call(), Err().Op("!=").Nil()).Block(Return(Err())),
		Return(Qual(runtimePath, "CheckFinite").Call(Id("Layout"), Id("m").Dot("Grad").Dot("Slice").Call(), Lit("Grad"))),
	)

	doc(file, "Train runs Backward and then Step on the batch and returns the loss before the step.\nAn empty batch does nothing and returns 0.")
	file.Func().Params(Id("m").Op("*").Id("Model")).Id("Train").Params(Id("xs").Add(xs()), Id("ts").Add(ts())).Add(elem()).Block(
		lengthCheck(p, "Train"),
		If(Len(Id("xs")).Op("==").Lit(0)).Block(Return(Lit(0))),
		shortTrain(p, sample),
		If(Len(Id("m").Dot("workers")).Op(">").Lit(0).Op("&&").Len(Id("xs")).Op(">=").Lit(2).Op("*").Id("tileRows")).Block(
			Comment("The workers also sum the gradients and step, each on a range of the parameters."),
			Return(Id("m").Dot("backwardShared").Call(Id("xs"), Id("ts"), True())),
		),
		Id("loss").Op(":=").Id("m").Dot("Backward").Call(Id("xs"), Id("ts")),
		Id("m").Dot("Step").Call(),
		Return(Id("loss")),
	)
	workersAPI(file, p, train)
}

// workersAPI declares SetWorkers and Close, and the code that splits a
// batch over them: each worker owns a gradient and a workspace, takes a
// contiguous share of the batch's tiles, and the shares' gradients are
// summed in a fixed order, so results depend on the number of workers but
// not on scheduling.
func workersAPI(file *File, p *ir.Program, train *ir.Func) {
	c := &funcCtx{p: p}
	elem := c.elem
	doc(file, "worker trains a share of a batch on its own gradient and workspace.")
	file.Type().Id("worker").Struct(
		Id("grad").Id("Params"),
		Id("work").Id(workName(train)),
		Id("loss").Add(elem()),
		Id("jobs").Chan().Id("share"),
	)
	doc(file, "share is a worker's job: a part of a batch of batch samples to train, or (finish) a\n"+
		"range of the parameters whose gradients to sum, and to step when step is set.")
	file.Type().Id("share").Struct(
		Id("xs").Index().Index(Id("Inputs")).Add(elem()),
		Id("ts").Index().Index(Id("Outputs")).Add(elem()),
		Id("batch").Int(),
		Line(),
		Id("finish").Bool(),
		List(Id("lo"), Id("hi")).Int(),
		Id("step").Bool(),
	)
	doc(file, "SetWorkers makes Backward and Train split each batch of at least 2·tileRows samples over n\n"+
		"goroutines (this one and n−1 it starts now), each with its own gradient and workspace. The\n"+
		"shares' gradients are added in a fixed order, so the results for a given n are the same on\n"+
		"every run; they differ from another n's in the last bits. n ≤ 1 stops the workers. Steps\n"+
		"allocate nothing and start no goroutines; call Close (or SetWorkers(1)) when done.")
	file.Func().Params(Id("m").Op("*").Id("Model")).Id("SetWorkers").Params(Id("n").Int()).Block(
		Id("m").Dot("Close").Call(),
		For(Id("range").Id("n").Op("-").Lit(1)).Block(
			Id("w").Op(":=").Op("&").Id("worker").Values(Dict{Id("jobs"): Make(Chan().Id("share"))}),
			Id("m").Dot("workers").Op("=").Append(Id("m").Dot("workers"), Id("w")),
			Go().Id("m").Dot("serve").Call(Id("w")),
		),
	)
	doc(file, "Close stops the goroutines SetWorkers started; the model goes on working on one.")
	file.Func().Params(Id("m").Op("*").Id("Model")).Id("Close").Params().Block(
		For(List(Id("_"), Id("w")).Op(":=").Range().Id("m").Dot("workers")).Block(Close(Id("w").Dot("jobs"))),
		Id("m").Dot("workers").Op("=").Nil(),
	)
	tileLoop := func(grad, work Code, xs, ts, batch Code, loss Code) Code {
		args := []Code{Op("&").Id("m").Dot("Params"), grad, work, Add(xs).Index(Id("lo"), Id("hi")), Add(ts).Index(Id("lo"), Id("hi")), batch}
		if tileFirst(p, train) {
			args = append(args, Id("lo").Op("==").Lit(0))
		}
		if hasOp(train, ir.OpTranspose) {
			args = append(args, Id("lo").Op("==").Lit(0))
		}
		return For(Id("lo").Op(":=").Lit(0), Id("lo").Op("<").Len(xs), Id("lo").Op("+=").Id("tileRows")).Block(
			Id("hi").Op(":=").Min(Id("lo").Op("+").Id("tileRows"), Len(xs)),
			Add(loss).Op("+=").Id(goName(train)).Call(args...),
		)
	}
	doc(file, "serve runs a worker's shares until Close.")
	file.Func().Params(Id("m").Op("*").Id("Model")).Id("serve").Params(Id("w").Op("*").Id("worker")).Block(
		For(Id("s").Op(":=").Range().Id("w").Dot("jobs")).Block(
			If(Id("s").Dot("finish")).Block(
				Id("m").Dot("finish").Call(Id("s").Dot("lo"), Id("s").Dot("hi"), Id("s").Dot("step")),
				Id("m").Dot("wg").Dot("Done").Call(),
				Continue(),
			),
			clearUnlessFirst(p, train, Id("w").Dot("grad"), Id("s").Dot("xs")),
			Id("w").Dot("loss").Op("=").Lit(0),
			tileLoop(Op("&").Id("w").Dot("grad"), Op("&").Id("w").Dot("work"), Id("s").Dot("xs"), Id("s").Dot("ts"), Id("s").Dot("batch"), Id("w").Dot("loss")),
			Id("m").Dot("wg").Dot("Done").Call(),
		),
	)
	doc(file, "finish adds the workers' gradients to m.Grad over the parameters [lo, hi), in worker\n"+
		"order, and then steps that range when step is set.")
	file.Func().Params(Id("m").Op("*").Id("Model")).Id("finish").Params(List(Id("lo"), Id("hi")).Int(), Id("step").Bool()).Block(
		Id("g").Op(":=").Id("m").Dot("Grad").Dot("Slice").Call().Index(Id("lo"), Id("hi")),
		For(List(Id("_"), Id("w")).Op(":=").Range().Id("m").Dot("workers")).Block(
			Qual(runtimePath, "Axpy").Call(Id("g"), Lit(1), Id("w").Dot("grad").Dot("Slice").Call().Index(Id("lo"), Id("hi"))),
		),
		If(Id("step")).Block(Id("m").Dot("stepRange").Call(Id("lo"), Id("hi"))),
	)
	doc(file, "backwardShared is Backward over the workers: the batch's tiles are cut into\n"+
		"len(m.workers)+1 contiguous shares, this goroutine takes the first into m.Grad. Then the\n"+
		"parameters are cut likewise and each goroutine adds the workers' gradients to m.Grad on its\n"+
		"range, in worker order, and steps it when step is set (Train).")
	file.Func().Params(Id("m").Op("*").Id("Model")).Id("backwardShared").Params(Id("xs").Index().Index(Id("Inputs")).Add(elem()), Id("ts").Index().Index(Id("Outputs")).Add(elem()), Id("step").Bool()).Add(elem()).Block(
		Id("tiles").Op(":=").Parens(Len(Id("xs")).Op("+").Id("tileRows").Op("-").Lit(1)).Op("/").Id("tileRows"),
		Id("parts").Op(":=").Len(Id("m").Dot("workers")).Op("+").Lit(1),
		Id("cut").Op(":=").Func().Params(Id("k").Int()).Int().Block(
			Return(Min(Id("k").Op("*").Id("tiles").Op("/").Id("parts").Op("*").Id("tileRows"), Len(Id("xs")))),
		),
		Id("m").Dot("wg").Dot("Add").Call(Len(Id("m").Dot("workers"))),
		For(List(Id("k"), Id("w")).Op(":=").Range().Id("m").Dot("workers")).Block(
			List(Id("lo"), Id("hi")).Op(":=").List(Id("cut").Call(Id("k").Op("+").Lit(1)), Id("cut").Call(Id("k").Op("+").Lit(2))),
			Id("w").Dot("jobs").Op("<-").Id("share").Values(Id("xs").Op(":").Id("xs").Index(Id("lo"), Id("hi")), Id("ts").Op(":").Id("ts").Index(Id("lo"), Id("hi")), Id("batch").Op(":").Len(Id("xs"))),
		),
		Var().Id("loss").Add(elem()),
		Id("own").Op(":=").Id("cut").Call(Lit(1)),
		clearUnlessFirst(p, train, Id("m").Dot("Grad"), Id("xs").Index(Empty(), Id("own"))),
		tileLoop(Op("&").Id("m").Dot("Grad"), Op("&").Id("m").Dot(lowerFirst(workName(train))), Id("xs").Index(Empty(), Id("own")), Id("ts").Index(Empty(), Id("own")), Len(Id("xs")), Id("loss")),
		Id("m").Dot("wg").Dot("Wait").Call(),
		Line(),
		Add(stepStartIf(p)),
		Id("n").Op(":=").Len(Id("m").Dot("Grad").Dot("Slice").Call()),
		Id("at").Op(":=").Func().Params(Id("k").Int()).Int().Block(
			Comment("whole vectors of 16 elements, the last range up to n"),
			If(Id("k").Op("==").Id("parts")).Block(Return(Id("n"))),
			Return(Id("k").Op("*").Id("n").Op("/").Id("parts").Op("&^").Lit(15)),
		),
		Id("m").Dot("wg").Dot("Add").Call(Len(Id("m").Dot("workers"))),
		For(List(Id("k"), Id("w")).Op(":=").Range().Id("m").Dot("workers")).Block(
			Id("w").Dot("jobs").Op("<-").Id("share").Values(Id("finish").Op(":").True(), Id("lo").Op(":").Id("at").Call(Id("k").Op("+").Lit(1)),
				Id("hi").Op(":").Id("at").Call(Id("k").Op("+").Lit(2)), Id("step").Op(":").Id("step")),
		),
		Id("m").Dot("finish").Call(Lit(0), Id("at").Call(Lit(1)), Id("step")),
		Id("m").Dot("wg").Dot("Wait").Call(),
		For(List(Id("_"), Id("w")).Op(":=").Range().Id("m").Dot("workers")).Block(
			Id("loss").Op("+=").Id("w").Dot("loss"),
		),
		Return(Id("loss")),
	)
}

// shortTrain is Train's path for batches shorter than SmallBatch when the
// per-sample function fuses optimizer steps (ir.Value.Step): the batch's
// last sample steps those weights row by row as it makes their gradients,
// and the other parameters step afterwards. Every update is element-wise,
// so this gives the bits of Backward and then Step.
func shortTrain(p *ir.Program, sample *ir.Func) Code {
	if sample == nil || !stepsAny(sample) || p.SmallBatch <= 1 {
		return Null()
	}
	c := newFuncCtx(p, sample)
	fused := make(map[string]bool)
	for _, v := range sample.Values {
		if v.Step {
			fused[c.grads[v]] = true
		}
	}
	var code []Code
	if !writesEveryGradient(p, sample) {
		code = append(code, Clear(Id("m").Dot("Grad").Dot("Slice").Call()))
	}
	code = append(code, stepStart(p)...)
	code = append(code,
		Var().Id("loss").Add(c.elem()),
		For(Id("i").Op(":=").Range().Id("xs")).Block(
			Var().Id("step").Op("*").Id("Model"),
			If(Id("i").Op("==").Len(Id("xs")).Op("-").Lit(1)).Block(Id("step").Op("=").Id("m")),
			sampleCall(p, sample, Id("step")),
		),
	)
	// Step the parameters the sample did not, in contiguous ranges.
	from := -1
	for _, q := range p.Params {
		switch {
		case fused[q.Name] && from >= 0:
			code = append(code, Id("m").Dot("stepRange").Call(Lit(from), Lit(q.Offset)))
			from = -1
		case !fused[q.Name] && from < 0:
			from = q.Offset
		}
	}
	if from >= 0 {
		code = append(code, Id("m").Dot("stepRange").Call(Lit(from), Lit(p.NumParams())))
	}
	code = append(code, Return(Id("loss")))
	return If(Len(Id("xs")).Op("<").Lit(p.SmallBatch)).Block(
		append([]Code{Comment("The last sample steps the weights it fuses (see trainSample); the rest step after.")}, code...)...)
}

// tileFirst reports whether the batched training function f writes every
// gradient on a share's first tile (its first parameter), so that nothing
// needs clearing before it.
func tileFirst(p *ir.Program, f *ir.Func) bool {
	return len(newFuncCtx(p, f).first) > 0
}

// clearUnlessFirst clears the gradient grad before the tiles of xs run,
// unless the first tile writes it; then only an empty xs, which runs no
// tile, clears it.
func clearUnlessFirst(p *ir.Program, train *ir.Func, grad, xs *Statement) Code {
	clear := Clear(grad.Clone().Dot("Slice").Call())
	if !tileFirst(p, train) {
		return clear
	}
	return If(Len(xs).Op("==").Lit(0)).Block(clear)
}

// sampleCall is loss += trainSample(…) for sample xs[i] of the batch, in
// Backward's and Train's short-batch loops. The first sample writes the
// gradient when the function writes every one (first = i == 0); otherwise
// the caller cleared it and every sample adds. step is passed to a function
// that fuses optimizer steps (nil: no step).
func sampleCall(p *ir.Program, sample *ir.Func, step Code) Code {
	args := []Code{Op("&").Id("m").Dot("Params"), Op("&").Id("m").Dot("Grad"),
		Op("&").Id("m").Dot(lowerFirst(workName(sample))), Op("&").Id("xs").Index(Id("i")), Op("&").Id("ts").Index(Id("i")), Len(Id("xs"))}
	if len(newFuncCtx(p, sample).first) > 0 {
		first := Code(False())
		if writesEveryGradient(p, sample) {
			first = Id("i").Op("==").Lit(0)
		}
		args = append(args, first)
	}
	if stepsAny(sample) {
		args = append(args, step)
	}
	return Id("loss").Op("+=").Id(goName(sample)).Call(args...)
}

// stepStart is what Step does once before updating any range: Adam counts
// the step.
func stepStart(p *ir.Program) []Code {
	if p.Optimizer.Kind == ir.Adam {
		return []Code{Id("m").Dot("adamStep").Op("++")}
	}
	return nil
}

// stepStartIf is stepStart when step is set, in a function that may step.
func stepStartIf(p *ir.Program) Code {
	if start := stepStart(p); start != nil {
		return If(Id("step")).Block(start...)
	}
	return Null()
}

// stepRange is the body of Model.stepRange: one call into the runtime's
// optimizer over the range [lo, hi) of the flat parameter, gradient and
// state slices.
func stepRange(p *ir.Program) []Code {
	o := p.Optimizer
	slice := func(field string) Code { return Id("m").Dot(field).Dot("Slice").Call().Index(Id("lo"), Id("hi")) }
	switch o.Kind {
	case ir.Momentum:
		return []Code{Qual(runtimePath, "Momentum").Call(slice("Params"), slice("Grad"), slice("velocity"), Lit(o.LR), Lit(o.Momentum))}
	case ir.Adam:
		return []Code{
			Qual(runtimePath, "Adam").Call(slice("Params"), slice("Grad"), slice("adamM"), slice("adamV"), Id("m").Dot("adamStep"),
				Lit(o.LR), Lit(o.Beta1), Lit(o.Beta2), Lit(o.Epsilon)),
		}
	}
	return []Code{Qual(runtimePath, "SGD").Call(slice("Params"), slice("Grad"), Lit(o.LR))}
}

func lengthCheck(p *ir.Program, method string) Code {
	return If(Len(Id("xs")).Op("!=").Len(Id("ts"))).Block(
		Qual(runtimePath, "PanicBatchLengths").Call(Lit(p.Package), Lit(method), Len(Id("xs")), Len(Id("ts"))),
	)
}

func zeroIndex(q ir.Param) *Statement {
	s := Index(Lit(0))
	for range q.Type.Dims[1:] {
		s.Index(Lit(0))
	}
	return s
}

// paramInit is the statement of Init that sets q, and its bias b when q is
// a Linear weight followed by its bias (drawn right after it).
func paramInit(q ir.Param, b *ir.Param) Code {
	span := func(q ir.Param) *Statement { return Id("s").Index(Lit(q.Offset), Lit(q.Offset+q.Type.Elems())) }
	switch q.Init {
	case ir.InitLinearWeight:
		bias := Nil()
		if b != nil {
			bias = span(*b)
		}
		return Qual(runtimePath, "InitLinear").Call(Op("&").Id("r"), span(q), bias, Lit(q.FanIn))
	case ir.InitLinearBias:
		return Qual(runtimePath, "InitLinearBias").Call(Op("&").Id("r"), span(q), Lit(q.FanIn))
	case ir.InitZeros:
		return Clear(span(q))
	case ir.InitOnes:
		return Qual(runtimePath, "Fill").Call(span(q), Lit(1))
	}
	panic(fmt.Sprintf("emit: parameter %s has no initialisation", q.Name))
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return string(s[0]|0x20) + s[1:]
}

// hasOp reports whether f computes a value with op.
func hasOp(f *ir.Func, op ir.Op) bool {
	for _, v := range f.Values {
		if v.Op == op {
			return true
		}
	}
	return false
}
