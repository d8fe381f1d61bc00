package onnxspec

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/gradgen/gradgen/onnxspec/onnxpb"
	"github.com/gradgen/gradgen/spec"
)

// Layer normalization (nn.LayerNorm) comes in two forms, both imported as a
// layer_norm layer: y = γ ⊙ (x − mean x)/√(var x + ε) + β over each
// sample's values, its γ (Scale) and β (B) the layer's parameters.
//
//   - LayerNormalization(X, Scale, B), opset 17 on, which torch.onnx.export
//     writes from opset 17 and gradgen's exporter too;
//   - below opset 17, the decomposition torch.onnx.export writes (and
//     gradgen's exporter, with Mul(d, d) for the square):
//
//     m = ReduceMean(x, axes=[-1])     d = Sub(x, m)
//     p = Pow(d, 2) or Mul(d, d)       v = ReduceMean(p, axes=[-1])
//     e = Add(v, ε)                    s = Sqrt(e)
//     n = Div(d, s)                    then Mul(n, γ) and Add(·, β), each optional
//
// The decomposition is found before any node is lowered (findNorms): its
// nodes are then lowered together, as one layer, at its last node, and
// unsupported() does not list them. Its intermediate values must have no
// other reader; its ops (ReduceMean, Sub, Pow, Sqrt, Div, Mul) are read
// nowhere else.

// normOps are the ops of the decomposition that the importer reads only
// there.
var normOps = []string{"ReduceMean", "Sub", "Pow", "Sqrt", "Div", "Mul"}

// normPattern is one decomposition of a layer normalization: the indices
// of its nodes.
type normPattern struct {
	mean, sub, square, variance, addEps, sqrt, div int
	scale, shift                                   int // the Mul by γ and the Add of β, −1 when absent
	last                                           int // the node whose output is the layer's
}

// nodes lists the pattern's nodes.
func (p *normPattern) nodes() []int {
	ns := []int{p.mean, p.sub, p.square, p.variance, p.addEps, p.sqrt, p.div}
	for _, k := range []int{p.scale, p.shift} {
		if k >= 0 {
			ns = append(ns, k)
		}
	}
	return ns
}

// graphUses indexes who reads each tensor of a graph.
type graphUses struct {
	readers map[string][]int // the nodes reading each tensor, in order, a node once
	output  map[string]bool  // the graph's outputs
	flow    map[string]bool  // the tensors computed from a graph input
	op      func(i int) string
}

// newGraphUses indexes g.
func newGraphUses(g *onnxpb.GraphProto) *graphUses {
	u := &graphUses{readers: map[string][]int{}, output: map[string]bool{}, flow: map[string]bool{}}
	inits := map[string]bool{}
	for _, t := range g.GetInitializer() {
		inits[t.GetName()] = true
	}
	for _, in := range g.GetInput() {
		if !inits[in.GetName()] {
			u.flow[in.GetName()] = true
		}
	}
	for _, o := range g.GetOutput() {
		u.output[o.GetName()] = true
	}
	nodes := g.GetNode()
	for i, n := range nodes {
		flow := false
		for _, in := range n.GetInput() {
			if in == "" {
				continue
			}
			if rs := u.readers[in]; len(rs) == 0 || rs[len(rs)-1] != i {
				u.readers[in] = append(rs, i)
			}
			flow = flow || u.flow[in]
		}
		if flow {
			for _, out := range n.GetOutput() {
				u.flow[out] = true
			}
		}
	}
	u.op = func(i int) string {
		if d := nodes[i].GetDomain(); d != "" && d != "ai.onnx" {
			return d + "." + nodes[i].GetOpType()
		}
		return nodes[i].GetOpType()
	}
	return u
}

// findNorms finds the decompositions of layer normalization in g. It
// returns the pattern of each node that is part of one, and for each
// ReduceMean of the network's values that is not the start of one, why.
func findNorms(g *onnxpb.GraphProto, u *graphUses) (map[int]*normPattern, map[int]string) {
	fused, why := map[int]*normPattern{}, map[int]string{}
	for i, n := range g.GetNode() {
		if u.op(i) != "ReduceMean" || !u.flow[arg(n, 0)] {
			continue
		}
		p, reason := matchNorm(g, u, i)
		if p == nil {
			why[i] = reason
			continue
		}
		taken := slices.ContainsFunc(p.nodes(), func(k int) bool { return fused[k] != nil })
		if taken {
			why[i] = "its nodes are part of another layer normalization"
			continue
		}
		for _, k := range p.nodes() {
			fused[k] = p
		}
	}
	return fused, why
}

// matchNorm matches the decomposition starting at node i, a ReduceMean of
// the network's values, by its ops and wiring; the constants (the axes,
// the exponent, ε, γ and β) are checked when it is lowered. It returns the
// pattern, or why node i does not start one.
func matchNorm(g *onnxpb.GraphProto, u *graphUses, i int) (*normPattern, string) {
	nodes := g.GetNode()
	out := func(k int) string {
		if len(nodes[k].GetOutput()) == 0 {
			return ""
		}
		return nodes[k].GetOutput()[0]
	}
	label := func(k int) string { return "node " + nodeLabel(g, k) }
	// only returns the one node reading the tensor of node k, which must be
	// of the given op (any of them), or why not.
	only := func(k int, what string, ops ...string) (int, string) {
		name := out(k)
		rs := u.readers[name]
		switch {
		case name == "":
			return -1, fmt.Sprintf("%s has no output", label(k))
		case u.output[name]:
			return -1, fmt.Sprintf("%s, %s, is an output of the graph", name, what)
		case len(rs) == 0:
			return -1, fmt.Sprintf("%s, %s, is not read; want a %s of it", name, what, strings.Join(ops, " or "))
		case len(rs) > 1:
			return -1, fmt.Sprintf("%s, %s, is read by %d nodes; want one %s", name, what, len(rs), strings.Join(ops, " or "))
		case !slices.Contains(ops, u.op(rs[0])):
			return -1, fmt.Sprintf("%s, %s, is read by %s, want %s", name, what, label(rs[0]), strings.Join(ops, " or "))
		}
		return rs[0], ""
	}
	x, m := arg(nodes[i], 0), out(i)
	p := &normPattern{mean: i, scale: -1, shift: -1}
	var why string
	if p.sub, why = only(i, "the mean", "Sub"); why != "" {
		return nil, why
	}
	if s := nodes[p.sub]; arg(s, 0) != x || arg(s, 1) != m {
		return nil, fmt.Sprintf("%s is not Sub(%s, %s), x minus its mean", label(p.sub), x, m)
	}
	d := out(p.sub)
	rs := u.readers[d]
	switch {
	case u.output[d]:
		return nil, fmt.Sprintf("%s, x minus its mean, is an output of the graph", d)
	case len(rs) != 2:
		readers := make([]string, len(rs))
		for k, r := range rs {
			readers[k] = label(r)
		}
		return nil, fmt.Sprintf("%s, x minus its mean, is read by %s; want its square (Pow or Mul) and a Div, only", d, strings.Join(readers, ", "))
	}
	p.square, p.div = rs[0], rs[1]
	if u.op(p.square) == "Div" {
		p.square, p.div = p.div, p.square
	}
	sq, div := nodes[p.square], nodes[p.div]
	square := u.op(p.square) == "Pow" && arg(sq, 0) == d && !u.flow[arg(sq, 1)] ||
		u.op(p.square) == "Mul" && arg(sq, 0) == d && arg(sq, 1) == d
	if !square || u.op(p.div) != "Div" || arg(div, 0) != d {
		return nil, fmt.Sprintf("%s, x minus its mean, is read by %s and %s; want Pow(%[1]s, 2) or Mul(%[1]s, %[1]s), and Div(%[1]s, ·)", d, label(rs[0]), label(rs[1]))
	}
	if p.variance, why = only(p.square, "the squares", "ReduceMean"); why != "" {
		return nil, why
	}
	if p.addEps, why = only(p.variance, "the variance", "Add"); why != "" {
		return nil, why
	}
	if a := nodes[p.addEps]; u.flow[arg(a, 0)] && u.flow[arg(a, 1)] {
		return nil, fmt.Sprintf("%s adds two of the network's values; want the variance plus a constant ε", label(p.addEps))
	}
	if p.sqrt, why = only(p.addEps, "the variance plus ε", "Sqrt"); why != "" {
		return nil, why
	}
	if k, why := only(p.sqrt, "the standard deviation", "Div"); why != "" || k != p.div || arg(div, 1) != out(p.sqrt) {
		return nil, fmt.Sprintf("%s, the standard deviation, is not what Div(%s, ·) divides by", out(p.sqrt), d)
	}
	p.last = p.div
	// Mul(n, γ) and Add(·, β) of constants, when they are the only readers.
	affine := func(op string) int {
		k, why := only(p.last, "the normalised values", op)
		if why != "" || len(nodes[k].GetInput()) != 2 {
			return -1
		}
		a, b := arg(nodes[k], 0), arg(nodes[k], 1)
		if a != out(p.last) {
			a, b = b, a
		}
		if a != out(p.last) || u.flow[b] || b == "" {
			return -1
		}
		p.last = k
		return k
	}
	p.scale = affine("Mul")
	p.shift = affine("Add")
	return p, ""
}

// lowerNorm lowers the decomposition p at its last node: a layer_norm
// layer over its input, with ε, γ and β its constants.
func (im *importer) lowerNorm(p *normPattern) error {
	nodes := im.g.GetNode()
	im.node = p.mean
	x, err := im.readArg(nodes[p.mean], 0, true)
	if err != nil {
		return err
	}
	if err := im.layerInput(nodes[p.mean], x); err != nil {
		return err
	}
	for _, k := range []int{p.mean, p.variance} {
		im.node = k
		if err := im.rowMean(nodes[k]); err != nil {
			return err
		}
	}
	if sq := nodes[p.square]; sq.GetOpType() == "Pow" {
		im.node = p.square
		c, err := im.constArg(sq, 1)
		if err != nil {
			return err
		}
		two := c.float && len(c.f) == 1 && c.f[0] == 2 || !c.float && len(c.i) == 1 && c.i[0] == 2 // Pow-12 on takes an integer exponent
		if !two || len(c.dims) > 2 {
			return fmt.Errorf("a Pow of x minus its mean to %s; a layer normalization squares it (exponent 2)", shapeValues(c))
		}
	}
	im.node = p.addEps
	c, err := im.otherArg(nodes[p.addEps], nodes[p.variance])
	if err != nil {
		return err
	}
	if !c.float || len(c.f) != 1 || len(c.dims) > 2 {
		return fmt.Errorf("the variance plus %q (%s %v); a layer normalization adds a single value ε", c.name, elemName(c.elem), c.dims)
	}
	eps := c.f[0]
	if c.elem == onnxpb.TensorProto_FLOAT {
		eps = shortest32(eps) // as attrFloat reads a float32 attribute
	}
	if err := checkEps(eps); err != nil {
		return err
	}
	var gamma, beta *constant
	prev := nodes[p.div]
	if p.scale >= 0 {
		im.node = p.scale
		if gamma, err = im.otherArg(nodes[p.scale], prev); err != nil {
			return err
		}
		if _, _, err := im.normVector(gamma, x.width(), "scale γ", 1); err != nil {
			return err // at its node; newNorm reads it again
		}
		prev = nodes[p.scale]
	}
	if p.shift >= 0 {
		im.node = p.shift
		if beta, err = im.otherArg(nodes[p.shift], prev); err != nil {
			return err
		}
		if _, _, err := im.normVector(beta, x.width(), "bias β", 0); err != nil {
			return err
		}
	}
	im.node = p.mean
	y, err := im.newNorm(x, eps, gamma, beta)
	if err != nil {
		return err
	}
	im.node = p.last
	return im.define(nodes[p.last], 0, y, nil)
}

// otherArg returns the constant operand of n, a binary node of a
// decomposition (the Add of ε, the Mul by γ, the Add of β), whose other
// operand is the output of prev, a node of the decomposition.
func (im *importer) otherArg(n, prev *onnxpb.NodeProto) (*constant, error) {
	if arg(n, 1) == prev.GetOutput()[0] {
		return im.constArg(n, 0)
	}
	return im.constArg(n, 1)
}

// rowMean checks that the ReduceMean n of a decomposition averages each
// sample's values: axes [1] or [-1] (an attribute before opset 18, an input
// from it), keepdims 1.
func (im *importer) rowMean(n *onnxpb.NodeProto) error {
	var axes []int64
	given := false
	if a := attr(n, "axes"); a != nil {
		axes, given = a.GetInts(), true
	} else if im.opset >= 18 && arg(n, 1) != "" {
		c, err := im.constArg(n, 1)
		if err != nil {
			return err
		}
		if c.float {
			return fmt.Errorf("ReduceMean with the axes %v, floats", c.f)
		}
		axes, given = c.i, true
	}
	if !given || len(axes) != 1 || (axes[0] != 1 && axes[0] != -1) {
		what := "over every axis"
		if given {
			what = fmt.Sprintf("over the axes %v", axes)
		}
		return fmt.Errorf("ReduceMean %s; gradgen reads a layer normalization over each sample's values (axes [-1] or [1])", what)
	}
	if keep := attrInt(n, "keepdims", 1); keep != 1 {
		return fmt.Errorf("ReduceMean with keepdims %d; a layer normalization keeps the reduced axis (keepdims 1) to subtract the mean from each row", keep)
	}
	return nil
}

// layerNormalization lowers LayerNormalization(X, Scale, B) over each
// sample's values (axis −1, or 1 of the rows [N, width]): a layer_norm
// layer whose γ and β are Scale and B (zeros when B is left out). Its
// outputs Mean and InvStdDev must not be read.
func (im *importer) layerNormalization(n *onnxpb.NodeProto) error {
	if im.opset < 17 {
		return fmt.Errorf("LayerNormalization is an op of opset 17 and later, and the model imports opset %d (below 17, torch.onnx.export writes nn.LayerNorm as ReduceMean, Sub, Pow, Sqrt and Div, which gradgen reads too)", im.opset)
	}
	for k, what := range []string{"", "Mean", "InvStdDev"} {
		if k == 0 || k >= len(n.GetOutput()) || n.GetOutput()[k] == "" {
			continue
		}
		name := n.GetOutput()[k]
		if im.graphUses.output[name] {
			return fmt.Errorf("its output %d, %q (%s), is an output of the graph: gradgen reads only LayerNormalization's first output, Y", k+1, name, what)
		}
		if rs := im.graphUses.readers[name]; len(rs) > 0 {
			return fmt.Errorf("its output %d, %q (%s), is read by node %s: gradgen reads only LayerNormalization's first output, Y", k+1, name, what, nodeLabel(im.g, rs[0]))
		}
	}
	x, err := im.readArg(n, 0, true)
	if err != nil {
		return err
	}
	if err := im.layerInput(n, x); err != nil {
		return err
	}
	if axis := attrInt(n, "axis", -1); axis != -1 && axis != 1 {
		return fmt.Errorf("LayerNormalization over axis %d of %s, of shape [batch, %d]; gradgen normalises each sample's values (axis -1 or 1)", axis, arg(n, 0), x.width())
	}
	eps := attrFloat(n, "epsilon", spec.DefaultEps)
	if err := checkEps(eps); err != nil {
		return err
	}
	if st := attrInt(n, "stash_type", 1); st != int64(onnxpb.TensorProto_FLOAT) && st != int64(onnxpb.TensorProto_DOUBLE) {
		return fmt.Errorf("LayerNormalization with stash_type %d (%s); gradgen computes the mean and variance in float64, and reads stash_type 1 (float) or 11 (double)", st, onnxpb.TensorProto_DataType(st))
	}
	scale, err := im.constArg(n, 1)
	if err != nil {
		return err
	}
	var bias *constant
	if arg(n, 2) != "" {
		if bias, err = im.constArg(n, 2); err != nil {
			return err
		}
	}
	y, err := im.newNorm(x, eps, scale, bias)
	if err != nil {
		return err
	}
	return im.define(n, 0, y, nil)
}

// checkEps checks a layer normalization's ε as spec.Validate would.
func checkEps(eps float64) error {
	if !(eps > 0) || math.IsInf(eps, 1) {
		return fmt.Errorf("a layer normalization with epsilon %g; gradgen's layer_norm takes a finite eps > 0", eps)
	}
	return nil
}

// shortest32 returns the shortest decimal that rounds to the float32 x,
// as attrFloat reads a float32 attribute.
func shortest32(x float64) float64 {
	y, _ := strconv.ParseFloat(strconv.FormatFloat(x, 'g', -1, 32), 64)
	return y
}

// newNorm adds a layer_norm layer over x with ε eps, γ scale (ones when
// nil) and β bias (zeros when nil), and returns its output, which an
// activation may extend. The layer keeps the names of the initializers; a
// β left out is named after γ's module (<module>.bias for γ
// <module>.weight, as nn.LayerNorm names it), or by the layout when γ is
// not so named or the name is taken.
func (im *importer) newNorm(x *flow, eps float64, scale, bias *constant) (*flow, error) {
	w := x.width()
	gamma, weightName, err := im.normVector(scale, w, "scale γ", 1)
	if err != nil {
		return nil, err
	}
	beta, biasName, err := im.normVector(bias, w, "bias β", 0)
	if err != nil {
		return nil, err
	}
	if bias == nil {
		if module, ok := strings.CutSuffix(weightName, ".weight"); ok && module != "" && im.consts[module+".bias"] == nil && im.flows[module+".bias"] == nil {
			biasName = module + ".bias"
		}
	}
	pos := spec.Pos{File: im.file, Node: nodeLabel(im.g, im.node)}
	l := spec.Layer{Activation: spec.None, WeightName: weightName, BiasName: biasName,
		LayerNorm: &spec.LayerNorm{Eps: eps, Pos: pos, Fields: spec.Positions{"eps": pos}},
		Pos:       pos, Fields: spec.Positions{"layer_norm": pos}}
	im.setInput(x)
	follows := im.follows(x)
	im.net.Layers = append(im.net.Layers, l)
	im.layers = append(im.layers, layerWeights{w: gamma, b: beta, node: im.node, from: source(x), follows: follows, stage: biased, norm: true})
	return &flow{dims: []int{w}, layer: len(im.layers) - 1, input: -1, stage: biased}, nil
}

// normVector returns the values of c, γ or β of a layer normalization over
// w values, and its name: c of shape [w], [1, w] or a single value
// broadcast ([], [1], [1, 1]); w copies of def when c is nil. The name is
// the initializer's, or "" (the layout names it) for a constant computed
// in the graph or broadcast.
func (im *importer) normVector(c *constant, w int, what string, def float64) ([]float64, string, error) {
	v := make([]float64, w)
	if c == nil {
		for i := range v {
			v[i] = def
		}
		return v, "", nil
	}
	if !c.float || c.elem != im.elem {
		return nil, "", fmt.Errorf("the layer normalization's %s %q is %s; want %s", what, c.name, elemName(c.elem), elemName(im.elem))
	}
	switch {
	case len(c.f) == w && (len(c.dims) == 1 || len(c.dims) == 2 && c.dims[0] == 1):
		copy(v, c.f)
	case len(c.f) == 1 && len(c.dims) <= 2:
		for i := range v {
			v[i] = c.f[0]
		}
	default:
		return nil, "", fmt.Errorf("the layer normalization's %s %q has shape %v; it normalises %d values per sample, so want [%d] or a single value", what, c.name, c.dims, w, w)
	}
	name := c.name
	if !c.initializer || len(c.f) != w {
		name = ""
	}
	return v, name, nil
}

// normHint says why a node of an op of the decomposition was not read,
// for unsupported(): why is the reason findNorms gave for a ReduceMean.
func normHint(op, why string) string {
	if !slices.Contains(normOps, op) {
		return ""
	}
	hint := "; gradgen reads ReduceMean, Sub, Pow, Sqrt, Div and Mul only as the layer normalization torch.onnx.export writes for nn.LayerNorm below opset 17 " +
		"(ReduceMean, Sub, Pow, ReduceMean, Add ε, Sqrt, Div, then Mul by γ and Add of β), and this node is not part of one"
	if why != "" {
		hint += " (" + why + ")"
	}
	return hint + ": export nn.LayerNorm at opset 17 or later, where it is one LayerNormalization node"
}
