// Package build turns a spec.Network into an ir.Program: the parameters, the
// optimizer and the forward graph of each function, one Dense value per layer
// followed by its activation, and the loss. The passes do the rest.
package build

import (
	"fmt"
	"path/filepath"

	"github.com/gradgen/gradgen/ir"
	"github.com/gradgen/gradgen/spec"
)

// TileRows is the default number of samples a batched function processes per
// call; Loss and Backward walk a batch in tiles of this many rows, so the
// workspace has a size fixed at build time.
const TileRows = 32

// bigWeights is the size in bytes of dense weights from which a program's
// tiles have 2·TileRows rows. Every tile streams the weights once per
// product, from beyond the first-level cache; a tile of 64 rows reads them
// half as often per sample. On one core that changes little, but two
// workers (SetWorkers) that share a batch of 128 as one tile each instead of
// two read half as much from the cache they share: wide (2.7 MB of weights)
// went from 1.24× to 1.5× on two cores, and mnist (400 KB) from 1.23× to
// 1.34× (docs/bench/PERFORMANCE.md).
const bigWeights = 256 << 10

// tileRows is the tile of program p: rows when the options set it, else
// TileRows, or twice that when p's dense weights (not embedding tables, of
// which a tile reads a few rows) take at least bigWeights bytes.
func tileRows(rows int, p *ir.Program) int {
	if rows > 0 {
		return rows
	}
	size := 0
	for _, q := range p.Params {
		if !q.Sparse {
			size += q.Type.Elems() * p.DType.Size()
		}
	}
	if size >= bigWeights {
		return 2 * TileRows
	}
	return TileRows
}

// SmallBatch is the batch length below which Loss and Backward run sample by
// sample with the per-sample functions, whose flat loops need no tile set-up
// (such as the transposed weights a tile's products may read). Both take the
// same path, so Backward returns exactly the loss Loss does.
const SmallBatch = 4

// Options tune the program.
type Options struct {
	// TileRows overrides the default tile size when > 0.
	TileRows int
}

// Program builds the IR of a valid network, read through n.Normalized(), so
// the defaults a spec.Network literal leaves out are PyTorch's, as in YAML;
// n itself is not changed.
func Program(n *spec.Network, opt Options) (*ir.Program, error) {
	if n == nil {
		return nil, n.Validate() // "no network"
	}
	n = n.Normalized()
	if err := n.Validate(); err != nil {
		return nil, err
	}
	if n.IsGraph() {
		return graphProgram(n, opt.TileRows)
	}
	p := &ir.Program{
		Package:   n.Package,
		DType:     ir.F32,
		Inputs:    []ir.Port{{Name: "x", Width: n.Input}},
		Outputs:   []ir.Port{{Name: "y", Width: n.Layers[len(n.Layers)-1].Dense}},
		Optimizer: optimizer(n.Optimizer),
		Link:      link(n.Loss),
		Source:    source(n),
		SpecHash:  n.Hash(),
	}
	if n.DType == spec.Float64 {
		p.DType = ir.F64
	}
	in := n.Input
	module := 0 // the Linear's index in nn.Sequential(Linear, activation, Linear, …)
	for i, l := range n.Layers {
		k := i + 1
		where := ""
		if l.Pos.Line > 0 {
			where = fmt.Sprintf(" (%s:%d)", filepath.Base(l.Pos.File), l.Pos.Line)
		}
		p.AddParam(ir.Param{Name: fmt.Sprintf("W%d", k), Torch: or(l.WeightName, fmt.Sprintf("%d.weight", module)),
			Type: ir.Matrix(l.Dense, in), Init: ir.InitLinearWeight, FanIn: in, Frozen: l.Frozen, Transposed: l.Transposed,
			Pos: pos(l.Pos), Doc: fmt.Sprintf("layer %d weight%s%s%s", k, where, frozenDoc(l.Frozen), transposedDoc(l.Transposed))})
		if !l.NoBias {
			p.AddParam(ir.Param{Name: fmt.Sprintf("B%d", k), Torch: or(l.BiasName, fmt.Sprintf("%d.bias", module)),
				Type: ir.Vector(l.Dense), Init: ir.InitLinearBias, FanIn: in, Frozen: l.Frozen, Pos: pos(l.Pos),
				Doc: fmt.Sprintf("layer %d bias%s", k, frozenDoc(l.Frozen))})
		}
		module++
		if l.Activation != spec.None && l.Activation != "" {
			module++ // the activation is a module of its own
		}
		in = l.Dense
	}
	p.Funcs = functions(n, tileRows(opt.TileRows, p), forward)
	p.SmallBatch = SmallBatch
	p.Pretrained = n.Pretrained
	return p, nil
}

// functions builds the program's functions, one per role, with build:
// predict and the per-sample functions on one row, the batched ones on
// tiles of rows.
func functions(n *spec.Network, rows int, build func(*spec.Network, ir.Role, int, bool) *ir.Func) []*ir.Func {
	return []*ir.Func{
		build(n, ir.RolePredict, 1, false),
		build(n, ir.RoleLoss, rows, false),
		build(n, ir.RoleTrain, rows, true),
		build(n, ir.RoleTrainSample, 1, true),
		build(n, ir.RoleLossSample, 1, false),
		build(n, ir.RolePredictBatch, rows, false),
	}
}

// forward builds the function of a role with the network's forward graph
// and loss. The predict function's only output is the prediction; dce later
// drops the loss.
func forward(n *spec.Network, role ir.Role, rows int, grad bool) *ir.Func {
	f := &ir.Func{Name: role.String(), Role: role, Rows: rows, Grad: grad}
	x := f.NewValue(ir.OpInput, ir.Batch(n.Input))
	x.Name = "x"
	x.Pos = pos(n.Fields.At("input", n.Pos))
	a := x
	for i, l := range n.Layers {
		k := i + 1
		lp := pos(l.Pos)
		w := f.NewValue(ir.OpParam, ir.Matrix(l.Dense, a.Type.Dims[0]))
		w.Name, w.Pos = fmt.Sprintf("W%d", k), lp
		args := []*ir.Value{a, w}
		rule := fmt.Sprintf("z%d = W%d %s", k, k, a.Label())
		if !l.NoBias {
			b := f.NewValue(ir.OpParam, ir.Vector(l.Dense))
			b.Name, b.Pos = fmt.Sprintf("B%d", k), lp
			args = append(args, b)
			rule += fmt.Sprintf(" + B%d", k)
		}
		z := f.NewValue(ir.OpDense, ir.Batch(l.Dense), args...)
		z.Name, z.Rule, z.Pos = fmt.Sprintf("z%d", k), rule, lp
		a = activation(f, z, l, k)
	}
	t := f.NewValue(ir.OpTarget, a.Type)
	t.Name = "t"
	t.Pos = pos(n.Fields.At("loss", n.Pos))
	l := losses[n.Loss]
	args := []*ir.Value{a, t}
	if n.Loss == spec.SoftmaxCrossEntropy {
		// CrossEntropyLoss also takes class indices: TrainLabels passes
		// them instead of targets, and the loss reads their one-hot rows.
		lab := f.NewValue(ir.OpLabel, ir.Batch(1))
		lab.Name, lab.Pos = "l", t.Pos
		args = append(args, lab)
	}
	loss := f.NewValue(l.op, ir.Scalar, args...)
	loss.Name, loss.Rule, loss.Pos = "L", fmt.Sprintf(l.rule, a.Label(), t.Label()), t.Pos
	if role.Predicts() {
		f.Outputs = []ir.Output{{Kind: ir.Prediction, Value: outputMap(f, a, n)}}
	} else {
		f.Outputs = []ir.Output{{Kind: ir.LossOut, Value: loss}}
	}
	return f
}

// opRule is the IR op a spec name stands for, with the rule its value
// implements, as a format of the value's operands.
type opRule struct {
	op   ir.Op
	rule string
}

// losses holds each loss's op; the rule's two %s are the output it compares
// and the target.
var losses = map[spec.Loss]opRule{
	spec.MSE:                 {ir.OpMSE, "L = Σ (%s − %s)² / (N·n)"},
	spec.SoftmaxCrossEntropy: {ir.OpSoftmaxCE, "L = −Σ %[2]s · log softmax(%[1]s) / N"},
	spec.BinaryCrossEntropy:  {ir.OpBCELogits, "L = Σ max(%[1]s, 0) − %[1]s %[2]s + log(1 + e^−|%[1]s|) / (N·n)"},
}

// activations holds each activation's op; the rule's two %d are the layer.
var activations = map[spec.Activation]opRule{
	spec.ReLU:      {ir.OpReLU, "a%d = max(0, z%d)"},
	spec.LeakyReLU: {ir.OpLeakyReLU, "a%d = z%d > 0 ? z%[2]d : α z%[2]d"},
	spec.Sigmoid:   {ir.OpSigmoid, "a%d = σ(z%d)"},
	spec.Tanh:      {ir.OpTanh, "a%d = tanh(z%d)"},
}

// activation appends layer k's activation after z and returns the layer's
// output (z itself for activation none).
func activation(f *ir.Func, z *ir.Value, l spec.Layer, k int) *ir.Value {
	act, ok := activations[l.Activation]
	if !ok {
		return z
	}
	a := f.NewValue(act.op, z.Type, z)
	a.Name, a.Rule, a.Pos = fmt.Sprintf("a%d", k), fmt.Sprintf(act.rule, k, k), pos(l.Fields.At("activation", l.Pos))
	if act.op == ir.OpLeakyReLU {
		a.Aux = l.Slope
	}
	return a
}

// outputMaps holds the op of each map Predict may apply to the last layer's
// output; the rule's %s is that output.
var outputMaps = map[spec.OutputMap]opRule{
	spec.Softmax:    {ir.OpSoftmax, "y = softmax(%s)"},
	spec.LogSoftmax: {ir.OpLogSoftmax, "y = log softmax(%s)"},
}

// outputMap appends n's output map after a, the last layer's output, and
// returns the prediction (a itself when there is none). The losses read a.
func outputMap(f *ir.Func, a *ir.Value, n *spec.Network) *ir.Value {
	m, ok := outputMaps[n.Output]
	if !ok {
		return a
	}
	y := f.NewValue(m.op, a.Type, a)
	y.Name, y.Rule, y.Pos = "y", fmt.Sprintf(m.rule, a.Label()), pos(n.Fields.At("output", n.Pos))
	return y
}

// link is the loss's link function: the losses on logits apply σ or softmax
// to them before comparing with the targets.
func link(l spec.Loss) ir.Link {
	switch l {
	case spec.BinaryCrossEntropy:
		return ir.Sigmoid
	case spec.SoftmaxCrossEntropy:
		return ir.Softmax
	}
	return ir.Identity
}

// irOptimizer maps a spec's optimizer kinds to the IR's.
var irOptimizer = map[string]ir.OptimizerKind{"sgd": ir.SGD, "momentum": ir.Momentum, "adam": ir.Adam, "adamw": ir.AdamW}

func optimizer(o spec.Optimizer) ir.Optimizer {
	s := o.Settings()
	sc := s.Schedule
	return ir.Optimizer{Kind: irOptimizer[s.Kind], LR: s.LR, Momentum: s.Momentum, Dampening: s.Dampening,
		Nesterov: s.Nesterov, WeightDecay: s.WeightDecay, Beta1: s.Beta1, Beta2: s.Beta2, Epsilon: s.Eps,
		ClipGradNorm: s.ClipGradNorm,
		Schedule:     ir.Schedule{Warmup: sc.Warmup, Kind: sc.Kind, TMax: sc.TMax, EtaMin: sc.EtaMin, StepSize: sc.StepSize, Gamma: sc.Gamma}}
}

// or returns name, or def when name is empty.
func or(name, def string) string {
	if name != "" {
		return name
	}
	return def
}

// transposedDoc marks the doc comment of a weight kept transposed outside.
func transposedDoc(transposed bool) string {
	if transposed {
		return ", kept as its transpose [in][out] in safetensors and ONNX files"
	}
	return ""
}

// frozenDoc marks a frozen parameter's doc comment.
func frozenDoc(frozen bool) string {
	if frozen {
		return ", frozen (trainable: false)"
	}
	return ""
}

func pos(p spec.Pos) ir.Pos { return ir.Pos{File: p.File, Line: p.Line, Col: p.Col, Node: p.Node} }

// source names the spec in the generated file's header: the base name of
// a spec file (no directories, which depend on where gradgen runs), or the
// reference a Go spec was loaded by.
func source(n *spec.Network) string {
	if n.Ref != "" {
		return n.Ref
	}
	return filepath.Base(n.File)
}
