package torchbridge

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gradgen/gradgen/build"
	"github.com/gradgen/gradgen/emit"
	"github.com/gradgen/gradgen/generated/mixed64"
	"github.com/gradgen/gradgen/generated/tiny"
	"github.com/gradgen/gradgen/generic"
	"github.com/gradgen/gradgen/ir"
	"github.com/gradgen/gradgen/onnxspec"
	"github.com/gradgen/gradgen/runtime"
	"github.com/gradgen/gradgen/safetensors"
	"github.com/gradgen/gradgen/spec"
	"github.com/gradgen/gradgen/torchspec"
)

// The tolerances, |got − want| ≤ max(rel·|want|, abs): the 3e-4
// relative for float32 and 1e-9 for float64, with floors (some ulps of
// values of order 1) for values that end near zero, as internal/torchgold's.
var tolerance = map[ir.DType]struct{ rel, abs float64 }{
	ir.F32: {3e-4, 1e-6},
	ir.F64: {1e-9, 1e-14},
}

const (
	batch = 8 // samples, more than build.SmallBatch: the generated code's tiled path
	steps = 5 // training steps: into the schedules after a warm-up, and Adam's later steps
)

// bridgeCase is a spec the module of is checked against the Go models.
type bridgeCase struct {
	name string
	path string          // the spec, a YAML file or an ONNX model, relative to this directory
	opt  *spec.Optimizer // replaces the spec's optimizer when not nil
	gen  func() *goModel // the spec's generated package, when it has one here
}

// cases are MLPs of generated/ (every optimizer, clipping and schedule among them), graph
// specs of internal/graphgold (several inputs and heads, add, layer_norm, dropout 0,
// embeddings, a frozen one, a head without loss), some with other optimizers, and models
// imported from ONNX (an output map, weights kept transposed with their own names).
var cases = []bridgeCase{
	{name: "tiny", path: "../../generated/tiny/tiny.yaml", gen: tinyModel},
	{name: "mixed64", path: "../../generated/mixed64/mixed64.yaml", gen: mixed64Model},
	{name: "nesterov64", path: "../../generated/nesterov64/nesterov64.yaml"},
	{name: "softmax64", path: "../../generated/softmax64/softmax64.yaml"},
	{name: "binary64", path: "../../generated/binary64/binary64.yaml"},
	{name: "finetune", path: "../../generated/finetune/finetune.yaml"},
	{name: "ac32", path: "../graphgold/nets/ac32/ac32.yaml"},
	{name: "ac32_adamw", path: "../graphgold/nets/ac32/ac32.yaml", opt: &spec.Optimizer{
		AdamW: &spec.Adam{LR: 0.01, WeightDecay: 0.05}, ClipGradNorm: 0.05,
		Schedule: &spec.Schedule{Warmup: &spec.Warmup{Steps: 2}, Step: &spec.StepDecay{StepSize: 2, Gamma: 0.5}}}},
	{name: "embtwo64", path: "../graphgold/nets/embtwo64/embtwo64.yaml"},
	{name: "embtwo64_adam", path: "../graphgold/nets/embtwo64/embtwo64.yaml", opt: &spec.Optimizer{
		Adam: &spec.Adam{LR: 0.01, WeightDecay: 0.01}, Schedule: &spec.Schedule{Cosine: &spec.Cosine{TMax: 3, EtaMin: 0.001}}}},
	{name: "embnorm64", path: "../graphgold/nets/embnorm64/embnorm64.yaml"},
	{name: "embshared32_adam", path: "../graphgold/nets/embshared32/embshared32.yaml", opt: &spec.Optimizer{
		Adam: &spec.Adam{LR: 0.05, WeightDecay: 0.1}}},
	{name: "lnres32_nesterov", path: "../graphgold/nets/lnres32/lnres32.yaml", opt: &spec.Optimizer{
		Momentum: &spec.Momentum{LR: 0.05, Momentum: 0.9, Nesterov: true}, ClipGradNorm: 0.5,
		Schedule: &spec.Schedule{Warmup: &spec.Warmup{Steps: 3}}}},
	{name: "lnheads64", path: "../graphgold/nets/lnheads64/lnheads64.yaml"},
	{name: "lndrop32", path: "../graphgold/nets/lndrop32/lndrop32.yaml"},
	{name: "nolosshead32_momentum", path: "../graphgold/nets/nolosshead32/nolosshead32.yaml", opt: &spec.Optimizer{
		Momentum: &spec.Momentum{LR: 0.1, Momentum: 0.9, Dampening: 0.1, WeightDecay: 0.01}}},
	{name: "softmax_onnx32", path: "../onnxgold/testdata/softmax_f32_op9.onnx"},
	{name: "logsoftmax_onnx64", path: "../onnxgold/testdata/logsoftmax_f64_op17.onnx"},
	{name: "matmul_onnx32", path: "../onnxgold/testdata/matmul_inout_f32_op13.onnx"},
	{name: "matmul_onnx64", path: "../onnxgold/testdata/matmul_inout_dyn_f64_op9.onnx"},
}

// python returns the Python that runs the driver, or skips the test.
func python(t *testing.T) string {
	v := os.Getenv("GRADGEN_TORCH")
	switch v {
	case "":
		t.Skip("GRADGEN_TORCH is not set: the PyTorch bridge runs in make interop (GRADGEN_TORCH=1 for /usr/bin/python3)")
	case "1":
		return "/usr/bin/python3"
	}
	return v
}

// TestBridge runs each case: the exported module, NewModel(1)'s parameters
// through safetensors, predictions and training steps in PyTorch, against
// the generic engine and, where there is one, the generated package.
func TestBridge(t *testing.T) {
	py := python(t)
	driver, err := filepath.Abs("driver.py")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { runCase(t, py, driver, c) })
	}
}

// result is what driver.py writes to result.json.
type result struct {
	Predict            [][]float64
	Losses, LRs        []float64
	LRAt               []float64 `json:"lr_at"`
	StateDict          [][]any   `json:"state_dict"`
	SafetensorsPackage bool      `json:"safetensors_package"`
}

func runCase(t *testing.T, py, driver string, c bridgeCase) {
	n, err := load(c.path)
	if err != nil {
		t.Fatal(err)
	}
	if c.opt != nil {
		n.Optimizer = *c.opt
	}
	p, err := build.Program(n, build.Options{})
	if err != nil {
		t.Fatal(err)
	}
	module, err := torchspec.Export(p, n)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := torchspec.Export(p, n)
	if !bytes.Equal(module, again) {
		t.Fatal("two exports of the spec differ")
	}
	dir := t.TempDir()
	modPath := filepath.Join(dir, "net.py")
	write(t, modPath, module)

	ref := genericModel(t, n, p.DType)
	before := ref.params()
	layout := emit.Layout(p)
	init := filepath.Join(dir, "init.safetensors")
	if p.DType == ir.F64 {
		err = safetensors.SaveParams(init, layout, ref.params())
	} else {
		err = safetensors.SaveParams(init, layout, narrow(ref.params()))
	}
	if err != nil {
		t.Fatal(err)
	}
	xs, ts := data(c.name, n, p)
	var shapes [][]any
	for _, q := range layout {
		shape := q.Shape
		if q.Transposed {
			shape = []int{shape[1], shape[0]}
		}
		shapes = append(shapes, []any{q.Torch, shape})
	}
	js, err := json.Marshal(map[string]any{"x": xs, "t": ts, "steps": steps, "layout": shapes})
	if err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, "data.json"), js)

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, py, driver, modPath, dir)
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s driver.py: %v\n%s", py, err, stderr.String())
	}
	if s := strings.TrimSpace(stderr.String()); s != "" {
		t.Errorf("driver.py wrote to stderr (a warning?):\n%s", s)
	}
	var r result
	raw, err := os.ReadFile(filepath.Join(dir, "result.json"))
	if err == nil {
		err = json.Unmarshal(raw, &r)
	}
	if err != nil {
		t.Fatal(err)
	}

	// The files the module wrote from the parameters it loaded are gradgen's, byte for byte.
	initBytes, _ := os.ReadFile(init)
	for _, name := range []string{"resaved.safetensors", "fallback.safetensors"} {
		if b, _ := os.ReadFile(filepath.Join(dir, name)); !bytes.Equal(b, initBytes) {
			t.Errorf("%s (the module's) differs from gradgen's SaveParams file of the same parameters", name)
		}
	}

	// The references, each from NewModel(1)'s parameters.
	refs := map[string]*goModel{"generic": ref}
	if c.gen != nil {
		refs["generated"] = c.gen()
	}
	tol := tolerance[p.DType]
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range refs {
			if !yield(k) {
				return
			}
		}
	}) {
		m := refs[name]
		var worst [3]float64
		for i, x := range xs {
			worst[0] = max(worst[0], compare(t, fmt.Sprintf("%s: predict sample %d", name, i), r.Predict[i], m.predict(x), tol.rel, tol.abs))
		}
		var losses []float64
		for range steps {
			losses = append(losses, m.train(xs, ts))
		}
		worst[1] = compare(t, name+": losses", r.Losses, losses, tol.rel, tol.abs)
		after := m.params()
		got := make([]float64, len(after))
		if p.DType == ir.F64 {
			err = safetensors.LoadParams(filepath.Join(dir, "after.safetensors"), layout, got)
		} else {
			got32 := make([]float32, len(after))
			err = safetensors.LoadParams(filepath.Join(dir, "after.safetensors"), layout, got32)
			got = widen(got32)
		}
		if err != nil {
			t.Fatal(err)
		}
		worst[2] = compare(t, name+": parameters after the steps", got, after, tol.rel, tol.abs)
		changed := 0
		for i := range after {
			if after[i] != before[i] {
				changed++
			}
		}
		if changed == 0 {
			t.Errorf("%s: the steps changed no parameter", name)
		}
		t.Logf("%s vs %s (%s, %d parameters, %d changed by %d steps): max relative error, predictions %.2g, losses %.2g, parameters %.2g (tolerance %g)",
			c.name, name, p.DType, len(after), changed, steps, worst[0], worst[1], worst[2], tol.rel)
	}

	// The learning rates, of the scheduler and of lr_at, are gradgen's.
	h := hyper(p.Optimizer)
	want := make([]float64, steps)
	for s := range want {
		want[s] = h.LRAt(s)
	}
	compare(t, "the scheduler's learning rates", r.LRs, want, 1e-12, 1e-300)
	compare(t, "lr_at", r.LRAt, want, 1e-15, 1e-300)
}

// TestCLI runs gradgen export -format torch, which must write the module
// torchspec.Export returns, and compiles the module with python -m
// py_compile.
func TestCLI(t *testing.T) {
	py := python(t)
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH to build gradgen with")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "gradgen")
	if out, err := exec.Command(goCmd, "build", "-o", bin, "github.com/gradgen/gradgen/cmd/gradgen").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, path := range []string{"../../generated/tiny/tiny.yaml", "../graphgold/nets/embtwo64/embtwo64.yaml"} {
		out := filepath.Join(dir, strings.TrimSuffix(filepath.Base(path), ".yaml")+".py")
		if b, err := exec.Command(bin, "export", "-format", "torch", "-o", out, path).CombinedOutput(); err != nil {
			t.Fatalf("gradgen export -format torch -o %s %s: %v\n%s", out, path, err, b)
		}
		got, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		n, err := load(path)
		if err != nil {
			t.Fatal(err)
		}
		p, err := build.Program(n, build.Options{})
		if err != nil {
			t.Fatal(err)
		}
		want, err := torchspec.Export(p, n)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("gradgen export -format torch wrote another module than torchspec.Export for %s", path)
		}
		if b, err := exec.Command(py, "-m", "py_compile", out).CombinedOutput(); err != nil {
			t.Errorf("%s -m py_compile %s: %v\n%s", py, out, err, b)
		}
	}
}

// load reads the spec at path.
func load(path string) (*spec.Network, error) {
	if onnxspec.IsModel(path) {
		return onnxspec.LoadModel(path, "")
	}
	return spec.Load(path)
}

// goModel is a Go model seen through float64 rows.
type goModel struct {
	predict func(x []float64) []float64
	train   func(xs, ts [][]float64) float64 // one step; the loss before it
	params  func() []float64
}

// genericModel is the generic engine's model of n, NewModel(1)'s parameters.
func genericModel(t *testing.T, n *spec.Network, d ir.DType) *goModel {
	if d == ir.F64 {
		return genericOf[float64](t, n)
	}
	return genericOf[float32](t, n)
}

func genericOf[T generic.Float](t *testing.T, n *spec.Network) *goModel {
	m, err := generic.New[T](n, 1)
	if err != nil {
		t.Fatal(err)
	}
	flat := func(rows [][]float64) []T {
		var out []T
		for _, r := range rows {
			for _, v := range r {
				out = append(out, T(v))
			}
		}
		return out
	}
	return &goModel{
		predict: func(x []float64) []float64 {
			y := make([]T, m.Outputs())
			m.Predict(flat([][]float64{x}), y)
			return widen(y)
		},
		train:  func(xs, ts [][]float64) float64 { return float64(m.Train(flat(xs), flat(ts))) },
		params: func() []float64 { return widen(m.Params()) },
	}
}

// tinyModel is the generated package tiny's NewModel(1).
func tinyModel() *goModel {
	m := tiny.NewModel(1)
	rows := func(rs [][]float64, w int) [][tiny.Inputs]float32 {
		out := make([][tiny.Inputs]float32, len(rs))
		for i, r := range rs {
			for j := range w {
				out[i][j] = float32(r[j])
			}
		}
		return out
	}
	return &goModel{
		predict: func(x []float64) []float64 {
			var y [tiny.Outputs]float32
			m.Predict(&rows([][]float64{x}, tiny.Inputs)[0], &y)
			return widen(y[:])
		},
		train: func(xs, ts [][]float64) float64 {
			t := make([][tiny.Outputs]float32, len(ts))
			for i, r := range ts {
				for j := range tiny.Outputs {
					t[i][j] = float32(r[j])
				}
			}
			return float64(m.Train(rows(xs, tiny.Inputs), t))
		},
		params: func() []float64 { return widen(m.Params.Slice()) },
	}
}

// mixed64Model is the generated package mixed64's NewModel(1).
func mixed64Model() *goModel {
	m := mixed64.NewModel(1)
	return &goModel{
		predict: func(x []float64) []float64 {
			var in [mixed64.Inputs]float64
			var y [mixed64.Outputs]float64
			copy(in[:], x)
			m.Predict(&in, &y)
			return slices.Clone(y[:])
		},
		train: func(xs, ts [][]float64) float64 {
			x := make([][mixed64.Inputs]float64, len(xs))
			t := make([][mixed64.Outputs]float64, len(ts))
			for i := range xs {
				copy(x[i][:], xs[i])
				copy(t[i][:], ts[i])
			}
			return m.Train(x, t)
		},
		params: func() []float64 { return slices.Clone(m.Params.Slice()) },
	}
}

// data returns the batch of a case: input rows (U(-1, 1), an integer
// input's slot an id, as the generic engine reads it) and target rows
// (mse and none: U(-1, 1); binary_cross_entropy: U(0, 1);
// softmax_cross_entropy: a probability row), from a generator seeded by
// the case's name; the values are float32, so exact in either dtype.
func data(name string, n *spec.Network, p *ir.Program) (xs, ts [][]float64) {
	r := rand.New(rand.NewPCG(uint64(crc32.ChecksumIEEE([]byte(name))), 1))
	u := func(lo, hi float64) float64 { return float64(float32(lo + (hi-lo)*r.Float64())) }
	n = n.Normalized()
	type head struct {
		width int
		loss  spec.Loss
	}
	var heads []head
	if len(n.Outputs) == 0 {
		heads = []head{{p.Outputs[0].Width, n.Loss}}
	}
	for _, h := range n.Outputs {
		heads = append(heads, head{h.Layer.Dense, h.Loss})
	}
	for range batch {
		var x, t []float64
		if len(n.Inputs) == 0 {
			for range n.Input {
				x = append(x, u(-1, 1))
			}
		}
		for _, in := range n.Inputs {
			if in.Categories > 0 {
				x = append(x, float64(r.IntN(min(in.Categories, 4)))) // few ids: the batch repeats some
				continue
			}
			for range in.Width {
				x = append(x, u(-1, 1))
			}
		}
		for _, h := range heads {
			switch h.loss {
			case spec.SoftmaxCrossEntropy:
				row := make([]float64, h.width)
				sum := 0.0
				for j := range row {
					row[j] = u(0.1, 1)
					sum += row[j]
				}
				for j := range row {
					row[j] = float64(float32(row[j] / sum))
				}
				t = append(t, row...)
			case spec.BinaryCrossEntropy:
				for range h.width {
					t = append(t, u(0, 1))
				}
			default:
				for range h.width {
					t = append(t, u(-1, 1))
				}
			}
		}
		xs, ts = append(xs, x), append(ts, t)
	}
	return xs, ts
}

// compare checks got against want elementwise and returns the largest
// error relative to max(|want|, abs/rel).
func compare(t *testing.T, what string, got, want []float64, rel, abs float64) float64 {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d values from PyTorch, %d from Go", what, len(got), len(want))
		return math.Inf(1)
	}
	worst, bad := 0.0, 0
	for i := range want {
		d := math.Abs(got[i] - want[i])
		e := d / max(math.Abs(want[i]), abs/rel)
		if !(e <= 1e300) {
			e = math.Inf(1)
		}
		worst = max(worst, e)
		if !(d <= max(rel*math.Abs(want[i]), abs)) {
			if bad++; bad <= 5 {
				t.Errorf("%s [%d]: PyTorch %v, Go %v (relative error %.3g > %g)", what, i, got[i], want[i], e, rel)
			}
		}
	}
	if bad > 5 {
		t.Errorf("%s: %d values differ in all", what, bad)
	}
	return worst
}

// hyper is the runtime's hyperparameters of the program's optimizer, for LRAt.
func hyper(o ir.Optimizer) runtime.Hyperparams {
	kinds := map[string]runtime.ScheduleKind{"": runtime.Constant, "cosine": runtime.Cosine, "step": runtime.StepDecay}
	s := o.Schedule
	return runtime.Hyperparams{LR: o.LR, Schedule: runtime.Schedule{Warmup: s.Warmup, Kind: kinds[s.Kind],
		TMax: s.TMax, EtaMin: s.EtaMin, StepSize: s.StepSize, Gamma: s.Gamma}}
}

func widen[T generic.Float](xs []T) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = float64(x)
	}
	return out
}

func narrow(xs []float64) []float32 {
	out := make([]float32, len(xs))
	for i, x := range xs {
		out[i] = float32(x)
	}
	return out
}

func write(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
