package onnxspec

import (
	"fmt"
	"math"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/gradgen/gradgen/ir"
	"github.com/gradgen/gradgen/onnxspec/onnxpb"
)

// A layer_norm layer reaches the exporter as build writes it into the
// predict function: n = Normalize(x) (ε in Aux), s = Mul(n, γ), z = Sum(s,
// β), with γ and β parameter vectors. From opset 17 the three become one
// LayerNormalization(x, γ, β) with axis −1 and epsilon ε, as
// torch.onnx.export writes nn.LayerNorm; below 17, where the op does not
// exist, the decomposition torch writes there, with Mul(d, d) for its
// Pow(d, 2) (exact, as gradgen's variance squares):
//
//	m = ReduceMean(x, axes=[1], keepdims=1)   d = Sub(x, m)
//	q = Mul(d, d)                             v = ReduceMean(q, axes=[1], keepdims=1)
//	e = Add(v, ε)                             s = Sqrt(e)
//	n = Div(d, s)                             z = Add(Mul(n, γ), β)
//
// with ε a Constant of the model's element type (float32(ε) in a float32
// model, as epsilon is a float32 attribute in every model). Each is named
// by the layer's module, as torch.onnx.export names the nodes of a module
// (/norm/LayerNormalization, /norm/ReduceMean_1), the module being γ's
// tensor name without .weight. A Normalize, Mul or Sum outside that
// pattern is written by itself: a Normalize as LayerNormalization with a
// Scale of ones (the decomposition without Mul and Add below 17), a Mul as
// Mul and a Sum as Add, broadcasting a vector over the rows as NumPy does.

// normValues is one layer normalization of the predict function: the
// values of the pattern above.
type normValues struct {
	x, gamma, beta *ir.Value
	norm, mul, sum *ir.Value
}

// layerNorms finds the layer normalizations among the live values of f:
// Normalize, Mul by a parameter vector, Sum with a parameter vector, each
// read only by the next (and not an output of the model, outputs). It maps
// each of the three values to its pattern.
func layerNorms(f *ir.Func, live map[*ir.Value]bool, outputs map[*ir.Value]string) map[*ir.Value]*normValues {
	users := map[*ir.Value][]*ir.Value{}
	for _, v := range f.Values {
		if live[v] {
			for _, a := range v.Args {
				users[a] = append(users[a], v)
			}
		}
	}
	// next returns the one reader of v, of the given op, whose second
	// operand is a parameter vector of v's width.
	next := func(v *ir.Value, op ir.Op) *ir.Value {
		us := users[v]
		if _, out := outputs[v]; out || len(us) != 1 {
			return nil
		}
		u := us[0]
		if u.Op != op || len(u.Args) != 2 || u.Args[0] != v {
			return nil
		}
		p := u.Args[1]
		if p.Op != ir.OpParam || !p.Type.Equal(ir.Vector(v.Type.Cols())) {
			return nil
		}
		return u
	}
	norms := map[*ir.Value]*normValues{}
	for _, v := range f.Values {
		if !live[v] || v.Op != ir.OpNormalize || len(v.Args) != 1 {
			continue
		}
		mul := next(v, ir.OpMul)
		if mul == nil {
			continue
		}
		sum := next(mul, ir.OpSum)
		if sum == nil {
			continue
		}
		nv := &normValues{x: v.Args[0], gamma: mul.Args[1], beta: sum.Args[1], norm: v, mul: mul, sum: sum}
		norms[v], norms[mul], norms[sum] = nv, nv, nv
	}
	return norms
}

// normalize writes a Normalize: nothing yet when it starts a layer
// normalization (its Sum writes it), else a normalization without γ and β.
func (e *exporter) normalize(v *ir.Value) error {
	if e.norms[v] != nil {
		return nil
	}
	return e.layerNorm(v, v.Args[0], nil, nil, v.Aux, "")
}

// mul writes a Mul: nothing when it is a layer normalization's (its Sum
// writes it), else Mul(a, b).
func (e *exporter) mul(v *ir.Value) error {
	if e.norms[v] != nil {
		return nil
	}
	return e.node(v, "Mul", v.Args)
}

// sum writes a Sum: a layer normalization, when it ends one, else Add(a,
// b).
func (e *exporter) sum(v *ir.Value) error {
	nv := e.norms[v]
	if nv == nil {
		return e.node(v, "Add", v.Args)
	}
	q := e.p.Param(nv.gamma.Name)
	if q == nil {
		return fmt.Errorf("no parameter is named %s", nv.gamma.Name)
	}
	return e.layerNorm(v, nv.x, nv.gamma, nv.beta, nv.norm.Aux, strings.TrimSuffix(q.Torch, ".weight"))
}

// layerNorm writes y = γ ⊙ (x − mean x)/√(var x + eps) + β over each row
// as the value v, in the nodes of module (or named by their type when it
// is ""); without γ and β when gamma is nil.
func (e *exporter) layerNorm(v, x, gamma, beta *ir.Value, eps float64, module string) error {
	args := []*ir.Value{x}
	if gamma != nil {
		args = append(args, gamma, beta)
	}
	in, err := e.argNames(args)
	if err != nil {
		return err
	}
	if math.IsNaN(eps) || eps <= 0 || float32(eps) <= 0 || math.IsInf(float64(float32(eps)), 0) {
		return fmt.Errorf("a layer normalization with eps %g, which a float32 attribute cannot hold", eps)
	}
	if e.opset >= 17 {
		if gamma == nil { // LayerNormalization needs a Scale: ones
			w := x.Type.Cols()
			ones := make([]float64, w)
			for i := range ones {
				ones[i] = 1
			}
			c, err := e.constant(module, []int{w}, ones)
			if err != nil {
				return err
			}
			in = append(in, c)
		}
		return e.valueNode(v, e.scopedName(module, "LayerNormalization"), "LayerNormalization", in,
			intAttr("axis", -1), floatAttr("epsilon", float32(eps)))
	}
	rowMean := []*onnxpb.AttributeProto{intsAttr("axes", 1), intAttr("keepdims", 1)}
	m, err := e.tmpNode(module, "ReduceMean", []string{in[0]}, rowMean...)
	if err != nil {
		return err
	}
	d, err := e.tmpNode(module, "Sub", []string{in[0], m})
	if err != nil {
		return err
	}
	q, err := e.tmpNode(module, "Mul", []string{d, d})
	if err != nil {
		return err
	}
	variance, err := e.tmpNode(module, "ReduceMean", []string{q}, rowMean...)
	if err != nil {
		return err
	}
	c, err := e.constant(module, nil, []float64{eps})
	if err != nil {
		return err
	}
	ve, err := e.tmpNode(module, "Add", []string{variance, c})
	if err != nil {
		return err
	}
	sd, err := e.tmpNode(module, "Sqrt", []string{ve})
	if err != nil {
		return err
	}
	if gamma == nil {
		return e.valueNode(v, e.scopedName(module, "Div"), "Div", []string{d, sd})
	}
	n, err := e.tmpNode(module, "Div", []string{d, sd})
	if err != nil {
		return err
	}
	s, err := e.tmpNode(module, "Mul", []string{n, in[1]})
	if err != nil {
		return err
	}
	return e.valueNode(v, e.scopedName(module, "Add"), "Add", []string{s, in[2]})
}

// scopedName names the next node of type opType of module as
// torch.onnx.export names the nodes of a module's forward:
// /<module>/<op>, then /<module>/<op>_1, …; by nodeName without a module.
func (e *exporter) scopedName(module, opType string) string {
	if module == "" {
		return e.nodeName(opType)
	}
	key := module + "/" + opType
	k := e.ops[key]
	e.ops[key]++
	if k == 0 {
		return "/" + key
	}
	return fmt.Sprintf("/%s_%d", key, k)
}

// tmpNode appends a node of module that computes a tensor no value of the
// program is (a step of a decomposition), and returns its output's name.
func (e *exporter) tmpNode(module, opType string, inputs []string, attrs ...*onnxpb.AttributeProto) (string, error) {
	name := e.scopedName(module, opType)
	output := name + "_output_0"
	if e.taken[output] {
		return "", fmt.Errorf("two tensors of the graph would be named %q", output)
	}
	e.taken[output] = true
	e.graph.Node = append(e.graph.Node, &onnxpb.NodeProto{Name: proto.String(name), OpType: proto.String(opType),
		Input: inputs, Output: []string{output}, Attribute: attrs})
	return output, nil
}

// constant appends a Constant node of module holding data, of shape dims,
// in the model's element type, and returns its output's name.
func (e *exporter) constant(module string, dims []int, data []float64) (string, error) {
	t := e.tensor("", dims, data)
	t.Name = nil
	return e.tmpNode(module, "Constant", nil, &onnxpb.AttributeProto{Name: proto.String("value"),
		Type: onnxpb.AttributeProto_TENSOR.Enum(), T: t})
}

func intsAttr(name string, is ...int64) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_INTS.Enum(), Ints: is}
}
