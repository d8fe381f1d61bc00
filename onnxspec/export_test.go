package onnxspec

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/gradgen/gradgen/build"
	"github.com/gradgen/gradgen/emit"
	"github.com/gradgen/gradgen/generated/tiny"
	"github.com/gradgen/gradgen/ir"
	"github.com/gradgen/gradgen/onnxspec/onnxpb"
	"github.com/gradgen/gradgen/runtime"
	"github.com/gradgen/gradgen/spec"
)

// exportNet is a network of every layer form the exporter writes: a
// leaky_relu, a layer without bias, sigmoid, tanh and one without an
// activation.
func exportNet() *spec.Network {
	return &spec.Network{
		Package: "net", Input: 4,
		Layers: []spec.Layer{
			{Dense: 5, Activation: spec.LeakyReLU, Slope: 0.2},
			{Dense: 3, Activation: spec.Sigmoid, NoBias: true},
			{Dense: 2, Activation: spec.Tanh},
			{Dense: 2},
		},
		Loss:      spec.MSE,
		Optimizer: spec.Optimizer{SGD: &spec.SGD{LR: 0.1}},
		File:      "net.yaml",
	}
}

// program builds n, changed by each change, and returns it with parameters
// 1, 2, 3, … in the order of Params.Slice().
func program(t *testing.T, n *spec.Network, change ...func(*spec.Network)) (*ir.Program, []float64) {
	t.Helper()
	for _, c := range change {
		c(n)
	}
	p, err := build.Program(n, build.Options{})
	if err != nil {
		t.Fatal(err)
	}
	params := make([]float64, p.NumParams())
	for i := range params {
		params[i] = float64(i + 1)
	}
	return p, params
}

// exported exports p and decodes the model back.
func exported(t *testing.T, p *ir.Program, params []float64, opset int) *onnxpb.ModelProto {
	t.Helper()
	data, err := Export(p, params, ExportOptions{Opset: opset})
	if err != nil {
		t.Fatal(err)
	}
	m, err := Decode("exported.onnx", data)
	if err != nil {
		t.Fatal(err)
	}
	wellFormed(t, m)
	return m
}

// graphText prints a model's graph one line per input, initializer, node
// and output, as the tests below spell what they expect.
func graphText(m *onnxpb.ModelProto) string {
	var b strings.Builder
	g := m.GetGraph()
	typeName := func(elem int32) string { return onnxpb.TensorProto_DataType(elem).String() }
	for _, in := range g.GetInput() {
		fmt.Fprintf(&b, "input %s %s\n", in.GetName(), valueType(in))
	}
	for _, init := range g.GetInitializer() {
		fmt.Fprintf(&b, "init %s %s %v\n", init.GetName(), typeName(init.GetDataType()), init.GetDims())
	}
	for _, n := range g.GetNode() {
		fmt.Fprintf(&b, "%s = %s(%s)", strings.Join(n.GetOutput(), ", "), n.GetOpType(), strings.Join(n.GetInput(), ", "))
		for _, a := range n.GetAttribute() {
			switch a.GetType() {
			case onnxpb.AttributeProto_INT:
				fmt.Fprintf(&b, " %s=%d", a.GetName(), a.GetI())
			case onnxpb.AttributeProto_FLOAT:
				fmt.Fprintf(&b, " %s=%v", a.GetName(), a.GetF())
			default:
				fmt.Fprintf(&b, " %s:%s", a.GetName(), a.GetType())
			}
		}
		fmt.Fprintf(&b, " [%s]\n", n.GetName())
	}
	for _, out := range g.GetOutput() {
		fmt.Fprintf(&b, "output %s %s\n", out.GetName(), valueType(out))
	}
	return b.String()
}

// valueType prints a graph input's or output's type: FLOAT [N 4].
func valueType(v *onnxpb.ValueInfoProto) string {
	tt := v.GetType().GetTensorType()
	var dims []string
	for _, d := range tt.GetShape().GetDim() {
		if d.GetDimParam() != "" {
			dims = append(dims, d.GetDimParam())
		} else {
			dims = append(dims, fmt.Sprint(d.GetDimValue()))
		}
	}
	return fmt.Sprintf("%s [%s]", onnxpb.TensorProto_DataType(tt.GetElemType()), strings.Join(dims, " "))
}

// wellFormed checks what the ONNX checker would of an exported graph: every
// node reads the input, an initializer or an earlier node's output, no two
// tensors share a name, and the outputs are computed.
func wellFormed(t *testing.T, m *onnxpb.ModelProto) {
	t.Helper()
	g := m.GetGraph()
	known := map[string]bool{}
	define := func(name string) {
		if known[name] {
			t.Errorf("two tensors are named %q", name)
		}
		known[name] = true
	}
	for _, in := range g.GetInput() {
		define(in.GetName())
	}
	for _, init := range g.GetInitializer() {
		define(init.GetName())
		size := int64(map[int32]int{int32(onnxpb.TensorProto_FLOAT): 4, int32(onnxpb.TensorProto_DOUBLE): 8}[init.GetDataType()])
		for _, d := range init.GetDims() {
			size *= d
		}
		if int64(len(init.GetRawData())) != size || size == 0 {
			t.Errorf("initializer %s: %d bytes of raw data for dims %v of type %d", init.GetName(), len(init.GetRawData()), init.GetDims(), init.GetDataType())
		}
	}
	for i, n := range g.GetNode() {
		for _, in := range n.GetInput() {
			if !known[in] {
				t.Errorf("%s reads %q before anything writes it", NodeName(g, i), in)
			}
		}
		for _, out := range n.GetOutput() {
			define(out)
		}
	}
	for _, out := range g.GetOutput() {
		if !known[out.GetName()] {
			t.Errorf("the graph's output %q is not computed", out.GetName())
		}
	}
}

// initializer returns the values of the named initializer of m, widened to
// float64.
func initializer(t *testing.T, m *onnxpb.ModelProto, name string) []float64 {
	t.Helper()
	for _, init := range m.GetGraph().GetInitializer() {
		if init.GetName() != name {
			continue
		}
		raw := init.GetRawData()
		var xs []float64
		if init.GetDataType() == int32(onnxpb.TensorProto_DOUBLE) {
			for i := 0; i+8 <= len(raw); i += 8 {
				xs = append(xs, math.Float64frombits(binary.LittleEndian.Uint64(raw[i:])))
			}
		} else {
			for i := 0; i+4 <= len(raw); i += 4 {
				xs = append(xs, float64(math.Float32frombits(binary.LittleEndian.Uint32(raw[i:]))))
			}
		}
		return xs
	}
	t.Fatalf("no initializer %q", name)
	return nil
}

func TestExportGraph(t *testing.T) {
	p, params := program(t, exportNet())
	m := exported(t, p, params, 0)
	want := `input x FLOAT [N 4]
init 0.weight FLOAT [5 4]
init 0.bias FLOAT [5]
/0/Gemm_output_0 = Gemm(x, 0.weight, 0.bias) transB=1 [/0/Gemm]
/1/LeakyRelu_output_0 = LeakyRelu(/0/Gemm_output_0) alpha=0.2 [/1/LeakyRelu]
init 2.weight FLOAT [3 5]
/2/Gemm_output_0 = Gemm(/1/LeakyRelu_output_0, 2.weight) transB=1 [/2/Gemm]
/3/Sigmoid_output_0 = Sigmoid(/2/Gemm_output_0) [/3/Sigmoid]
init 4.weight FLOAT [2 3]
init 4.bias FLOAT [2]
/4/Gemm_output_0 = Gemm(/3/Sigmoid_output_0, 4.weight, 4.bias) transB=1 [/4/Gemm]
/5/Tanh_output_0 = Tanh(/4/Gemm_output_0) [/5/Tanh]
init 6.weight FLOAT [2 2]
init 6.bias FLOAT [2]
y = Gemm(/5/Tanh_output_0, 6.weight, 6.bias) transB=1 [/6/Gemm]
output y FLOAT [N 2]
`
	if got := graphText(m); got != sortLikeText(want) {
		t.Errorf("graph:\n%s\nwant:\n%s", got, sortLikeText(want))
	}
	if m.GetIrVersion() != 8 || len(m.GetOpsetImport()) != 1 || m.GetOpsetImport()[0].GetVersion() != DefaultOpset || m.GetOpsetImport()[0].GetDomain() != "" {
		t.Errorf("ir_version %d, opsets %v; want 8 and the default domain's %d", m.GetIrVersion(), m.GetOpsetImport(), DefaultOpset)
	}
	if m.GetProducerName() != "gradgen" || m.GetProducerVersion() != runtime.Version {
		t.Errorf("producer %q %q, want gradgen %s", m.GetProducerName(), m.GetProducerVersion(), runtime.Version)
	}
	if m.GetGraph().GetName() != "net" {
		t.Errorf("graph name %q, want the package, net", m.GetGraph().GetName())
	}
	if doc := m.GetDocString(); !strings.Contains(doc, p.SpecHash) || !strings.Contains(doc, "net.yaml") {
		t.Errorf("doc_string %q names neither the spec hash %s nor the source net.yaml", doc, p.SpecHash)
	}
	// Each initializer holds its parameter's values, in Params.Slice()'s layout.
	for _, q := range p.Params {
		if got, want := initializer(t, m, q.Torch), params[q.Offset:q.Offset+q.Type.Elems()]; !reflect.DeepEqual(got, want) {
			t.Errorf("initializer %s = %v, want %v", q.Torch, got, want)
		}
	}
}

// sortLikeText puts the init lines of a graph text before the nodes, where
// graphText prints them: the expectations above list each beside the node
// that reads it.
func sortLikeText(s string) string {
	var inputs, inits, rest []string
	for _, line := range strings.SplitAfter(s, "\n") {
		switch {
		case strings.HasPrefix(line, "input "):
			inputs = append(inputs, line)
		case strings.HasPrefix(line, "init "):
			inits = append(inits, line)
		default:
			rest = append(rest, line)
		}
	}
	return strings.Join(inputs, "") + strings.Join(inits, "") + strings.Join(rest, "")
}

func TestExportFloat64(t *testing.T) {
	p, params := program(t, exportNet(), func(n *spec.Network) { n.DType = spec.Float64 })
	for i := range params {
		params[i] = 1 + 1/float64(i+3) // not a float32
	}
	m := exported(t, p, params, 13)
	text := graphText(m)
	for _, want := range []string{"input x DOUBLE [N 4]\n", "init 0.weight DOUBLE [5 4]\n", "output y DOUBLE [N 2]\n",
		"LeakyRelu(/0/Gemm_output_0) alpha=0.2 "} {
		if !strings.Contains(text, want) {
			t.Errorf("the graph has no %q:\n%s", want, text)
		}
	}
	for _, q := range p.Params {
		if got, want := initializer(t, m, q.Torch), params[q.Offset:q.Offset+q.Type.Elems()]; !reflect.DeepEqual(got, want) {
			t.Errorf("initializer %s = %v, want %v", q.Torch, got, want)
		}
	}
	if m.GetIrVersion() != 7 {
		t.Errorf("ir_version %d at opset 13, want 7", m.GetIrVersion())
	}
}

// TestExportNoBiasOldOpset: below opset 11 Gemm needs a bias, so a layer
// without one is a MatMul of x and the weight written transposed.
func TestExportNoBiasOldOpset(t *testing.T) {
	for _, opset := range []int{9, 10} {
		p, params := program(t, exportNet())
		m := exported(t, p, params, opset)
		text := graphText(m)
		for _, want := range []string{"init 2.weight FLOAT [5 3]\n",
			"/2/MatMul_output_0 = MatMul(/1/LeakyRelu_output_0, 2.weight) [/2/MatMul]\n",
			"/0/Gemm_output_0 = Gemm(x, 0.weight, 0.bias) transB=1 [/0/Gemm]\n"} {
			if !strings.Contains(text, want) {
				t.Errorf("opset %d: the graph has no %q:\n%s", opset, want, text)
			}
		}
		q := p.Param("W2")
		w := params[q.Offset : q.Offset+15] // [3][5]
		if got, want := initializer(t, m, "2.weight"), transposeOf(w, 3, 5); !reflect.DeepEqual(got, want) {
			t.Errorf("opset %d: 2.weight = %v, want the transpose of W2, %v", opset, got, want)
		}
	}
}

// TestExportTransposed: a weight kept transposed outside gradgen is written
// [in][out], and its Gemm reads it without transB; a MatMul reads it as is.
func TestExportTransposed(t *testing.T) {
	transposed := func(n *spec.Network) {
		for i := range n.Layers {
			n.Layers[i].Transposed = true
		}
	}
	for _, opset := range []int{9, 17} {
		p, params := program(t, exportNet(), transposed)
		m := exported(t, p, params, opset)
		text := graphText(m)
		layer2 := "/2/Gemm_output_0 = Gemm(/1/LeakyRelu_output_0, 2.weight) [/2/Gemm]\n"
		if opset < 11 {
			layer2 = "/2/MatMul_output_0 = MatMul(/1/LeakyRelu_output_0, 2.weight) [/2/MatMul]\n"
		}
		for _, want := range []string{"init 0.weight FLOAT [4 5]\n", "init 2.weight FLOAT [5 3]\n",
			"/0/Gemm_output_0 = Gemm(x, 0.weight, 0.bias) [/0/Gemm]\n", layer2} {
			if !strings.Contains(text, want) {
				t.Errorf("opset %d: the graph has no %q:\n%s", opset, want, text)
			}
		}
		for _, q := range p.Params {
			want := params[q.Offset : q.Offset+q.Type.Elems()]
			if len(q.Type.Dims) == 2 {
				want = transposeOf(want, q.Type.Dims[0], q.Type.Dims[1])
			}
			if got := initializer(t, m, q.Torch); !reflect.DeepEqual(got, want) {
				t.Errorf("opset %d: initializer %s = %v, want %v", opset, q.Torch, got, want)
			}
		}
	}
}

func transposeOf(m []float64, rows, cols int) []float64 {
	var t []float64
	for j := range cols {
		for i := range rows {
			t = append(t, m[i*cols+j])
		}
	}
	return t
}

func TestExportOutputMaps(t *testing.T) {
	for _, c := range []struct {
		output spec.OutputMap
		want   string
	}{
		{spec.Softmax, "/6/Gemm_output_0 = Gemm(/5/Tanh_output_0, 6.weight, 6.bias) transB=1 [/6/Gemm]\ny = Softmax(/6/Gemm_output_0) axis=1 [/7/Softmax]\n"},
		{spec.LogSoftmax, "y = LogSoftmax(/6/Gemm_output_0) axis=1 [/7/LogSoftmax]\n"},
	} {
		for _, opset := range []int{9, 13, 20} {
			p, params := program(t, exportNet(), func(n *spec.Network) { n.Output = c.output })
			if text := graphText(exported(t, p, params, opset)); !strings.Contains(text, c.want) {
				t.Errorf("output %s, opset %d: the graph has no %q:\n%s", c.output, opset, c.want, text)
			}
		}
	}
}

// TestExportIRVersions: each opset's model has the IR version of the ONNX
// release that brought the opset.
func TestExportIRVersions(t *testing.T) {
	want := map[int]int64{9: 4, 10: 5, 11: 6, 12: 7, 13: 7, 14: 7, 15: 8, 16: 8, 17: 8, 18: 8, 19: 9, 20: 9}
	p, params := program(t, exportNet())
	for opset := MinOpset; opset <= MaxOpset; opset++ {
		m := exported(t, p, params, opset)
		if m.GetIrVersion() != want[opset] || m.GetOpsetImport()[0].GetVersion() != int64(opset) {
			t.Errorf("opset %d: ir_version %d and opset %d, want %d and %d", opset, m.GetIrVersion(), m.GetOpsetImport()[0].GetVersion(), want[opset], opset)
		}
	}
}

func TestExportDeterministic(t *testing.T) {
	var first []byte
	for range 5 {
		p, params := program(t, exportNet(), func(n *spec.Network) { n.Output = spec.Softmax })
		data, err := Export(p, params, ExportOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = data
		} else if !bytes.Equal(data, first) {
			t.Fatal("two exports of one program differ")
		}
	}
}

func TestExportErrors(t *testing.T) {
	for _, c := range []struct {
		name   string
		opset  int
		change func(p *ir.Program, params []float64) []float64
		want   string
	}{
		{name: "opset too old", opset: 8, want: "opset 8; gradgen writes opsets 9 to 20"},
		{name: "opset too new", opset: 21, want: "opset 21; gradgen writes opsets 9 to 20"},
		{name: "opset negative", opset: -1, want: "opset -1"},
		{name: "too few parameters", change: func(_ *ir.Program, params []float64) []float64 { return params[:3] },
			want: "3 parameter values, but the network has 54 parameters"},
		{name: "an op without an ONNX form", change: func(p *ir.Program, params []float64) []float64 {
			f := p.Func(ir.RolePredict)
			for _, v := range f.Values {
				if v.Op == ir.OpSigmoid {
					v.Op = ir.OpSigmoidGrad
				}
			}
			return params
		}, want: "a2: the op SigmoidGrad has no ONNX form"},
		{name: "no predict function", change: func(p *ir.Program, params []float64) []float64 {
			p.Funcs = p.Funcs[1:]
			return params
		}, want: "no predict function"},
		{name: "a tensor named x", change: func(p *ir.Program, params []float64) []float64 {
			p.Params[0].Torch = "x"
			return params
		}, want: `two tensors of the graph would be named "x"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, params := program(t, exportNet())
			if c.change != nil {
				params = c.change(p, params)
			}
			data, err := Export(p, params, ExportOptions{Opset: c.opset})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Export: %v, want an error with %q", err, c.want)
			}
			if !strings.HasPrefix(err.Error(), "onnx export: ") {
				t.Errorf("error %q does not start with onnx export:", err)
			}
			if data != nil {
				t.Errorf("Export returned %d bytes with its error", len(data))
			}
		})
	}
}

// TestLayout: Layout describes a program's parameters as the generated
// package's Layout does.
func TestLayout(t *testing.T) {
	n, err := spec.Load("../generated/tiny/tiny.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := build.Program(n, build.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := emit.Layout(p); !reflect.DeepEqual(got, tiny.Layout) {
		t.Errorf("Layout(tiny) = %+v, want the package's %+v", got, tiny.Layout)
	}
	p, _ = program(t, exportNet(), func(n *spec.Network) { n.Layers[1].Transposed = true; n.Layers[1].WeightName = "fc2.w" })
	want := []runtime.ParamInfo{
		{Name: "W1", Torch: "0.weight", Shape: []int{5, 4}, Offset: 0},
		{Name: "B1", Torch: "0.bias", Shape: []int{5}, Offset: 20},
		{Name: "W2", Torch: "fc2.w", Shape: []int{3, 5}, Offset: 25, Transposed: true},
		{Name: "W3", Torch: "4.weight", Shape: []int{2, 3}, Offset: 40},
		{Name: "B3", Torch: "4.bias", Shape: []int{2}, Offset: 46},
		{Name: "W4", Torch: "6.weight", Shape: []int{2, 2}, Offset: 48},
		{Name: "B4", Torch: "6.bias", Shape: []int{2}, Offset: 52},
	}
	if got := emit.Layout(p); !reflect.DeepEqual(got, want) {
		t.Errorf("Layout = %+v, want %+v", got, want)
	}
}
