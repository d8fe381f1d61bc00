package onnxrt

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/gradgen/gradgen/build"
	"github.com/gradgen/gradgen/ir"
	"github.com/gradgen/gradgen/onnxspec"
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
}

// TestGraphExportMatchesRuntime exports every graph network of
// internal/graphgold and examples/ (several named inputs, concatenations,
// residual adds, several heads) with NewModel(1)'s parameters, runs the
// models under ONNX Runtime (when GRADGEN_ORT_NODE_MODULES is set) on each
// input by name, and compares each output, a head, with the generic
// engine's prediction.
func TestGraphExportMatchesRuntime(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(3, 4))
	paths, _ := filepath.Glob("../graphgold/nets/*/*.yaml")
	examples, _ := filepath.Glob("../../examples/*/*/*.yaml")
	var checks []graphCheck
	for _, path := range append(paths, examples...) {
		n, err := onnxspec.Load(path)
		if err != nil {
			t.Fatal(err)
		}
		if !n.IsGraph() {
			continue
		}
		f32 := n.DType != spec.Float64
		var params []float64
		var predict func(x []float64) []float64
		if f32 {
			params, predict = genericNet[float32](t, n)
		} else {
			params, predict = genericNet[float64](t, n)
		}
		p, err := build.Program(n, build.Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, opset := range []int{11, 17} {
			model, err := onnxspec.Export(p, params, onnxspec.ExportOptions{Opset: opset})
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			file := filepath.Join(dir, fmt.Sprintf("%s_op%d.onnx", p.Package, opset))
			if err := os.WriteFile(file, model, 0o644); err != nil {
				t.Fatal(err)
			}
			for _, rows := range batches {
				checks = append(checks, graphSamples(rng, p, predict, file, rows, f32))
				checks[len(checks)-1].name = fmt.Sprintf("%s, opset %d, batch %d", p.Package, opset, rows)
			}
		}
	}
	if len(checks) < 8*2*len(batches) {
		t.Fatalf("%d runs of graph networks; the specs are missing", len(checks))
	}
	runs := make([]ortRun, len(checks))
	for i, c := range checks {
		runs[i] = c.run
	}
	_, results := runOrSkip(t, "graph models", runs)
	for i, c := range checks {
		got, err := headRows(results[i], c.widths, c.run.Inputs[0].Dims[0])
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		tol := map[bool]float64{true: tol32, false: tol64}[c.f32]
		abs, rel, worst := compare(got, c.want)
		t.Logf("%-40s |Δ| %-9.3g rel %-9.3g", c.name, abs, rel)
		if rel > tol || math.IsNaN(rel) {
			t.Errorf("%s: ONNX Runtime gives %v at %d, gradgen %v: relative difference %.3g > %.3g", c.name, got[worst], worst, c.want[worst], rel, tol)
		}
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
		c.run.Inputs = append(c.run.Inputs, ortInput{Name: in.Name, Dims: []int{rows, in.Width}})
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
