package emit

import (
	. "github.com/dave/jennifer/jen"

	"github.com/gradgen/gradgen/ir"
)

// The declarations of the workers: SetWorkers and Close, and the code that
// splits a batch over them. Each worker owns a gradient and a workspace and
// takes a contiguous share of the batch's tiles, and the shares' gradients
// are summed in a fixed order, so results depend on the number of workers
// but not on scheduling.

// workerType declares worker, a goroutine's gradient and workspace.
func workerType(file *File, p *ir.Program) {
	doc(file, "worker trains a share of a batch on its own gradient and workspace.")
	file.Type().Id("worker").Struct(
		Id("grad").Id("Params"),
		Id("work").Id(workName(p.Func(ir.RoleTrain))),
		Id("loss").Add(elem(p)),
		Id("jobs").Chan().Id("share"),
	)
}

// shareType declares share, a worker's job.
func shareType(file *File, p *ir.Program) {
	doc(file, "share is a worker's job: a part of a batch of batch samples to train, or (finish) a\n"+
		"range of the parameters whose gradients to sum, and to step when step is set.")
	file.Type().Id("share").Struct(
		Id("xs").Add(batchType(p, "Inputs")),
		Id("ts").Add(batchType(p, "Outputs")),
		labelsField(p),
		Id("batch").Int(),
		Line(),
		Id("finish").Bool(),
		List(Id("lo"), Id("hi")).Int(),
		Id("step").Bool(),
		dropoutFields(p),
	)
}

// dropoutFields are share's fields for dropout masks: the call's key and
// the index of the share's first sample in the batch.
func dropoutFields(p *ir.Program) Code {
	if !hasDropout(p) {
		return Null()
	}
	return Id("key").Uint64().Comment("the call's dropout key").Line().Id("row0").Int().Comment("the index of xs[0] in the batch")
}

// setWorkersMethod declares Model.SetWorkers, which starts the workers.
func setWorkersMethod(file *File, _ *ir.Program) {
	doc(file, "SetWorkers makes Backward and Train split each batch of at least 2·tileRows samples over n\n"+
		"goroutines (this one and n−1 it starts now), each with its own gradient and workspace. The\n"+
		"shares' gradients are added in a fixed order, so the results for a given n are the same on\n"+
		"every run; they differ from another n's in the last bits. n ≤ 1 stops the workers. Steps\n"+
		"allocate nothing and start no goroutines; call Close (or SetWorkers(1)) when done. After\n"+
		"each share a worker polls for the next one for up to a millisecond before it sleeps, so a\n"+
		"training loop's steps need not wake it.")
	file.Func().Params(Id("m").Op("*").Id("Model")).Id("SetWorkers").Params(Id("n").Int()).Block(
		Id("m").Dot("Close").Call(),
		For(Id("range").Id("n").Op("-").Lit(1)).Block(
			Id("w").Op(":=").Op("&").Id("worker").Values(Dict{Id("jobs"): Make(Chan().Id("share"), Lit(1))}),
			Id("m").Dot("workers").Op("=").Append(Id("m").Dot("workers"), Id("w")),
			Go().Id("m").Dot("serve").Call(Id("w")),
		),
	)
}

// closeMethod declares Model.Close, which stops the workers.
func closeMethod(file *File, _ *ir.Program) {
	doc(file, "Close stops the goroutines SetWorkers started; the model goes on working on one.")
	file.Func().Params(Id("m").Op("*").Id("Model")).Id("Close").Params().Block(
		For(List(Id("_"), Id("w")).Op(":=").Range().Id("m").Dot("workers")).Block(Close(Id("w").Dot("jobs"))),
		Id("m").Dot("workers").Op("=").Nil(),
	)
}

// serveMethod declares Model.serve, a worker's loop: it trains its shares of
// batches on its own gradient, or sums a range of the gradients.
func serveMethod(file *File, p *ir.Program) {
	f := p.Func(ir.RoleTrain)
	a := callArgs{
		params: Op("&").Id("m").Dot("Params"),
		grad:   Op("&").Id("w").Dot("grad"),
		work:   Op("&").Id("w").Dot("work"),
		batch:  Id("s").Dot("batch"),
	}
	doc(file, "serve runs a worker's shares until Close. It polls for the next one for a while before\n"+
		"it blocks (runtime.Receive), so that a training loop's steps need not wake its thread.")
	file.Func().Params(Id("m").Op("*").Id("Model")).Id("serve").Params(Id("w").Op("*").Id("worker")).Block(
		For().Block(
			List(Id("s"), Id("ok")).Op(":=").Add(rt("Receive")).Call(Id("w").Dot("jobs")),
			If(Op("!").Id("ok")).Block(Return()),
			If(Id("s").Dot("finish")).Block(
				Id("m").Dot("finish").Call(Id("s").Dot("lo"), Id("s").Dot("hi"), Id("s").Dot("step")),
				Id("m").Dot("wg").Dot("Done").Call(),
				Continue(),
			),
			clearUnlessFirst(f, Id("w").Dot("grad"), Id("s").Dot("xs")),
			Id("w").Dot("loss").Op("=").Lit(0),
			shareKey(p),
			tileLoop(f, a, shareBatch(p), Id("w").Dot("loss")),
			Id("m").Dot("wg").Dot("Done").Call(),
		),
	)
}

// finishMethod declares Model.finish, which sums the workers' gradients on a
// range of the parameters and steps it.
func finishMethod(file *File, _ *ir.Program) {
	doc(file, "finish adds the workers' gradients to m.Grad over the parameters [lo, hi), in worker\n"+
		"order, and then steps that range when step is set.")
	file.Func().Params(Id("m").Op("*").Id("Model")).Id("finish").Params(List(Id("lo"), Id("hi")).Int(), Id("step").Bool()).Block(
		Id("g").Op(":=").Id("m").Dot("Grad").Dot("Slice").Call().Index(Id("lo"), Id("hi")),
		For(List(Id("_"), Id("w")).Op(":=").Range().Id("m").Dot("workers")).Block(
			rt("Axpy").Call(Id("g"), Lit(1), Id("w").Dot("grad").Dot("Slice").Call().Index(Id("lo"), Id("hi"))),
		),
		If(Id("step")).Block(Id("m").Dot("stepRange").Call(Id("lo"), Id("hi"))),
	)
}

// backwardSharedMethod declares Model.backwardShared, Backward (and, with
// step, Train) over the workers.
func backwardSharedMethod(file *File, p *ir.Program) {
	doc(file, "backwardShared is Backward over the workers: the batch's tiles are cut into\n"+
		"len(m.workers)+1 contiguous shares, this goroutine takes the first into m.Grad. Then the\n"+
		"parameters are cut likewise and each goroutine adds the workers' gradients to m.Grad on its\n"+
		"range, in worker order, and steps it when step is set (Train).")
	params := append(batchParams(p), Id("step").Bool())
	if hasDropout(p) {
		params = append(params, Id("key").Uint64())
	}
	file.Func().Params(Id("m").Op("*").Id("Model")).Id("backwardShared").Params(params...).Add(elem(p)).Block(
		append(append(shareTiles(p), Line()), shareSums(p)...)...)
}

// shareKey binds key, the dropout masks' key, in a worker's loop.
func shareKey(p *ir.Program) Code {
	if !hasDropout(p) {
		return Null()
	}
	return Id("key").Op(":=").Id("s").Dot("key")
}

// shareBatch is a worker's share as a batch, whose first sample is the
// batch's sample s.row0 for the dropout masks.
func shareBatch(p *ir.Program) batchVars {
	b := batchVarsOf(p, "s")
	if hasDropout(p) {
		b.row0 = Id("s").Dot("row0")
	}
	return b
}

// labelsField is share's field of labels, when p takes them.
func labelsField(p *ir.Program) Code {
	if !hasLabels(p) {
		return Null()
	}
	return Id("ls").Index().Int32().Comment("labels instead of ts, when not nil")
}

// ownShare is this goroutine's share of the batch in backwardShared: the
// tiles [0, own). With labels, the tile loop slices ts and ls themselves
// (either may be nil): its tiles end before own.
func ownShare(p *ir.Program) batchVars {
	own := func(s string) *Statement { return Id(s).Index(Empty(), Id("own")) }
	if hasLabels(p) {
		return batchVars{xs: own("xs"), ts: Id("ts"), ls: Id("ls")}
	}
	return batchVars{xs: own("xs"), ts: own("ts")}
}

// shareTiles is the first half of backwardShared: the workers' shares of
// the tiles, this goroutine's own, and the wait for the others.
func shareTiles(p *ir.Program) []Code {
	f := p.Func(ir.RoleTrain)
	return []Code{
		Id("tiles").Op(":=").Parens(Len(Id("xs")).Op("+").Id("tileRows").Op("-").Lit(1)).Op("/").Id("tileRows"),
		Id("parts").Op(":=").Len(Id("m").Dot("workers")).Op("+").Lit(1),
		Id("cut").Op(":=").Func().Params(Id("k").Int()).Int().Block(
			Return(Min(Id("k").Op("*").Id("tiles").Op("/").Id("parts").Op("*").Id("tileRows"), Len(Id("xs")))),
		),
		Id("m").Dot("wg").Dot("Add").Call(Len(Id("m").Dot("workers"))),
		For(List(Id("k"), Id("w")).Op(":=").Range().Id("m").Dot("workers")).Block(
			List(Id("lo"), Id("hi")).Op(":=").List(Id("cut").Call(Id("k").Op("+").Lit(1)), Id("cut").Call(Id("k").Op("+").Lit(2))),
			Id("w").Dot("jobs").Op("<-").Id("share").Values(shareOf(p)...),
		),
		Var().Id("loss").Add(elem(p)),
		Id("own").Op(":=").Id("cut").Call(Lit(1)),
		ownClear(p, f),
		tileLoop(f, modelArgs(f), ownShare(p), Id("loss")),
		Id("m").Dot("wg").Dot("Wait").Call(),
	}
}

// ownClear clears m.Grad before this goroutine's share: the share's xs
// tell whether the first tile writes it; with embedding tables the whole
// batch's ids are recorded, since the workers' gradients are added to m.Grad
// at every row.
func ownClear(p *ir.Program, f *ir.Func) Code {
	if hasSparse(p) {
		return clearModelGrad(p, f, Id("xs"))
	}
	return clearModelGrad(p, f, Id("xs").Index(Empty(), Id("own")))
}

// shareOf is the fields of a worker's share of the tiles [lo, hi).
func shareOf(p *ir.Program) []Code {
	fields := []Code{Id("xs").Op(":").Id("xs").Index(Id("lo"), Id("hi")), Id("ts").Op(":").Id("ts").Index(Id("lo"), Id("hi"))}
	if hasLabels(p) { // either may be nil
		fields[1] = Id("ts").Op(":").Add(rt("Rows").Call(Id("ts"), Id("lo"), Id("hi")))
		fields = append(fields, Id("ls").Op(":").Add(rt("Rows").Call(Id("ls"), Id("lo"), Id("hi"))))
	}
	fields = append(fields, Id("batch").Op(":").Len(Id("xs")))
	if hasDropout(p) {
		fields = append(fields, Id("key").Op(":").Id("key"), Id("row0").Op(":").Id("lo"))
	}
	return fields
}

// shareSums is the second half of backwardShared: each goroutine sums the
// gradients on a range of the parameters (whole vectors of 16 elements) and
// steps it when step is set; then the workers' losses are added.
func shareSums(p *ir.Program) []Code {
	return []Code{
		Comment("Clipping needs the whole summed gradient: then the step follows the sums."),
		Id("stepNow").Op(":=").Id("step").Op("&&").Id("m").Dot("hyper").Dot("ClipGradNorm").Op("==").Lit(0),
		If(Id("stepNow")).Block(Id("m").Dot("beginStep").Call()),
		Id("n").Op(":=").Len(Id("m").Dot("Grad").Dot("Slice").Call()),
		Id("at").Op(":=").Func().Params(Id("k").Int()).Int().Block(
			Comment("whole vectors of 16 elements, the last range up to n"),
			If(Id("k").Op("==").Id("parts")).Block(Return(Id("n"))),
			Return(Id("k").Op("*").Id("n").Op("/").Id("parts").Op("&^").Lit(15)),
		),
		Id("m").Dot("wg").Dot("Add").Call(Len(Id("m").Dot("workers"))),
		For(List(Id("k"), Id("w")).Op(":=").Range().Id("m").Dot("workers")).Block(
			Id("w").Dot("jobs").Op("<-").Id("share").Values(Id("finish").Op(":").True(), Id("lo").Op(":").Id("at").Call(Id("k").Op("+").Lit(1)),
				Id("hi").Op(":").Id("at").Call(Id("k").Op("+").Lit(2)), Id("step").Op(":").Id("stepNow")),
		),
		Id("m").Dot("finish").Call(Lit(0), Id("at").Call(Lit(1)), Id("stepNow")),
		Id("m").Dot("wg").Dot("Wait").Call(),
		If(Id("step").Op("&&").Op("!").Id("stepNow")).Block(Id("m").Dot("Step").Call()),
		For(List(Id("_"), Id("w")).Op(":=").Range().Id("m").Dot("workers")).Block(
			Id("loss").Op("+=").Id("w").Dot("loss"),
		),
		Return(Id("loss")),
	}
}
