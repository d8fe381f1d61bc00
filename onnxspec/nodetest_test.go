package onnxspec

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/gradgen/gradgen/onnxspec/onnxpb"
	"github.com/gradgen/gradgen/spec"
)

// The tests of this file run ONNX's own backend node tests (ONNX 1.12's
// onnx/backend/test/data/node, copied from Debian's libonnx-testdata into
// testdata/node; see its README.md) through Import: each test's model,
// made importable, is lowered into a network, which a float64 reference
// evaluator runs on input_0 to compare with output_0.
//
// A node test is one node whose operands are all graph inputs. Every
// input but the first becomes an initializer holding the test's
// input_k.pb (Gemm's B and C, Dropout's ratio), and then:
//   - Gemm and MatMul (direct) are imported as they are;
//   - an activation, output map, Identity or Dropout (wrapped) follows, and
//     a Flatten precedes, a Gemm by an identity weight and a zero bias
//     (exact: x·1 plus zeros), with a Flatten(axis=1) before the Gemm when
//     the input has more than 2 dimensions; a 1-dimensional input [d] is
//     read as the batch of one sample [1, d].

const nodeDir = "testdata/node"

// nodeImported lists the node tests the importer must lower into a network
// that computes output_0 from input_0.
var nodeImported = []struct {
	name    string
	wrapped bool
}{
	{"test_gemm_default_no_bias", false},
	{"test_gemm_default_scalar_bias", false},
	{"test_gemm_default_single_elem_vector_bias", false},
	{"test_gemm_default_vector_bias", false},
	{"test_gemm_default_zero_bias", false},
	{"test_gemm_alpha", false},
	{"test_gemm_beta", false},
	{"test_gemm_transposeB", false},
	{"test_matmul_2d", false},
	{"test_relu", true},
	{"test_leakyrelu", true},
	{"test_leakyrelu_default", true},
	{"test_leakyrelu_example", true},
	{"test_sigmoid", true},
	{"test_sigmoid_example", true},
	{"test_tanh", true},
	{"test_tanh_example", true},
	{"test_softmax_example", true},
	{"test_softmax_large_number", true},
	{"test_logsoftmax_example_1", true},
	{"test_logsoftmax_large_number", true},
	{"test_identity", true},
	{"test_flatten_axis1", true},
	{"test_flatten_default_axis", true},
	// Dropout in inference (opset 13 without training_mode, or opset 11):
	// output_0 is the input, as TestNodeDropoutIsIdentity checks.
	{"test_dropout_default", true},
	{"test_dropout_default_ratio", true}, // ratio 0.1 as an input (an initializer here)
	{"test_dropout_random_old", true},    // opset 11, ratio 0.2
	{"test_dropout_default_old", true},   // opset 11, input [3]
}

// nodeRefused lists the node tests the importer must refuse: an error
// naming the node's op and containing want, never a network.
var nodeRefused = []struct {
	name    string
	wrapped bool
	want    string
}{
	// transA = 1 reads A as [features, batch].
	{"test_gemm_transposeA", false, "transA = 1"},
	{"test_gemm_all_attributes", false, "transA = 1"}, // alpha 0.25, beta 0.35, transA 1, transB 1
	// C of shape [M, N]: a bias per sample, not a layer's.
	{"test_gemm_default_matrix_bias", false, "want [4] (one per output)"},
	// Softmax over the batch, after an identity layer.
	{"test_softmax_axis_0", true, "axis 1 or -1"},
	// The test itself: Softmax(axis=2) of the input [3, 4, 5], with no
	// layer before it.
	{"test_softmax_axis_2", false, "after the last layer"},
	// Wrapped, the Softmax reads the flattened [3, 20], of which axis 2 is
	// out of range: still refused by its axis.
	{"test_softmax_axis_2", true, "axis 1 or -1"},
	// Flatten(axis=0) gives [1, 120], Flatten(axis=2) [6, 20]: rows that
	// are not the samples; an identity layer follows.
	{"test_flatten_axis0", true, "axis 0; gradgen reads Flatten(axis=1)"},
	{"test_flatten_axis2", true, "axis 2; gradgen reads Flatten(axis=1)"},
	{"test_flatten_axis0", false, "axis 0; gradgen reads Flatten(axis=1)"},
	// An activation needs a layer before it.
	{"test_relu", false, "after their Gemm or MatMul"},
	{"test_tanh", false, "after their Gemm or MatMul"},
}

// TestNodeImport imports each test of nodeImported and compares the
// network's outputs on input_0 with output_0.
func TestNodeImport(t *testing.T) {
	for _, tc := range nodeImported {
		t.Run(tc.name, func(t *testing.T) {
			m, in, out := nodeModel(t, tc.name, tc.wrapped)
			checkImport(t, tc.name, m, in, out)
		})
	}
}

// checkImport imports m and compares the network's outputs on in with out:
// float32 within a relative 1e-6 (or 1e-6 absolute, for values near 0),
// float64 within 1e-12; -0 equals +0.
func checkImport(t *testing.T, name string, m *onnxpb.ModelProto, in, out *nodeTensor) {
	t.Helper()
	n, err := Import(name+".onnx", m)
	if err != nil {
		t.Fatalf("Import: %v", err)
	}
	got, err := evalNetwork(n, in.f)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(out.f) {
		t.Fatalf("%d outputs, want %d (output_0 has shape %v)", len(got), len(out.f), out.dims)
	}
	tol := 1e-6
	if out.elem == onnxpb.TensorProto_DOUBLE {
		tol = 1e-12
	}
	bad, worst := 0, 0.0
	for k, want := range out.f {
		d := math.Abs(got[k] - want)
		if got[k] == want {
			continue
		}
		worst = max(worst, d/max(math.Abs(want), 1))
		if !(d <= tol*math.Abs(want) || d <= tol) {
			if bad++; bad <= 5 {
				t.Errorf("value %d: got %.9g, want %.9g (difference %.3g)", k, got[k], want, d)
			}
		}
	}
	if bad > 5 {
		t.Errorf("... %d values differ in all", bad)
	}
	t.Logf("%d layers, output %q: %d values, largest difference %.2g (relative, or absolute below 1)", len(n.Layers), n.Output, len(got), worst)
}

// TestNodeGemmBias11: Gemm's C of shape [1, 1] is a single value
// broadcast to every output, as C of shape [] is (test_gemm_default_scalar_bias
// with its C reshaped).
func TestNodeGemmBias11(t *testing.T) {
	m, in, out := nodeModel(t, "test_gemm_default_scalar_bias", false)
	for _, c := range m.GetGraph().GetInitializer() {
		if c.GetName() == "c" {
			c.Dims = []int64{1, 1}
		}
	}
	checkImport(t, "test_gemm_default_scalar_bias", m, in, out)
}

// TestNodeTrainingDropout: Dropout with training_mode true, as
// torch.onnx.export writes it in TrainingMode.TRAINING (which ONNX
// Runtime's training documentation recommends), imports as inference runs
// it: the identity. Its node test's output is a random training-mode mask,
// which no import can match, so the test checks that the network is the
// wrapped identity layer alone.
func TestNodeTrainingDropout(t *testing.T) {
	m, _, _ := nodeModel(t, "test_training_dropout", true)
	n, err := Import("test_training_dropout.onnx", m)
	if err != nil {
		t.Fatalf("Dropout with training_mode true is refused: %v", err)
	}
	if len(n.Layers) != 1 || n.Layers[0].Activation != "none" || n.Output != "" {
		t.Errorf("Dropout changed the network: %+v", n.Layers)
	}
}

// TestNodeRefused: each test of nodeRefused is an error that names the
// node (by its op) and says what gradgen reads; never a network, never a
// panic.
func TestNodeRefused(t *testing.T) {
	for _, tc := range nodeRefused {
		name := tc.name
		if tc.wrapped {
			name += "/wrapped"
		}
		t.Run(name, func(t *testing.T) {
			m, _, _ := nodeModel(t, tc.name, tc.wrapped)
			op := nodeOp(t, tc.name)
			n, err := Import(tc.name+".onnx", m)
			if err == nil {
				t.Fatalf("Import gave a network (input %d, %d layers, output %q), want an error", n.Input, len(n.Layers), n.Output)
			}
			if n != nil {
				t.Errorf("Import returned a network with its error")
			}
			var list spec.ErrorList
			if !errors.As(err, &list) {
				t.Errorf("error of type %T, want spec.ErrorList: %v", err, err)
			}
			msg := err.Error()
			if !strings.Contains(msg, "("+op+"):") {
				t.Errorf("error does not name the %s node: %s", op, msg)
			}
			if !strings.Contains(msg, tc.want) {
				t.Errorf("error %q does not say %q", msg, tc.want)
			}
			t.Log(msg)
		})
	}
}

// TestNodeDropoutIsIdentity checks what nodeImported relies on: its
// Dropout node tests run in inference, so their output is their input.
func TestNodeDropoutIsIdentity(t *testing.T) {
	for _, name := range []string{"test_dropout_default", "test_dropout_default_ratio", "test_dropout_random_old", "test_dropout_default_old"} {
		set := filepath.Join(nodeDir, name, "test_data_set_0")
		in := readTensor(t, filepath.Join(set, "input_0.pb"))
		out := readTensor(t, filepath.Join(set, "output_0.pb"))
		if len(in.f) != len(out.f) {
			t.Fatalf("%s: input of %d values, output of %d", name, len(in.f), len(out.f))
		}
		for k := range in.f {
			if in.f[k] != out.f[k] {
				t.Fatalf("%s: value %d: input %g, output %g: the test is not the identity", name, k, in.f[k], out.f[k])
			}
		}
	}
}

// nodeTensor is a float or double tensor of a node test.
type nodeTensor struct {
	proto *onnxpb.TensorProto
	elem  onnxpb.TensorProto_DataType
	dims  []int64
	f     []float64
}

// readTensor reads a TensorProto file of a node test; it decodes the
// values itself rather than by decodeTensor, which is under test.
func readTensor(t *testing.T, path string) *nodeTensor {
	t.Helper()
	tp := readTensorProto(t, path)
	nt := &nodeTensor{proto: tp, elem: onnxpb.TensorProto_DataType(tp.GetDataType()), dims: tp.GetDims()}
	size := 1
	for _, d := range nt.dims {
		size *= int(d)
	}
	raw := tp.GetRawData()
	switch nt.elem {
	case onnxpb.TensorProto_FLOAT:
		for k := 0; k+4 <= len(raw); k += 4 {
			nt.f = append(nt.f, float64(math.Float32frombits(binary.LittleEndian.Uint32(raw[k:]))))
		}
		for _, v := range tp.GetFloatData() {
			nt.f = append(nt.f, float64(v))
		}
	case onnxpb.TensorProto_DOUBLE:
		for k := 0; k+8 <= len(raw); k += 8 {
			nt.f = append(nt.f, math.Float64frombits(binary.LittleEndian.Uint64(raw[k:])))
		}
		nt.f = append(nt.f, tp.GetDoubleData()...)
	default:
		t.Fatalf("%s: element type %s", path, nt.elem)
	}
	if len(nt.f) != size {
		t.Fatalf("%s: %d values for shape %v", path, len(nt.f), nt.dims)
	}
	return nt
}

// readTensorProto reads a TensorProto file of a node test.
func readTensorProto(t *testing.T, path string) *onnxpb.TensorProto {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var tp onnxpb.TensorProto
	if err := proto.Unmarshal(data, &tp); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return &tp
}

// nodeOp returns the op of the one node of a node test.
func nodeOp(t *testing.T, name string) string {
	t.Helper()
	m, err := ReadFile(filepath.Join(nodeDir, name, "model.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	return m.GetGraph().GetNode()[0].GetOpType()
}

// nodeModel reads node test name and makes it importable (see the top of
// the file), returning the model, input_0 and output_0.
func nodeModel(t *testing.T, name string, wrapped bool) (*onnxpb.ModelProto, *nodeTensor, *nodeTensor) {
	t.Helper()
	dir := filepath.Join(nodeDir, name)
	m, err := ReadFile(filepath.Join(dir, "model.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	g := m.GetGraph()
	if len(g.GetNode()) != 1 || len(g.GetOutput()) != 1 {
		t.Fatalf("%s: %d nodes and %d outputs; want a node test of one node and one output", name, len(g.GetNode()), len(g.GetOutput()))
	}
	set := filepath.Join(dir, "test_data_set_0")
	in := readTensor(t, filepath.Join(set, "input_0.pb"))
	out := readTensor(t, filepath.Join(set, "output_0.pb"))
	inputs := g.GetInput()
	for k := 1; k < len(inputs); k++ {
		c := readTensorProto(t, filepath.Join(set, fmt.Sprintf("input_%d.pb", k)))
		c.Name = proto.String(inputs[k].GetName())
		g.Initializer = append(g.Initializer, c)
	}
	g.Input = inputs[:1]
	if wrapped {
		wrapNode(t, m, in, out)
	}
	return m, in, out
}

// wrapNode replaces the graph of m, a node test of one op whose first
// input is the graph's, by x → [Flatten(axis=1)] → Gemm(x, I, 0) → op for
// an activation, output map or Dropout, and x → Flatten → Gemm(x, I, 0)
// for a Flatten. The graph's input and output, and the op's other inputs
// (initializers), keep their names.
func wrapNode(t *testing.T, m *onnxpb.ModelProto, in, out *nodeTensor) {
	t.Helper()
	g := m.GetGraph()
	node := proto.Clone(g.GetNode()[0]).(*onnxpb.NodeProto)
	x, y := g.GetInput()[0].GetName(), g.GetOutput()[0].GetName()
	elem := in.elem
	inDims := in.dims
	if len(inDims) == 1 {
		inDims = []int64{1, inDims[0]} // one sample
	}
	var nodes []*onnxpb.NodeProto
	var rows, width int64 // the Gemm's operand
	if node.GetOpType() == "Flatten" {
		if len(out.dims) != 2 {
			t.Fatalf("Flatten test with output shape %v", out.dims)
		}
		node.Input[0] = x
		node.Output[0] = "flat"
		nodes = append(nodes, node, gemmNode("flat", y))
		rows, width = out.dims[0], out.dims[1]
	} else {
		rows, width = inDims[0], 1
		for _, d := range inDims[1:] {
			width *= d
		}
		a := x
		if len(inDims) > 2 {
			nodes = append(nodes, &onnxpb.NodeProto{OpType: proto.String("Flatten"), Name: proto.String("flatten"),
				Input: []string{x}, Output: []string{"flat"},
				Attribute: []*onnxpb.AttributeProto{{Name: proto.String("axis"), Type: onnxpb.AttributeProto_INT.Enum(), I: proto.Int64(1)}}})
			a = "flat"
		}
		nodes = append(nodes, gemmNode(a, "dense"))
		node.Input[0] = "dense"
		node.Output[0] = y
		nodes = append(nodes, node)
	}
	id := &onnxpb.TensorProto{Name: proto.String("I"), DataType: proto.Int32(int32(elem)), Dims: []int64{width, width}}
	zero := &onnxpb.TensorProto{Name: proto.String("zero"), DataType: proto.Int32(int32(elem)), Dims: []int64{width}}
	for i := range width {
		for j := range width {
			v := 0.0
			if i == j {
				v = 1
			}
			appendValue(id, v)
		}
		appendValue(zero, 0)
	}
	m.Graph = &onnxpb.GraphProto{
		Name:        proto.String(g.GetName() + "_wrapped"),
		Node:        nodes,
		Initializer: append([]*onnxpb.TensorProto{id, zero}, g.GetInitializer()...),
		Input:       []*onnxpb.ValueInfoProto{valueInfo(x, elem, inDims)},
		Output:      []*onnxpb.ValueInfoProto{valueInfo(y, elem, []int64{rows, width})},
	}
}

// gemmNode is Gemm(a, I, zero) named "dense", writing y.
func gemmNode(a, y string) *onnxpb.NodeProto {
	return &onnxpb.NodeProto{OpType: proto.String("Gemm"), Name: proto.String("dense"),
		Input: []string{a, "I", "zero"}, Output: []string{y}}
}

// appendValue appends v to t's typed data.
func appendValue(t *onnxpb.TensorProto, v float64) {
	if onnxpb.TensorProto_DataType(t.GetDataType()) == onnxpb.TensorProto_DOUBLE {
		t.DoubleData = append(t.DoubleData, v)
	} else {
		t.FloatData = append(t.FloatData, float32(v))
	}
}

// valueInfo declares a tensor of the given element type and fixed shape.
func valueInfo(name string, elem onnxpb.TensorProto_DataType, dims []int64) *onnxpb.ValueInfoProto {
	shape := &onnxpb.TensorShapeProto{}
	for _, d := range dims {
		shape.Dim = append(shape.Dim, &onnxpb.TensorShapeProto_Dimension{Value: &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: d}})
	}
	return &onnxpb.ValueInfoProto{Name: proto.String(name), Type: &onnxpb.TypeProto{
		Value: &onnxpb.TypeProto_TensorType{TensorType: &onnxpb.TypeProto_Tensor{ElemType: proto.Int32(int32(elem)), Shape: shape}}}}
}

// evalNetwork runs n in float64 on x, the samples' values one after the
// other, and returns the outputs likewise: each layer y = act(W x + b),
// with W [out][in] and then b taken in turn from n.Pretrained, and the
// output map over each sample's outputs.
func evalNetwork(n *spec.Network, x []float64) ([]float64, error) {
	if n.Input < 1 || len(x)%n.Input != 0 {
		return nil, fmt.Errorf("input width %d, but input_0 has %d values", n.Input, len(x))
	}
	params := n.Pretrained
	take := func(k int) ([]float64, error) {
		if k > len(params) {
			return nil, fmt.Errorf("Pretrained has %d values, too few for the layers", len(n.Pretrained))
		}
		p := params[:k]
		params = params[k:]
		return p, nil
	}
	samples := len(x) / n.Input
	width := n.Input
	for li, l := range n.Layers {
		w, err := take(l.Dense * width)
		if err != nil {
			return nil, err
		}
		var b []float64
		if !l.NoBias {
			if b, err = take(l.Dense); err != nil {
				return nil, err
			}
		}
		y := make([]float64, samples*l.Dense)
		for s := range samples {
			xs := x[s*width : (s+1)*width]
			for i := range l.Dense {
				v := 0.0
				for j, xj := range xs {
					v += w[i*width+j] * xj
				}
				if b != nil {
					v += b[i]
				}
				if y[s*l.Dense+i], err = activate(l, v); err != nil {
					return nil, fmt.Errorf("layer %d: %v", li+1, err)
				}
			}
		}
		x, width = y, l.Dense
	}
	if len(params) != 0 {
		return nil, fmt.Errorf("Pretrained has %d values left over after the layers", len(params))
	}
	for s := range samples {
		row := x[s*width : (s+1)*width]
		switch n.Output {
		case "", spec.NoMap:
		case spec.Softmax, spec.LogSoftmax:
			hi := math.Inf(-1)
			for _, v := range row {
				hi = max(hi, v)
			}
			sum := 0.0
			for _, v := range row {
				sum += math.Exp(v - hi)
			}
			for k, v := range row {
				if n.Output == spec.Softmax {
					row[k] = math.Exp(v-hi) / sum
				} else {
					row[k] = v - hi - math.Log(sum)
				}
			}
		default:
			return nil, fmt.Errorf("output map %q", n.Output)
		}
	}
	return x, nil
}

// activate applies l's activation as PyTorch and ONNX define it.
func activate(l spec.Layer, v float64) (float64, error) {
	switch l.Activation {
	case "", spec.None:
		return v, nil
	case spec.ReLU:
		return max(v, 0), nil
	case spec.LeakyReLU:
		slope := l.Slope
		if slope == 0 {
			slope = spec.DefaultSlope
		}
		if v < 0 {
			return slope * v, nil
		}
		return v, nil
	case spec.Sigmoid:
		return 1 / (1 + math.Exp(-v)), nil
	case spec.Tanh:
		return math.Tanh(v), nil
	}
	return 0, fmt.Errorf("activation %q", l.Activation)
}
