package build

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gradgen/gradgen/ir"
	"github.com/gradgen/gradgen/spec"
)

// A graph network (spec.Network.IsGraph) builds into the same IR as a chain:
// its named inputs are Input values of their ports, a layer that reads
// several values reads their Concat, an add layer is a Sum, and each head
// is a dense layer whose loss is one weighted term of the function's loss.
// Where a value has several users, the grad pass sums their gradients.

// head is an output of a graph network: a head of n.Outputs, or, for a
// network without outputs, its last layer with n.Loss.
type head struct {
	name   string
	layer  *spec.Layer // nil: the last layer is the output
	loss   spec.Loss
	weight float64
	pos    spec.Pos
}

// heads returns n's outputs.
func heads(n *spec.Network) []head {
	if len(n.Outputs) == 0 {
		return []head{{name: "y", loss: n.Loss, weight: 1, pos: n.Fields.At("loss", n.Pos)}}
	}
	hs := make([]head, len(n.Outputs))
	for i := range n.Outputs {
		h := &n.Outputs[i]
		hs[i] = head{name: h.Name, layer: &h.Layer, loss: h.Loss, weight: h.Weight, pos: h.Pos}
	}
	return hs
}

// inputPorts returns n's inputs: its named inputs, or its one input x.
func inputPorts(n *spec.Network) []ir.Port {
	if len(n.Inputs) == 0 {
		return []ir.Port{{Name: "x", Width: n.Input}}
	}
	ports := make([]ir.Port, len(n.Inputs))
	for i, in := range n.Inputs {
		ports[i] = ir.Port{Name: in.Name, Width: in.Width, Categories: in.Categories}
	}
	return ports
}

// flatInputs reports whether n's functions read one flat row of its inputs,
// each a field of the Input struct: several inputs, or an integer one.
func flatInputs(ports []ir.Port) bool {
	return len(ports) > 1 || ports[0].Categories > 0
}

// graphProgram builds the program of a valid graph network n.
func graphProgram(n *spec.Network, rows int) (*ir.Program, error) {
	hs := heads(n)
	_, layerOut, _ := n.Fans()
	p := &ir.Program{Package: n.Package, DType: ir.F32, Inputs: inputPorts(n), Optimizer: optimizer(n.Optimizer),
		Source: source(n), SpecHash: n.Hash(), SmallBatch: SmallBatch}
	if len(hs) == 1 {
		p.Link = link(hs[0].loss) // several heads: Predict's row holds all, and no one link reads it
	}
	if n.DType == spec.Float64 {
		p.DType = ir.F64
	}
	for _, h := range hs {
		w := layerOut[len(layerOut)-1]
		if h.layer != nil {
			w = h.layer.Dense
		}
		p.Outputs = append(p.Outputs, ir.Port{Name: h.name, Width: w})
	}
	// Several inputs or heads are the fields of one flat row each: the
	// functions read one input and write one output, as a chain's do.
	if flatInputs(p.Inputs) {
		p.InputFields, p.Inputs = p.Inputs, []ir.Port{{Name: "x", Width: widthOf(p.Inputs)}}
	}
	if len(p.Outputs) > 1 {
		p.OutputFields, p.Outputs = p.Outputs, []ir.Port{{Name: "y", Width: widthOf(p.Outputs)}}
	}
	graphParams(n, p)
	p.Funcs = functions(n, tileRows(rows, p), graphForward)
	p.Pretrained = n.Pretrained
	return p, nil
}

// widthOf is the width of the row of ports.
func widthOf(ports []ir.Port) int {
	w := 0
	for _, p := range ports {
		w += p.Width
	}
	return w
}

// denseLayer is a layer with weights: a dense layer, or a head's.
type denseLayer struct {
	l     *spec.Layer
	k     int    // its number among the layers and heads, from 1: W<k>, z<k>
	torch string // the PyTorch name of its module: the layer's or head's name, or its index
	what  string // "layer 2", "head value", for doc comments
}

// denseLayers returns the layers with weights in PyTorch's parameter order:
// the layers, then the heads, in spec order.
func denseLayers(n *spec.Network) []denseLayer {
	var ds []denseLayer
	for i := range n.Layers {
		l := &n.Layers[i]
		if l.Kind() == "add" || l.Kind() == "dropout" {
			continue // no parameters
		}
		torch := l.Name
		if torch == "" {
			torch = fmt.Sprint(i)
		}
		ds = append(ds, denseLayer{l: l, k: i + 1, torch: torch, what: fmt.Sprintf("layer %d", i+1)})
	}
	for i := range n.Outputs {
		h := &n.Outputs[i]
		ds = append(ds, denseLayer{l: &h.Layer, k: len(n.Layers) + i + 1, torch: h.Name, what: "head " + h.Name})
	}
	return ds
}

// graphParams adds the weights and biases of n's dense layers and heads.
func graphParams(n *spec.Network, p *ir.Program) {
	layerIn, _, headIn := n.Fans()
	fanIn := func(d denseLayer) int {
		if d.k <= len(n.Layers) {
			return layerIn[d.k-1]
		}
		return headIn[d.k-len(n.Layers)-1]
	}
	for _, d := range denseLayers(n) {
		in, l := fanIn(d), d.l
		where := ""
		if l.Pos.Line > 0 {
			where = fmt.Sprintf(" (%s:%d)", filepath.Base(l.Pos.File), l.Pos.Line)
		}
		if l.LayerNorm != nil {
			normParams(p, d, in, where)
			continue
		}
		if l.Kind() == "embedding" {
			p.AddParam(ir.Param{Name: fmt.Sprintf("E%d", d.k), Torch: or(l.WeightName, d.torch+".weight"),
				Type: ir.Matrix(n.Categories(*l), l.Embedding), Init: ir.InitNormal, Frozen: l.Frozen, Pos: pos(l.Pos),
				Sparse: true, IDs: l.From[0],
				Doc: fmt.Sprintf("%s embedding table, a row per id of %s%s%s", d.what, l.From[0], where, frozenDoc(l.Frozen))})
			continue
		}
		p.AddParam(ir.Param{Name: fmt.Sprintf("W%d", d.k), Torch: or(l.WeightName, d.torch+".weight"), Type: ir.Matrix(l.Dense, in),
			Init: ir.InitLinearWeight, FanIn: in, Frozen: l.Frozen, Transposed: l.Transposed, Pos: pos(l.Pos),
			Doc: fmt.Sprintf("%s weight%s%s%s", d.what, where, frozenDoc(l.Frozen), transposedDoc(l.Transposed))})
		if !l.NoBias {
			p.AddParam(ir.Param{Name: fmt.Sprintf("B%d", d.k), Torch: or(l.BiasName, d.torch+".bias"), Type: ir.Vector(l.Dense),
				Init: ir.InitLinearBias, FanIn: in, Frozen: l.Frozen, Pos: pos(l.Pos),
				Doc: fmt.Sprintf("%s bias%s", d.what, frozenDoc(l.Frozen))})
		}
	}
}

// normParams adds the parameters of the layer_norm d over in values: γ
// (initially 1) and β (0), nn.LayerNorm's weight and bias, which no random
// number is drawn for.
func normParams(p *ir.Program, d denseLayer, in int, where string) {
	l := d.l
	p.AddParam(ir.Param{Name: fmt.Sprintf("G%d", d.k), Torch: or(l.WeightName, d.torch+".weight"), Type: ir.Vector(in),
		Init: ir.InitOnes, FanIn: in, Frozen: l.Frozen, Pos: pos(l.Pos),
		Doc: fmt.Sprintf("%s layer_norm scale γ%s%s", d.what, where, frozenDoc(l.Frozen))})
	p.AddParam(ir.Param{Name: fmt.Sprintf("B%d", d.k), Torch: or(l.BiasName, d.torch+".bias"), Type: ir.Vector(in),
		Init: ir.InitZeros, FanIn: in, Frozen: l.Frozen, Pos: pos(l.Pos),
		Doc: fmt.Sprintf("%s layer_norm shift β%s", d.what, frozenDoc(l.Frozen))})
}

// graphFunc builds one function of a graph network, value by value.
type graphFunc struct {
	f      *ir.Func
	n      *spec.Network
	values map[string]*ir.Value // by the spec's names
	last   *ir.Value            // what a layer without from reads
	x      *ir.Value            // the flat row of several inputs, or nil
	t      *ir.Value            // the flat row of several heads' targets, or nil
}

// graphForward builds the function of a role: the forward graph, then the
// predictions (predict) or the weighted loss terms of the heads.
func graphForward(n *spec.Network, role ir.Role, rows int, grad bool) *ir.Func {
	g := &graphFunc{f: &ir.Func{Name: role.String(), Role: role, Rows: rows, Grad: grad}, n: n, values: map[string]*ir.Value{}}
	ports := inputPorts(n)
	if flatInputs(ports) {
		g.x = g.f.NewValue(ir.OpInput, ir.Batch(widthOf(ports)))
		g.x.Name, g.x.Pos = "x", pos(n.Fields.At("inputs", n.Pos))
	} else {
		x := g.f.NewValue(ir.OpInput, ir.Batch(ports[0].Width))
		x.Name, x.Pos = ports[0].Name, pos(n.Fields.At("inputs", n.Fields.At("input", n.Pos)))
		g.values[ports[0].Name], g.last = x, x
	}
	for i := range n.Layers {
		g.layer(i + 1)
	}
	hs := heads(n)
	var outs []*ir.Value
	for j, h := range hs {
		outs = append(outs, g.head(j, h, role))
	}
	if role.Predicts() {
		y := outputMap(g.f, outs[0], n) // a network of one head may map it (an imported model's Softmax)
		if len(outs) > 1 {
			// The heads' outputs are the fields of one row.
			y = g.f.NewValue(ir.OpConcat, concatWidth(outs), outs...)
			y.Name, y.Rule, y.Pos = "y", fmt.Sprintf("y = [%s]", labels(outs, "; ")), pos(n.Fields.At("outputs", n.Pos))
		}
		g.f.Outputs = []ir.Output{{Kind: ir.Prediction, Value: y}}
	}
	return g.f
}

// value returns the value named name: a layer's output, or an input, which
// in the flat row of several inputs is its columns, read once per
// function.
func (g *graphFunc) value(name string) *ir.Value {
	if v := g.values[name]; v != nil {
		return v
	}
	off := 0
	for _, in := range g.n.Inputs {
		if in.Name == name {
			c := g.f.NewValue(ir.OpColumns, ir.Batch(in.Width), g.x)
			c.Aux, c.Name, c.Pos = float64(off), name, pos(in.Pos)
			c.Rule = fmt.Sprintf("%s = x[%d:%d]", name, off, off+in.Width)
			g.values[name] = c
			return c
		}
		off += in.Width
	}
	panic("build: no value named " + name) // the spec validated
}

// read returns the value a layer or head reads: its from (their Concat
// when several; the flat row itself when they are every input in order),
// or the value above.
func (g *graphFunc) read(from []string, k int, lp ir.Pos) *ir.Value {
	if len(from) == 0 {
		return g.last
	}
	if g.x != nil && slices.Equal(from, inputNames(g.n)) {
		return g.x // the row holds the inputs in order: their concatenation, without a copy
	}
	if len(from) == 1 {
		return g.value(from[0])
	}
	args := make([]*ir.Value, len(from))
	for i, name := range from {
		args[i] = g.value(name)
	}
	c := g.f.NewValue(ir.OpConcat, concatWidth(args), args...)
	c.Name, c.Rule, c.Pos = fmt.Sprintf("c%d", k), fmt.Sprintf("c%d = [%s]", k, labels(args, "; ")), lp
	return c
}

// inputNames lists n's input names in order.
func inputNames(n *spec.Network) []string {
	names := make([]string, len(n.Inputs))
	for i, in := range n.Inputs {
		names[i] = in.Name
	}
	return names
}

// concatWidth is the type of the concatenation of args.
func concatWidth(args []*ir.Value) ir.Type {
	n := 0
	for _, a := range args {
		n += a.Type.Cols()
	}
	return ir.Batch(n)
}

// labels joins the derivation names of vs.
func labels(vs []*ir.Value, sep string) string {
	names := make([]string, len(vs))
	for i, v := range vs {
		names[i] = v.Label()
	}
	return strings.Join(names, sep)
}

// layer adds layer k (from 1): a Sum for an add layer, else a dense layer
// over what it reads; then its activation.
func (g *graphFunc) layer(k int) {
	l := &g.n.Layers[k-1]
	lp := pos(l.Pos)
	var z *ir.Value
	if len(l.Add) > 0 {
		// z = a + b + …, summed left to right; the partial sums are s.
		z = g.value(l.Add[0])
		for i, name := range l.Add[1:] {
			b := g.value(name)
			s := g.f.NewValue(ir.OpSum, z.Type, z, b)
			s.Name = fmt.Sprintf("s%d_%d", k, i+1)
			if i == len(l.Add)-2 {
				s.Name = fmt.Sprintf("z%d", k)
			}
			s.Rule, s.Pos = fmt.Sprintf("%s = %s + %s", s.Name, z.Label(), b.Label()), lp
			z = s
		}
	} else if l.LayerNorm != nil {
		z = g.layerNorm(k, l, g.read(l.From, k, lp))
	} else if l.Dropout != nil {
		z = g.dropout(k, l, g.read(l.From, k, lp))
	} else if l.Kind() == "embedding" {
		z = g.embedding(k, l)
	} else {
		z = g.dense(k, l, g.read(l.From, k, lp))
	}
	a := activation(g.f, z, *l, k)
	if l.Name != "" {
		g.values[l.Name] = a
	}
	g.last = a
}

// dense adds the product of layer or head k over x, with its bias.
func (g *graphFunc) dense(k int, l *spec.Layer, x *ir.Value) *ir.Value {
	lp := pos(l.Pos)
	w := g.f.NewValue(ir.OpParam, ir.Matrix(l.Dense, x.Type.Cols()))
	w.Name, w.Pos = fmt.Sprintf("W%d", k), lp
	args := []*ir.Value{x, w}
	rule := fmt.Sprintf("z%d = W%d %s", k, k, x.Label())
	if !l.NoBias {
		b := g.f.NewValue(ir.OpParam, ir.Vector(l.Dense))
		b.Name, b.Pos = fmt.Sprintf("B%d", k), lp
		args = append(args, b)
		rule += fmt.Sprintf(" + B%d", k)
	}
	z := g.f.NewValue(ir.OpDense, ir.Batch(l.Dense), args...)
	z.Name, z.Rule, z.Pos = fmt.Sprintf("z%d", k), rule, lp
	return z
}

// embedding adds layer k, the lookup of each sample's id (its column of
// the input row) in the table E<k>.
func (g *graphFunc) embedding(k int, l *spec.Layer) *ir.Value {
	off := 0
	for _, in := range g.n.Inputs {
		if in.Name == l.From[0] {
			break
		}
		off += in.Width
	}
	e := g.f.NewValue(ir.OpParam, ir.Matrix(g.n.Categories(*l), l.Embedding))
	e.Name, e.Pos = fmt.Sprintf("E%d", k), pos(l.Pos)
	y := g.f.NewValue(ir.OpEmbed, ir.Batch(l.Embedding), g.x, e)
	y.Aux, y.Name, y.Pos = float64(off), fmt.Sprintf("z%d", k), pos(l.Pos)
	y.Rule = fmt.Sprintf("z%d = E%d[%s]", k, k, l.From[0])
	return y
}

// dropout adds layer k, a dropout of x: in the training functions (those
// that take gradients) y = x ⊙ m with the call's mask; elsewhere, and with
// p = 0, x itself.
func (g *graphFunc) dropout(k int, l *spec.Layer, x *ir.Value) *ir.Value {
	if !g.f.Grad || l.Dropout.P == 0 {
		return x
	}
	y := g.f.NewValue(ir.OpDropout, x.Type, x)
	y.Aux, y.Port, y.Name, y.Pos = l.Dropout.P, k, fmt.Sprintf("d%d", k), pos(l.Pos)
	y.Rule = fmt.Sprintf("d%d = %s ⊙ m%d, m%d = 1[u ≥ %g] / (1 − %g)", k, x.Label(), k, k, l.Dropout.P, l.Dropout.P)
	return y
}

// layerNorm adds layer k, a layer_norm over x: n = (x − μ)/σ on each row,
// then z = n ⊙ γ + β.
func (g *graphFunc) layerNorm(k int, l *spec.Layer, x *ir.Value) *ir.Value {
	lp := pos(l.Pos)
	n := g.f.NewValue(ir.OpNormalize, x.Type, x)
	n.Aux, n.Name, n.Pos = l.LayerNorm.Eps, fmt.Sprintf("n%d", k), lp
	n.Rule = fmt.Sprintf("n%d = (%s − μ) / σ", k, x.Label())
	gamma := g.f.NewValue(ir.OpParam, ir.Vector(x.Type.Cols()))
	gamma.Name, gamma.Pos = fmt.Sprintf("G%d", k), lp
	s := g.f.NewValue(ir.OpMul, x.Type, n, gamma)
	s.Name, s.Pos = fmt.Sprintf("s%d", k), lp
	s.Rule = fmt.Sprintf("s%d = n%d ⊙ G%d", k, k, k)
	beta := g.f.NewValue(ir.OpParam, ir.Vector(x.Type.Cols()))
	beta.Name, beta.Pos = fmt.Sprintf("B%d", k), lp
	z := g.f.NewValue(ir.OpSum, x.Type, s, beta)
	z.Name, z.Pos = fmt.Sprintf("z%d", k), lp
	z.Rule = fmt.Sprintf("z%d = s%d + B%d", k, k, k)
	return z
}

// head adds head j: its dense layer (none for a network whose last layer is
// its output), then, outside predict, its loss term. It returns the head's
// output.
func (g *graphFunc) head(j int, h head, role ir.Role) *ir.Value {
	a := g.last
	if h.layer != nil {
		k := len(g.n.Layers) + j + 1
		lp := pos(h.layer.Pos)
		a = activation(g.f, g.dense(k, h.layer, g.read(h.layer.From, k, lp)), *h.layer, k)
	}
	if role.Predicts() || h.loss == spec.NoLoss || h.weight == 0 {
		return a
	}
	suffix := ""
	if len(g.n.Outputs) > 1 {
		suffix = "_" + h.name
	}
	t := g.target(j, a, "t"+suffix, pos(h.pos))
	lr := losses[h.loss]
	args := []*ir.Value{a, t}
	if h.loss == spec.SoftmaxCrossEntropy && len(g.n.Outputs) <= 1 {
		// As a chain's: TrainLabels passes class indices instead of targets.
		lab := g.f.NewValue(ir.OpLabel, ir.Batch(1))
		lab.Name, lab.Pos = "l", t.Pos
		args = append(args, lab)
	}
	loss := g.f.NewValue(lr.op, ir.Scalar, args...)
	loss.Name, loss.Pos = "L"+suffix, t.Pos
	body := strings.TrimPrefix(fmt.Sprintf(lr.rule, a.Label(), t.Label()), "L = ")
	loss.Rule = loss.Name + " = " + body
	if h.weight != 1 {
		loss.Aux = h.weight
		loss.Rule = fmt.Sprintf("%s = %g · (%s)", loss.Name, h.weight, body)
	}
	g.f.Outputs = append(g.f.Outputs, ir.Output{Kind: ir.LossOut, Value: loss, Port: j})
	return a
}

// target returns head j's targets, of a's type: the one target row, or, for
// several heads, the head's columns of the flat target row.
func (g *graphFunc) target(j int, a *ir.Value, name string, tp ir.Pos) *ir.Value {
	if len(g.n.Outputs) <= 1 {
		t := g.f.NewValue(ir.OpTarget, a.Type)
		t.Name, t.Pos = name, tp
		return t
	}
	if g.t == nil {
		w := 0
		for _, h := range g.n.Outputs {
			w += h.Layer.Dense
		}
		g.t = g.f.NewValue(ir.OpTarget, ir.Batch(w))
		g.t.Name, g.t.Pos = "t", pos(g.n.Fields.At("outputs", g.n.Pos))
	}
	off := 0
	for _, h := range g.n.Outputs[:j] {
		off += h.Layer.Dense
	}
	c := g.f.NewValue(ir.OpColumns, a.Type, g.t)
	c.Aux, c.Name, c.Pos = float64(off), name, tp
	c.Rule = fmt.Sprintf("%s = t[%d:%d]", name, off, off+a.Type.Cols())
	return c
}
