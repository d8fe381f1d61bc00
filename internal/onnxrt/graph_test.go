package onnxrt

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/gradgen/gradgen/build"
	"github.com/gradgen/gradgen/generic"
	"github.com/gradgen/gradgen/ir"
	"github.com/gradgen/gradgen/onnxspec"
	"github.com/gradgen/gradgen/onnxspec/onnxpb"
	"github.com/gradgen/gradgen/spec"
)

// graphCheck is one run of an exported graph network: its inputs, each a
// graph input, and the reference's prediction rows, each the heads'
// outputs in order.
type graphCheck struct {
	name   string
	run    ortRun
	want   []float64
	widths []int // of the heads
	f32    bool
	tol    float64 // 0: tol32 or tol64
}

// TestGraphExportMatchesRuntime exports every graph network of
// internal/graphgold and examples/ (several named inputs, concatenations,
// residual adds, layer normalizations, several heads) with NewModel(1)'s
// parameters, the γ and β of each layer_norm drawn instead (NewModel's are
// 1 and 0, which would hide one read for the other), runs the models under
// ONNX Runtime (when GRADGEN_ORT_NODE_MODULES is set) on each input by
// name, and compares each output, a head, with the generic engine's
// prediction. The opsets are 11 and 17: a layer_norm is written as its
// decomposition at 11 and as LayerNormalization at 17. A float64 network
// with a leaky_relu runs at 16 and 17 instead (the decomposition at 16):
// ONNX Runtime runs float64 LeakyRelu from opset 16 on. An embedding is a
// Gather of its table by an int64 graph input, fed the ids (the first and
// the last of each table in every batch of several) as a BigInt64Array;
// the generic engine reads each id as a value in its slot.
//
// LeakyRelu's alpha and LayerNormalization's epsilon are float32
// attributes, so a float64 network's slopes and eps are rounded to float32
// for these runs, which then hold to float64's tolerance. With their eps as
// committed (1e-6, 1e-5, 1e-4, 0.001, each a float32 in the model), the
// float64 networks with a layer_norm also run at opset 17, with a tolerance
// of 1e-9: the eps ONNX Runtime adds differs from gradgen's by up to 5e-11
// (0.001), by which (var + eps)^-½ changes (measured: lnconst64 1.6e-15,
// eps 1e-6; lnheads64 6.8e-13, eps 1e-5 and 1e-4; lnthree64 1.9e-10, eps
// 0.001 over 3 values). Below opset 17, the decomposition holds ε as a
// float64 Constant: exact.
func TestGraphExportMatchesRuntime(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(3, 4))
	paths, _ := filepath.Glob("../graphgold/nets/*/*.yaml")
	examples, _ := filepath.Glob("../../examples/*/*/*.yaml")
	var checks []graphCheck
	norms, embeddings := 0, 0
	for _, path := range append(paths, examples...) {
		n, err := onnxspec.Load(path)
		if err != nil {
			t.Fatal(err)
		}
		if !n.IsGraph() {
			continue
		}
		if slices.ContainsFunc(n.Layers, func(l spec.Layer) bool { return l.Kind() == "embedding" }) {
			embeddings++
		}
		f32 := n.DType != spec.Float64
		if hasNorm(n) {
			norms++
			if !f32 {
				m := *n
				m.Layers = slices.Clone(n.Layers)
				roundFloat32(&m, false)
				checks = append(checks, graphChecks(t, rng, dir, &m, []int{17}, "with its eps", 1e-9)...)
			}
		}
		opsets := []int{11, 17}
		if !f32 && roundFloat32(n, true) {
			opsets = []int{16, 17}
		}
		checks = append(checks, graphChecks(t, rng, dir, n, opsets, "", 0)...)
	}
	if len(checks) < 8*2*len(batches) || norms < 7 || embeddings < 4 {
		t.Fatalf("%d runs of graph networks, %d with a layer_norm, %d with an embedding; the specs are missing", len(checks), norms, embeddings)
	}
	runGraphChecks(t, "graph models", checks)
}

// graphChecks exports n at each opset into dir and returns its runs, each
// batch of samples drawn from rng, named with what (the variant) and
// compared within tol (0: tol32 or tol64).
func graphChecks(t *testing.T, rng *rand.Rand, dir string, n *spec.Network, opsets []int, what string, tol float64) []graphCheck {
	t.Helper()
	f32 := n.DType != spec.Float64
	p, err := build.Program(n, build.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var params []float64
	var predict func(x []float64) []float64
	if f32 {
		params, predict = graphNet[float32](t, n, p)
	} else {
		params, predict = graphNet[float64](t, n, p)
	}
	var checks []graphCheck
	for _, opset := range opsets {
		model, err := onnxspec.Export(p, params, onnxspec.ExportOptions{Opset: opset})
		if err != nil {
			t.Fatalf("%s: %v", n.File, err)
		}
		file := filepath.Join(dir, fmt.Sprintf("%s_op%d%s.onnx", p.Package, opset, strings.ReplaceAll(what, " ", "_")))
		if err := os.WriteFile(file, model, 0o644); err != nil {
			t.Fatal(err)
		}
		for _, rows := range batches {
			c := graphSamples(rng, p, predict, file, rows, f32)
			c.name = fmt.Sprintf("%s, opset %d, batch %d", p.Package, opset, rows)
			if what != "" {
				c.name = fmt.Sprintf("%s %s, opset %d, batch %d", p.Package, what, opset, rows)
			}
			c.tol = tol
			checks = append(checks, c)
		}
	}
	return checks
}

// runGraphChecks runs checks under ONNX Runtime and compares each with its
// reference.
func runGraphChecks(t *testing.T, what string, checks []graphCheck) {
	t.Helper()
	runs := make([]ortRun, len(checks))
	for i, c := range checks {
		runs[i] = c.run
	}
	_, results := runOrSkip(t, what, runs)
	for i, c := range checks {
		got, err := headRows(results[i], c.widths, c.run.Inputs[0].Dims[0])
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		tol := cmp.Or(c.tol, map[bool]float64{true: tol32, false: tol64}[c.f32])
		abs, rel, worst := compare(got, c.want)
		t.Logf("%-52s |Δ| %-9.3g rel %-9.3g (tolerance %g)", c.name, abs, rel, tol)
		if rel > tol || math.IsNaN(rel) {
			t.Errorf("%s: ONNX Runtime gives %v at %d, gradgen %v: relative difference %.3g > %.3g", c.name, got[worst], worst, c.want[worst], rel, tol)
		}
	}
}

// roundFloat32 rounds the slope of each leaky_relu of n, and the eps of
// each layer_norm when eps is set, to a float32, as ONNX's attributes hold
// them, and reports whether n has a leaky_relu.
func roundFloat32(n *spec.Network, eps bool) bool {
	found := false
	round := func(l *spec.Layer) {
		if l.Activation == spec.LeakyReLU {
			l.Slope, found = float64(float32(cmp.Or(l.Slope, spec.DefaultSlope))), true
		}
		if ln := l.LayerNorm; ln != nil && eps {
			c := *ln
			c.Eps = float64(float32(cmp.Or(c.Eps, spec.DefaultEps)))
			l.LayerNorm = &c
		}
	}
	for i := range n.Layers {
		round(&n.Layers[i])
	}
	for i := range n.Outputs {
		round(&n.Outputs[i].Layer)
	}
	return found
}

// hasNorm reports whether n has a layer_norm layer.
func hasNorm(n *spec.Network) bool {
	return slices.ContainsFunc(n.Layers, func(l spec.Layer) bool { return l.LayerNorm != nil })
}

// graphNet returns the parameters of n, the program p built from it, and
// the generic engine's prediction with them: NewModel(1)'s, except the γ
// and β of each layer_norm, drawn from 1 + U(−½, ½) and U(−½, ½)
// (rounded to the element type).
func graphNet[T generic.Float](t *testing.T, n *spec.Network, p *ir.Program) ([]float64, func(x []float64) []float64) {
	params, _ := genericNet[T](t, n)
	rng := rand.New(rand.NewPCG(5, 6))
	for _, q := range p.Params {
		if q.Init != ir.InitOnes && q.Init != ir.InitZeros {
			continue
		}
		for i := q.Offset; i < q.Offset+q.Type.Elems(); i++ {
			params[i] = float64(T(rng.Float64() - 0.5 + params[i]))
		}
	}
	m := *n
	m.Pretrained = params
	g, err := generic.NewPretrained[T](&m)
	if err != nil {
		t.Fatal(err)
	}
	return params, func(x []float64) []float64 {
		xt, yt := make([]T, g.Inputs()), make([]T, g.Outputs())
		for i := range xt {
			xt[i] = T(x[i])
		}
		g.Predict(xt, yt)
		y := make([]float64, len(yt))
		for i := range y {
			y[i] = float64(yt[i])
		}
		return y
	}
}

// graphSamples draws rows samples for the program p from N(0, 1) and
// returns the run of the model file on them, input by input, with the
// reference's predictions.
func graphSamples(rng *rand.Rand, p *ir.Program, predict func(x []float64) []float64, file string, rows int, f32 bool) graphCheck {
	ins, outs := p.InputFields, p.OutputFields
	if len(ins) == 0 {
		ins = p.Inputs
	}
	if len(outs) == 0 {
		outs = p.Outputs
	}
	c := graphCheck{run: ortRun{Model: file, Type: map[bool]string{true: "float32", false: "float64"}[f32]}, f32: f32}
	for _, in := range ins {
		if in.Categories > 0 {
			c.run.Inputs = append(c.run.Inputs, ortInput{Name: in.Name, Type: "int64", Dims: []int{rows}})
		} else {
			c.run.Inputs = append(c.run.Inputs, ortInput{Name: in.Name, Dims: []int{rows, in.Width}})
		}
	}
	for _, out := range outs {
		c.widths = append(c.widths, out.Width)
	}
	for range rows {
		var x []float64
		for k, in := range ins {
			for range in.Width {
				v := rng.NormFloat64()
				if f32 {
					v = float64(float32(v))
				}
				if in.Categories > 0 {
					// An id: the generic engine reads it as a value in its
					// slot, ONNX Runtime as an int64. The first and last
					// ids come up in every batch of several.
					v = float64(rng.IntN(in.Categories))
					if rows > 1 && len(c.run.Inputs[k].Data) < 2 {
						v = float64(len(c.run.Inputs[k].Data) * (in.Categories - 1))
					}
				}
				x = append(x, v)
				c.run.Inputs[k].Data = append(c.run.Inputs[k].Data, v)
			}
		}
		c.want = append(c.want, predict(x)...)
	}
	return c
}

// headRows joins the outputs of r, one per head of the given widths, into
// prediction rows.
func headRows(r ortResult, widths []int, rows int) ([]float64, error) {
	if len(r.Outputs) != len(widths) {
		return nil, fmt.Errorf("ONNX Runtime gives %d outputs, the network has %d heads", len(r.Outputs), len(widths))
	}
	var got []float64
	for i := range rows {
		for k, o := range r.Outputs {
			if len(o.Dims) != 2 || o.Dims[0] != rows || o.Dims[1] != widths[k] {
				return nil, fmt.Errorf("output %d has shape %v, want [%d %d]", k, o.Dims, rows, widths[k])
			}
			got = append(got, o.Data[i*widths[k]:(i+1)*widths[k]]...)
		}
	}
	return got, nil
}

// TestLayerNormOpsMatchRuntime: the ops of a layer_norm written one by one,
// as the exporter writes Normalize, Mul and Sum outside the pattern build
// writes (here the Sum's operands swapped, β + s for s + β, which computes
// the same): LayerNormalization with a Constant Scale of ones (opset 17)
// or the decomposition without its Mul and Add (11), then Mul and Add
// broadcasting γ and β over the rows, run by ONNX Runtime with the generic
// engine's predictions of the spec.
func TestLayerNormOpsMatchRuntime(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(9, 10))
	var checks []graphCheck
	for _, name := range []string{"lnwide32", "lnconst64"} {
		n, err := onnxspec.Load(filepath.Join("../graphgold/nets", name, name+".yaml"))
		if err != nil {
			t.Fatal(err)
		}
		f32 := n.DType != spec.Float64
		roundFloat32(n, true)
		p, err := build.Program(n, build.Options{})
		if err != nil {
			t.Fatal(err)
		}
		var params []float64
		var predict func(x []float64) []float64
		if f32 {
			params, predict = graphNet[float32](t, n, p)
		} else {
			params, predict = graphNet[float64](t, n, p)
		}
		swapped := 0
		for _, v := range p.Func(ir.RolePredict).Values {
			if v.Op == ir.OpSum && len(v.Args) == 2 && v.Args[1].Op == ir.OpParam {
				v.Args[0], v.Args[1] = v.Args[1], v.Args[0]
				swapped++
			}
		}
		if swapped == 0 {
			t.Fatalf("%s: no Sum with a parameter", name)
		}
		for _, opset := range []int{11, 17} {
			model, err := onnxspec.Export(p, params, onnxspec.ExportOptions{Opset: opset})
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			file := filepath.Join(dir, fmt.Sprintf("%s_op%d.onnx", name, opset))
			if err := os.WriteFile(file, model, 0o644); err != nil {
				t.Fatal(err)
			}
			for _, rows := range batches {
				c := graphSamples(rng, p, predict, file, rows, f32)
				c.name = fmt.Sprintf("%s op by op, opset %d, batch %d", name, opset, rows)
				checks = append(checks, c)
			}
		}
	}
	runGraphChecks(t, "layer_norm op by op", checks)
}

// TestEmbeddingIDTypesMatchRuntime: ONNX Runtime's Gather takes int32 ids
// as well as the int64 the exporter writes (torch.onnx.export's), and the
// importer reads both: the embedding specs of internal/graphgold, exported
// at opset 13 with their integer inputs made int32 and fed as Int32Arrays,
// give the generic engine's predictions as with int64.
func TestEmbeddingIDTypesMatchRuntime(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(11, 12))
	var checks []graphCheck
	for _, name := range []string{"embcat32", "embtwo64"} {
		n, err := onnxspec.Load(filepath.Join("../graphgold/nets", name, name+".yaml"))
		if err != nil {
			t.Fatal(err)
		}
		f32 := n.DType != spec.Float64
		p, err := build.Program(n, build.Options{})
		if err != nil {
			t.Fatal(err)
		}
		var params []float64
		var predict func(x []float64) []float64
		if f32 {
			params, predict = graphNet[float32](t, n, p)
		} else {
			params, predict = graphNet[float64](t, n, p)
		}
		data, err := onnxspec.Export(p, params, onnxspec.ExportOptions{Opset: 13})
		if err != nil {
			t.Fatal(err)
		}
		m, err := onnxspec.Decode(name+".onnx", data)
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range m.GetGraph().GetInput() {
			if tt := in.GetType().GetTensorType(); tt.GetElemType() == int32(onnxpb.TensorProto_INT64) {
				tt.ElemType = proto.Int32(int32(onnxpb.TensorProto_INT32))
			}
		}
		if _, err := onnxspec.Import(name+"_int32.onnx", m); err != nil {
			t.Fatalf("the model with int32 ids does not import: %v", err)
		}
		if data, err = proto.Marshal(m); err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(dir, name+"_int32.onnx")
		if err := os.WriteFile(file, data, 0o644); err != nil {
			t.Fatal(err)
		}
		for _, rows := range batches {
			c := graphSamples(rng, p, predict, file, rows, f32)
			for k := range c.run.Inputs {
				if c.run.Inputs[k].Type == "int64" {
					c.run.Inputs[k].Type = "int32"
				}
			}
			c.name = fmt.Sprintf("%s, int32 ids, opset 13, batch %d", name, rows)
			checks = append(checks, c)
		}
	}
	runGraphChecks(t, "models with int32 ids", checks)
}
