// Package onnxspec is gradgen's ONNX front end, beside the YAML one (spec)
// and the Go one (gospec): it reads the models torch.onnx.export writes. So
// far it decodes a model file and checks what every later step relies on;
// lowering a graph into a spec.Network comes next (issue 16).
//
// The protobuf is decoded by google.golang.org/protobuf with the code
// protoc-gen-go generated from ONNX's own schema (package onnxpb), rather
// than by a hand-written reader: the format has dozens of messages and
// fields whose wire details the schema settles.
package onnxspec

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/gradgen/gradgen/onnxspec/onnxpb"
)

// MaxModelBytes bounds the size of a model file Decode reads: protobuf
// itself limits a message to 2 GiB, and a network gradgen generates is
// bounded by spec.MaxModelBytes.
const MaxModelBytes = 1 << 31

// ErrNotONNX is wrapped by the error of a file that is not an ONNX model:
// one that does not decode as a ModelProto, or holds no graph.
var ErrNotONNX = errors.New("not an ONNX model")

// ReadFile reads and decodes the ONNX model at path (see Decode).
func ReadFile(path string) (*onnxpb.ModelProto, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if info.Size() > MaxModelBytes {
		return nil, fmt.Errorf("%s: %d bytes, more than an ONNX model can hold (%d)", path, info.Size(), int64(MaxModelBytes))
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Decode(path, data)
}

// Decode decodes the ONNX model in data, whose name (its file) errors
// start with. Beyond the protobuf it checks what every later step relies
// on: a graph, a known IR version, tensors whose data is in the file (ONNX's
// external data is refused, naming the tensor), and node names to report
// problems by (an unnamed node is called by its index).
func Decode(name string, data []byte) (*onnxpb.ModelProto, error) {
	var m onnxpb.ModelProto
	if err := proto.Unmarshal(data, &m); err != nil {
		// protobuf's messages vary their spaces on purpose (some are
		// U+00A0), so that no one matches them; ours says the same each run.
		why := strings.ReplaceAll(err.Error(), "\u00a0", " ")
		return nil, fmt.Errorf("%s: %w: the protobuf does not decode (%s)", name, ErrNotONNX, why)
	}
	g := m.GetGraph()
	if g == nil {
		return nil, fmt.Errorf("%s: %w: it has no graph", name, ErrNotONNX)
	}
	if v := m.GetIrVersion(); v < 3 {
		return nil, fmt.Errorf("%s: IR version %d; gradgen reads models of IR version 3 (ONNX 1.1) and later", name, v)
	}
	var errs []error
	for _, t := range g.GetInitializer() {
		if t.GetDataLocation() == onnxpb.TensorProto_EXTERNAL {
			errs = append(errs, fmt.Errorf("%s: initializer %q keeps its data in an external file, which gradgen does not read; export the model with its weights inside (onnx.save_model(..., save_as_external_data=False))", name, t.GetName()))
		}
	}
	return &m, errors.Join(errs...)
}

// NodeName names node i of g in messages: `node 7 "/fc1/Gemm" (Gemm)`, or
// `node 7 (Gemm)` for a node without a name.
func NodeName(g *onnxpb.GraphProto, i int) string {
	n := g.GetNode()[i]
	if n.GetName() == "" {
		return fmt.Sprintf("node %d (%s)", i, n.GetOpType())
	}
	return fmt.Sprintf("node %d %q (%s)", i, n.GetName(), n.GetOpType())
}
