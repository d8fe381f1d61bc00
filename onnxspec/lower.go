package onnxspec

import (
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/gradgen/gradgen/onnxspec/onnxpb"
	"github.com/gradgen/gradgen/spec"
)

// lowerers holds, for each supported op, the function that lowers one of
// its nodes: it reads the node's inputs (flows or constants) and defines
// its outputs, adding layers and their parts to the network.
var lowerers map[string]func(im *importer, n *onnxpb.NodeProto) error

func init() {
	lowerers = map[string]func(im *importer, n *onnxpb.NodeProto) error{
		"Gemm":       (*importer).gemm,
		"MatMul":     (*importer).matMul,
		"Add":        (*importer).add,
		"Relu":       activation(spec.ReLU),
		"LeakyRelu":  activation(spec.LeakyReLU),
		"Sigmoid":    activation(spec.Sigmoid),
		"Tanh":       activation(spec.Tanh),
		"Softmax":    outputMapOp(spec.Softmax),
		"LogSoftmax": outputMapOp(spec.LogSoftmax),
		"Identity":   (*importer).passThrough,
		"Dropout":    (*importer).passThrough,
		"Flatten":    (*importer).flatten,
		"Reshape":    (*importer).reshape,
		"Constant":   (*importer).constantNode,
		"Transpose":  (*importer).transpose,
		"Shape":      (*importer).shape,
		"Gather":     (*importer).gather,
		"Unsqueeze":  (*importer).unsqueeze,
		"Squeeze":    (*importer).squeeze,
		"Concat":     (*importer).concat,
		"Cast":       (*importer).cast,

		"LayerNormalization": (*importer).layerNormalization,
	}
}

// arg returns input k of n, "" when absent (an optional input left out).
func arg(n *onnxpb.NodeProto, k int) string {
	if k < len(n.GetInput()) {
		return n.GetInput()[k]
	}
	return ""
}

// attr returns n's attribute of the given name, or nil.
func attr(n *onnxpb.NodeProto, name string) *onnxpb.AttributeProto {
	for _, a := range n.GetAttribute() {
		if a.GetName() == name {
			return a
		}
	}
	return nil
}

// attrInt returns n's integer attribute name, or def when absent.
func attrInt(n *onnxpb.NodeProto, name string, def int64) int64 {
	if a := attr(n, name); a != nil {
		return a.GetI()
	}
	return def
}

// attrFloat returns n's float attribute name, or def when absent. ONNX
// keeps float attributes (LeakyRelu's alpha, Gemm's alpha and beta) as
// float32, the rounding of the decimal the model's author wrote, such as
// 0.2: the attribute is read back as the shortest decimal that rounds to it,
// so a float64 network computes with 0.2, as PyTorch did, and not with
// float32(0.2). A float32 network rounds it back to the same float32.
func attrFloat(n *onnxpb.NodeProto, name string, def float64) float64 {
	if a := attr(n, name); a != nil {
		x, _ := strconv.ParseFloat(strconv.FormatFloat(float64(a.GetF()), 'g', -1, 32), 64) // reads any FormatFloat output, ±Inf and NaN too
		return x
	}
	return def
}

// flowArg returns input k of n as a flow that n passes on unchanged in
// value (Identity, Dropout, Flatten, Reshape): neither a read nor an
// extension of it, since the node's output is the same value.
func (im *importer) flowArg(n *onnxpb.NodeProto, k int) (*flow, error) {
	name := arg(n, k)
	f := im.flows[name]
	if f == nil {
		return nil, im.missing(n, k)
	}
	if f.stage == outputMap {
		return nil, fmt.Errorf("%s reads %q, the output of a %s, which must be the graph's last node", n.GetOpType(), name, im.net.Output)
	}
	if f.stage == concatStage {
		return nil, fmt.Errorf("%s of %q, a Concat: gradgen reads a Concat of the network's values as the input of a Gemm, MatMul or LayerNormalization (a layer's from list)", n.GetOpType(), name)
	}
	return f, nil
}

// constArg returns input k of n as a constant.
func (im *importer) constArg(n *onnxpb.NodeProto, k int) (*constant, error) {
	c := im.consts[arg(n, k)]
	if c == nil {
		if im.flows[arg(n, k)] != nil {
			return nil, fmt.Errorf("input %d (%q) of %s depends on the network's input; gradgen needs a constant there (an initializer)", k+1, arg(n, k), n.GetOpType())
		}
		return nil, im.missing(n, k)
	}
	return c, nil
}

// missing reports input k of n, which no initializer or earlier node
// defines (the nodes of an ONNX graph are in topological order).
func (im *importer) missing(n *onnxpb.NodeProto, k int) error {
	if arg(n, k) == "" {
		return fmt.Errorf("%s lacks its input %d", n.GetOpType(), k+1)
	}
	return fmt.Errorf("input %q is not defined by an initializer or an earlier node", arg(n, k))
}

// define names output k of n.
func (im *importer) define(n *onnxpb.NodeProto, k int, f *flow, c *constant) error {
	if k >= len(n.GetOutput()) || n.GetOutput()[k] == "" {
		return fmt.Errorf("%s has no output %d", n.GetOpType(), k+1)
	}
	name := n.GetOutput()[k]
	if im.flows[name] != nil || im.consts[name] != nil {
		return fmt.Errorf("its output %q is defined twice", name)
	}
	if f != nil {
		im.flows[name] = f
	} else {
		c.name = name
		im.consts[name] = c
	}
	return nil
}

// layerInput checks that f can feed a dense layer: one row of values per
// sample.
func (im *importer) layerInput(n *onnxpb.NodeProto, f *flow) error {
	if len(f.dims) != 1 {
		return fmt.Errorf("%s of a tensor of %d dimensions per sample (%v): flatten it first (nn.Flatten, x.view(x.size(0), -1))",
			n.GetOpType(), len(f.dims), f.dims)
	}
	return nil
}

// weight checks that c can be the weight of a layer of the given fan-in,
// held as [out][in] (inOut false) or [in][out], and returns it as [out][in].
func (im *importer) weight(c *constant, in int, inOut bool) ([]float64, int, error) {
	if !c.float || len(c.dims) != 2 {
		return nil, 0, fmt.Errorf("the weight %q is %s %v; want a 2-dimensional %s tensor", c.name, elemName(c.elem), c.dims, elemName(im.elem))
	}
	if c.elem != im.elem {
		return nil, 0, fmt.Errorf("the weight %q is %s, the input %s: gradgen computes in one type", c.name, elemName(c.elem), elemName(im.elem))
	}
	rows, cols := int(c.dims[0]), int(c.dims[1])
	want, out := cols, rows
	layout := "[out, in]"
	if inOut {
		want, out, layout = rows, cols, "[in, out]"
	}
	if want != in {
		return nil, 0, fmt.Errorf("the weight %q has shape %v, read as %s, but its input has %d values per sample", c.name, c.dims, layout, in)
	}
	if out < 1 || out > spec.MaxWidth {
		return nil, 0, fmt.Errorf("the weight %q has shape %v: %d outputs; gradgen layers have 1 to %d", c.name, c.dims, out, spec.MaxWidth)
	}
	if !inOut {
		return slices.Clone(c.f), out, nil
	}
	return transposed(c.f, rows, cols), out, nil
}

// newLayer adds a layer over x with weight w (as [out][in]) read from c,
// whose op read c as [in, out] when inOut, and returns its output flow. The
// layer's weight is named and kept as the initializer under c is: W of
// MatMul(x, W) is kept transposed, W of MatMul(x, Transpose(W)) is not.
func (im *importer) newLayer(x *flow, c *constant, w []float64, out int, inOut bool) *flow {
	l := spec.Layer{Dense: out, Activation: spec.None, WeightName: c.name, Transposed: c.initializer && inOut != c.transposed,
		Pos: spec.Pos{File: im.file, Node: nodeLabel(im.g, im.node)}, Fields: spec.Positions{}}
	follows := im.follows(x)
	im.net.Layers = append(im.net.Layers, l)
	im.layers = append(im.layers, layerWeights{w: w, node: im.node, from: source(x), follows: follows, stage: product})
	return &flow{dims: []int{out}, layer: len(im.layers) - 1, input: -1, stage: product}
}

// setInput records the network's input width at its first layer, when it
// has one input.
func (im *importer) setInput(f *flow) {
	if len(im.layers) == 0 && len(im.inputs) == 1 && f.layer < 0 && f.stage == inputStage {
		im.net.Input = f.width()
		im.net.Fields["input"] = spec.Pos{File: im.file, Node: nodeLabel(im.g, im.node)}
	}
}

// gemm lowers Y = alpha·A·op(B) + beta·C with A the flow and B, C
// constants: a layer whose weight is alpha·B (transB: B is [out, in]) and
// whose bias is beta·C. torch.onnx.export writes nn.Linear so, with
// alpha = beta = 1 and transB = 1.
func (im *importer) gemm(n *onnxpb.NodeProto) error {
	x, err := im.readArg(n, 0, true)
	if err != nil {
		return err
	}
	if err := im.layerInput(n, x); err != nil {
		return err
	}
	if attrInt(n, "transA", 0) != 0 {
		return fmt.Errorf("a Gemm with transA = 1 reads its input transposed, a row per feature; gradgen needs a row per sample")
	}
	b, err := im.constArg(n, 1)
	if err != nil {
		return err
	}
	transposed := attrInt(n, "transB", 0) == 0
	w, out, err := im.weight(b, x.width(), transposed)
	if err != nil {
		return err
	}
	alpha, beta := attrFloat(n, "alpha", 1), attrFloat(n, "beta", 1)
	if alpha != 1 {
		for i := range w {
			w[i] *= alpha // the parameter becomes alpha·B
		}
	}
	im.setInput(x)
	y := im.newLayer(x, b, w, out, transposed)
	if arg(n, 2) != "" {
		c, err := im.constArg(n, 2)
		if err != nil {
			return err
		}
		if err := im.bias(y, c, beta); err != nil {
			return err
		}
	}
	return im.define(n, 0, y, nil)
}

// matMul lowers Y = A·B with A the flow and B a constant [in, out]: a layer
// without bias (an Add may follow).
func (im *importer) matMul(n *onnxpb.NodeProto) error {
	if im.flows[arg(n, 1)] != nil {
		return fmt.Errorf("MatMul with the network's values as its second operand (W·x); gradgen imports x·W")
	}
	x, err := im.readArg(n, 0, true)
	if err != nil {
		return err
	}
	if err := im.layerInput(n, x); err != nil {
		return err
	}
	b, err := im.constArg(n, 1)
	if err != nil {
		return err
	}
	w, out, err := im.weight(b, x.width(), true)
	if err != nil {
		return err
	}
	im.setInput(x)
	return im.define(n, 0, im.newLayer(x, b, w, out, true), nil)
}

// transposed returns the [cols][rows] transpose of the row-major m.
func transposed(m []float64, rows, cols int) []float64 {
	t := make([]float64, len(m))
	for i := range rows {
		for j := range cols {
			t[j*rows+i] = m[i*cols+j]
		}
	}
	return t
}

// add lowers the bias of a layer without one: Add of its product and a
// constant vector, in either order; or an Add of two of the network's
// values (residualAdd).
func (im *importer) add(n *onnxpb.NodeProto) error {
	k := 0
	if im.flows[arg(n, 0)] == nil {
		k = 1
	}
	if im.flows[arg(n, 1-k)] != nil {
		return im.residualAdd(n)
	}
	x, err := im.extendArg(n, k)
	if err != nil {
		return err
	}
	c, err := im.constArg(n, 1-k)
	if err != nil {
		return err
	}
	if x.layer < 0 || x.stage != product {
		return fmt.Errorf("an Add of a constant to %s: gradgen reads Add as the bias of the MatMul before it", im.describe(x))
	}
	y := *x
	if err := im.bias(&y, c, 1); err != nil {
		return err
	}
	return im.define(n, 0, &y, nil)
}

// describe names what a flow is in messages.
func (im *importer) describe(f *flow) string {
	switch {
	case f.stage == concatStage:
		return "a Concat"
	case f.ids:
		return fmt.Sprintf("the ids of the integer input %q", im.inputs[f.input].name)
	case f.layer < 0 && len(im.inputs) > 1:
		return fmt.Sprintf("the network's input %q", im.inputs[f.input].name)
	case f.layer < 0:
		return "the network's input"
	case im.layers[f.layer].add != nil && f.stage == biased:
		return fmt.Sprintf("layer %d's sum (an Add of two values)", f.layer+1)
	case im.layers[f.layer].embed:
		return fmt.Sprintf("layer %d's output, an embedding (a Gather of its table)", f.layer+1)
	case im.layers[f.layer].norm && f.stage == biased:
		return fmt.Sprintf("layer %d's output, a layer normalization", f.layer+1)
	case f.stage == product:
		return fmt.Sprintf("layer %d's product", f.layer+1)
	case f.stage == biased:
		return fmt.Sprintf("layer %d's output, which has its bias", f.layer+1)
	}
	return fmt.Sprintf("layer %d's output after its activation", f.layer+1)
}

// bias sets scale·c as the bias of y's layer: c of shape [out], [1, out],
// or a single value broadcast ([], [1], [1, 1]).
func (im *importer) bias(y *flow, c *constant, scale float64) error {
	l := &im.net.Layers[y.layer]
	if !c.float || c.elem != im.elem {
		return fmt.Errorf("the bias %q is %s; want %s", c.name, elemName(c.elem), elemName(im.elem))
	}
	var b []float64
	switch {
	case len(c.f) == l.Dense && (len(c.dims) == 1 || (len(c.dims) == 2 && c.dims[0] == 1)):
		b = slices.Clone(c.f)
	case len(c.f) == 1 && len(c.dims) <= 2: // [], [1] or [1, 1]
		b = make([]float64, l.Dense)
		for i := range b {
			b[i] = c.f[0]
		}
	default:
		return fmt.Errorf("the bias %q has shape %v; layer %d has %d outputs, so want [%d] (one per output) or a single value", c.name, c.dims, y.layer+1, l.Dense, l.Dense)
	}
	if scale != 1 {
		for i := range b {
			b[i] *= scale // the parameter becomes beta·C
		}
	}
	l.BiasName = c.name
	if !c.initializer || len(c.f) != l.Dense {
		l.BiasName = "" // not a tensor of the model's own: the layout names it
	}
	im.layers[y.layer].b = b
	y.stage, im.layers[y.layer].stage = biased, biased
	return nil
}

// activation returns the lowerer of an element-wise activation, which
// becomes the activation of the layer before it.
func activation(act spec.Activation) func(im *importer, n *onnxpb.NodeProto) error {
	return func(im *importer, n *onnxpb.NodeProto) error {
		x, err := im.extendArg(n, 0)
		if err != nil {
			return err
		}
		if x.layer >= 0 && im.layers[x.layer].embed {
			return fmt.Errorf("%s of %s: gradgen's embedding layer, as nn.Embedding, takes no activation; a layer reading it may", n.GetOpType(), im.describe(x))
		}
		if x.layer < 0 || x.stage >= activated {
			return fmt.Errorf("%s of %s: gradgen layers take one activation, after their Gemm or MatMul (and bias)", n.GetOpType(), im.describe(x))
		}
		l := &im.net.Layers[x.layer]
		l.Activation = act
		l.Fields["activation"] = spec.Pos{File: im.file, Node: nodeLabel(im.g, im.node)}
		if act == spec.LeakyReLU {
			l.Slope = attrFloat(n, "alpha", 0.01)
			if l.Slope <= 0 || math.IsInf(l.Slope, 0) || math.IsNaN(l.Slope) {
				return fmt.Errorf("LeakyRelu with alpha %g; gradgen's leaky_relu takes a finite slope > 0", l.Slope)
			}
			l.Fields["slope"] = l.Fields["activation"]
		}
		y := *x
		y.stage, im.layers[x.layer].stage = activated, activated
		return im.define(n, 0, &y, nil)
	}
}

// outputMapOp returns the lowerer of Softmax or LogSoftmax over each row,
// which must end the graph: Predict applies it, and a loss reads the
// logits under it.
func outputMapOp(m spec.OutputMap) func(im *importer, n *onnxpb.NodeProto) error {
	return func(im *importer, n *onnxpb.NodeProto) error {
		x, err := im.extendArg(n, 0)
		if err != nil {
			return err
		}
		if x.layer < 0 || len(x.dims) != 1 {
			return fmt.Errorf("%s of %s; gradgen reads it after the last layer", n.GetOpType(), im.describe(x))
		}
		def := int64(1)
		if im.opset >= 13 {
			def = -1
		}
		if axis := attrInt(n, "axis", def); axis != 1 && axis != -1 {
			return fmt.Errorf("%s over axis %d; gradgen reads it over each sample's values (axis 1 or -1)", n.GetOpType(), axis)
		}
		im.net.Output = m
		im.net.Fields["output"] = spec.Pos{File: im.file, Node: nodeLabel(im.g, im.node)}
		y := *x
		y.stage, im.layers[x.layer].stage = outputMap, outputMap
		return im.define(n, 0, &y, nil)
	}
}

// passThrough lowers Identity, and Dropout as inference runs it: its first
// output is its input (a Dropout's mask output must not be read). A model
// exported in training mode has training_mode true on its Dropout nodes,
// and a ratio; it is read the same way, not as a dropout layer: the
// imported network predicts and trains without dropout, as
// internal/onnxgold's goldens of such models (PyTorch trained in eval
// mode) require, and a spec cannot add a layer to an imported model (see
// docs/onnx.md).
func (im *importer) passThrough(n *onnxpb.NodeProto) error {
	if c := im.consts[arg(n, 0)]; c != nil {
		d := *c
		return im.define(n, 0, nil, &d)
	}
	x, err := im.flowArg(n, 0)
	if err != nil {
		return err
	}
	y := *x
	return im.define(n, 0, &y, nil)
}
