package onnxspec

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/gradgen/gradgen/onnxspec/onnxpb"
)

// TestDecodeTorchExport decodes testdata/mlp.onnx, which export.py writes
// with PyTorch: nn.Sequential(Linear(4, 8), ReLU(), Linear(8, 3)).
func TestDecodeTorchExport(t *testing.T) {
	m, err := ReadFile("testdata/mlp.onnx")
	if err != nil {
		t.Fatal(err)
	}
	g := m.GetGraph()
	var ops []string
	for _, n := range g.GetNode() {
		ops = append(ops, n.GetOpType())
	}
	if want := []string{"Gemm", "Relu", "Gemm"}; !slices.Equal(ops, want) {
		t.Errorf("ops %v, want %v", ops, want)
	}
	shapes := map[string][]int64{}
	for _, init := range g.GetInitializer() {
		shapes[init.GetName()] = init.GetDims()
		if init.GetDataType() != int32(onnxpb.TensorProto_FLOAT) {
			t.Errorf("initializer %s has data type %d, want FLOAT", init.GetName(), init.GetDataType())
		}
	}
	for name, want := range map[string][]int64{"0.weight": {8, 4}, "0.bias": {8}, "2.weight": {3, 8}, "2.bias": {3}} {
		if !slices.Equal(shapes[name], want) {
			t.Errorf("initializer %s has shape %v, want %v (all: %v)", name, shapes[name], want, shapes)
		}
	}
	if in, out := g.GetInput()[0].GetName(), g.GetOutput()[0].GetName(); in != "x" || out != "y" {
		t.Errorf("input %q, output %q, want x and y", in, out)
	}
	if got := NodeName(g, 1); !strings.HasPrefix(got, "node 1 ") || !strings.HasSuffix(got, "(Relu)") {
		t.Errorf("NodeName(1) = %q", got)
	}
}

// TestDecodeRefuses: a truncated or corrupted file, one without a graph and
// one with external data are errors that say so, never a panic.
func TestDecodeRefuses(t *testing.T) {
	data, err := os.ReadFile("testdata/mlp.onnx")
	if err != nil {
		t.Fatal(err)
	}
	full, err := Decode("mlp.onnx", data)
	if err != nil {
		t.Fatal(err)
	}
	// A prefix that ends between two fields of the model is a valid
	// protobuf; the graph is one field, so a prefix either errors or holds
	// all of it (the fields after it, such as the opsets, may be cut).
	for n := range len(data) {
		m, err := Decode("mlp.onnx", data[:n])
		if err == nil && !proto.Equal(m.GetGraph(), full.GetGraph()) {
			t.Fatalf("the first %d of %d bytes decode to a graph cut short", n, len(data))
		}
		if err != nil && !errors.Is(err, ErrNotONNX) {
			t.Fatalf("the first %d bytes: %v, want ErrNotONNX", n, err)
		}
	}
	if _, err := Decode("x.onnx", []byte("not a protobuf at all")); !errors.Is(err, ErrNotONNX) {
		t.Errorf("text: %v, want ErrNotONNX", err)
	}
	if _, err := Decode("x.onnx", nil); !errors.Is(err, ErrNotONNX) || !strings.Contains(err.Error(), "no graph") {
		t.Errorf("empty file: %v, want ErrNotONNX: no graph", err)
	}
	var m onnxpb.ModelProto
	if err := proto.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	m.GetGraph().GetInitializer()[0].DataLocation = onnxpb.TensorProto_EXTERNAL.Enum()
	external, err := proto.Marshal(&m)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Decode("x.onnx", external); err == nil || !strings.Contains(err.Error(), "external file") {
		t.Errorf("external data: %v", err)
	}
}

// FuzzDecode: no input makes Decode panic, and what it accepts has a graph.
func FuzzDecode(f *testing.F) {
	if data, err := os.ReadFile("testdata/mlp.onnx"); err == nil {
		f.Add(data)
	}
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Decode("fuzz.onnx", data)
		if err == nil && m.GetGraph() == nil {
			t.Fatal("Decode accepted a model without a graph")
		}
	})
}
