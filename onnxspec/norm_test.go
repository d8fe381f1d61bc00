package onnxspec

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"

	"github.com/gradgen/gradgen/build"
	"github.com/gradgen/gradgen/generic"
	"github.com/gradgen/gradgen/ir"
	"github.com/gradgen/gradgen/onnxspec/onnxpb"
	"github.com/gradgen/gradgen/spec"
)

// The models of these tests: x [N, 4] → Gemm (fc) → a layer normalization
// (norm, eps 1e-5) → y, written as LayerNormalization (normLN, opset 17)
// or as the decomposition torch.onnx.export writes below opset 17
// (normDecomposed, opset 13). Each case edits one of them by replacing
// text.
const (
	normHeader = `ir_version: 8
opset_import { version: OPSET }
graph {
  name: "g"
  node { name: "/fc/Gemm" op_type: "Gemm" input: ["x", "fc.weight", "fc.bias"] output: "h" attribute { name: "transB" type: INT i: 1 } }
`
	normFooter = `  initializer { name: "fc.weight" dims: [4, 4] data_type: 1 float_data: [0.5, -0.25, 0.75, 1, -1, 0.5, 0.25, 0.125, 0.3, 0.6, -0.9, 0.2, 1.5, -0.5, 0.1, -0.7] }
  initializer { name: "fc.bias" dims: 4 data_type: 1 float_data: [0.1, -0.2, 0.3, 0] }
  initializer { name: "norm.weight" dims: 4 data_type: 1 float_data: [0.5, 1, 1.5, 2] }
  initializer { name: "norm.bias" dims: 4 data_type: 1 float_data: [0.1, -0.2, 0.3, -0.4] }
  initializer { name: "two" data_type: 1 float_data: 2 }
  initializer { name: "eps" data_type: 1 float_data: 1e-05 }
  input { name: "x" type { tensor_type { elem_type: 1 shape { dim { dim_param: "N" } dim { dim_value: 4 } } } } }
  output { name: "y" type { tensor_type { elem_type: 1 } } }
}
`
	normLN = normHeader + `  node { name: "/norm/LayerNormalization" op_type: "LayerNormalization" input: ["h", "norm.weight", "norm.bias"] output: "y" attribute { name: "axis" type: INT i: -1 } attribute { name: "epsilon" type: FLOAT f: 1e-05 } }
` + normFooter
	normDecomposed = normHeader + `  node { name: "/norm/ReduceMean" op_type: "ReduceMean" input: "h" output: "m" attribute { name: "axes" type: INTS ints: -1 } }
  node { name: "/norm/Sub" op_type: "Sub" input: ["h", "m"] output: "d" }
  node { name: "/norm/Pow" op_type: "Pow" input: ["d", "two"] output: "p" }
  node { name: "/norm/ReduceMean_1" op_type: "ReduceMean" input: "p" output: "v" attribute { name: "axes" type: INTS ints: -1 } }
  node { name: "/norm/Add" op_type: "Add" input: ["v", "eps"] output: "e" }
  node { name: "/norm/Sqrt" op_type: "Sqrt" input: "e" output: "s" }
  node { name: "/norm/Div" op_type: "Div" input: ["d", "s"] output: "n" }
  node { name: "/norm/Mul" op_type: "Mul" input: ["n", "norm.weight"] output: "sc" }
  node { name: "/norm/Add_1" op_type: "Add" input: ["sc", "norm.bias"] output: "y" }
` + normFooter
)

// normCase is a model made from base by replacing each edits[2k] by
// edits[2k+1] (which must occur), at opset.
type normCase struct {
	name  string
	base  string
	opset int
	edits []string
}

// model returns c's model.
func (c normCase) model(t *testing.T) *onnxpb.ModelProto {
	t.Helper()
	text := strings.Replace(c.base, "OPSET", fmt.Sprint(c.opset), 1)
	for k := 0; k+1 < len(c.edits); k += 2 {
		if !strings.Contains(text, c.edits[k]) {
			t.Fatalf("the model has no %q to edit", c.edits[k])
		}
		text = strings.Replace(text, c.edits[k], c.edits[k+1], 1)
	}
	var m onnxpb.ModelProto
	if err := prototext.Unmarshal([]byte(text), &m); err != nil {
		t.Fatalf("%v in\n%s", err, text)
	}
	return &m
}

// normImport imports c's model, checked to be valid and to build.
func normImport(t *testing.T, c normCase) *spec.Network {
	t.Helper()
	n, err := Import(c.name+".onnx", c.model(t))
	if err != nil {
		t.Fatalf("Import: %v", err)
	}
	n.Package, n.Loss = "m", spec.MSE
	n.Normalize()
	if err := n.Validate(); err != nil {
		t.Fatalf("the imported network does not validate: %v", err)
	}
	if _, err := build.Program(n, build.Options{}); err != nil {
		t.Fatalf("the imported network does not build: %v", err)
	}
	return n
}

// normSummary describes what of n the cases compare: each layer's kind,
// width, eps, activation and tensor names, and the parameters.
func normSummary(n *spec.Network) string {
	var s []string
	for _, l := range n.Layers {
		eps := 0.0
		if l.LayerNorm != nil {
			eps = l.LayerNorm.Eps
		}
		s = append(s, fmt.Sprintf("%s %d eps %g %s %q %q from %v", l.Kind(), l.Dense, eps, l.Activation, l.WeightName, l.BiasName, l.From))
	}
	return fmt.Sprintf("%s %v", strings.Join(s, "; "), n.Pretrained)
}

// TestImportLayerNorm: LayerNormalization and the decomposition import as
// the same network, fc then a layer_norm with its γ and β, which computes
// γ ⊙ (h − mean h)/√(var h + 1e-5) + β; and each accepted variant of either
// (attributes torch leaves out or writes otherwise, operands swapped, ε as
// a Constant node, opset 18's axes input) imports as that network too.
func TestImportLayerNorm(t *testing.T) {
	n := normImport(t, normCase{name: "ln", base: normLN, opset: 17})
	want := normSummary(n)
	if len(n.Layers) != 2 || n.Layers[1].LayerNorm == nil || n.Layers[1].LayerNorm.Eps != 1e-5 ||
		n.Layers[1].WeightName != "norm.weight" || n.Layers[1].BiasName != "norm.bias" {
		t.Fatalf("imported as %s", want)
	}
	checkNormPredictions(t, n)
	for _, c := range []normCase{
		{name: "decomposition", base: normDecomposed, opset: 13},
		{name: "decomposition at opset 9", base: normDecomposed, opset: 9},
		{name: "decomposition, Mul(d, d)", base: normDecomposed, opset: 13, edits: []string{`op_type: "Pow" input: ["d", "two"]`, `op_type: "Mul" input: ["d", "d"]`}},
		{name: "decomposition, operands swapped", base: normDecomposed, opset: 13, edits: []string{
			`input: ["v", "eps"]`, `input: ["eps", "v"]`, `input: ["n", "norm.weight"]`, `input: ["norm.weight", "n"]`,
			`input: ["sc", "norm.bias"]`, `input: ["norm.bias", "sc"]`}},
		{name: "decomposition, axes [1], keepdims 1", base: normDecomposed, opset: 13, edits: []string{
			`ints: -1 } }`, `ints: 1 } attribute { name: "keepdims" type: INT i: 1 } }`, `ints: -1 } }`, `ints: 1 } }`}},
		{name: "decomposition, ε and 2 as Constant nodes", base: normDecomposed, opset: 13, edits: []string{
			`  node { name: "/norm/Pow"`, `  node { name: "/norm/Constant" op_type: "Constant" output: "c2" attribute { name: "value" type: TENSOR t { data_type: 1 float_data: 2 } } }
  node { name: "/norm/Pow"`,
			`input: ["d", "two"]`, `input: ["d", "c2"]`,
			`  node { name: "/norm/Add" `, `  node { name: "/norm/Constant_1" op_type: "Constant" output: "c1" attribute { name: "value" type: TENSOR t { data_type: 1 float_data: 1e-05 } } }
  node { name: "/norm/Add" `,
			`input: ["v", "eps"]`, `input: ["v", "c1"]`}},
		{name: "decomposition at opset 18, axes an input", base: normDecomposed, opset: 18, edits: []string{
			`input: "h" output: "m" attribute { name: "axes" type: INTS ints: -1 }`, `input: ["h", "axes"] output: "m"`,
			`input: "p" output: "v" attribute { name: "axes" type: INTS ints: -1 }`, `input: ["p", "axes"] output: "v"`,
			`  input { name: "x"`, `  initializer { name: "axes" dims: 1 data_type: 7 int64_data: -1 }
  input { name: "x"`}},
		{name: "decomposition, an integer exponent", base: normDecomposed, opset: 13, edits: []string{
			`initializer { name: "two" data_type: 1 float_data: 2 }`, `initializer { name: "two" data_type: 7 int64_data: 2 }`}},
		{name: "LayerNormalization, defaults", base: normLN, opset: 17, edits: []string{` attribute { name: "axis" type: INT i: -1 } attribute { name: "epsilon" type: FLOAT f: 1e-05 }`, ``}},
		{name: "LayerNormalization, axis 1, stash_type 1", base: normLN, opset: 17, edits: []string{`i: -1 }`, `i: 1 } attribute { name: "stash_type" type: INT i: 1 }`}},
		{name: "LayerNormalization, stash_type 11", base: normLN, opset: 17, edits: []string{`f: 1e-05 }`, `f: 1e-05 } attribute { name: "stash_type" type: INT i: 11 }`}},
		{name: "LayerNormalization at opset 21", base: normLN, opset: 21},
		{name: "LayerNormalization, outputs Mean and InvStdDev unread", base: normLN, opset: 17, edits: []string{`output: "y" attribute`, `output: ["y", "mean", "istd"] attribute`}},
		{name: "LayerNormalization, output Mean left out", base: normLN, opset: 17, edits: []string{`output: "y" attribute`, `output: ["y", "", "istd"] attribute`}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := normSummary(normImport(t, c)); got != want {
				t.Errorf("imported as\n%s\nwant\n%s", got, want)
			}
		})
	}
}

// checkNormPredictions compares what the generic engine predicts with the
// network n of normLN with a float64 evaluation of its model.
func checkNormPredictions(t *testing.T, n *spec.Network) {
	t.Helper()
	g, err := generic.NewPretrained[float64](n)
	if err != nil {
		t.Fatal(err)
	}
	p := n.Pretrained // fc.weight, fc.bias, γ, β
	w, b, gamma, beta := p[:16], p[16:20], p[20:24], p[24:28]
	x := []float64{0.5, -1.5, 2, 0.25}
	h := make([]float64, 4)
	mean := 0.0
	for i := range h {
		h[i] = b[i]
		for j := range x {
			h[i] += w[i*4+j] * x[j]
		}
		mean += h[i] / 4
	}
	variance := 0.0
	for _, v := range h {
		variance += (v - mean) * (v - mean) / 4
	}
	y := make([]float64, 4)
	g.Predict(x, y)
	for i, v := range h {
		want := gamma[i]*(v-mean)/math.Sqrt(variance+1e-5) + beta[i]
		if math.Abs(y[i]-want) > 1e-12 {
			t.Errorf("y[%d] = %.15g, want %.15g", i, y[i], want)
		}
	}
}

// TestImportLayerNormVariants: the forms that import as another network
// than normLN's: without B (β zeros, named as nn.LayerNorm names it), and
// the decomposition without Mul and Add (elementwise_affine=False: γ ones,
// β zeros, named by the layout), followed by an activation.
func TestImportLayerNormVariants(t *testing.T) {
	for _, c := range []struct {
		normCase
		weight, bias string
		gamma, beta  []float64
	}{
		{normCase{name: "no B", base: normLN, opset: 17, edits: []string{
			`input: ["h", "norm.weight", "norm.bias"]`, `input: ["h", "norm.weight"]`,
			`  initializer { name: "norm.bias" dims: 4 data_type: 1 float_data: [0.1, -0.2, 0.3, -0.4] }
`, ``}}, "norm.weight", "norm.bias", []float64{0.5, 1, 1.5, 2}, []float64{0, 0, 0, 0}},
		{normCase{name: "no B, norm.bias taken", base: normLN, opset: 17, edits: []string{
			`input: ["h", "norm.weight", "norm.bias"]`, `input: ["h", "norm.weight", ""]`}}, "norm.weight", "", []float64{0.5, 1, 1.5, 2}, []float64{0, 0, 0, 0}},
		{normCase{name: "a single value as B, a Constant", base: normLN, opset: 17, edits: []string{
			`  node { name: "/norm/LayerNormalization"`, `  node { op_type: "Constant" output: "b1" attribute { name: "value_float" type: FLOAT f: 0.5 } }
  node { name: "/norm/LayerNormalization"`,
			`input: ["h", "norm.weight", "norm.bias"]`, `input: ["h", "norm.weight", "b1"]`}}, "norm.weight", "", []float64{0.5, 1, 1.5, 2}, []float64{0.5, 0.5, 0.5, 0.5}},
		{normCase{name: "decomposition without Mul and Add, then Relu", base: normDecomposed, opset: 13, edits: []string{
			`  node { name: "/norm/Mul" op_type: "Mul" input: ["n", "norm.weight"] output: "sc" }
  node { name: "/norm/Add_1" op_type: "Add" input: ["sc", "norm.bias"] output: "y" }`,
			`  node { name: "/Relu" op_type: "Relu" input: "n" output: "y" }`}}, "", "", []float64{1, 1, 1, 1}, []float64{0, 0, 0, 0}},
	} {
		t.Run(c.name, func(t *testing.T) {
			n := normImport(t, c.normCase)
			l := n.Layers[len(n.Layers)-1]
			if l.LayerNorm == nil || l.WeightName != c.weight || l.BiasName != c.bias {
				t.Errorf("imported as %s; want a layer_norm with tensors %q and %q", normSummary(n), c.weight, c.bias)
			}
			if got := n.Pretrained[20:]; !slices.Equal(got, append(c.gamma, c.beta...)) {
				t.Errorf("γ and β %v, want %v and %v", got, c.gamma, c.beta)
			}
			if strings.Contains(c.name, "Relu") && l.Activation != spec.ReLU {
				t.Errorf("activation %q, want relu", l.Activation)
			}
		})
	}
}

// TestImportLayerNormRefused: the layer normalizations gradgen does not
// read are errors naming the node and saying what it reads, as the
// catalogue's (cmd/gradgen/internal/cli/testdata/catalogue) are.
func TestImportLayerNormRefused(t *testing.T) {
	twoOutputs := []string{
		`  output { name: "y" type { tensor_type { elem_type: 1 } } }`,
		`  output { name: "y" type { tensor_type { elem_type: 1 } } }
  output { name: "h2" type { tensor_type { elem_type: 1 } } }`,
		`  node { name: "/norm/LayerNormalization"`,
		`  node { name: "/head/Gemm" op_type: "Gemm" input: ["x", "fc.weight", "fc.bias"] output: "h2" attribute { name: "transB" type: INT i: 1 } }
  node { name: "/norm/LayerNormalization"`,
	}
	for _, c := range []struct {
		normCase
		node string // the node named
		want string
	}{
		{normCase{base: normLN, opset: 16}, `"/norm/LayerNormalization" (LayerNormalization)`,
			"LayerNormalization is an op of opset 17 and later, and the model imports opset 16"},
		{normCase{base: normLN, opset: 17, edits: []string{`i: -1 }`, `i: 0 }`}}, `"/norm/LayerNormalization"`,
			"LayerNormalization over axis 0 of h, of shape [batch, 4]; gradgen normalises each sample's values (axis -1 or 1)"},
		{normCase{base: normLN, opset: 17, edits: []string{`i: -1 }`, `i: -2 }`}}, `"/norm/LayerNormalization"`, "over axis -2"},
		{normCase{base: normLN, opset: 17, edits: []string{`f: 1e-05`, `f: 0`}}, `"/norm/LayerNormalization"`,
			"a layer normalization with epsilon 0; gradgen's layer_norm takes a finite eps > 0"},
		{normCase{base: normLN, opset: 17, edits: []string{`f: 1e-05`, `f: -1`}}, `"/norm/LayerNormalization"`, "epsilon -1"},
		{normCase{base: normLN, opset: 17, edits: []string{`f: 1e-05 }`, `f: 1e-05 } attribute { name: "stash_type" type: INT i: 16 }`}}, `"/norm/LayerNormalization"`,
			"LayerNormalization with stash_type 16 (BFLOAT16); gradgen computes the mean and variance in float64, and reads stash_type 1 (float) or 11 (double)"},
		{normCase{base: normLN, opset: 17, edits: []string{`output: "y" attribute`, `output: ["y", "mean"] attribute`,
			`  output { name: "y"`, `  output { name: "mean" type { tensor_type { elem_type: 1 } } }
  output { name: "y"`}}, `"/norm/LayerNormalization"`,
			`its output 2, "mean" (Mean), is an output of the graph: gradgen reads only LayerNormalization's first output, Y`},
		{normCase{base: normLN, opset: 17, edits: []string{`output: "y" attribute`, `output: ["ln", "", "istd"] attribute`,
			`  initializer { name: "fc.weight"`, `  node { name: "/Relu" op_type: "Relu" input: "ln" output: "y" }
  node { name: "/Sigmoid" op_type: "Sigmoid" input: "istd" output: "z" }
  initializer { name: "fc.weight"`}}, `"/norm/LayerNormalization"`,
			`its output 3, "istd" (InvStdDev), is read by node 3 "/Sigmoid" (Sigmoid): gradgen reads only LayerNormalization's first output, Y`},
		{normCase{base: normLN, opset: 17, edits: []string{`dims: 4 data_type: 1 float_data: [0.5, 1, 1.5, 2]`, `dims: 3 data_type: 1 float_data: [0.5, 1, 1.5]`}}, `"/norm/LayerNormalization"`,
			`the layer normalization's scale γ "norm.weight" has shape [3]; it normalises 4 values per sample, so want [4] or a single value`},
		{normCase{base: normLN, opset: 17, edits: []string{`dims: 4 data_type: 1 float_data: [0.5, 1, 1.5, 2]`, `dims: 4 data_type: 11 double_data: [0.5, 1, 1.5, 2]`}}, `"/norm/LayerNormalization"`,
			`the layer normalization's scale γ "norm.weight" is float64; want float32`},
		{normCase{base: normLN, opset: 17, edits: []string{`input: ["h", "norm.weight", "norm.bias"]`, `input: ["h", "h", "norm.bias"]`}}, `"/norm/LayerNormalization"`,
			`input 2 ("h") of LayerNormalization depends on the network's input; gradgen needs a constant there`},
		{normCase{base: normLN, opset: 17, edits: []string{`input: ["h", "norm.weight", "norm.bias"]`, `input: ["h", "norm.weight", "nothing"]`}}, `"/norm/LayerNormalization"`,
			`input "nothing" is not defined by an initializer or an earlier node`},
		{normCase{base: normLN, opset: 17, edits: []string{`input: ["x", "fc.weight", "fc.bias"] output: "h"`, `input: ["x", "fc.weight", "fc.bias"] output: "h0"`,
			`  node { name: "/norm/LayerNormalization"`, `  node { name: "/unflatten" op_type: "Reshape" input: ["h0", "shape"] output: "h" }
  node { name: "/norm/LayerNormalization"`,
			`  input { name: "x"`, `  initializer { name: "shape" dims: 3 data_type: 7 int64_data: [-1, 2, 2] }
  input { name: "x"`}}, `"/unflatten" (Reshape)`, `a reshape to [-1, 2, 2]`},
		{normCase{base: normLN, opset: 17, edits: []string{`dim { dim_value: 4 }`, `dim { dim_value: 2 } dim { dim_value: 2 }`,
			`name: "/fc/Gemm" op_type: "Gemm" input: ["x", "fc.weight", "fc.bias"] output: "h" attribute { name: "transB" type: INT i: 1 }`,
			`name: "/Identity" op_type: "Identity" input: "x" output: "h"`}}, `"/norm/LayerNormalization"`,
			`LayerNormalization of a tensor of 2 dimensions per sample ([2 2]): flatten it first`},
		{normCase{base: normLN, opset: 17, edits: []string{`output: "y" attribute`, `output: "ln" attribute`,
			`  initializer { name: "fc.weight"`, `  node { name: "/Add" op_type: "Add" input: ["ln", "norm.bias"] output: "y" }
  initializer { name: "fc.weight"`}}, `"/Add" (Add)`,
			`an Add of a constant to layer 2's output, a layer normalization: gradgen reads Add as the bias of the MatMul before it`},
		{normCase{base: normLN, opset: 17, edits: twoOutputs}, "",
			`the output "y" is a layer normalization: each output of a model of several outputs must be a Gemm or MatMul (with its bias and activation), a head`},
		// The decomposition.
		{normCase{base: normDecomposed, opset: 13, edits: []string{`float_data: 2 }`, `float_data: 3 }`}}, `"/norm/Pow" (Pow)`,
			"a Pow of x minus its mean to [3]; a layer normalization squares it (exponent 2)"},
		{normCase{base: normDecomposed, opset: 13, edits: []string{`ints: -1 } }`, `ints: 0 } }`}}, `"/norm/ReduceMean" (ReduceMean)`,
			"ReduceMean over the axes [0]; gradgen reads a layer normalization over each sample's values (axes [-1] or [1])"},
		{normCase{base: normDecomposed, opset: 13, edits: []string{`input: "p" output: "v" attribute { name: "axes" type: INTS ints: -1 }`, `input: "p" output: "v"`}}, `"/norm/ReduceMean_1" (ReduceMean)`,
			"ReduceMean over every axis"},
		{normCase{base: normDecomposed, opset: 13, edits: []string{`ints: -1 } }`, `ints: -1 } attribute { name: "keepdims" type: INT i: 0 } }`}}, `"/norm/ReduceMean" (ReduceMean)`,
			"ReduceMean with keepdims 0; a layer normalization keeps the reduced axis (keepdims 1)"},
		{normCase{base: normDecomposed, opset: 13, edits: []string{`input: ["v", "eps"]`, `input: ["v", "norm.bias"]`}}, `"/norm/Add" (Add)`,
			`the variance plus "norm.bias" (float32 [4]); a layer normalization adds a single value ε`},
		{normCase{base: normDecomposed, opset: 13, edits: []string{`float_data: 1e-05 }`, `float_data: 0 }`}}, `"/norm/Add" (Add)`,
			`a layer normalization with epsilon 0`},
		{normCase{base: normDecomposed, opset: 13, edits: []string{`input: ["n", "norm.weight"]`, `input: ["n", "g64"]`,
			`  input { name: "x"`, `  initializer { name: "g64" dims: 4 data_type: 11 double_data: [0.1, -0.2, 0.3, 0] }
  input { name: "x"`}}, `"/norm/Mul" (Mul)`,
			`the layer normalization's scale γ "g64" is float64; want float32`},
		// Not a decomposition gradgen reads: unsupported, with why.
		{normCase{base: normDecomposed, opset: 13, edits: []string{`  output { name: "y"`, `  output { name: "m" type { tensor_type { elem_type: 1 } } }
  output { name: "y"`}}, `"/norm/ReduceMean" (ReduceMean)`,
			"not supported (supported: Add, Cast, Concat, Constant, Dropout, Flatten, Gather, Gemm, Identity, LayerNormalization, LeakyRelu, LogSoftmax, MatMul, Relu, Reshape, Shape, Sigmoid, Softmax, Squeeze, Tanh, Transpose, Unsqueeze); " +
				"gradgen reads ReduceMean, Sub, Pow, Sqrt, Div and Mul only as the layer normalization torch.onnx.export writes for nn.LayerNorm below opset 17 " +
				"(ReduceMean, Sub, Pow, ReduceMean, Add ε, Sqrt, Div, then Mul by γ and Add of β), and this node is not part of one " +
				"(m, the mean, is an output of the graph): export nn.LayerNorm at opset 17 or later, where it is one LayerNormalization node"},
		{normCase{base: normDecomposed, opset: 13, edits: []string{`input: ["d", "s"]`, `input: ["h", "s"]`}}, `"/norm/ReduceMean" (ReduceMean)`,
			`(d, x minus its mean, is read by node 3 "/norm/Pow" (Pow); want its square (Pow or Mul) and a Div, only)`},
		{normCase{base: normDecomposed, opset: 13, edits: []string{`input: ["h", "m"]`, `input: ["m", "h"]`}}, `"/norm/ReduceMean" (ReduceMean)`,
			"(node 2 \"/norm/Sub\" (Sub) is not Sub(h, m), x minus its mean)"},
		{normCase{base: normDecomposed, opset: 13, edits: []string{`op_type: "Sqrt" input: "e"`, `op_type: "Sqrt" input: "v"`}}, `"/norm/ReduceMean" (ReduceMean)`,
			"(v, the variance, is read by 2 nodes; want one Add)"},
		{normCase{base: normDecomposed, opset: 13, edits: []string{`input: ["n", "norm.weight"]`, `input: ["n", "h"]`}}, `"/norm/Mul" (Mul)`,
			"not supported (supported: "},
		{normCase{base: normDecomposed, opset: 13, edits: []string{`input: ["n", "norm.weight"]`, `input: ["n", "h"]`}}, `"/norm/Mul" (Mul)`,
			"and this node is not part of one: export nn.LayerNorm at opset 17 or later"},
	} {
		name := c.want
		if len(name) > 40 {
			name = name[:40]
		}
		t.Run(name, func(t *testing.T) {
			m := c.model(t)
			n, err := Import("m.onnx", m)
			if err == nil {
				t.Fatalf("Import gave a network (%s), want an error", normSummary(n))
			}
			var list spec.ErrorList
			if !errors.As(err, &list) {
				t.Errorf("error of type %T, want spec.ErrorList: %v", err, err)
			}
			msg := err.Error()
			if !strings.Contains(msg, c.want) {
				t.Errorf("error\n%s\ndoes not say\n%s", msg, c.want)
			}
			if c.node != "" && !strings.Contains(msg, "m.onnx: node ") || !strings.Contains(msg, c.node) {
				t.Errorf("error %q does not name the node %s", msg, c.node)
			}
		})
	}
}

// TestNodeLayerNorm runs ONNX's LayerNormalization node tests (the graph's
// outputs Mean and InvStdDev left out: gradgen computes Y only; the node
// still names them): the normalization over the last axis of [N, width]
// imports as a network of one layer_norm layer that computes output_0,
// the others are refused.
func TestNodeLayerNorm(t *testing.T) {
	for _, c := range []struct {
		name string
		want string // the error, "" for a network
	}{
		{"test_layer_normalization_2d_axis1", ""},
		{"test_layer_normalization_2d_axis_negative_1", ""},
		{"test_layer_normalization_2d_axis0", "over axis 0"},
		{"test_layer_normalization_3d_axis_negative_1_epsilon", "LayerNormalization of a tensor of 2 dimensions per sample ([3 5]): flatten it first"},
		{"test_layer_normalization_default_axis", "LayerNormalization of a tensor of 3 dimensions per sample ([3 4 5]): flatten it first"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(nodeDir, c.name)
			m, err := ReadFile(filepath.Join(dir, "model.onnx"))
			if err != nil {
				t.Fatal(err)
			}
			g := m.GetGraph()
			set := filepath.Join(dir, "test_data_set_0")
			in := readTensor(t, filepath.Join(set, "input_0.pb"))
			out := readTensor(t, filepath.Join(set, "output_0.pb"))
			for k := 1; k < len(g.GetInput()); k++ {
				tp := readTensorProto(t, filepath.Join(set, fmt.Sprintf("input_%d.pb", k)))
				tp.Name = proto.String(g.GetInput()[k].GetName())
				g.Initializer = append(g.Initializer, tp)
			}
			g.Input = g.Input[:1]
			// As the test is, the graph's outputs include Mean and InvStdDev.
			if _, err := Import(c.name+".onnx", proto.Clone(m).(*onnxpb.ModelProto)); err == nil || !strings.Contains(err.Error(), "is an output of the graph") {
				t.Errorf("with Mean an output of the graph: %v, want an error", err)
			}
			g.Output = g.Output[:1]
			n, err := Import(c.name+".onnx", m)
			if c.want != "" {
				if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "(LayerNormalization)") {
					t.Errorf("Import: %v, want an error naming the node with %q", err, c.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(n.Layers) != 1 || n.Layers[0].LayerNorm == nil {
				t.Fatalf("imported as %s, want one layer_norm", normSummary(n))
			}
			n.Package, n.Loss = "m", spec.MSE
			n.Normalize()
			net, err := generic.NewPretrained[float64](n)
			if err != nil {
				t.Fatal(err)
			}
			got := make([]float64, len(out.f))
			w := net.Inputs()
			for k := 0; k+w <= len(in.f); k += w {
				net.Predict(in.f[k:k+w], got[k:k+w])
			}
			worst := 0.0
			for k, want := range out.f {
				d := math.Abs(got[k] - want)
				worst = max(worst, d/max(math.Abs(want), 1))
				if d > 1e-6*max(math.Abs(want), 1) {
					t.Errorf("value %d: got %.9g, want %.9g", k, got[k], want)
				}
			}
			t.Logf("eps %g, %d values, largest difference %.2g (relative, or absolute below 1)", n.Layers[0].LayerNorm.Eps, len(got), worst)
		})
	}
}

// TestExportLayerNorm: a layer_norm is written as one LayerNormalization
// from opset 17 and as the decomposition below, named by its module, with
// ε a Constant of the model's type (exact in float64); a Normalize, Mul or
// Sum outside the pattern build writes is written op by op.
func TestExportLayerNorm(t *testing.T) {
	net := func() *spec.Network {
		return &spec.Network{Package: "net", Input: 4, File: "net.yaml", Loss: spec.MSE,
			Optimizer: spec.Optimizer{SGD: &spec.SGD{LR: 0.1}},
			Layers: []spec.Layer{
				{Dense: 3},
				{Name: "norm", LayerNorm: &spec.LayerNorm{Eps: 0.001}, Activation: spec.Tanh},
				{Dense: 2},
			}}
	}
	p, params := program(t, net())
	want17 := `input x FLOAT [N 4]
init 0.weight FLOAT [3 4]
init 0.bias FLOAT [3]
init norm.weight FLOAT [3]
init norm.bias FLOAT [3]
init 2.weight FLOAT [2 3]
init 2.bias FLOAT [2]
/0/Gemm_output_0 = Gemm(x, 0.weight, 0.bias) transB=1 [/0/Gemm]
/norm/LayerNormalization_output_0 = LayerNormalization(/0/Gemm_output_0, norm.weight, norm.bias) axis=-1 epsilon=0.001 [/norm/LayerNormalization]
/Tanh_output_0 = Tanh(/norm/LayerNormalization_output_0) [/Tanh]
y = Gemm(/Tanh_output_0, 2.weight, 2.bias) transB=1 [/2/Gemm]
output y FLOAT [N 2]
`
	m := exported(t, p, params, 17)
	if got := graphText(m); got != want17 {
		t.Errorf("opset 17:\n%s\nwant\n%s", got, want17)
	}
	want13 := `input x FLOAT [N 4]
init 0.weight FLOAT [3 4]
init 0.bias FLOAT [3]
init norm.weight FLOAT [3]
init norm.bias FLOAT [3]
init 2.weight FLOAT [2 3]
init 2.bias FLOAT [2]
/0/Gemm_output_0 = Gemm(x, 0.weight, 0.bias) transB=1 [/0/Gemm]
/norm/ReduceMean_output_0 = ReduceMean(/0/Gemm_output_0) axes:INTS keepdims=1 [/norm/ReduceMean]
/norm/Sub_output_0 = Sub(/0/Gemm_output_0, /norm/ReduceMean_output_0) [/norm/Sub]
/norm/Mul_output_0 = Mul(/norm/Sub_output_0, /norm/Sub_output_0) [/norm/Mul]
/norm/ReduceMean_1_output_0 = ReduceMean(/norm/Mul_output_0) axes:INTS keepdims=1 [/norm/ReduceMean_1]
/norm/Constant_output_0 = Constant() value:TENSOR [/norm/Constant]
/norm/Add_output_0 = Add(/norm/ReduceMean_1_output_0, /norm/Constant_output_0) [/norm/Add]
/norm/Sqrt_output_0 = Sqrt(/norm/Add_output_0) [/norm/Sqrt]
/norm/Div_output_0 = Div(/norm/Sub_output_0, /norm/Sqrt_output_0) [/norm/Div]
/norm/Mul_1_output_0 = Mul(/norm/Div_output_0, norm.weight) [/norm/Mul_1]
/norm/Add_1_output_0 = Add(/norm/Mul_1_output_0, norm.bias) [/norm/Add_1]
/Tanh_output_0 = Tanh(/norm/Add_1_output_0) [/Tanh]
y = Gemm(/Tanh_output_0, 2.weight, 2.bias) transB=1 [/2/Gemm]
output y FLOAT [N 2]
`
	m = exported(t, p, params, 13)
	if got := graphText(m); got != want13 {
		t.Errorf("opset 13:\n%s\nwant\n%s", got, want13)
	}
	for _, n := range m.GetGraph().GetNode() {
		switch n.GetOpType() {
		case "ReduceMean":
			if a := attr(n, "axes"); a == nil || !slices.Equal(a.GetInts(), []int64{1}) {
				t.Errorf("%s: axes %v, want [1]", n.GetName(), a.GetInts())
			}
		case "Constant":
			c, err := decodeTensor(attr(n, "value").GetT())
			if err != nil || len(c.dims) != 0 || !slices.Equal(c.f, []float64{float64(float32(0.001))}) || c.elem != onnxpb.TensorProto_FLOAT {
				t.Errorf("ε is %+v (%v), want the float32 scalar 0.001", c, err)
			}
		}
	}

	// In float64, ε is exact below 17; from 17 it is the float32 epsilon.
	p64, params64 := program(t, net(), func(n *spec.Network) { n.DType = spec.Float64 })
	for _, n := range exported(t, p64, params64, 9).GetGraph().GetNode() {
		if n.GetOpType() == "Constant" {
			c, err := decodeTensor(attr(n, "value").GetT())
			if err != nil || !slices.Equal(c.f, []float64{0.001}) || c.elem != onnxpb.TensorProto_DOUBLE {
				t.Errorf("float64 ε is %+v (%v), want the float64 0.001", c, err)
			}
		}
	}

	// Outside the pattern (here β + s for s + β): op by op.
	p, params = program(t, net())
	for _, v := range p.Func(ir.RolePredict).Values {
		if v.Op == ir.OpSum {
			v.Args[0], v.Args[1] = v.Args[1], v.Args[0]
		}
	}
	for opset, want := range map[int][]string{
		17: {"Gemm", "Constant", "LayerNormalization", "Mul", "Add", "Tanh", "Gemm"},
		13: {"Gemm", "ReduceMean", "Sub", "Mul", "ReduceMean", "Constant", "Add", "Sqrt", "Div", "Mul", "Add", "Tanh", "Gemm"},
	} {
		var ops []string
		for _, n := range exported(t, p, params, opset).GetGraph().GetNode() {
			ops = append(ops, n.GetOpType())
		}
		if !slices.Equal(ops, want) {
			t.Errorf("opset %d, outside the pattern: %v, want %v", opset, ops, want)
		}
	}
}
