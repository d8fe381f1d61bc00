package onnxspec

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/gradgen/gradgen/build"
	"github.com/gradgen/gradgen/generic"
	"github.com/gradgen/gradgen/ir"
	"github.com/gradgen/gradgen/spec"
)

// The models of these tests: item, 5 ids, looked up in e.weight [5, 3]
// (nn.Embedding(5, 3)), then fc, a Gemm to 2 outputs: the forms
// torch.onnx.export writes for ids of shape [N] and [N, 1] (embedHeader's
// IDS are the input's dims after N, LOOKUP the nodes from the ids to
// "row", what fc reads).
const (
	embedModel = `ir_version: 8
opset_import { version: OPSET }
graph {
  name: "g"
LOOKUP
  node { name: "/fc/Gemm" op_type: "Gemm" input: ["row", "fc.weight", "fc.bias"] output: "y" attribute { name: "transB" type: INT i: 1 } }
  initializer { name: "e.weight" dims: [5, 3] data_type: 1 float_data: [0.5, -0.25, 0.75, 1, -1, 0.5, 0.25, 0.125, 0.3, 0.6, -0.9, 0.2, 1.5, -0.5, 0.1] }
  initializer { name: "fc.weight" dims: [2, 3] data_type: 1 float_data: [0.3, -0.6, 0.9, -1.2, 0.4, 0.7] }
  initializer { name: "fc.bias" dims: 2 data_type: 1 float_data: [0.1, -0.2] }
  initializer { name: "one" dims: 1 data_type: 7 int64_data: 1 }
  initializer { name: "minus_one" dims: 1 data_type: 7 int64_data: -1 }
  initializer { name: "zero" data_type: 7 int64_data: 0 }
  input { name: "item" type { tensor_type { elem_type: IDTYPE shape { dim { dim_param: "N" } IDS } } } }
  output { name: "y" type { tensor_type { elem_type: 1 } } }
}
`
	gather = `  node { name: "/e/Gather" op_type: "Gather" input: ["e.weight", "IDS"] output: "LOOKED" }
`
)

// embedCase is a model of embedModel: ids of shape [N, ids...] of idType,
// looked up by the nodes lookup, at opset.
type embedCase struct {
	name   string
	opset  int
	ids    string // the dims after N: "" or `dim { dim_value: 1 }`
	idType int    // 7 (int64) or 6 (int32)
	lookup string
}

// column is the ids' dims of [N, 1].
const column = "dim { dim_value: 1 }"

// lookupOf returns Gather(e.weight, ids) as the nodes before it make ids
// and the nodes after make its output the row fc reads, "looked".
func lookupOf(before, ids, after string) string {
	g := strings.NewReplacer("IDS", ids, "LOOKED", "looked").Replace(gather)
	return before + g + after
}

// model returns c's model.
func (c embedCase) model(t *testing.T, edits ...string) normCase {
	t.Helper()
	idType := c.idType
	if idType == 0 {
		idType = 7
	}
	text := strings.NewReplacer("LOOKUP", strings.TrimSuffix(c.lookup, "\n"), "IDS", c.ids, "IDTYPE", fmt.Sprint(idType)).Replace(embedModel)
	return normCase{name: c.name, base: text, opset: c.opset, edits: edits}
}

// embedCases are the forms of the lookup that import as the one network.
var embedCases = []embedCase{
	{name: "ids [N]", opset: 17, lookup: lookupOf("", "item", `  node { op_type: "Identity" input: "looked" output: "row" }`)},
	{name: "ids [N] at opset 9", opset: 9, lookup: lookupOf("", "item", `  node { op_type: "Identity" input: "looked" output: "row" }`)},
	{name: "int32 ids", opset: 13, idType: 6, lookup: lookupOf("", "item", `  node { op_type: "Identity" input: "looked" output: "row" }`)},
	{name: "int32 ids cast to int64", opset: 13, idType: 6, lookup: lookupOf(
		`  node { op_type: "Cast" input: "item" output: "ids" attribute { name: "to" type: INT i: 7 } }
`, "ids", `  node { op_type: "Identity" input: "looked" output: "row" }`)},
	{name: "e(ids).flatten(1)", opset: 13, ids: column, lookup: lookupOf("", "item",
		`  node { op_type: "Flatten" input: "looked" output: "row" attribute { name: "axis" type: INT i: 1 } }`)},
	{name: "e(ids).squeeze(1), axes an attribute", opset: 11, ids: column, lookup: lookupOf("", "item",
		`  node { op_type: "Squeeze" input: "looked" output: "row" attribute { name: "axes" type: INTS ints: 1 } }`)},
	{name: "e(ids).squeeze(1), axes an input", opset: 13, ids: column, lookup: lookupOf("", "item",
		`  node { op_type: "Squeeze" input: ["looked", "one"] output: "row" }`)},
	{name: "e(ids).squeeze(-2)", opset: 11, ids: column, lookup: lookupOf("", "item",
		`  node { op_type: "Squeeze" input: "looked" output: "row" attribute { name: "axes" type: INTS ints: -2 } }`)},
	{name: "e(ids).view(ids.shape[0], -1)", opset: 13, ids: column, lookup: lookupOf("", "item",
		`  node { op_type: "Shape" input: "item" output: "s" }
  node { op_type: "Gather" input: ["s", "zero"] output: "b" attribute { name: "axis" type: INT i: 0 } }
  node { op_type: "Constant" output: "zero1" attribute { name: "value_ints" type: INTS ints: 0 } }
  node { op_type: "Unsqueeze" input: ["b", "zero1"] output: "b1" }
  node { op_type: "Concat" input: ["b1", "minus_one"] output: "shape" attribute { name: "axis" type: INT i: 0 } }
  node { op_type: "Reshape" input: ["looked", "shape"] output: "row" }`)},
	{name: "e(ids.squeeze(1))", opset: 13, ids: column, lookup: lookupOf(
		`  node { op_type: "Squeeze" input: ["item", "one"] output: "ids" }
`, "ids", `  node { op_type: "Identity" input: "looked" output: "row" }`)},
	{name: "e(ids.view(-1))", opset: 13, ids: column, lookup: lookupOf(
		`  node { op_type: "Reshape" input: ["item", "minus_one"] output: "ids" }
`, "ids", `  node { op_type: "Identity" input: "looked" output: "row" }`)},
	{name: "e(ids.unsqueeze(1)).flatten(1)", opset: 11, lookup: lookupOf(
		`  node { op_type: "Unsqueeze" input: "item" output: "ids" attribute { name: "axes" type: INTS ints: 1 } }
`, "ids", `  node { op_type: "Flatten" input: "looked" output: "row" attribute { name: "axis" type: INT i: 1 } }`)},
}

// TestImportEmbedding: each form of nn.Embedding torch.onnx.export writes
// (ids [N] or [N, 1], int64 or int32, the lookup or the ids squeezed,
// flattened or reshaped) imports as one network: an integer input item of
// 5 categories (the table's rows), an embedding of width 3 reading it with
// the table as its parameter, named e.weight, and fc; which predicts
// fc(E[id]) for every id.
func TestImportEmbedding(t *testing.T) {
	want := "inputs [{item 1 5}]; embedding 3 e.weight from [item]; dense 2 fc.weight from []"
	for _, c := range embedCases {
		t.Run(c.name, func(t *testing.T) {
			nc := c.model(t)
			n := normImport(t, nc)
			if got := embedSummary(n); got != want {
				t.Errorf("imported as\n%s\nwant\n%s", got, want)
			}
			checkEmbedPredictions(t, n)
		})
	}
}

// embedSummary describes n's inputs and layers: each layer's kind, width,
// table or weight, and what it reads.
func embedSummary(n *spec.Network) string {
	var s []string
	for _, l := range n.Layers {
		w := l.Dense
		if l.Kind() == "embedding" {
			w = l.Embedding
		}
		s = append(s, fmt.Sprintf("%s %d %s from %v", l.Kind(), w, l.WeightName, l.From))
	}
	var ins []string
	for _, in := range n.Inputs {
		ins = append(ins, fmt.Sprintf("{%s %d %d}", in.Name, in.Width, in.Categories))
	}
	return fmt.Sprintf("inputs [%s]; %s", strings.Join(ins, " "), strings.Join(s, "; "))
}

// embedLayers describes n's inputs and the kinds and widths of its
// layers, and what each embedding reads.
func embedLayers(n *spec.Network) string {
	var s []string
	for _, l := range n.Layers {
		if l.Kind() == "embedding" {
			s = append(s, fmt.Sprintf("embedding %d of %v", l.Embedding, l.From))
		} else {
			s = append(s, fmt.Sprintf("%s %d", l.Kind(), l.Dense))
		}
	}
	var ins []string
	for _, in := range n.Inputs {
		ins = append(ins, fmt.Sprintf("%s %d %d", in.Name, in.Width, in.Categories))
	}
	return fmt.Sprintf("%v; %s", ins, strings.Join(s, "; "))
}

// checkEmbedPredictions compares the generic engine's prediction of n, the
// model of embedModel, for each id with fc(E[id]) computed here.
func checkEmbedPredictions(t *testing.T, n *spec.Network) {
	t.Helper()
	g, err := generic.NewPretrained[float64](n)
	if err != nil {
		t.Fatal(err)
	}
	f32 := func(xs ...float64) []float64 {
		for i, x := range xs {
			xs[i] = float64(float32(x))
		}
		return xs
	}
	table := f32(0.5, -0.25, 0.75, 1, -1, 0.5, 0.25, 0.125, 0.3, 0.6, -0.9, 0.2, 1.5, -0.5, 0.1)
	w, b := f32(0.3, -0.6, 0.9, -1.2, 0.4, 0.7), f32(0.1, -0.2)
	y := make([]float64, 2)
	for id := range 5 {
		g.Predict([]float64{float64(id)}, y)
		for j := range 2 {
			want := b[j]
			for k := range 3 {
				want += w[j*3+k] * table[id*3+k]
			}
			if math.Abs(y[j]-want) > 1e-12 {
				t.Errorf("id %d: y[%d] = %v, want %v", id, j, y[j], want)
			}
		}
	}
}

// TestImportSqueezeConstant: a Squeeze of a constant, here fc's bias
// [1, 2] squeezed to [2], is the constant of the new shape, a tensor the
// layout names.
func TestImportSqueezeConstant(t *testing.T) {
	c := embedCases[0].model(t, `input: ["row", "fc.weight", "fc.bias"]`, `input: ["row", "fc.weight", "b"]`,
		`  node { name: "/fc/Gemm"`, `  node { op_type: "Squeeze" input: ["fc.bias", "zero1"] output: "b" }
  node { name: "/fc/Gemm"`,
		`name: "fc.bias" dims: 2`, `name: "fc.bias" dims: [1, 2]`,
		`  initializer { name: "one"`, `  initializer { name: "zero1" dims: 1 data_type: 7 int64_data: 0 }
  initializer { name: "one"`)
	n := normImport(t, c)
	if got, want := embedSummary(n), "inputs [{item 1 5}]; embedding 3 e.weight from [item]; dense 2 fc.weight from []"; got != want {
		t.Errorf("imported as\n%s\nwant\n%s", got, want)
	}
	if b := n.Layers[1].BiasName; b != "" {
		t.Errorf("the bias is named %q, want the layout's name", b)
	}
	checkEmbedPredictions(t, n)
}

// TestImportEmbeddingRefused: what the importer does not read of ids and
// Gather is refused, naming the node and what it reads.
func TestImportEmbeddingRefused(t *testing.T) {
	direct := embedCase{name: "m", opset: 13, lookup: lookupOf("", "item", `  node { op_type: "Identity" input: "looked" output: "row" }`)}
	col := embedCase{name: "m", opset: 13, ids: column, lookup: lookupOf("", "item",
		`  node { op_type: "Squeeze" input: ["looked", "one"] output: "row" }`)}
	features := `  input { name: "x" type { tensor_type { elem_type: 1 shape { dim { dim_param: "N" } dim { dim_value: 3 } } } } }
  output { name: "y"`
	cases := []struct {
		name string
		c    normCase
		want string
	}{
		{"the ids read by a Gemm", direct.model(t, `input: ["e.weight", "item"] output: "looked"`, `input: ["e.weight", "item"] output: "unused"`,
			`input: "looked" output: "row"`, `input: "item" output: "row"`),
			`node 2 "/fc/Gemm" (Gemm): Gemm reads "row", the ids of the integer input "item": gradgen reads an integer input only as the indices of a Gather of an embedding table (nn.Embedding)`},
		{"the ids concatenated with features", direct.model(t, `input: "looked" output: "row" }`,
			`input: "looked" output: "r1" }
  node { op_type: "Concat" input: ["x", "item"] output: "row" attribute { name: "axis" type: INT i: 1 } }`,
			`  output { name: "y"`, features, `dims: [2, 3] data_type: 1 float_data: [0.3, -0.6, 0.9, -1.2, 0.4, 0.7]`, `dims: [2, 4] data_type: 1 float_data: [0.3, -0.6, 0.9, -1.2, 0.4, 0.7, 1, 1]`),
			`(Concat): Concat reads "item", the ids of the integer input "item": gradgen reads an integer input only as the indices`},
		{"the ids cast to a float", direct.model(t, `input: ["e.weight", "item"]`,
			`input: ["e.weight", "item"] output: "unused" }
  node { op_type: "Cast" input: "item" output: "f" attribute { name: "to" type: INT i: 1 } }
  node { op_type: "Identity" input: "f"`),
			`(Cast): a Cast of "item", the ids of the integer input "item", to FLOAT; gradgen reads a Cast of the network's values only between integer types`},
		{"a Gather of the network's values", direct.model(t, `  initializer { name: "one"`, `  initializer { name: "idx" data_type: 7 int64_data: 2 }
  initializer { name: "one"`,
			`input: "looked" output: "row" }`, `input: "looked" output: "r0" }
  node { op_type: "Gather" input: ["r0", "idx"] output: "row" attribute { name: "axis" type: INT i: 1 } }`),
			`(Gather): a Gather of "r0", layer 1's output, an embedding (a Gather of its table); gradgen reads Gather as an embedding, Gather(table, ids) of a constant table by an integer graph input, or of a constant shape`},
		{"a Gather by float values", direct.model(t, `input: ["e.weight", "item"]`, `input: ["e.weight", "x"]`,
			`  output { name: "y"`, features, `input: "looked" output: "row" }`, `input: "looked" output: "r0" }
  node { op_type: "Gather" input: ["e.weight", "item"] output: "row" }`),
			`(Gather): a Gather by "x", the network's input "x"; gradgen reads Gather(table, ids) with ids an integer graph input`},
		{"a Gather along axis 1", direct.model(t, `input: ["e.weight", "item"] output: "looked" }`, `input: ["e.weight", "item"] output: "looked" attribute { name: "axis" type: INT i: 1 } }`),
			`a Gather of "e.weight" by the ids of "item" along axis 1; an embedding looks up rows of its table (axis 0)`},
		{"a table of three dimensions", direct.model(t, `name: "e.weight" dims: [5, 3]`, `name: "e.weight" dims: [5, 3, 1]`),
			`a Gather of "e.weight" (float32 [5 3 1]) by the ids of "item"; an embedding's table is a 2-dimensional float or double tensor [categories, dim]`},
		{"an integer table", direct.model(t, `name: "e.weight" dims: [5, 3] data_type: 1 float_data: [0.5, -0.25, 0.75, 1, -1, 0.5, 0.25, 0.125, 0.3, 0.6, -0.9, 0.2, 1.5, -0.5, 0.1]`,
			`name: "e.weight" dims: [5, 3] data_type: 7 int64_data: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]`),
			`a Gather of "e.weight" (INT64 [5 3]) by the ids of "item"; an embedding's table is a 2-dimensional float or double tensor`},
		{"a table of another type than the features", direct.model(t, `name: "e.weight" dims: [5, 3] data_type: 1 float_data: [0.5, -0.25, 0.75, 1, -1, 0.5, 0.25, 0.125, 0.3, 0.6, -0.9, 0.2, 1.5, -0.5, 0.1]`,
			`name: "e.weight" dims: [5, 3] data_type: 11 double_data: [0.5, -0.25, 0.75, 1, -1, 0.5, 0.25, 0.125, 0.3, 0.6, -0.9, 0.2, 1.5, -0.5, 0.1]`,
			`  output { name: "y"`, features, `input: "looked" output: "row" }`, `input: "looked" output: "r0" }
  node { op_type: "Concat" input: ["x", "r0"] output: "row" attribute { name: "axis" type: INT i: 1 } }`),
			`the embedding table "e.weight" is float64, "x" float32: gradgen computes in one type`},
		{"an empty table", direct.model(t, `name: "e.weight" dims: [5, 3] data_type: 1 float_data: [0.5, -0.25, 0.75, 1, -1, 0.5, 0.25, 0.125, 0.3, 0.6, -0.9, 0.2, 1.5, -0.5, 0.1]`,
			`name: "e.weight" dims: [0, 3] data_type: 1`),
			`the embedding table "e.weight" has shape [0 3]: 0 rows; gradgen's integer inputs have 1 to 2147483647 categories`},
		{"two tables of other rows by one input", direct.model(t, `input: "looked" output: "row" }`, `input: "looked" output: "r0" }
  node { name: "/f/Gather" op_type: "Gather" input: ["f.weight", "item"] output: "r1" }
  node { op_type: "Add" input: ["r0", "r1"] output: "row" }`,
			`  initializer { name: "one"`, `  initializer { name: "f.weight" dims: [4, 3] data_type: 1 float_data: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12] }
  initializer { name: "one"`),
			`node 2 "/f/Gather" (Gather): a Gather of "f.weight", of 4 rows, by the ids of "item", which another Gather reads from a table of 5: an integer input has one number of categories`},
		{"ids read by no Gather", direct.model(t, `input: ["e.weight", "item"]`, `input: ["e.weight", "ids2"]`,
			`  output { name: "y"`, `  input { name: "ids2" type { tensor_type { elem_type: 7 shape { dim { dim_param: "N" } } } } }
  output { name: "y"`),
			`no Gather of an embedding table reads the integer input "item": gradgen reads ids only as the indices of an embedding (nn.Embedding)`},
		{"ids of shape [N, 2]", direct.model(t, `elem_type: 7 shape { dim { dim_param: "N" }  }`, `elem_type: 7 shape { dim { dim_param: "N" } dim { dim_value: 2 } }`),
			`input "item" holds INT64 ids and has shape [N, 2]; gradgen reads an integer input of shape [batch] or [batch, 1], one id per sample (the indices of nn.Embedding)`},
		{"ids of uint8", direct.model(t, `elem_type: 7 shape`, `elem_type: 2 shape`),
			`input "item" holds UINT8; gradgen networks compute in float32 or float64 (and read int64 or int32 ids, one per sample, as the indices of an embedding's Gather)`},
		{"an activation of the lookup", direct.model(t, `op_type: "Identity" input: "looked"`, `op_type: "Relu" input: "looked"`),
			`(Relu): Relu of layer 1's output, an embedding (a Gather of its table): gradgen's embedding layer, as nn.Embedding, takes no activation; a layer reading it may`},
		{"the lookup as one of two outputs", direct.model(t, `  output { name: "y"`, `  output { name: "looked" type { tensor_type { elem_type: 1 } } }
  output { name: "y"`),
			`the output "looked" is an embedding (a Gather of its table): each output of a model of several outputs must be a Gemm or MatMul`},
		{"a Squeeze without axes", col.model(t, `input: ["looked", "one"]`, `input: "looked"`),
			`(Squeeze): a Squeeze of "looked" without axes, which would squeeze a batch of 1 too; gradgen reads Squeeze with its axes (x.squeeze(1))`},
		{"a Squeeze of the batch", col.model(t, `input: ["looked", "one"]`, `input: ["looked", "zero1"]`,
			`  initializer { name: "one"`, `  initializer { name: "zero1" dims: 1 data_type: 7 int64_data: 0 }
  initializer { name: "one"`),
			`(Squeeze): a Squeeze of "looked" along axis 0, the batch; gradgen keeps one row per sample`},
		{"a Squeeze of a dimension of 3", col.model(t, `input: ["looked", "one"]`, `input: ["looked", "two"]`,
			`  initializer { name: "one"`, `  initializer { name: "two" dims: 1 data_type: 7 int64_data: 2 }
  initializer { name: "one"`),
			`(Squeeze): a Squeeze of "looked", of shape [batch, 1, 3], along axis 2, of size 3`},
		{"the lookup of [N, 1] ids read as a row", col.model(t, `op_type: "Squeeze" input: ["looked", "one"] output: "row"`, `op_type: "Identity" input: "looked" output: "row"`),
			`(Gemm): Gemm of a tensor of 2 dimensions per sample ([1 3]): flatten it first`},
		{"the output squeezed to [batch]", direct.model(t, `output: "y" attribute { name: "transB" type: INT i: 1 } }`,
			`output: "y0" attribute { name: "transB" type: INT i: 1 } }
  node { op_type: "Squeeze" input: ["y0", "one"] output: "y" }`,
			`name: "fc.weight" dims: [2, 3] data_type: 1 float_data: [0.3, -0.6, 0.9, -1.2, 0.4, 0.7]`, `name: "fc.weight" dims: [1, 3] data_type: 1 float_data: [0.3, -0.6, 0.9]`,
			`name: "fc.bias" dims: 2 data_type: 1 float_data: [0.1, -0.2]`, `name: "fc.bias" dims: 1 data_type: 1 float_data: 0.1`),
			`m.onnx: the output "y" is the last layer's output of shape [batch] (a Squeeze or a Reshape to [-1] of its [batch, 1]); gradgen's output is [batch, outputs]: export the model without it`},
		{"a reshape of the ids to [-1, 2]", col.model(t, `input: ["e.weight", "item"]`, `input: ["e.weight", "ids"]`,
			`  node { name: "/e/Gather"`, `  node { op_type: "Reshape" input: ["item", "shape"] output: "ids" }
  node { name: "/e/Gather"`,
			`  initializer { name: "one"`, `  initializer { name: "shape" dims: 2 data_type: 7 int64_data: [-1, 2] }
  initializer { name: "one"`),
			`(Reshape): a reshape to [-1, 2]; gradgen reads a reshape to [batch, 1], one row of the 1 values of each sample, or [batch] (-1)`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Import("m.onnx", tc.c.model(t))
			if err == nil {
				t.Fatalf("imported; want an error containing %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error\n%v\ndoes not say\n%s", err, tc.want)
			}
		})
	}
}

// embedSpec is a network of two integer inputs, one read by two tables, a
// float input between them, and a layer reading an embedding by name.
func embedSpec(dtype spec.DType) *spec.Network {
	return &spec.Network{
		Package: "rec", DType: dtype, File: "rec.yaml",
		Inputs: []spec.Port{{Name: "user", Categories: 4}, {Name: "ctx", Width: 2}, {Name: "item", Categories: 6}},
		Layers: []spec.Layer{
			{Name: "u", From: []string{"user"}, Embedding: 3},
			{Name: "v", From: []string{"item"}, Embedding: 2},
			{Name: "w", From: []string{"item"}, Embedding: 2, Frozen: true},
			{Name: "s", Add: []string{"v", "w"}},
			{Name: "h", From: []string{"u", "ctx", "s"}, Dense: 4, Activation: spec.ReLU},
			{Dense: 1},
		},
		Loss:      spec.MSE,
		Optimizer: spec.Optimizer{SGD: &spec.SGD{LR: 0.1}},
	}
}

// TestExportEmbedding: an embedding is written as torch.onnx.export writes
// nn.Embedding, Gather(table, ids) named by its module, with the table an
// initializer [categories, dim] and the integer input an int64 graph input
// [N]; the model imports back as the network (the frozen table trains:
// ONNX does not say), at every opset.
func TestExportEmbedding(t *testing.T) {
	for _, dtype := range []spec.DType{spec.Float32, spec.Float64} {
		n := embedSpec(dtype)
		n.Normalize()
		if err := n.Validate(); err != nil {
			t.Fatal(err)
		}
		p, params := program(t, n)
		elem := map[spec.DType]string{spec.Float32: "FLOAT", spec.Float64: "DOUBLE"}[dtype]
		m := exported(t, p, params, 0)
		want := strings.ReplaceAll(`input user INT64 [N]
input ctx FLOAT [N 2]
input item INT64 [N]
init u.weight FLOAT [4 3]
/u/Gather_output_0 = Gather(u.weight, user) [/u/Gather]
init v.weight FLOAT [6 2]
/v/Gather_output_0 = Gather(v.weight, item) [/v/Gather]
init w.weight FLOAT [6 2]
/w/Gather_output_0 = Gather(w.weight, item) [/w/Gather]
/Add_output_0 = Add(/v/Gather_output_0, /w/Gather_output_0) [/Add]
/Concat_output_0 = Concat(/u/Gather_output_0, ctx, /Add_output_0) axis=1 [/Concat]
init h.weight FLOAT [4 7]
init h.bias FLOAT [4]
/h/Gemm_output_0 = Gemm(/Concat_output_0, h.weight, h.bias) transB=1 [/h/Gemm]
/Relu_output_0 = Relu(/h/Gemm_output_0) [/Relu]
init 5.weight FLOAT [1 4]
init 5.bias FLOAT [1]
y = Gemm(/Relu_output_0, 5.weight, 5.bias) transB=1 [/5/Gemm]
output y FLOAT [N 1]
`, "FLOAT", elem)
		if got := graphText(m); got != sortLikeText(want) {
			t.Errorf("%s graph:\n%s\nwant:\n%s", dtype, got, sortLikeText(want))
		}
		for _, q := range p.Params {
			if got, want := initializer(t, m, q.Torch), params[q.Offset:q.Offset+q.Type.Elems()]; !slices.Equal(got, want) {
				t.Errorf("initializer %s = %v, want %v", q.Torch, got, want)
			}
		}
		n.Pretrained = initial(t, n)
		for _, opset := range []int{9, 13, 17, 20} {
			back := roundTrip(t, n, opset)
			if back == nil {
				continue
			}
			back.Package, back.Loss, back.Optimizer = n.Package, n.Loss, n.Optimizer
			back.Normalize()
			if err := back.Validate(); err != nil {
				t.Fatalf("opset %d: %v", opset, err)
			}
			frozen := slices.ContainsFunc(back.Layers, func(l spec.Layer) bool { return l.Frozen })
			if got, want := embedLayers(back), embedLayers(n); got != want || frozen {
				t.Errorf("%s at opset %d: imported back as\n%s (a frozen layer: %v)\nwant\n%s", dtype, opset, got, frozen, want)
			}
			if diff := graphDiff(t, n, back); diff != "" {
				t.Errorf("%s at opset %d: %s", dtype, opset, diff)
			}
		}
	}
}

// TestExportDropout: a dropout layer is not written, as torch.onnx.export
// in eval mode (its default) writes no Dropout node: Predict has none, so
// the model predicts what Predict does, and imports back without the layer.
func TestExportDropout(t *testing.T) {
	n := &spec.Network{Package: "drop", File: "drop.yaml", Input: 4,
		Layers: []spec.Layer{{Dense: 5, Activation: spec.Tanh}, {Dropout: &spec.Dropout{P: 0.25}}, {Dense: 2}},
		Loss:   spec.MSE, Optimizer: spec.Optimizer{SGD: &spec.SGD{LR: 0.1}}}
	n.Normalize()
	if err := n.Validate(); err != nil {
		t.Fatal(err)
	}
	p, params := program(t, n)
	if !p.Func(ir.RoleTrain).Has(ir.OpDropout) || p.Func(ir.RolePredict).Has(ir.OpDropout) {
		t.Fatalf("the training function drops and predict does not: want both")
	}
	m := exported(t, p, params, 0)
	for _, node := range m.GetGraph().GetNode() {
		if node.GetOpType() == "Dropout" {
			t.Errorf("a Dropout node is written: %v", node)
		}
	}
	if got := len(m.GetGraph().GetNode()); got != 3 {
		t.Errorf("%d nodes, want 3 (Gemm, Tanh, Gemm):\n%s", got, graphText(m))
	}
	n.Pretrained = params
	back := roundTrip(t, n, 0)
	if back == nil {
		return
	}
	if len(back.Layers) != 2 || back.Layers[0].Dense != 5 || back.Layers[1].Dense != 2 {
		t.Errorf("imported back as %+v, want the two dense layers", back.Layers)
	}
	back.Package, back.Loss = n.Package, n.Loss
	back.Normalize()
	p2, err := build.Program(back, build.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if p2.NumParams() != p.NumParams() {
		t.Errorf("%d parameters came back, want %d", p2.NumParams(), p.NumParams())
	}
}
