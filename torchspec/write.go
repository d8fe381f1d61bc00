package torchspec

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gradgen/gradgen/internal/header"
	"github.com/gradgen/gradgen/ir"
	"github.com/gradgen/gradgen/runtime"
	"github.com/gradgen/gradgen/spec"
)

// write writes the whole module.
func (e *exporter) write() {
	info := header.Info{Version: runtime.Version, Source: oneLine(e.p.Source), Hash: e.p.SpecHash}
	e.line(0, "# %s", info.Line())
	e.doc()
	e.line(0, "")
	for _, s := range []string{"array", "json", "math", "os", "sys", "", "torch", "torch.nn as nn", "torch.nn.functional as F"} {
		if s == "" {
			e.line(0, "")
		} else {
			e.line(0, "import %s", s)
		}
	}
	e.line(0, "")
	e.line(0, "try:")
	e.line(1, "import safetensors.torch as _safetensors")
	e.line(0, "except ImportError:  # Debian has no python3-safetensors: the reader and writer at the end stand in")
	e.line(1, "_safetensors = None")
	e.line(0, "")
	e.constants()
	e.line(0, "")
	e.line(0, "")
	e.netClass()
	e.line(0, "")
	e.line(0, "")
	e.splits()
	e.line(0, "")
	e.line(0, "")
	e.lossFn()
	e.line(0, "")
	e.line(0, "")
	e.optimizer()
	e.b.WriteString(support)
}

// dtypeName is the torch dtype of the network's values.
func (e *exporter) dtypeName() string {
	if e.p.DType == ir.F64 {
		return "float64"
	}
	return "float32"
}

// doc writes the module's docstring.
func (e *exporter) doc() {
	d := e.dtypeName()
	var ins, outs []string
	for _, in := range e.ins {
		ins = append(ins, e.portDoc(in))
	}
	for _, h := range e.heads {
		outs = append(outs, fmt.Sprintf("%s %s [batch, %d]", h.name, d, h.width))
	}
	ret := outs[0]
	if len(outs) > 1 {
		ret = "(" + strings.Join(outs, ", ") + ")"
	}
	args := make([]string, len(e.ins))
	for i, in := range e.ins {
		args[i] = in.py
	}
	e.line(0, `"""%s: the network of %s as a PyTorch module (gradgen export -format torch).`, e.p.Package, pyDocText(oneLine(e.p.Source)))
	e.line(0, "")
	e.line(0, "Net() is an nn.Module that computes what gradgen's generated package %s computes, in %s:", e.p.Package, d)
	e.line(0, "%s.", pyDocText(e.p.LayerWidths()))
	e.line(0, "Its state_dict() holds the parameters under gradgen's Layout names (LAYOUT), so a safetensors file")
	e.line(0, "of gradgen's safetensors.SaveParams loads into it, and save_safetensors writes one that")
	e.line(0, "safetensors.LoadParams loads into the Go model:")
	e.line(0, "")
	e.line(0, "    import %s as netmod                  # this file, saved as %[1]s.py", pyModuleName(e.p.Package))
	e.line(0, "    net = netmod.Net()")
	e.line(0, `    netmod.load_params(net, "params.safetensors")`)
	e.line(0, "    opt = netmod.make_optimizer(net.parameters())")
	e.line(0, "    sched = netmod.make_scheduler(opt)")
	e.line(0, "    for inputs, targets in batches:          # inputs: forward's arguments, a tuple")
	e.line(0, "        opt.zero_grad()")
	e.line(0, "        loss = netmod.loss_fn(net(*inputs), targets)")
	e.line(0, "        loss.backward()")
	e.line(0, "        netmod.clip_gradients(net.parameters())")
	e.line(0, "        opt.step()")
	e.line(0, "        sched.step()")
	e.line(0, `    netmod.save_safetensors(net, "trained.safetensors")`)
	e.line(0, "")
	e.line(0, "The loop's body is one step of the generated Model.Train on the batch: the same loss, gradient,")
	e.line(0, "clipping, optimizer step and learning rate, up to rounding. Wrapped in")
	e.line(0, "torch.nn.parallel.DistributedDataParallel, Net trains on several processes or machines;")
	e.line(0, "save_safetensors takes the wrapped module too.")
	e.line(0, "")
	e.line(0, "net(%s) takes %s;", strings.Join(args, ", "), strings.Join(ins, ", "))
	e.line(0, "it returns %s.", ret)
	e.line(0, "split_inputs(x) and split_targets(t) cut gradgen's input and target rows (the generic")
	e.line(0, "engine's; an id a number) into forward's inputs and the heads' targets; loss_fn takes either")
	e.line(0, "the target row or a tuple of the heads' targets.")
	if e.outputMap() != "" {
		e.line(0, "The network ends in an output map, %s(dim=1), which Predict applies and the losses", e.outputMap())
		e.line(0, "do not read: in training mode (net.train(), the default) net(...) returns the last layer's")
		e.line(0, "output, which loss_fn reads; in eval mode (net.eval()) it returns Predict's output, after the")
		e.line(0, "map. net.logits(...) is the last layer's output in either mode.")
	}
	for _, u := range e.units {
		if u.kind == "dropout" && u.l.Dropout.P > 0 {
			e.line(0, "Dropout draws its masks from torch's generator, not gradgen's: a training step matches the")
			e.line(0, "generated Train's in distribution, not value by value.")
			break
		}
	}
	if !slices.Equal(e.order, e.layoutNames()) {
		e.line(0, "The parameters' names nest so that state_dict() lists them in torch's module order, not in")
		e.line(0, "gradgen's (LAYOUT's); files are matched by name, so this changes nothing else.")
	}
	e.line(0, `"""`)
}

// portDoc describes an input as forward takes it.
func (e *exporter) portDoc(in input) string {
	if in.categories > 0 {
		return fmt.Sprintf("%s, int64 ids [batch] in [0, %d)", in.py, in.categories)
	}
	return fmt.Sprintf("%s %s [batch, %d]", in.py, e.dtypeName(), in.width)
}

// pyDocText makes s safe inside a """ docstring.
func pyDocText(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), `"""`, `\"\"\"`)
}

// pyModuleName is the package name as a module name in the example.
func pyModuleName(pkg string) string {
	if pyReserved[pkg] || pkg == "" {
		return "net"
	}
	return pkg
}

// layoutNames lists the parameters' names in gradgen's order.
func (e *exporter) layoutNames() []string {
	names := make([]string, len(e.p.Params))
	for i, q := range e.p.Params {
		names[i] = q.Torch
	}
	return names
}

// outputMap is the torch function of the network's output map, or "".
func (e *exporter) outputMap() string {
	if len(e.heads) != 1 {
		return "" // several heads: gradgen maps none
	}
	switch e.n.Output {
	case spec.Softmax:
		return "torch.softmax"
	case spec.LogSoftmax:
		return "torch.log_softmax"
	}
	return ""
}

// constants writes the module's constants.
func (e *exporter) constants() {
	e.line(0, "GRADGEN_VERSION = %s", pyStr(runtime.Version))
	e.line(0, "SPEC = %s", pyStr(e.p.Source))
	e.line(0, "SPEC_HASH = %s", pyStr(e.p.SpecHash))
	e.line(0, "DTYPE = torch.%s", e.dtypeName())
	e.line(0, "")
	e.comment(0, "The inputs in forward's order: (name, width, categories), categories 0 for a float input, else\n"+
		"the number of ids of an integer input, which forward takes as a LongTensor of ids.")
	var ins []string
	for _, in := range e.ins {
		ins = append(ins, fmt.Sprintf("(%s, %d, %d)", pyStr(in.name), in.width, in.categories))
	}
	e.line(0, "INPUTS = %s", pyTuple(ins))
	e.comment(0, "The outputs in order, as forward returns them: (name, width, loss, weight in the total loss).")
	var hs []string
	for _, h := range e.heads {
		hs = append(hs, fmt.Sprintf("(%s, %d, %s, %s)", pyStr(h.name), h.width, pyStr(string(h.loss)), pyFloat(h.weight)))
	}
	e.line(0, "HEADS = %s", pyTuple(hs))
	e.comment(0, "gradgen's Layout: each parameter's state_dict name and shape, in the order of the generated\n"+
		"Params.Slice(); a weight gradgen keeps transposed (an imported MatMul's) is [in, out] here and in files.")
	e.line(0, "LAYOUT = (")
	for _, q := range e.p.Params {
		e.line(1, "(%s, %s),", pyStr(q.Torch), pyShape(fileShape(q)))
	}
	e.line(0, ")")
}

// netClass writes Net.
func (e *exporter) netClass() {
	e.line(0, "class Net(nn.Module):")
	e.line(1, `"""The network of %s: forward(%s); see the module's doc."""`, pyDocText(oneLine(e.p.Source)), e.argList())
	e.line(0, "")
	e.line(1, "def __init__(self):")
	e.line(2, "super().__init__()")
	d := "dtype=DTYPE"
	for _, u := range e.units {
		if len(u.params) == 0 {
			continue
		}
		frozen := u.l.Frozen
		if u.path != "" {
			var ctor string
			switch u.kind {
			case "dense":
				ctor = fmt.Sprintf("nn.Linear(%d, %d, bias=%s, %s)", u.in, u.out, pyBool(!u.l.NoBias), d)
			case "layer_norm":
				ctor = fmt.Sprintf("nn.LayerNorm(%d, eps=%s, %s)", u.in, pyFloat(u.l.LayerNorm.Eps), d)
			case "embedding":
				ctor = fmt.Sprintf("nn.Embedding(%d, %d, %s)", u.in, u.out, d)
			}
			suffix := ""
			if frozen {
				suffix = ".requires_grad_(False)"
			}
			e.line(2, "_attach(self, %s, %s)%s  # %s", pyStr(u.path), ctor, suffix, u.what)
			continue
		}
		for i, q := range u.params {
			var init string
			switch {
			case u.kind == "embedding":
				init = fmt.Sprintf("torch.randn(%s, %s)", pyShape(fileShape(q)), d)
			case u.kind == "layer_norm" && i == 0:
				init = fmt.Sprintf("torch.ones(%s, %s)", pyShape(fileShape(q)), d)
			case u.kind == "layer_norm":
				init = fmt.Sprintf("torch.zeros(%s, %s)", pyShape(fileShape(q)), d)
			default:
				init = fmt.Sprintf("_uniform(%s, %d)", pyShape(fileShape(q)), u.in)
			}
			trainable := ""
			if frozen {
				trainable = ", trainable=False"
			}
			what := u.what
			if q.Transposed {
				what += ", kept transposed [in, out]"
			}
			e.line(2, "_param(self, %s, %s%s)  # %s", pyStr(q.Torch), init, trainable, what)
		}
	}
	for _, u := range e.units {
		if e.dropped[u.k] {
			e.line(2, "_attach(self, %s, nn.Dropout(%s))  # %s", pyStr(torchName(u)), pyFloat(u.l.Dropout.P), u.what)
		}
	}
	e.line(0, "")
	body := "forward"
	if m := e.outputMap(); m != "" {
		e.line(1, "def forward(self, %s):", e.argList())
		e.line(2, `"""The last layer's output in training mode, which loss_fn reads; in eval mode,`)
		e.line(2, `%s(dim=1) of it, as Predict."""`, m)
		e.line(2, "out = self.logits(%s)", e.argList())
		e.line(2, "if not self.training:")
		e.line(3, "out = %s(out, dim=1)", m)
		e.line(2, "return out")
		e.line(0, "")
		body = "logits"
	}
	e.line(1, "def %s(self, %s):", body, e.argList())
	if body == "logits" {
		e.line(2, `"""The last layer's output for the batch of inputs, before the output map."""`)
	} else {
		e.line(2, `"""The network's outputs for the batch of inputs; see the module's doc."""`)
	}
	e.forwardBody()
}

// argList is forward's parameter list.
func (e *exporter) argList() string {
	args := make([]string, len(e.ins))
	for i, in := range e.ins {
		args[i] = in.py
	}
	return strings.Join(args, ", ")
}

func pyBool(b bool) string {
	if b {
		return "True"
	}
	return "False"
}

// forwardBody writes the statements of forward: one per layer and head.
func (e *exporter) forwardBody() {
	vars := map[string]string{} // spec name → Python variable
	for _, in := range e.ins {
		vars[in.name] = in.py
	}
	last := ""
	if len(e.ins) == 1 {
		last = e.ins[0].py
	}
	read := func(from []string) string {
		switch len(from) {
		case 0:
			return last
		case 1:
			return vars[from[0]]
		}
		parts := make([]string, len(from))
		for i, name := range from {
			parts[i] = vars[name]
		}
		return "torch.cat([" + strings.Join(parts, ", ") + "], dim=1)"
	}
	nl := len(e.n.Layers)
	for _, u := range e.units[:nl] {
		var z string
		l := u.l
		switch u.kind {
		case "add":
			parts := make([]string, len(l.Add))
			for i, name := range l.Add {
				parts[i] = vars[name]
			}
			z = strings.Join(parts, " + ")
		case "dropout":
			if e.dropped[u.k] {
				z = fmt.Sprintf("_module(self, %s)(%s)", pyStr(torchName(u)), read(l.From))
			} else {
				z = fmt.Sprintf("F.dropout(%s, %s, self.training)", read(l.From), pyFloat(l.Dropout.P))
			}
		case "embedding":
			ids := vars[l.From[0]] + ".reshape(-1)"
			if u.path != "" {
				z = fmt.Sprintf("_module(self, %s)(%s)", pyStr(u.path), ids)
			} else {
				z = fmt.Sprintf("F.embedding(%s, _get(self, %s))", ids, pyStr(u.params[0].Torch))
			}
		case "layer_norm":
			if u.path != "" {
				z = fmt.Sprintf("_module(self, %s)(%s)", pyStr(u.path), read(l.From))
			} else {
				z = fmt.Sprintf("F.layer_norm(%s, (%d,), _get(self, %s), _get(self, %s), %s)", read(l.From), u.in,
					pyStr(u.params[0].Torch), pyStr(u.params[1].Torch), pyFloat(l.LayerNorm.Eps))
			}
		default:
			z = e.dense(u, read(l.From))
		}
		e.line(2, "%s = %s", u.py, activation(z, l))
		if l.Name != "" {
			vars[l.Name] = u.py
		}
		last = u.py
	}
	var outs []string
	for _, h := range e.heads {
		if h.unit == nil {
			outs = append(outs, last)
			continue
		}
		e.line(2, "%s = %s", h.unit.py, activation(e.dense(h.unit, read(h.unit.l.From)), h.unit.l))
		outs = append(outs, h.unit.py)
	}
	if len(outs) == 1 {
		e.line(2, "return %s", outs[0])
	} else {
		e.line(2, "return %s", strings.Join(outs, ", "))
	}
}

// dense is the expression of dense layer u over x.
func (e *exporter) dense(u *unit, x string) string {
	if u.path != "" {
		return fmt.Sprintf("_module(self, %s)(%s)", pyStr(u.path), x)
	}
	w := fmt.Sprintf("_get(self, %s)", pyStr(u.params[0].Torch))
	if u.params[0].Transposed {
		w += ".t()"
	}
	b := "None"
	if len(u.params) > 1 {
		b = fmt.Sprintf("_get(self, %s)", pyStr(u.params[1].Torch))
	}
	return fmt.Sprintf("F.linear(%s, %s, %s)", x, w, b)
}

// activation wraps z in layer l's activation.
func activation(z string, l *spec.Layer) string {
	switch l.Activation {
	case spec.ReLU:
		return "F.relu(" + z + ")"
	case spec.LeakyReLU:
		return fmt.Sprintf("F.leaky_relu(%s, %s)", z, pyFloat(l.Slope))
	case spec.Sigmoid:
		return "torch.sigmoid(" + z + ")"
	case spec.Tanh:
		return "torch.tanh(" + z + ")"
	}
	return z
}

// splits writes split_inputs and split_targets, which cut gradgen's flat
// rows into forward's inputs and the heads' targets.
func (e *exporter) splits() {
	width := 0
	for _, in := range e.ins {
		width += in.width
	}
	e.line(0, "def split_inputs(x):")
	e.line(1, `"""forward's inputs from gradgen's input row x [batch, %d] (the generic engine's), as a tuple:`, width)
	e.line(1, `each input its columns; an integer input's column holds the id as a number, made a LongTensor."""`)
	var parts []string
	off := 0
	for _, in := range e.ins {
		switch {
		case in.categories > 0:
			parts = append(parts, fmt.Sprintf("x[:, %d].round().long()", off))
		case len(e.ins) == 1:
			parts = append(parts, "x")
		default:
			parts = append(parts, fmt.Sprintf("x[:, %d:%d]", off, off+in.width))
		}
		off += in.width
	}
	e.line(1, "return %s", pyTuple(parts))
	e.line(0, "")
	e.line(0, "")
	width = 0
	var names []string
	for _, h := range e.heads {
		width += h.width
		names = append(names, h.name)
	}
	e.line(0, "def split_targets(t):")
	e.line(1, `"""The targets of each head as a tuple in the heads' order: t itself when it is a tuple or a list`)
	e.line(1, `(one per head, None for a head that does not train), else the columns of gradgen's target`)
	e.line(1, `row t [batch, %d] (a head's target is [batch, width]; a class index per sample, a LongTensor`, width)
	e.line(1, `[batch], also does for a head trained with softmax_cross_entropy)."""`)
	e.line(1, "if isinstance(t, (tuple, list)):")
	e.line(2, "if len(t) != %d:", len(e.heads))
	heads := fmt.Sprintf("the %d heads (%s)", len(e.heads), strings.Join(names, ", "))
	if len(e.heads) == 1 {
		heads = "the one head"
	}
	e.line(3, `raise ValueError("split_targets: %%d targets for %s" %% len(t))`, heads)
	e.line(2, "return tuple(t)")
	if len(e.heads) == 1 {
		e.line(1, "return (t,)")
		return
	}
	parts = parts[:0]
	off = 0
	for _, h := range e.heads {
		parts = append(parts, fmt.Sprintf("t[:, %d:%d]", off, off+h.width))
		off += h.width
	}
	e.line(1, "return %s", pyTuple(parts))
}

// lossFns maps a loss to its torch function.
var lossFns = map[spec.Loss]string{
	spec.MSE:                 "F.mse_loss",
	spec.SoftmaxCrossEntropy: "F.cross_entropy",
	spec.BinaryCrossEntropy:  "F.binary_cross_entropy_with_logits",
}

// lossFn writes loss_fn.
func (e *exporter) lossFn() {
	e.line(0, "def loss_fn(outputs, targets):")
	var terms []string
	for _, h := range e.heads {
		if h.loss == spec.NoLoss || h.weight == 0 {
			continue
		}
		t := fmt.Sprintf("%s(%s)", h.loss, h.name)
		if h.weight != 1 {
			t = pyFloat(h.weight) + " · " + t
		}
		terms = append(terms, t)
	}
	if len(e.heads) == 1 {
		e.line(1, `"""The spec's loss of the outputs (forward's, in training mode) and the targets (see`)
		e.line(1, `split_targets), a mean over the batch as gradgen's Loss and Train compute it:`)
		e.line(1, `%s."""`, e.lossTerm(e.heads[0], "outputs", "targets"))
		e.line(1, "(t,) = split_targets(targets)")
		e.line(1, "return %s", e.lossTerm(e.heads[0], "outputs", "t"))
		return
	}
	e.line(1, `"""The spec's loss of the outputs (forward's tuple, in training mode) and the targets (a tuple,`)
	e.line(1, `or gradgen's target row; see split_targets), as gradgen's Loss and Train compute it: the sum`)
	e.line(1, `over the heads that train, in order, of weight · the head's loss, each a mean over the batch:`)
	e.line(1, `%s.`, strings.Join(terms, " + "))
	e.line(1, `A head that does not train (loss none, or weight 0) adds 0 · its outputs, so that its`)
	e.line(1, `parameters get a zero gradient, as in gradgen (weight decay and momentum still move them), and`)
	e.line(1, `DistributedDataParallel sees every parameter used."""`)
	e.line(1, "t = split_targets(targets)")
	first := true
	for i, h := range e.heads {
		if h.loss == spec.NoLoss || h.weight == 0 {
			continue
		}
		term := e.lossTerm(h, fmt.Sprintf("outputs[%d]", i), fmt.Sprintf("t[%d]", i))
		if first {
			e.line(1, "loss = %s  # %s", term, oneLine(h.name))
		} else {
			e.line(1, "loss = loss + %s  # %s", term, oneLine(h.name))
		}
		first = false
	}
	for i, h := range e.heads {
		if h.loss == spec.NoLoss || h.weight == 0 {
			e.line(1, "loss = loss + 0.0 * outputs[%d].sum()  # %s: no loss", i, oneLine(h.name))
		}
	}
	e.line(1, "return loss")
}

// lossTerm is the expression of head h's weighted loss.
func (e *exporter) lossTerm(h head, y, t string) string {
	term := fmt.Sprintf("%s(%s, %s)", lossFns[h.loss], y, t)
	if h.weight != 1 {
		term = pyFloat(h.weight) + " * " + term
	}
	return term
}

// optimizer writes make_optimizer, clip_gradients, lr_at and
// make_scheduler.
func (e *exporter) optimizer() {
	o := e.p.Optimizer
	var call string
	switch o.Kind {
	case ir.SGD:
		call = fmt.Sprintf("torch.optim.SGD(params, lr=%s, weight_decay=%s)", pyFloat(o.LR), pyFloat(o.WeightDecay))
	case ir.Momentum:
		call = fmt.Sprintf("torch.optim.SGD(params, lr=%s, momentum=%s, dampening=%s, weight_decay=%s, nesterov=%s)",
			pyFloat(o.LR), pyFloat(o.Momentum), pyFloat(o.Dampening), pyFloat(o.WeightDecay), pyBool(o.Nesterov))
	case ir.Adam, ir.AdamW:
		class := "Adam"
		if o.Kind == ir.AdamW {
			class = "AdamW"
		}
		call = fmt.Sprintf("torch.optim.%s(params, lr=%s, betas=(%s, %s), eps=%s, weight_decay=%s)",
			class, pyFloat(o.LR), pyFloat(o.Beta1), pyFloat(o.Beta2), pyFloat(o.Epsilon), pyFloat(o.WeightDecay))
	}
	e.line(0, "LR = %s  # the spec's base learning rate", pyFloat(o.LR))
	e.line(0, "")
	e.line(0, "")
	e.line(0, "def make_optimizer(params):")
	e.line(1, `"""The spec's optimizer over params (net.parameters()), with its settings, as the generated`)
	e.line(1, `Model.Train steps: %s."""`, strings.Replace(call, "params, ", "", 1))
	e.line(1, "return %s", call)
	e.line(0, "")
	e.line(0, "")
	e.line(0, "def clip_gradients(params):")
	if o.ClipGradNorm > 0 {
		e.line(1, `"""torch.nn.utils.clip_grad_norm_(params, max_norm=%s), the spec's clip_grad_norm, which the`, pyFloat(o.ClipGradNorm))
		e.line(1, `generated Train applies to the whole gradient before each step; returns the norm before it."""`)
		e.line(1, "return torch.nn.utils.clip_grad_norm_(params, max_norm=%s)", pyFloat(o.ClipGradNorm))
	} else {
		e.line(1, `"""Nothing: the spec clips no gradients (no clip_grad_norm). Returns None."""`)
		e.line(1, "return None")
	}
	e.line(0, "")
	e.line(0, "")
	s := o.Schedule
	e.line(0, "def lr_at(step):")
	e.line(1, `"""The learning rate of the optimizer step after step steps (lr_at(0) is the first's), as`)
	e.line(1, `gradgen's Hyperparams.LRAt computes it from the spec's schedule."""`)
	if s.Warmup > 0 {
		e.line(1, "if step < %d:", s.Warmup)
		e.line(2, "return LR * step / %d", s.Warmup)
		e.line(1, "step -= %d", s.Warmup)
	}
	switch s.Kind {
	case "cosine":
		e.line(1, "return %s + (LR - %s) * (1 + math.cos(math.pi * step / %d)) / 2", pyFloat(s.EtaMin), pyFloat(s.EtaMin), s.TMax)
	case "step":
		e.line(1, "return LR * %s ** (step // %d)", pyFloat(s.Gamma), s.StepSize)
	default:
		e.line(1, "return LR")
	}
	e.line(0, "")
	e.line(0, "")
	e.line(0, "def _lr_factor(step):")
	e.line(1, "return lr_at(step) / LR")
	e.line(0, "")
	e.line(0, "")
	e.line(0, "def make_scheduler(optimizer):")
	var sched, about string
	switch {
	case s.Warmup == 0 && s.Kind == "cosine":
		sched = fmt.Sprintf("torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=%d, eta_min=%s)", s.TMax, pyFloat(s.EtaMin))
		about = "the spec's cosine schedule"
	case s.Warmup == 0 && s.Kind == "step":
		sched = fmt.Sprintf("torch.optim.lr_scheduler.StepLR(optimizer, step_size=%d, gamma=%s)", s.StepSize, pyFloat(s.Gamma))
		about = "the spec's step schedule"
	case s.Warmup == 0:
		sched = "torch.optim.lr_scheduler.LambdaLR(optimizer, _lr_factor)"
		about = "a constant learning rate (the spec has no schedule), as a LambdaLR"
	case s.Kind == "":
		sched = "torch.optim.lr_scheduler.LambdaLR(optimizer, _lr_factor)"
		about = fmt.Sprintf("the spec's linear warm-up over %d steps, a LambdaLR", s.Warmup)
	default:
		sched = "torch.optim.lr_scheduler.LambdaLR(optimizer, _lr_factor)"
		about = fmt.Sprintf("the spec's warm-up over %d steps, then %s, as a\n"+
			"LambdaLR of gradgen's formula (lr_at). SequentialLR([warm-up, %s], milestones=[%d]) is\n"+
			"its twin, but it warns at the milestone and has changed between torch releases", s.Warmup, s.Kind, schedulerClass(s.Kind), s.Warmup)
	}
	lines := strings.Split(`"""The learning-rate scheduler of optimizer: `+about+".", "\n")
	for _, l := range lines {
		e.line(1, "%s", l)
	}
	e.line(1, `Call its step() after each optimizer step, as the generated Train advances its schedule."""`)
	e.line(1, "return %s", sched)
	e.line(0, "")
	e.line(0, "")
}

// pyTuple is a Python tuple of the expressions parts.
func pyTuple(parts []string) string {
	if len(parts) == 1 {
		return "(" + parts[0] + ",)"
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// schedulerClass is torch's scheduler of a schedule kind.
func schedulerClass(kind string) string {
	if kind == "cosine" {
		return "CosineAnnealingLR"
	}
	return "StepLR"
}
