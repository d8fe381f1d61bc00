package onnxspec

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/gradgen/gradgen/onnxspec/onnxpb"
	"github.com/gradgen/gradgen/spec"
)

// Opset bounds: the default-domain opsets whose semantics of the supported
// ops the importer knows (torch.onnx.export writes 7 to 17 in torch 1.13,
// newer releases up to 20).
const (
	MinImportOpset = 7
	MaxImportOpset = 21
)

// stage is how far a layer has come: an affine layer is a product, then
// optionally a bias, then optionally an activation.
type stage uint8

const (
	product     stage = iota // W x, no bias yet
	biased                   // W x + b
	activated                // act(W x + b)
	outputMap                // softmax or log_softmax of the last layer: nothing may follow
	inputStage               // a graph input, before any layer
	concatStage              // a Concat of values, which a layer reads (its from list)
)

// flow is a tensor computed from the graph input: the network's
// activations, one row per sample.
type flow struct {
	dims  []int // the shape of one sample
	layer int   // the layer whose output it is, -1 for an input or a Concat
	input int   // the graph input it is, for an input
	stage stage
	parts []*flow // a Concat's parts, each an input or a layer's output
	// ids says that the flow is an integer graph input's ids (dims [] for
	// [batch], [1] for [batch, 1]), which only a Gather of an embedding
	// table reads (embed.go).
	ids bool
}

// width is the number of values of one sample.
func (f *flow) width() int {
	w := 1
	for _, d := range f.dims {
		w *= d
	}
	return w
}

// layerWeights are a layer's parameters as the model holds them.
type layerWeights struct {
	w    []float64 // [out][in], row-major (transposed at import when the model holds Wᵀ)
	b    []float64 // nil for none
	node int       // the node of the product, for messages
	// from is what the layer's product reads (a Concat's parts), and
	// follows says that it is the layer above (or the one input, for the
	// first layer); add holds the two values an add layer sums.
	from    []*flow
	follows bool
	add     []*flow
	stage   stage // how far the layer has come
	norm    bool  // a layer normalization: w is its γ, b its β
	embed   bool  // an embedding: w is its table [categories][dim], from its ids
}

// graphInput is an input of the graph: a float one, or an integer one of
// ids, whose categories are the rows of the tables that read it (0 until a
// Gather reads it).
type graphInput struct {
	name       string
	width      int
	ids        bool
	categories int
	pos        spec.Pos
}

// importer lowers one graph into a network.
type importer struct {
	file  string
	g     *onnxpb.GraphProto
	opset int64
	// node is the index of the node being lowered.
	node int
	// Each tensor of the graph is exactly one of a flow or a constant.
	flows  map[string]*flow
	consts map[string]*constant
	uses   map[valueKey]*use // who reads and extends each value
	inputs []graphInput
	// elem is the element type the network computes in: its float
	// inputs', or, without one, its first embedding table's (UNDEFINED
	// until then); elemFrom names where it comes from, for messages.
	elem     onnxpb.TensorProto_DataType
	elemFrom string
	batch    int64 // the input's fixed batch, or batchDim when dynamic
	net      *spec.Network
	layers   []layerWeights
	// graphUses indexes the graph's readers; fused holds the nodes of
	// each layer normalization written as its decomposition, and unfused
	// why a ReduceMean of the network's values is not one (norm.go).
	graphUses *graphUses
	fused     map[int]*normPattern
	unfused   map[int]string
}

// Import lowers the graph of m, an ONNX model read from file, into a
// network: input width, layers with their weights (Pretrained), the output
// map and the tensors' names. Package, loss and optimizer are left for the
// caller (Load fills them). The graph must be a chain of supported ops (see
// Supported); every problem is an error naming the node, its op and what
// is supported.
func Import(file string, m *onnxpb.ModelProto) (*spec.Network, error) {
	im := &importer{file: file, g: m.GetGraph(), flows: map[string]*flow{}, consts: map[string]*constant{},
		uses: map[valueKey]*use{}, node: -1,
		net: &spec.Network{File: file, Pos: spec.Pos{File: file}, Fields: spec.Positions{}}}
	if err := im.header(m); err != nil {
		return nil, err
	}
	im.graphUses = newGraphUses(im.g)
	im.fused, im.unfused = findNorms(im.g, im.graphUses)
	if err := im.unsupported(); err != nil {
		return nil, err
	}
	for i, n := range im.g.GetNode() {
		im.node = i
		lower := lowerers[n.GetOpType()]
		if p := im.fused[i]; p != nil {
			if i != p.last {
				continue // lowered with the pattern's last node
			}
			lower = func(im *importer, _ *onnxpb.NodeProto) error { return im.lowerNorm(p) }
		}
		if err := lower(im, n); err != nil {
			return nil, im.errorf("%v", err)
		}
	}
	im.node = -1
	return im.network()
}

// errorf returns a positioned error: at the node being lowered, or at the
// file.
func (im *importer) errorf(format string, args ...any) error {
	pos := spec.Pos{File: im.file}
	if im.node >= 0 {
		pos.Node = nodeLabel(im.g, im.node)
	}
	return spec.ErrorList{{Pos: pos, Msg: fmt.Sprintf(format, args...)}}
}

// nodeLabel names node i in a position: `7 "/fc1/Gemm" (Gemm)`, or
// `7 (Gemm)` for a node without a name.
func nodeLabel(g *onnxpb.GraphProto, i int) string {
	return strings.TrimPrefix(NodeName(g, i), "node ")
}

// header reads the opset, the initializers and the one graph input.
func (im *importer) header(m *onnxpb.ModelProto) error {
	im.opset = -1
	for _, o := range m.GetOpsetImport() {
		if d := o.GetDomain(); d == "" || d == "ai.onnx" {
			im.opset = o.GetVersion()
		}
	}
	switch {
	case im.opset < 0:
		return im.errorf("the model imports no opset of the default domain (ai.onnx)")
	case im.opset < MinImportOpset || im.opset > MaxImportOpset:
		return im.errorf("opset %d; gradgen reads opsets %d to %d", im.opset, MinImportOpset, MaxImportOpset)
	}
	var errs []error
	for _, t := range im.g.GetInitializer() {
		c, err := decodeTensor(t)
		if err != nil {
			errs = append(errs, im.errorf("initializer: %v", err))
			continue
		}
		c.initializer = true
		im.consts[c.name] = c
	}
	if len(im.g.GetSparseInitializer()) > 0 {
		errs = append(errs, im.errorf("the model has sparse initializers, which gradgen does not read"))
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	return im.input()
}

// input reads the graph's inputs: float or double tensors of shape
// [batch, d1, d2, ...] with a fixed or symbolic batch and fixed dims; one
// input may have several dims (a Flatten or Reshape makes it a row), several
// inputs are rows. An int64 or int32 input of shape [batch] or [batch, 1]
// holds one id per sample, which a Gather of an embedding table reads.
func (im *importer) input() error {
	var inputs []*onnxpb.ValueInfoProto
	for _, in := range im.g.GetInput() {
		if _, isInit := im.consts[in.GetName()]; !isInit { // IR < 4 lists initializers as inputs too
			inputs = append(inputs, in)
		}
	}
	if len(inputs) == 0 {
		return im.errorf("the graph has no inputs")
	}
	if len(im.g.GetOutput()) == 0 {
		return im.errorf("the graph has no outputs")
	}
	for k, in := range inputs {
		if err := im.graphInput(k, in, len(inputs) > 1); err != nil {
			return err
		}
	}
	return nil
}

// graphInput reads input k, of several when rows.
func (im *importer) graphInput(k int, in *onnxpb.ValueInfoProto, rows bool) error {
	t := in.GetType().GetTensorType()
	if t == nil {
		return im.errorf("input %q is not a tensor", in.GetName())
	}
	elem := onnxpb.TensorProto_DataType(t.GetElemType())
	ids := elem == onnxpb.TensorProto_INT64 || elem == onnxpb.TensorProto_INT32
	if !ids && elem != onnxpb.TensorProto_FLOAT && elem != onnxpb.TensorProto_DOUBLE {
		return im.errorf("input %q holds %s; gradgen networks compute in float32 or float64 (and read int64 or int32 ids, one per sample, as the indices of an embedding's Gather)", in.GetName(), elem)
	}
	if !ids && im.elem != onnxpb.TensorProto_UNDEFINED && elem != im.elem {
		return im.errorf("input %q holds %s, input %q %s: gradgen computes in one type", in.GetName(), elemName(elem), im.elemFrom, elemName(im.elem))
	}
	if !ids {
		im.elem, im.elemFrom = elem, in.GetName()
	}
	dims := t.GetShape().GetDim()
	switch {
	case ids && (t.GetShape() == nil || len(dims) < 1 || len(dims) > 2 || len(dims) == 2 && !fixedDim(dims[1], 1)):
		return im.errorf("input %q holds %s ids and has %s; gradgen reads an integer input of shape [batch] or [batch, 1], one id per sample (the indices of nn.Embedding)", in.GetName(), elem, shapeText(dims))
	case !ids && (t.GetShape() == nil || len(dims) < 2 || rows && len(dims) != 2):
		want := "[batch, features...], one row per sample"
		if rows {
			want = "[batch, features] for each input of a model of several, one row per sample"
		}
		return im.errorf("input %q has %s; gradgen needs %s", in.GetName(), shapeText(dims), want)
	}
	batch := int64(batchDim)
	if v, ok := dims[0].GetValue().(*onnxpb.TensorShapeProto_Dimension_DimValue); ok && v.DimValue > 0 {
		batch = v.DimValue
	}
	if k > 0 && batch != im.batch {
		return im.errorf("input %q has %s, input %q a batch of another size: the inputs are rows of the same samples", in.GetName(), shapeText(dims), im.inputs[0].name)
	}
	im.batch = batch
	f := &flow{layer: -1, input: k, stage: inputStage, ids: ids}
	if ids {
		if len(dims) == 2 {
			f.dims = []int{1}
		}
		im.flows[in.GetName()] = f
		im.inputs = append(im.inputs, graphInput{name: in.GetName(), width: 1, ids: true, pos: spec.Pos{File: im.file}})
		return nil
	}
	for _, d := range dims[1:] {
		v := d.GetDimValue()
		if _, fixed := d.GetValue().(*onnxpb.TensorShapeProto_Dimension_DimValue); !fixed || v <= 0 || v > spec.MaxWidth {
			return im.errorf("input %q has %s; every dimension after the batch must be a fixed size from 1 to %d", in.GetName(), shapeText(dims), spec.MaxWidth)
		}
		f.dims = append(f.dims, int(v))
		if f.width() > spec.MaxWidth { // checked as it grows: the product cannot overflow
			break
		}
	}
	if f.width() > spec.MaxWidth {
		return im.errorf("input %q has %s: %d values per sample, more than %d", in.GetName(), shapeText(dims), f.width(), spec.MaxWidth)
	}
	im.flows[in.GetName()] = f
	im.inputs = append(im.inputs, graphInput{name: in.GetName(), width: f.width(), pos: spec.Pos{File: im.file}})
	return nil
}

// fixedDim reports whether d is the fixed size v.
func fixedDim(d *onnxpb.TensorShapeProto_Dimension, v int64) bool {
	x, ok := d.GetValue().(*onnxpb.TensorShapeProto_Dimension_DimValue)
	return ok && x.DimValue == v
}

// shapeText formats a declared shape as [batch, 1, 8, 8].
func shapeText(dims []*onnxpb.TensorShapeProto_Dimension) string {
	parts := make([]string, len(dims))
	for i, d := range dims {
		if p := d.GetDimParam(); p != "" {
			parts[i] = p
		} else if _, ok := d.GetValue().(*onnxpb.TensorShapeProto_Dimension_DimValue); ok {
			parts[i] = fmt.Sprint(d.GetDimValue())
		} else {
			parts[i] = "?"
		}
	}
	return "shape [" + strings.Join(parts, ", ") + "]"
}

// unsupported reports every node whose op gradgen does not import, all at
// once.
func (im *importer) unsupported() error {
	var errs spec.ErrorList
	for i, n := range im.g.GetNode() {
		if d := n.GetDomain(); d != "" && d != "ai.onnx" {
			errs = append(errs, &spec.Error{Pos: spec.Pos{File: im.file, Node: nodeLabel(im.g, i)},
				Msg: fmt.Sprintf("op of domain %q: not supported (gradgen reads the default domain's %s)", d, strings.Join(Supported(), ", "))})
		} else if lowerers[n.GetOpType()] == nil && im.fused[i] == nil {
			errs = append(errs, &spec.Error{Pos: spec.Pos{File: im.file, Node: nodeLabel(im.g, i)},
				Msg: fmt.Sprintf("not supported (supported: %s)%s", strings.Join(Supported(), ", "), normHint(n.GetOpType(), im.unfused[i]))})
		}
	}
	return errs.Err()
}

// Supported returns the ops the importer reads, sorted.
func Supported() []string {
	ops := make([]string, 0, len(lowerers))
	for op := range lowerers {
		ops = append(ops, op)
	}
	slices.Sort(ops)
	return ops
}

// network assembles the imported network once every node is lowered: a
// chain, whose one output is the last layer's (or its output map's), or a
// graph network (graphNetwork).
func (im *importer) network() (*spec.Network, error) {
	outs := make([]*flow, len(im.g.GetOutput()))
	for j, o := range im.g.GetOutput() {
		f := im.flows[o.GetName()]
		switch {
		case f == nil && im.consts[o.GetName()] != nil:
			return nil, im.errorf("the output %q is a constant: it does not depend on the input", o.GetName())
		case f == nil:
			return nil, im.errorf("no node computes the output %q", o.GetName())
		case len(im.layers) == 0:
			return nil, im.errorf("the graph has no Gemm or MatMul: gradgen imports networks of dense layers")
		case f.stage != concatStage && f.layer >= 0 && f.stage != im.layers[f.layer].stage:
			return nil, im.errorf("the output %q is %s, which node %s extends: the output must be the layer's last stage", o.GetName(), im.describe(f), nodeLabel(im.g, im.useOf(f.key()).extendedBy))
		}
		outs[j] = f
	}
	for k, in := range im.inputs {
		switch {
		case in.ids && in.categories == 0:
			return nil, im.errorf("no Gather of an embedding table reads the integer input %q: gradgen reads ids only as the indices of an embedding (nn.Embedding)", in.name)
		case im.useOf(valueKey{layer: -1, stage: inputStage, input: k}).readBy < 0:
			return nil, im.errorf("no layer reads the input %q: every input of a gradgen network feeds it", in.name)
		}
	}
	var heads map[int]int
	if len(outs) > 1 {
		var err error
		if heads, err = im.graphOutputs(outs); err != nil {
			return nil, err
		}
	} else if f := outs[0]; f.layer == len(im.layers)-1 && f.layer >= 0 && len(f.dims) == 0 {
		return nil, im.errorf("the output %q is the last layer's output of shape [batch] (a Squeeze or a Reshape to [-1] of its [batch, 1]); gradgen's output is [batch, outputs]: export the model without it", im.g.GetOutput()[0].GetName())
	} else if f.layer != len(im.layers)-1 || len(f.dims) != 1 {
		return nil, im.errorf("the output %q is not the last layer's output", im.g.GetOutput()[0].GetName())
	}
	n := im.net
	n.DType = spec.Float32
	if im.elem == onnxpb.TensorProto_DOUBLE {
		n.DType = spec.Float64
	}
	for i, l := range im.layers {
		n.Layers[i].NoBias = l.b == nil && l.add == nil && !l.embed
	}
	for _, i := range im.graphNetwork(heads) {
		n.Pretrained = append(n.Pretrained, im.layers[i].w...)
		n.Pretrained = append(n.Pretrained, im.layers[i].b...)
	}
	return n, nil
}
