package onnxspec

import (
	"fmt"
	"strings"

	"github.com/gradgen/gradgen/onnxspec/onnxpb"
	"github.com/gradgen/gradgen/spec"
)

// A model whose values have several users — inputs concatenated
// (torch.cat), a residual Add of two of the network's values, several graph
// inputs or outputs — imports as a graph network (spec.Network.IsGraph):
// its layers read named values with from and add, and its outputs are heads.
// A chain still imports as a chain, with the same spec as before.
//
// Each value of the network is one stage of one layer, or an input
// (valueKey). A node either reads a value (a layer's product reads its
// input, a Concat its parts, an Add of two values both, a graph output its
// value) or extends it (the bias Add, the activation and the output map
// make the next stage of the same layer). A value that is extended cannot
// also be read, since gradgen's layer keeps only its last stage.

// valueKey identifies a value of the network: a stage of a layer, or the
// graph input of index input (layer −1).
type valueKey struct {
	layer int
	stage stage
	input int
}

// key returns the value f holds.
func (f *flow) key() valueKey {
	if f.layer < 0 {
		return valueKey{layer: -1, stage: inputStage, input: f.input}
	}
	return valueKey{layer: f.layer, stage: f.stage, input: -1}
}

// use records who reads and who extends each value: the first node of
// each, −1 for none.
type use struct{ readBy, extendedBy int }

// useOf returns the record of the value k, creating it.
func (im *importer) useOf(k valueKey) *use {
	u := im.uses[k]
	if u == nil {
		u = &use{readBy: -1, extendedBy: -1}
		im.uses[k] = u
	}
	return u
}

// readArg returns input k of n as a value n reads; a Concat flow only when
// concat allows it (n is a Gemm, MatMul, LayerNormalization, a layer
// normalization's decomposition or Concat).
func (im *importer) readArg(n *onnxpb.NodeProto, k int, concat bool) (*flow, error) {
	name := arg(n, k)
	f := im.flows[name]
	if f == nil {
		return nil, im.missing(n, k)
	}
	switch {
	case f.ids:
		return nil, im.idsRead(n, k, f)
	case f.stage == outputMap:
		return nil, fmt.Errorf("%s reads %q, the output of a %s, which must be the graph's last node", n.GetOpType(), name, im.net.Output)
	case f.stage == concatStage && !concat:
		return nil, fmt.Errorf("%s of %q, a Concat: gradgen reads a Concat of the network's values as the input of a Gemm, MatMul or LayerNormalization (a layer's from list)", n.GetOpType(), name)
	case f.stage == concatStage:
		return f, nil // its parts were read by the Concat
	}
	u := im.useOf(f.key())
	if u.extendedBy >= 0 {
		return nil, fmt.Errorf("%s reads %q, %s, which node %s extends: gradgen layers take their bias and activation before any other node reads their output",
			n.GetOpType(), name, im.describe(f), nodeLabel(im.g, u.extendedBy))
	}
	if u.readBy < 0 {
		u.readBy = im.node
	}
	return f, nil
}

// extendArg returns input k of n as a value n extends into the next stage
// of its layer (a bias, an activation, an output map): nothing else may
// read or extend it.
func (im *importer) extendArg(n *onnxpb.NodeProto, k int) (*flow, error) {
	f, err := im.flowArg(n, k)
	if err != nil {
		return nil, err
	}
	if f.ids {
		return nil, im.idsRead(n, k, f)
	}
	u := im.useOf(f.key())
	switch {
	case u.readBy >= 0:
		return nil, fmt.Errorf("%s of %q, %s, which node %s also reads: gradgen layers take their bias and activation before any other node reads their output",
			n.GetOpType(), arg(n, k), im.describe(f), nodeLabel(im.g, u.readBy))
	case u.extendedBy >= 0:
		return nil, fmt.Errorf("%s of %q, %s, which node %s also extends: gradgen layers take one bias and one activation",
			n.GetOpType(), arg(n, k), im.describe(f), nodeLabel(im.g, u.extendedBy))
	}
	u.extendedBy = im.node
	return f, nil
}

// concatFlows lowers Concat of the network's values over each sample's
// values (axis 1 or −1): the parts a layer reading it concatenates, its
// from list. A Concat of Concats is one list.
func (im *importer) concatFlows(n *onnxpb.NodeProto) error {
	if axis := attrInt(n, "axis", 0); axis != 1 && axis != -1 {
		return fmt.Errorf("a Concat of the network's values over axis %d; gradgen concatenates each sample's values (axis 1 or -1, torch.cat(dim=1))", axis)
	}
	y := &flow{layer: -1, input: -1, stage: concatStage}
	w := 0
	for k := range n.GetInput() {
		if im.flows[arg(n, k)] == nil {
			return fmt.Errorf("a Concat of the network's values and the constant %q; gradgen concatenates values computed from the inputs", arg(n, k))
		}
		f, err := im.readArg(n, k, true)
		if err != nil {
			return err
		}
		if len(f.dims) != 1 {
			return fmt.Errorf("a Concat of %q, a tensor of %d dimensions per sample (%v): flatten it first", arg(n, k), len(f.dims), f.dims)
		}
		if f.stage == concatStage {
			y.parts = append(y.parts, f.parts...)
		} else {
			y.parts = append(y.parts, f)
		}
		w += f.width()
	}
	if w > spec.MaxWidth {
		return fmt.Errorf("a Concat of %d values per sample, more than %d", w, spec.MaxWidth)
	}
	y.dims = []int{w}
	return im.define(n, 0, y, nil)
}

// residualAdd lowers an Add of two of the network's values of one width
// (a skip connection, x + f(x)): an add layer, whose output an activation
// may follow.
func (im *importer) residualAdd(n *onnxpb.NodeProto) error {
	var parts [2]*flow
	for k := range parts {
		f, err := im.readArg(n, k, false)
		if err != nil {
			return err
		}
		if len(f.dims) != 1 {
			return fmt.Errorf("an Add of %q, a tensor of %d dimensions per sample (%v): gradgen adds rows of values", arg(n, k), len(f.dims), f.dims)
		}
		parts[k] = f
	}
	if a, b := parts[0].width(), parts[1].width(); a != b {
		return fmt.Errorf("an Add of %q (%d values per sample) and %q (%d): gradgen adds values of one width, without broadcasting", arg(n, 0), a, arg(n, 1), b)
	}
	im.net.Layers = append(im.net.Layers, spec.Layer{Activation: spec.None,
		Pos: spec.Pos{File: im.file, Node: nodeLabel(im.g, im.node)}, Fields: spec.Positions{}})
	im.layers = append(im.layers, layerWeights{node: im.node, add: parts[:]})
	return im.define(n, 0, &flow{dims: []int{parts[0].width()}, layer: len(im.layers) - 1, input: -1, stage: biased}, nil)
}

// source returns what a layer reading x reads: x, or a Concat's parts.
func source(x *flow) []*flow {
	if x.stage == concatStage {
		return x.parts
	}
	return []*flow{x}
}

// follows reports whether a layer added now that reads x reads the layer
// above it (or the one input, as the first layer): what a layer without
// from reads.
func (im *importer) follows(x *flow) bool {
	switch {
	case x.stage == concatStage:
		return false
	case x.layer < 0:
		return len(im.inputs) == 1 && len(im.layers) == 0
	}
	return x.layer == len(im.layers)-1
}

// graphOutputs checks the outputs of a model of several: each the last
// stage of a layer with weights, which nothing else reads; those layers are
// the heads. It returns the head of each such layer.
func (im *importer) graphOutputs(outs []*flow) (map[int]int, error) {
	heads := map[int]int{}
	for j, f := range outs {
		name := im.g.GetOutput()[j].GetName()
		switch {
		case f.stage == concatStage || f.layer < 0:
			return nil, im.errorf("the output %q is not a layer's output: each output of a model of several outputs must be a Gemm or MatMul (with its bias and activation), a head", name)
		case im.layers[f.layer].add != nil:
			return nil, im.errorf("the output %q is an Add of two values: each output of a model of several outputs must be a Gemm or MatMul (with its bias and activation), a head", name)
		case im.layers[f.layer].norm:
			return nil, im.errorf("the output %q is a layer normalization: each output of a model of several outputs must be a Gemm or MatMul (with its bias and activation), a head", name)
		case im.layers[f.layer].embed:
			return nil, im.errorf("the output %q is an embedding (a Gather of its table): each output of a model of several outputs must be a Gemm or MatMul (with its bias and activation), a head", name)
		case f.stage == outputMap:
			return nil, im.errorf("the output %q is a %s: gradgen applies Softmax or LogSoftmax to a model of one output only", name, im.net.Output)
		case im.useOf(f.key()).readBy >= 0:
			return nil, im.errorf("the output %q is also read by node %s: each output of a model of several outputs must be a head, which nothing else reads", name, nodeLabel(im.g, im.useOf(f.key()).readBy))
		}
		if k, dup := heads[f.layer]; dup {
			return nil, im.errorf("the outputs %q and %q are the same layer's values", im.g.GetOutput()[k].GetName(), name)
		}
		heads[f.layer] = j
	}
	return heads, nil
}

// graphNetwork makes the imported layers a graph network when the model is
// one: it names the values that layers read by name (from, add), the
// inputs when there are several or a layer names one, and makes the
// layers the outputs read into heads (heads, from graphOutputs, for a model
// of several outputs). It returns the order of the parameters: the layers'
// indices, then the heads'.
func (im *importer) graphNetwork(heads map[int]int) []int {
	n := im.net
	var order []int
	for i := range im.layers {
		if _, isHead := heads[i]; !isHead {
			order = append(order, i)
		}
	}
	// What each layer and head reads by name; a head reads the last
	// layer without.
	refs := make([][]*flow, len(im.layers))
	for _, i := range order {
		if w := &im.layers[i]; w.add != nil {
			refs[i] = w.add
		} else if !w.follows {
			refs[i] = w.from
		}
	}
	headOrder := make([]int, len(heads))
	for i, j := range heads {
		headOrder[j] = i
		if from := im.layers[i].from; len(order) == 0 || len(from) != 1 || from[0].layer != order[len(order)-1] {
			refs[i] = from
		}
	}
	names := im.nameValues(headOrder, refs)
	var layers []spec.Layer
	for _, i := range order {
		l := n.Layers[i]
		l.Name, l.Add, l.From = names.layer[i], nil, nil
		if im.layers[i].add != nil {
			l.Add = names.of(refs[i])
		} else if refs[i] != nil {
			l.From = names.of(refs[i])
		}
		layers = append(layers, l)
	}
	for j, i := range headOrder {
		h := spec.Head{Name: names.head[j], Layer: n.Layers[i], Loss: spec.MSE, Pos: n.Layers[i].Pos, Fields: spec.Positions{}}
		if refs[i] != nil {
			h.Layer.From = names.of(refs[i])
		}
		n.Outputs = append(n.Outputs, h)
	}
	n.Layers = layers
	graph := n.IsGraph() // a graph names its inputs, as the model does
	if names.inputs || len(im.inputs) > 1 || graph {
		for k, in := range im.inputs {
			n.Inputs = append(n.Inputs, spec.Port{Name: names.input[k], Width: in.width, Categories: in.categories, Pos: in.pos})
		}
		n.Input = 0
		delete(n.Fields, "input")
	}
	return append(order, headOrder...)
}

// valueNames are the names a graph network gives its inputs, layers and
// heads.
type valueNames struct {
	input  []string
	layer  map[int]string
	head   []string
	inputs bool // some layer reads an input by name: the inputs are named
}

// of returns the names of the values fs.
func (v *valueNames) of(fs []*flow) []string {
	names := make([]string, len(fs))
	for i, f := range fs {
		if f.layer < 0 {
			names[i] = v.input[f.input]
		} else {
			names[i] = v.layer[f.layer]
		}
	}
	return names
}

// nameValues names the inputs after the graph's inputs, the heads (the
// layers of headOrder) after the graph's outputs, and each layer that refs
// names after its weight's module (trunk, of trunk.weight) or as layer<k>
// or add<k>: each a valid spec name, unique in the network, also as a Go
// field.
func (im *importer) nameValues(headOrder []int, refs [][]*flow) *valueNames {
	v := &valueNames{layer: map[int]string{}}
	taken := map[string]bool{}
	unique := func(s string) string {
		base := s
		for k := 2; taken[s] || taken[spec.FieldName(s)]; k++ {
			s = fmt.Sprintf("%s_%d", base, k)
		}
		taken[s], taken[spec.FieldName(s)] = true, true
		return s
	}
	for _, in := range im.inputs {
		v.input = append(v.input, unique(specName(in.name, "input")))
	}
	for j := range headOrder {
		v.head = append(v.head, unique(specName(im.g.GetOutput()[j].GetName(), "output")))
	}
	named := map[int]bool{}
	for _, fs := range refs {
		for _, f := range fs {
			if f.layer < 0 {
				v.inputs = true
			} else {
				named[f.layer] = true
			}
		}
	}
	for i := range im.layers {
		if !named[i] {
			continue
		}
		weight := im.net.Layers[i].WeightName
		module, ok := strings.CutSuffix(weight, ".weight")
		switch {
		case im.layers[i].add != nil:
			module = fmt.Sprintf("add%d", i+1)
		case !ok || module == "":
			module = fmt.Sprintf("layer%d", i+1)
		}
		v.layer[i] = unique(specName(module, "layer"))
	}
	return v
}

// specName makes s a spec name: a letter, then letters, digits and
// underscores. Other characters become underscores, and a name that does
// not start with a letter gets prefix and an underscore before it.
func specName(s, prefix string) string {
	var b strings.Builder
	for _, r := range s {
		if r < 0x80 && (r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	name := b.String()
	for strings.Contains(name, "__") {
		name = strings.ReplaceAll(name, "__", "_")
	}
	name = strings.Trim(name, "_")
	if name == "" || !(name[0] >= 'a' && name[0] <= 'z' || name[0] >= 'A' && name[0] <= 'Z') {
		name = strings.TrimSuffix(prefix+"_"+name, "_")
	}
	return name
}
