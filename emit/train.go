package emit

import (
	. "github.com/dave/jennifer/jen"

	"github.com/gradgen/gradgen/ir"
)

// The declarations of training: Loss, Backward and Train. Each walks a long
// batch in tiles with the batched functions and a short one (below
// SmallBatch) sample by sample with the per-sample functions, which need no
// tile set-up; Loss takes the same path as Backward, so both return the
// same bits.

// hasLabels reports whether p's loss also takes class labels (softmax
// cross-entropy): then each batch method has a twin with labels, and both
// call one method over (xs, ts, ls) that passes the one given and nil.
func hasLabels(p *ir.Program) bool {
	f := p.Func(ir.RoleTrain)
	return f != nil && f.Sig.Labels
}

// batchParams are the parameters of a batch method: (xs, ts), and ls when
// p takes labels.
func batchParams(p *ir.Program) []Code {
	params := []Code{Id("xs").Add(batchType(p, "Inputs")), Id("ts").Add(batchType(p, "Outputs"))}
	if hasLabels(p) {
		params = append(params, Id("ls").Index().Int32())
	}
	return params
}

// batchArgs are the arguments of a call of a batch method, or of the one
// over (xs, ts, ls) behind it, from another: xs, ts (and ls).
func batchArgs(p *ir.Program, extra ...Code) []Code {
	args := []Code{Id("xs"), Id("ts")}
	if hasLabels(p) {
		args = append(args, Id("ls"))
	}
	return append(args, extra...)
}

// batchMethodName is the name of the method that computes the batch method
// name: name itself, or, when p takes labels, the unexported method over
// (xs, ts, ls) behind name and its twin nameLabels.
func batchMethodName(p *ir.Program, name string) string {
	if hasLabels(p) || structs(p) {
		return lowerFirst(name)
	}
	return name
}

// batchMethod declares the method name of Model over the batch (xs, ts),
// which returns the loss, with the doc comment text. When p takes labels it
// declares name and nameLabels, which check their batch and call the
// unexported method with body over (xs, ts, ls).
func batchMethod(file *File, p *ir.Program, name, text string, body ...Code) {
	doc(file, text)
	model := func() *Statement { return file.Func().Params(Id("m").Op("*").Id("Model")) }
	if !hasLabels(p) && !structs(p) {
		model().Id(name).Params(batchParams(p)...).Add(elem(p)).Block(body...)
		return
	}
	impl := batchMethodName(p, name)
	xs, ts := asRows(p, name, "xs", "Inputs"), asRows(p, name, "ts", "Outputs")
	if !hasLabels(p) {
		// The structs of the batch, as the rows the impl reads.
		model().Id(name).Params(Id("xs").Add(publicBatch(p, "Inputs")), Id("ts").Add(publicBatch(p, "Outputs"))).Add(elem(p)).Block(
			Return(Id("m").Dot(impl).Call(xs, ts)),
		)
		docf(file, "%s is %s over the batch as rows.", impl, name)
		model().Id(impl).Params(batchParams(p)...).Add(elem(p)).Block(body...)
		return
	}
	model().Id(name).Params(Id("xs").Add(publicBatch(p, "Inputs")), Id("ts").Add(publicBatch(p, "Outputs"))).Add(elem(p)).Block(
		If(Len(Id("xs")).Op("!=").Len(Id("ts"))).Block(
			rt("PanicBatchLengths").Call(Lit(p.Package), Lit(name), Len(Id("xs")), Len(Id("ts"))),
		),
		Return(Id("m").Dot(impl).Call(xs, ts, Nil())),
	)
	docf(file, "%sLabels is %s with the class of each sample, labels[i] in [0, Outputs), instead of its\n"+
		"target row: nn.CrossEntropyLoss with class indices. It gives the bits of %s with the one-hot rows,\n"+
		"without making them. A label out of range panics naming the sample, before anything changes.", name, name, name)
	model().Id(name+"Labels").Params(Id("xs").Add(publicBatch(p, "Inputs")), Id("labels").Index().Int32()).Add(elem(p)).Block(
		rt("CheckLabels").Call(Lit(p.Package), Lit(name+"Labels"), Len(Id("xs")), Id("labels"), Id("Outputs")),
		Return(Id("m").Dot(impl).Call(asRows(p, name+"Labels", "xs", "Inputs"), Nil(), Id("labels"))),
	)
	docf(file, "%s is %s over a batch with targets ts or labels ls, the other nil.", impl, name)
	model().Id(impl).Params(batchParams(p)...).Add(elem(p)).Block(body...)
}

// tiledMethod declares a batch method that sums the loss of the batched
// function f over the batch's tiles, after the length check and the paths
// of before (short batches, workers).
func tiledMethod(file *File, p *ir.Program, name, text string, f *ir.Func, before ...Code) {
	body := append([]Code{lengthCheck(p, name), Var().Id("loss").Add(elem(p))}, before...)
	body = append(body, tileLoop(f, modelArgs(f), batchVarsOf(p, ""), Id("loss")), Return(Id("loss")))
	batchMethod(file, p, name, text, body...)
}

// batchVars are the expressions of a batch's inputs, targets and labels,
// and of the index of its first sample in the whole batch (nil for 0).
type batchVars struct{ xs, ts, ls, row0 *Statement }

// batchVarsOf is the batch a method works on: xs, ts and ls, or the fields of
// the struct named by owner (s.xs, …).
func batchVarsOf(p *ir.Program, owner string) batchVars {
	id := func(name string) *Statement {
		if owner == "" {
			return Id(name)
		}
		return Id(owner).Dot(name)
	}
	b := batchVars{xs: id("xs"), ts: id("ts")}
	if hasLabels(p) {
		b.ls = id("ls")
	}
	return b
}

// lossMethod declares Model.Loss: the loss functions' shares summed, sample
// by sample or tile by tile.
func lossMethod(file *File, p *ir.Program) {
	tiledMethod(file, p, "Loss", "Loss returns the mean loss of the batch (xs, ts), as PyTorch's loss with reduction=\"mean\",\n"+
		"without computing gradients. An empty batch has loss 0; xs and ts must have equal lengths.",
		p.Func(ir.RoleLoss), shortLoss(p))
}

// shortLoss is Loss's path for a batch shorter than SmallBatch: one call of
// the per-sample loss function per sample, as Backward takes.
func shortLoss(p *ir.Program) Code {
	f := p.Func(ir.RoleLossSample)
	if f == nil || p.SmallBatch <= 1 {
		return Null()
	}
	return If(Len(Id("xs")).Op("<").Lit(p.SmallBatch)).Block(
		For(Id("i").Op(":=").Range().Id("xs")).Block(Id("loss").Op("+=").Add(call(f, sampleArgs(f)))),
		Return(Id("loss")),
	)
}

// backwardMethod declares Model.Backward: the gradient summed sample by
// sample, tile by tile, or over the workers.
func backwardMethod(file *File, p *ir.Program) {
	f := p.Func(ir.RoleTrain)
	tiledMethod(file, p, "Backward", "Backward sets m.Grad to the gradient of the batch's mean loss with respect to m.Params\n"+
		"and returns that loss. An empty batch leaves m.Grad zero and returns 0."+dropoutDoc(p), f,
		drawKey(p),
		shortBackward(p),
		// Long batches with workers: this goroutine takes the first share.
		If(useWorkers()).Block(Return(Id("m").Dot("backwardShared").Call(batchArgs(p, sharedArgs(p, False())...)...))),
		clearModelGrad(p, f, Id("xs")),
	)
}

// hasDropout reports whether p's training functions draw dropout masks.
func hasDropout(p *ir.Program) bool {
	f := p.Func(ir.RoleTrain)
	return f != nil && f.Sig != nil && f.Sig.Dropout
}

// drawKey is key := m.dropoutKey(), the key of a training call's dropout
// masks, in a method that calls the training functions (Null without
// dropout).
func drawKey(p *ir.Program) Code {
	if !hasDropout(p) {
		return Null()
	}
	return Id("key").Op(":=").Id("m").Dot("dropoutKey").Call()
}

// sharedArgs are the arguments of backwardShared after the batch: step,
// and the call's dropout key.
func sharedArgs(p *ir.Program, step Code) []Code {
	if !hasDropout(p) {
		return []Code{step}
	}
	return []Code{step, Id("key")}
}

// dropoutDoc is what Backward's and Train's doc comments say of dropout.
func dropoutDoc(p *ir.Program) string {
	if !hasDropout(p) {
		return ""
	}
	return "\nThe dropout layers drop values with masks of their own for each call (see SetSeed)."
}

// useWorkers is the condition under which Backward and Train split the
// batch over the workers: there are some, and two tiles for each share.
func useWorkers() *Statement {
	return Len(Id("m").Dot("workers")).Op(">").Lit(0).Op("&&").Len(Id("xs")).Op(">=").Lit(2).Op("*").Id("tileRows")
}

// shortBackward is Backward's path for a batch shorter than SmallBatch: one
// call of the per-sample training function per sample, which skips the tile
// set-up. When its first sample writes every gradient, only an empty batch
// clears it.
func shortBackward(p *ir.Program) Code {
	f := p.Func(ir.RoleTrainSample)
	if f == nil || p.SmallBatch <= 1 {
		return Null()
	}
	a := sampleArgs(f)
	a.step = Nil() // Backward does not step
	loop := For(Id("i").Op(":=").Range().Id("xs")).Block(Id("loss").Op("+=").Add(call(f, a)))
	short := []Code{clearModelGrad(p, nil, Id("xs")), loop}
	if f.Sig.First {
		short = []Code{If(Len(Id("xs")).Op("==").Lit(0)).Block(clearGrad(Id("m").Dot("Grad")), Return(Lit(0))), loop}
	}
	return If(Len(Id("xs")).Op("<").Lit(p.SmallBatch)).Block(append(short, Return(Id("loss")))...)
}

// trainMethod declares Model.Train: Backward then Step, or the per-sample
// path that fuses steps, or the workers, which also step.
func trainMethod(file *File, p *ir.Program) {
	batchMethod(file, p, "Train", "Train runs Backward and then Step on the batch and returns the loss before the step.\nAn empty batch does nothing and returns 0."+dropoutDoc(p),
		lengthCheck(p, "Train"),
		If(Len(Id("xs")).Op("==").Lit(0)).Block(Return(Lit(0))),
		shortTrain(p),
		If(useWorkers()).Block(
			Comment("The workers also sum the gradients and step, each on a range of the parameters."),
			drawKey(p),
			Return(Id("m").Dot("backwardShared").Call(batchArgs(p, sharedArgs(p, True())...)...)),
		),
		Id("loss").Op(":=").Id("m").Dot(batchMethodName(p, "Backward")).Call(batchArgs(p)...),
		Id("m").Dot("Step").Call(),
		Return(Id("loss")),
	)
}

// shortTrain is Train's path for batches shorter than SmallBatch when the
// per-sample function fuses optimizer steps (ir.Value.Step): the batch's
// last sample steps those weights row by row as it makes their gradients,
// and the other parameters step afterwards. Every update is element-wise,
// so this gives the bits of Backward and then Step. A fused step's gradient
// is written on the first sample (ir.Check), so nothing needs clearing.
// With clipping on, Train takes Backward and Step instead.
func shortTrain(p *ir.Program) Code {
	f := p.Func(ir.RoleTrainSample)
	if f == nil || !f.Sig.Step || p.SmallBatch <= 1 {
		return Null()
	}
	a := sampleArgs(f)
	a.step = Id("step")
	code := []Code{
		Comment("The last sample steps the weights it fuses (see trainSample); the rest step after."),
		drawKey(p),
		Id("m").Dot("beginStep").Call(),
	}
	code = append(code,
		Var().Id("loss").Add(elem(p)),
		For(Id("i").Op(":=").Range().Id("xs")).Block(
			Var().Id("step").Op("*").Id("Model"),
			If(Id("i").Op("==").Len(Id("xs")).Op("-").Lit(1)).Block(Id("step").Op("=").Id("m")),
			Id("loss").Op("+=").Add(call(f, a)),
		),
	)
	code = append(code, stepUnfused(p, f)...)
	// Clipping scales the whole gradient before any update, so it cannot
	// step rows as they are made.
	short := Len(Id("xs")).Op("<").Lit(p.SmallBatch).Op("&&").Id("m").Dot("hyper").Dot("ClipGradNorm").Op("==").Lit(0)
	return If(short).Block(append(code, Return(Id("loss")))...)
}

// stepUnfused steps, in contiguous ranges, the parameters whose gradients
// the per-sample function f does not step itself.
func stepUnfused(p *ir.Program, f *ir.Func) []Code {
	fused := make(map[string]bool)
	for _, o := range f.Outputs {
		if o.Kind == ir.GradOut && o.Value.Step {
			fused[o.Param] = true
		}
	}
	var code []Code
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
	return code
}

// sampleArgs are the arguments of a call of the per-sample function f from
// a Model method on the sample xs[i] of the batch: the first sample writes
// the gradients (first = i == 0).
func sampleArgs(f *ir.Func) callArgs {
	a := modelArgs(f)
	a.x, a.t = Op("&").Id("xs").Index(Id("i")), Op("&").Id("ts").Index(Id("i"))
	if f.Sig.Labels { // either may be nil
		a.t, a.l = rt("Row").Call(Id("ts"), Id("i")), rt("Label").Call(Id("ls"), Id("i"))
	}
	a.first = Id("i").Op("==").Lit(0)
	a.dropRow = Id("i")
	return a
}

// tileLoop walks the batch b in tiles of tileRows rows with the batched
// function f, adding each tile's share of the loss to loss. The first tile
// writes the gradients (first) and makes the transposed weights (fresh).
func tileLoop(f *ir.Func, a callArgs, b batchVars, loss *Statement) Code {
	xs := b.xs
	a.x, a.t = Add(xs).Index(Id("lo"), Id("hi")), Add(b.ts).Index(Id("lo"), Id("hi"))
	if f.Sig.Labels { // either may be nil
		a.t = rt("Rows").Call(b.ts, Id("lo"), Id("hi"))
		a.l = rt("Rows").Call(b.ls, Id("lo"), Id("hi"))
	}
	a.first, a.fresh = Id("lo").Op("==").Lit(0), Id("lo").Op("==").Lit(0)
	a.dropRow = Id("lo")
	if b.row0 != nil {
		a.dropRow = Add(b.row0).Op("+").Id("lo")
	}
	return For(Id("lo").Op(":=").Lit(0), Id("lo").Op("<").Len(xs), Id("lo").Op("+=").Id("tileRows")).Block(
		Id("hi").Op(":=").Min(Id("lo").Op("+").Id("tileRows"), Len(xs)),
		Add(loss).Op("+=").Add(call(f, a)),
	)
}

// clearUnlessFirst clears the gradient grad before f runs on the tiles of
// xs, unless f's first call writes it; then only an empty xs, which runs no
// tile, clears it.
func clearUnlessFirst(f *ir.Func, grad, xs *Statement) Code {
	if !f.Sig.First {
		return clearGrad(grad)
	}
	return If(Len(xs).Op("==").Lit(0)).Block(clearGrad(grad))
}

// clearModelGrad clears m.Grad before the training function f (nil: the
// per-sample one, which always adds) runs on the batch xs: unless f's first
// call writes it (clearUnlessFirst); with embedding tables, by
// m.clearGrad(xs), which clears only the rows the last batch touched and
// records those xs touches.
func clearModelGrad(p *ir.Program, f *ir.Func, xs *Statement) Code {
	if hasSparse(p) {
		return Id("m").Dot("clearGrad").Call(xs)
	}
	if f == nil {
		return clearGrad(Id("m").Dot("Grad"))
	}
	return clearUnlessFirst(f, Id("m").Dot("Grad"), xs)
}

// clearGrad is clear(grad.Slice()).
func clearGrad(grad *Statement) Code { return Clear(grad.Clone().Dot("Slice").Call()) }

// lengthCheck panics, in method, when xs and ts differ in length. With
// labels the methods that take the batch check it instead.
func lengthCheck(p *ir.Program, method string) Code {
	if hasLabels(p) {
		return Null()
	}
	return If(Len(Id("xs")).Op("!=").Len(Id("ts"))).Block(
		rt("PanicBatchLengths").Call(Lit(p.Package), Lit(method), Len(Id("xs")), Len(Id("ts"))),
	)
}

// targetFunc declares target, which the softmax cross-entropy gradient
// reads a row's targets with when p takes labels: tr[j], or the one-hot row
// of the class k when tr is nil.
func targetFunc(file *File, p *ir.Program) {
	if !hasLabels(p) {
		return
	}
	doc(file, "target is element j of a row's targets: tr[j], or, for a row given by its class k (tr nil),\n"+
		"element j of its one-hot row.")
	file.Func().Id("target").Params(Id("tr").Op("*").Index(Id("Outputs")).Add(elem(p)), List(Id("j"), Id("k")).Int()).Add(elem(p)).Block(
		If(Id("tr").Op("!=").Nil()).Block(Return(Id("tr").Index(Id("j")))),
		If(Id("j").Op("==").Id("k")).Block(Return(Lit(1))),
		Return(Lit(0)),
	)
}
