package onnxspec

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/gradgen/gradgen/build"
	"github.com/gradgen/gradgen/generic"
	"github.com/gradgen/gradgen/ir"
	"github.com/gradgen/gradgen/spec"
)

// TestRoundTrip: a network exported to ONNX imports back as the same
// network (widths, activations, slopes, biases, output map, tensor names
// and layouts) with the same parameters bit for bit, so the code generated
// from it predicts the same, at every opset the exporter writes. The
// networks are every model PyTorch exported for internal/onnxgold (each
// with its weights) and every YAML spec under generated/ (with
// NewModel(1)'s).
func TestRoundTrip(t *testing.T) {
	var nets []*spec.Network
	models, _ := filepath.Glob("../internal/onnxgold/testdata/*.onnx")
	for _, path := range models {
		n, err := LoadModel(path, "m")
		if err != nil {
			t.Fatal(err)
		}
		nets = append(nets, n)
	}
	specs, _ := filepath.Glob("../generated/*/*.yaml")
	for _, path := range specs {
		n, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		n.Pretrained = initial(t, n)
		nets = append(nets, n)
	}
	if len(models) < 30 || len(specs) < 5 {
		t.Fatalf("found %d models and %d specs", len(models), len(specs))
	}
	for _, n := range nets {
		for _, opset := range []int{9, 13, 17, 20} {
			back := roundTrip(t, n, opset)
			if back == nil {
				continue
			}
			if !sameNetwork(n, back, opset) {
				t.Errorf("%s at opset %d: exported and imported back as\n%+v\nfrom\n%+v", n.File, opset, back.Layers, n.Layers)
			}
			if n.Output != back.Output || n.Input != back.Input || n.DType != back.DType {
				t.Errorf("%s at opset %d: input %d %s output %q imported back as %d %s %q", n.File, opset, n.Input, n.DType, n.Output, back.Input, back.DType, back.Output)
			}
			if !slices.Equal(n.Pretrained, back.Pretrained) {
				t.Errorf("%s at opset %d: the parameters changed in the round trip", n.File, opset)
			}
		}
	}
}

// initial returns NewModel(1)'s parameters of n as float64.
func initial(t *testing.T, n *spec.Network) []float64 {
	g, err := generic.New[float64](n, 1)
	if err != nil {
		t.Fatal(err)
	}
	if n.DType == spec.Float64 {
		return slices.Clone(g.Params())
	}
	var out []float64
	for _, x := range g.Params() {
		out = append(out, float64(float32(x))) // as the float32 package initialises
	}
	return out
}

// roundTrip exports n at opset and imports the result.
func roundTrip(t *testing.T, n *spec.Network, opset int) *spec.Network {
	t.Helper()
	p, err := build.Program(n, build.Options{})
	if err != nil {
		t.Fatal(err)
	}
	data, err := Export(p, n.Pretrained, ExportOptions{Opset: opset})
	if err != nil {
		t.Errorf("%s at opset %d: %v", n.File, opset, err)
		return nil
	}
	m, err := Decode("back.onnx", data)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Import("back.onnx", m)
	if err != nil {
		t.Errorf("%s at opset %d: the exported model does not import: %v", n.File, opset, err)
		return nil
	}
	return back
}

// sameNetwork compares the layers of a and b as they generate code, and
// their tensors' names and layouts: a layer without bias below opset 11
// is written as MatMul with its weight transposed, and comes back so.
func sameNetwork(a, b *spec.Network, opset int) bool {
	if len(a.Layers) != len(b.Layers) {
		return false
	}
	for i, la := range a.Layers {
		lb := b.Layers[i]
		slope := la.Slope == lb.Slope || float64(float32(la.Slope)) == lb.Slope // LeakyRelu's alpha is a float32
		transposed := la.Transposed == lb.Transposed || (opset < 11 && la.NoBias && lb.Transposed)
		name := la.WeightName == lb.WeightName || (la.WeightName == "" && lb.WeightName == weightName(i, a))
		if la.Dense != lb.Dense || act(la) != act(lb) || !slope || la.NoBias != lb.NoBias || !transposed || !name {
			return false
		}
	}
	return true
}

// weightName is nn.Sequential's name of layer i's weight.
func weightName(i int, n *spec.Network) string {
	p, _ := build.Program(n, build.Options{})
	for _, q := range p.Params {
		if q.Name == fmt.Sprintf("W%d", i+1) {
			return q.Torch
		}
	}
	return ""
}

func act(l spec.Layer) spec.Activation {
	if l.Activation == "" {
		return spec.None
	}
	return l.Activation
}

// TestGraphRoundTrip: a graph network (several inputs, concatenations,
// residual adds, layer normalizations, several heads) exported to ONNX
// imports back as a network that computes the same: the same inputs and
// heads by name and width, the same tensors in the same order (names and
// shapes), the same parameters bit for bit, and the same predictions bit
// for bit in the generic engine, at every opset the exporter writes (a
// layer_norm is LayerNormalization from opset 17, its decomposition below,
// and comes back from either). The networks are the specs of
// internal/graphgold and examples/, each with NewModel(1)'s parameters but
// for the γ and β of its layer_norms, drawn (NewModel's 1 and 0 would not
// tell one from the other); each embedding is a Gather of its table by an
// int64 graph input and comes back as an embedding reading an integer
// input of the table's rows, fed ids in the test. A dropout layer (p = 0
// in these specs) is the identity in Predict and is not written: it does
// not come back.
func TestGraphRoundTrip(t *testing.T) {
	specs, _ := filepath.Glob("../internal/graphgold/nets/*/*.yaml")
	examples, _ := filepath.Glob("../examples/*/*/*.yaml")
	if len(specs) < 8 {
		t.Fatalf("found %d graph specs", len(specs))
	}
	embeddings := 0
	for _, path := range append(specs, examples...) {
		n, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		if !n.IsGraph() {
			continue
		}
		embeddings += count(n, "embedding")
		n.Pretrained = drawNorms(t, n, initial(t, n))
		nets := []*spec.Network{n}
		if last := n.Layers[len(n.Layers)-1]; len(n.Outputs) == 0 && last.Activation == spec.None && last.Dense > 1 {
			// A graph of one output (of several classes) may end in a
			// Softmax, as an imported one does.
			m := *n
			m.Output, m.Loss = spec.Softmax, spec.SoftmaxCrossEntropy
			nets = append(nets, &m)
		}
		for _, n := range nets {
			graphRoundTrip(t, path, n)
		}
	}
	if embeddings < 6 {
		t.Errorf("%d embedding layers in the specs, want at least 6", embeddings)
	}
}

// count returns the number of layers of n of the given kind.
func count(n *spec.Network, kind string) int {
	k := 0
	for _, l := range n.Layers {
		if l.Kind() == kind {
			k++
		}
	}
	return k
}

// drawNorms returns params, the parameters of n, with the γ and β of each
// layer_norm drawn from 1 + U(−½, ½) and U(−½, ½) (float32 values in a
// float32 network).
func drawNorms(t *testing.T, n *spec.Network, params []float64) []float64 {
	t.Helper()
	p, err := build.Program(n, build.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 8))
	for _, q := range p.Params {
		if q.Init != ir.InitOnes && q.Init != ir.InitZeros {
			continue
		}
		for i := q.Offset; i < q.Offset+q.Type.Elems(); i++ {
			params[i] += rng.Float64() - 0.5
			if n.DType != spec.Float64 {
				params[i] = float64(float32(params[i]))
			}
		}
	}
	return params
}

// graphRoundTrip exports n, read from path, at each opset and checks that
// it imports back as a network that computes the same.
func graphRoundTrip(t *testing.T, path string, n *spec.Network) {
	for _, opset := range []int{9, 13, 17, 20} {
		back := roundTrip(t, n, opset)
		if back == nil {
			continue
		}
		if back.Output != n.Output {
			t.Errorf("%s at opset %d: output map %q came back as %q", path, opset, n.Output, back.Output)
		}
		back.Package, back.Loss = n.Package, n.Loss
		if len(n.Outputs) == 1 && len(back.Outputs) == 0 {
			back.Loss = n.Outputs[0].Loss // a model of one output imports as its last layer
		}
		for i := range back.Outputs {
			if i < len(n.Outputs) {
				back.Outputs[i].Loss, back.Outputs[i].Weight = n.Outputs[i].Loss, n.Outputs[i].Weight
			}
		}
		back.Normalize()
		if err := back.Validate(); err != nil {
			t.Errorf("%s at opset %d: the imported network is not valid: %v", path, opset, err)
			continue
		}
		if diff := graphDiff(t, n, back); diff != "" {
			t.Errorf("%s at opset %d: %s", path, opset, diff)
		}
	}
}

// graphDiff describes how b computes other than a, or is "".
func graphDiff(t *testing.T, a, b *spec.Network) string {
	pa, err := build.Program(a, build.Options{})
	if err != nil {
		t.Fatal(err)
	}
	pb, err := build.Program(b, build.Options{})
	if err != nil {
		return fmt.Sprintf("the imported network does not build: %v", err)
	}
	ports := func(p *ir.Program) string {
		if len(p.Outputs) == 1 && len(p.OutputFields) == 0 {
			return fmt.Sprint(or(p.InputFields, p.Inputs), p.Outputs[0].Width) // named y when imported
		}
		return fmt.Sprint(or(p.InputFields, p.Inputs), or(p.OutputFields, p.Outputs))
	}
	if ports(pa) != ports(pb) {
		return fmt.Sprintf("inputs and outputs %s came back as %s", ports(pa), ports(pb))
	}
	tensors := func(p *ir.Program) string {
		var s []string
		for _, q := range p.Params {
			s = append(s, q.Torch+fmt.Sprint(q.Type.Dims))
		}
		return fmt.Sprint(s)
	}
	if tensors(pa) != tensors(pb) {
		return fmt.Sprintf("tensors %s came back as %s", tensors(pa), tensors(pb))
	}
	if !slices.Equal(a.Pretrained, b.Pretrained) {
		return "the parameters changed"
	}
	ga, err := generic.NewPretrained[float64](a)
	if err != nil {
		t.Fatal(err)
	}
	gb, err := generic.NewPretrained[float64](b)
	if err != nil {
		return fmt.Sprintf("the generic engine refuses the imported network: %v", err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float64, ga.Inputs())
	ya, yb := make([]float64, ga.Outputs()), make([]float64, gb.Outputs())
	cats := idSlots(pa, len(x))
	for range 20 {
		for i := range x {
			x[i] = rng.Float64()*4 - 2
			if cats[i] > 0 {
				x[i] = float64(rng.IntN(cats[i])) // an id, as a value in its slot
			}
		}
		ga.Predict(x, ya)
		gb.Predict(x, yb)
		if !slices.Equal(ya, yb) {
			return fmt.Sprintf("predicts %v for %v, the original %v", yb, x, ya)
		}
	}
	return ""
}

// idSlots returns, for each of the width slots of p's input row, the
// number of categories of the integer input it holds, or 0.
func idSlots(p *ir.Program, width int) []int {
	cats := make([]int, width)
	off := 0
	for _, in := range p.InputFields {
		if in.Categories > 0 {
			cats[off] = in.Categories
		}
		off += in.Width
	}
	return cats
}

// or returns a, or b when a is empty.
func or[S ~[]E, E any](a, b S) S {
	if len(a) > 0 {
		return a
	}
	return b
}

// TestHeadLosses: a spec importing a model of several outputs gives its
// heads their losses and weights by name (a weight of 0 included); the
// heads it leaves out train with mse, weight 1.
func TestHeadLosses(t *testing.T) {
	model, err := filepath.Abs("../internal/graphgold/testdata/threeheads64.onnx")
	if err != nil {
		t.Fatal(err)
	}
	src := fmt.Sprintf("package: three\nonnx: %s\noutputs:\n  cls:\n    loss: softmax_cross_entropy\n    weight: 0.25\n  bin:\n    weight: 0\n", model)
	path := filepath.Join(t.TempDir(), "three.yaml")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	n, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, h := range n.Outputs {
		got = append(got, fmt.Sprintf("%s %s %g", h.Name, h.Loss, h.Weight))
	}
	if want := []string{"reg mse 1", "bin mse 0", "cls softmax_cross_entropy 0.25"}; !slices.Equal(got, want) {
		t.Errorf("heads %q, want %q", got, want)
	}
}
