// Package torchspec writes a network as a self-contained Python module for
// PyTorch: an nn.Module equivalent to the spec, whose state_dict holds
// gradgen's Layout names, and factories for the spec's loss, optimizer,
// gradient clipping and learning-rate schedule, with readers and writers of
// safetensors files. A network designed and tested in Go can so be trained
// where PyTorch runs (on several machines, with DistributedDataParallel) and
// its weights brought back with safetensors.LoadParams.
//
// The module is deterministic (the same spec gives the same bytes), needs
// only torch (1.13 or newer), and uses the safetensors package when it is
// importable, else a minimal reader and writer of its own (support.py),
// which writes the bytes gradgen's safetensors.SaveParams writes.
//
// The choices where PyTorch and gradgen differ in form, not in value:
//
//   - Each layer with parameters is a module at the prefix of its names
//     (nn.Linear, nn.LayerNorm, nn.Embedding) when they are
//     "<prefix>.weight" and "<prefix>.bias"; otherwise (names of an imported
//     model, a weight kept transposed) each parameter is registered under
//     its own name and the layer computes with F.linear, F.layer_norm or
//     F.embedding (a transposed weight as W.t()).
//   - An output map (softmax or log_softmax of an imported model), which
//     Predict applies and the losses do not read, applies in eval mode only:
//     in training mode forward returns what loss_fn reads.
//   - A head without loss (or of weight 0) adds 0·its outputs to the loss,
//     so that its parameters get a zero gradient, which weight decay and
//     momentum act on as in gradgen, and DistributedDataParallel sees every
//     parameter used.
//   - A schedule of a warm-up and then cosine or step decay is a LambdaLR of
//     gradgen's formula (SequentialLR warns at its milestone); the others
//     are LambdaLR, CosineAnnealingLR and StepLR.
package torchspec

import (
	_ "embed"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/gradgen/gradgen/ir"
	"github.com/gradgen/gradgen/spec"
)

// support is the Python code every exported module ends with.
//
//go:embed support.py
var support string

// Export returns the Python module of the network n, which p is built from
// (build.Program(n, ...)): its parameter names, shapes and order are p's
// Layout. It returns an error, naming the layer, for what no PyTorch module
// can hold: a parameter name with an empty part between dots, or one that
// names both a parameter and a module ("fc.w" and "fc.w.x").
func Export(p *ir.Program, n *spec.Network) ([]byte, error) {
	if p == nil || n == nil {
		return nil, fmt.Errorf("torchspec: no program or network")
	}
	if n.ONNX != "" && len(n.Layers) == 0 {
		return nil, fmt.Errorf("torchspec: the network of %s is not imported yet (onnxspec.Resolve)", n.ONNX)
	}
	n = n.Normalized()
	e := &exporter{n: n, p: p, tree: newNode()}
	if err := e.plan(); err != nil {
		return nil, fmt.Errorf("torchspec: %w", err)
	}
	e.write()
	return []byte(e.b.String()), nil
}

// exporter writes one module.
type exporter struct {
	n     *spec.Network
	p     *ir.Program
	units []*unit // the layers, then the heads
	ins   []input
	heads []head
	tree  *node
	// order is the state_dict order torch gives the registered parameters,
	// which differs from gradgen's only for names that nest awkwardly.
	order   []string
	dropped map[int]bool // the dropout layers registered as nn.Dropout, by k
	b       strings.Builder
}

// input is an input of the network: a forward argument.
type input struct {
	name       string // the spec's (x for a network of one unnamed input)
	width      int
	categories int // > 0: an integer input, a LongTensor of ids
	py         string
}

// head is an output of the network: a head, or the last layer of a
// network without heads.
type head struct {
	name   string
	width  int
	loss   spec.Loss
	weight float64
	unit   *unit // its dense layer; nil for the last layer
}

// unit is a layer or a head's dense layer.
type unit struct {
	k      int // its number among the layers and heads, from 1 (gradgen's W<k>)
	what   string
	l      *spec.Layer
	kind   string // dense, add, layer_norm, dropout, embedding
	in     int    // its fan-in; a layer_norm's or dropout's width
	out    int
	params []ir.Param
	// path is the dotted path of the torch module (nn.Linear, nn.LayerNorm,
	// nn.Embedding) holding the unit's parameters as weight and bias, or ""
	// when they are registered one by one under their names (raw).
	path string
	py   string // the Python variable of its output
}

// plan matches the layers with p's parameters, decides how each is
// registered, and names the Python variables.
func (e *exporter) plan() error {
	n := e.n
	layerIn, layerOut, headIn := n.Fans()
	if len(n.Inputs) == 0 {
		e.ins = []input{{name: "x", width: n.Input}}
	}
	for _, in := range n.Inputs {
		e.ins = append(e.ins, input{name: in.Name, width: in.Width, categories: in.Categories})
	}
	next := 0
	take := func(u *unit, goName string) error {
		if next >= len(e.p.Params) || e.p.Params[next].Name != goName {
			return fmt.Errorf("%s: the program's parameters do not follow the spec's layers (want %s at %d); build the program from this network", u.what, goName, next)
		}
		u.params = append(u.params, e.p.Params[next])
		next++
		return nil
	}
	for i := range n.Layers {
		l := &n.Layers[i]
		k := i + 1
		u := &unit{k: k, what: fmt.Sprintf("layer %d", k), l: l, kind: l.Kind(), in: layerIn[i], out: layerOut[i]}
		var err error
		switch u.kind {
		case "embedding":
			u.in = n.Categories(*l)
			err = take(u, fmt.Sprintf("E%d", k))
		case "layer_norm":
			if err = take(u, fmt.Sprintf("G%d", k)); err == nil {
				err = take(u, fmt.Sprintf("B%d", k))
			}
		case "dense":
			if err = take(u, fmt.Sprintf("W%d", k)); err == nil && !l.NoBias {
				err = take(u, fmt.Sprintf("B%d", k))
			}
		}
		if err != nil {
			return err
		}
		e.units = append(e.units, u)
	}
	if len(n.Outputs) == 0 {
		e.heads = []head{{name: "y", width: layerOut[len(layerOut)-1], loss: n.Loss, weight: 1}}
	}
	for j := range n.Outputs {
		h := &n.Outputs[j]
		k := len(n.Layers) + j + 1
		u := &unit{k: k, what: "head " + strconv.Quote(h.Name), l: &h.Layer, kind: "dense", in: headIn[j], out: h.Layer.Dense}
		if err := take(u, fmt.Sprintf("W%d", k)); err != nil {
			return err
		}
		if !h.Layer.NoBias {
			if err := take(u, fmt.Sprintf("B%d", k)); err != nil {
				return err
			}
		}
		e.units = append(e.units, u)
		e.heads = append(e.heads, head{name: h.Name, width: h.Layer.Dense, loss: h.Loss, weight: h.Weight, unit: u})
	}
	if next != len(e.p.Params) {
		return fmt.Errorf("the program has %d parameters, the spec's layers %d; build the program from this network", len(e.p.Params), next)
	}
	for _, u := range e.units {
		if err := e.register(u); err != nil {
			return err
		}
	}
	e.order = e.tree.order(nil)
	e.dropouts()
	e.names()
	return nil
}

// register places u's parameters in the module tree: as the weight and
// bias of one torch module at their common prefix when they are named so
// (and the weight is not kept transposed), else one by one.
func (e *exporter) register(u *unit) error {
	if len(u.params) == 0 {
		return nil
	}
	for _, q := range u.params {
		if err := checkName(q.Torch); err != nil {
			return fmt.Errorf("%s: parameter %s: %w", u.what, strconv.Quote(q.Torch), err)
		}
	}
	prefix, ok := strings.CutSuffix(u.params[0].Torch, ".weight")
	std := ok && !u.params[0].Transposed
	if len(u.params) == 2 {
		std = std && u.params[1].Torch == prefix+".bias"
	}
	if std && !e.tree.has(prefix) {
		names := make([]string, len(u.params))
		for i, q := range u.params {
			names[i] = q.Torch
		}
		nd, err := e.tree.module(prefix)
		if err != nil {
			return fmt.Errorf("%s: %w", u.what, err)
		}
		nd.params = append(nd.params, names...)
		nd.leaves["weight"] = true
		if u.kind == "dense" || u.kind == "layer_norm" {
			nd.leaves["bias"] = true // nn.Linear(bias=False) holds bias None
		}
		u.path = prefix
		return nil
	}
	for _, q := range u.params {
		if err := e.tree.param(q.Torch); err != nil {
			return fmt.Errorf("%s: %w", u.what, err)
		}
	}
	return nil
}

// checkName reports whether name can be a state_dict key: parts between
// dots, none empty.
func checkName(name string) error {
	if slices.Contains(strings.Split(name, "."), "") {
		return fmt.Errorf("no PyTorch module can hold it: a state_dict name is module names and a parameter name joined by dots, none empty")
	}
	return nil
}

// dropouts registers each dropout layer as an nn.Dropout named as its
// layer (its name, or its index), unless the name is taken; it has no
// parameters, so the state_dict is the same either way.
func (e *exporter) dropouts() {
	e.dropped = map[int]bool{}
	for _, u := range e.units {
		if u.kind != "dropout" {
			continue
		}
		name := torchName(u)
		if !strings.Contains(name, ".") && !e.tree.has(name) && !e.tree.leaves[name] {
			e.tree.child(name)
			e.dropped[u.k] = true
		}
	}
}

// torchName is the name of layer u's module in gradgen's layout: its name,
// or its index among the layers.
func torchName(u *unit) string {
	if u.l.Name != "" {
		return u.l.Name
	}
	return strconv.Itoa(u.k - 1)
}

// node is a module of the tree the parameters are registered in: its own
// parameters' full names and its submodules, in the order of registration,
// as torch's state_dict walks them.
type node struct {
	params   []string
	leaves   map[string]bool
	children []string
	kids     map[string]*node
}

func newNode() *node { return &node{leaves: map[string]bool{}, kids: map[string]*node{}} }

// child returns the submodule name of nd, making it when missing.
func (nd *node) child(name string) *node {
	if c := nd.kids[name]; c != nil {
		return c
	}
	c := newNode()
	nd.kids[name] = c
	nd.children = append(nd.children, name)
	return c
}

// has reports whether path names a module of the tree.
func (nd *node) has(path string) bool {
	for _, part := range strings.Split(path, ".") {
		if nd = nd.kids[part]; nd == nil {
			return false
		}
	}
	return true
}

// module returns the node at path, made with the containers before it; a
// part that names a parameter is an error.
func (nd *node) module(path string) (*node, error) {
	for _, part := range strings.Split(path, ".") {
		if nd.leaves[part] {
			return nil, fmt.Errorf("%s names a parameter and a module (in %s): no PyTorch module can hold both", strconv.Quote(part), strconv.Quote(path))
		}
		nd = nd.child(part)
	}
	return nd, nil
}

// param registers the parameter of the full name.
func (nd *node) param(name string) error {
	parent, leaf := "", name
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		parent, leaf = name[:i], name[i+1:]
	}
	owner := nd
	if parent != "" {
		var err error
		if owner, err = nd.module(parent); err != nil {
			return fmt.Errorf("parameter %s: %w", strconv.Quote(name), err)
		}
	}
	if owner.leaves[leaf] || owner.kids[leaf] != nil {
		return fmt.Errorf("parameter %s: %s already names a parameter or module there: no PyTorch module can hold both", strconv.Quote(name), strconv.Quote(leaf))
	}
	owner.leaves[leaf] = true
	owner.params = append(owner.params, name)
	return nil
}

// order returns the parameters in state_dict order: a module's own, then
// its submodules' in turn.
func (nd *node) order(out []string) []string {
	out = append(out, nd.params...)
	for _, c := range nd.children {
		out = nd.kids[c].order(out)
	}
	return out
}

// pyReserved holds Python's keywords and the names the generated functions
// use, which no variable of the network may take.
var pyReserved = map[string]bool{
	"False": true, "None": true, "True": true, "and": true, "as": true, "assert": true, "async": true,
	"await": true, "break": true, "class": true, "continue": true, "def": true, "del": true, "elif": true,
	"else": true, "except": true, "finally": true, "for": true, "from": true, "global": true, "if": true,
	"import": true, "in": true, "is": true, "lambda": true, "nonlocal": true, "not": true, "or": true,
	"pass": true, "raise": true, "return": true, "try": true, "while": true, "with": true, "yield": true,
	"self": true, "torch": true, "nn": true, "F": true, "out": true,
}

// names gives each input and each layer's output a Python variable: its
// spec name (with _ appended while it is reserved or taken), or h<k> for an
// unnamed layer.
func (e *exporter) names() {
	taken := map[string]bool{}
	name := func(s string) string {
		for pyReserved[s] || taken[s] {
			s += "_"
		}
		taken[s] = true
		return s
	}
	for i := range e.ins {
		e.ins[i].py = name(e.ins[i].name)
	}
	for _, u := range e.units {
		if u.k <= len(e.n.Layers) && u.l.Name != "" {
			u.py = name(u.l.Name)
		}
	}
	for _, h := range e.heads {
		if h.unit != nil {
			h.unit.py = name(h.name)
		}
	}
	for _, u := range e.units {
		if u.py == "" {
			u.py = name(fmt.Sprintf("h%d", u.k))
		}
	}
}

// Python literals.

// pyStr is s as a Python string literal: Go's quoting, whose escapes
// Python reads the same.
func pyStr(s string) string { return strconv.Quote(s) }

// pyFloat is x as a Python float literal that reads back as x.
func pyFloat(x float64) string {
	switch {
	case math.IsInf(x, 1):
		return `float("inf")`
	case math.IsInf(x, -1):
		return `float("-inf")`
	case math.IsNaN(x):
		return `float("nan")`
	}
	s := strconv.FormatFloat(x, 'g', -1, 64)
	if !strings.ContainsAny(s, ".e") {
		s += ".0"
	}
	return s
}

// pyShape is a shape as a Python tuple.
func pyShape(dims []int) string {
	parts := make([]string, len(dims))
	for i, d := range dims {
		parts[i] = strconv.Itoa(d)
	}
	if len(parts) == 1 {
		return "(" + parts[0] + ",)"
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// fileShape is a parameter's shape in gradgen's safetensors files and in
// the module: [in, out] for a weight kept transposed.
func fileShape(q ir.Param) []int {
	if q.Transposed && len(q.Type.Dims) == 2 {
		return []int{q.Type.Dims[1], q.Type.Dims[0]}
	}
	return q.Type.Dims
}

// line writes one line of Python: indent levels of four spaces, then the
// formatted text.
func (e *exporter) line(indent int, format string, args ...any) {
	if format != "" {
		e.b.WriteString(strings.Repeat("    ", indent))
		fmt.Fprintf(&e.b, format, args...)
	}
	e.b.WriteByte('\n')
}

// comment writes text as Python comment lines.
func (e *exporter) comment(indent int, text string) {
	for _, s := range strings.Split(text, "\n") {
		e.line(indent, "# %s", s)
	}
}

// oneLine replaces control characters, which would end a comment line.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return '?'
		}
		return r
	}, s)
}
