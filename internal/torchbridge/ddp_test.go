package torchbridge

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gradgen/gradgen/build"
	"github.com/gradgen/gradgen/dataset"
	"github.com/gradgen/gradgen/emit"
	"github.com/gradgen/gradgen/examples/iris/irisnet"
	"github.com/gradgen/gradgen/generic"
	"github.com/gradgen/gradgen/ir"
	"github.com/gradgen/gradgen/runtime"
	"github.com/gradgen/gradgen/safetensors"
	"github.com/gradgen/gradgen/spec"
	"github.com/gradgen/gradgen/torchspec"
)

// The DDP round trip: the module of a spec, NewModel(1)'s parameters through
// safetensors, trained by ddp.py with DistributedDataParallel on 2 processes
// (gloo, 127.0.0.1) on a data set; the trained parameters come back through
// safetensors.LoadParams into the Go model, whose predictions on held-out
// rows must be PyTorch's (float32 within 3e-4 relative, float64 within 1e-9)
// and whose accuracy must be the one torch reported.

const ddpWorld = 2 // processes

// ddpCase is a spec and the data set ddp.py trains it on.
type ddpCase struct {
	name string
	path string          // the spec, relative to this directory
	opt  *spec.Optimizer // replaces the spec's optimizer when not nil
	// data returns the training rows, the held-out rows and their classes,
	// as gradgen's input and target rows.
	data      func(t *testing.T, n *spec.Network) (xs, ts, testXs [][]float64, testClasses []int)
	head      int     // the head whose classes are counted
	steps     int     // optimizer steps
	batch     int     // samples per process and step
	floor     float64 // the held-out accuracy the training must reach, so that it did train
	generated func(params []float64) *ddpModel
}

var ddpCases = []ddpCase{
	// An MLP, the generated package of examples/iris, on the bundled iris flowers (150, a
	// stratified 80/20 split, standardised with the training flowers' statistics).
	{name: "iris", path: "../../examples/iris/irisnet/irisnet.yaml", data: irisData,
		steps: 300, batch: 8, floor: 0.9, generated: irisModel},
	// A graph: two named inputs concatenated into a trunk, a residual block, a value head
	// (mse) and a policy head (softmax_cross_entropy, 4 classes), on synthetic data whose
	// class is the argmax of a fixed linear map of the inputs; Adam in place of its SGD.
	{name: "ac32", path: "../graphgold/nets/ac32/ac32.yaml", data: policyData, head: 1,
		opt: &spec.Optimizer{Adam: &spec.Adam{LR: 0.01}}, steps: 400, batch: 16, floor: 0.7},
	// The same graph in float64, with momentum, clipping and a cosine schedule after a warm-up.
	{name: "ac64", path: "../graphgold/nets/ac64/ac64.yaml", data: policyData, head: 1,
		opt: &spec.Optimizer{Momentum: &spec.Momentum{LR: 0.05, Momentum: 0.9}, ClipGradNorm: 1,
			Schedule: &spec.Schedule{Warmup: &spec.Warmup{Steps: 20}, Cosine: &spec.Cosine{TMax: 380, EtaMin: 0.001}}},
		steps: 400, batch: 16, floor: 0.7},
}

// ddpResult is what ddp.py's rank 0 writes to result.json.
type ddpResult struct {
	WorldSize int `json:"world_size"`
	Steps     int
	Epochs    int
	Losses    []float64
	Predict   [][]float64
	Correct   int
	Accuracy  float64
	Seconds   float64
}

// TestDDP runs each ddpCase through ddp.py and back into Go.
func TestDDP(t *testing.T) {
	py := python(t)
	driver, err := filepath.Abs("ddp.py")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range ddpCases {
		t.Run(c.name, func(t *testing.T) { runDDP(t, py, driver, c) })
	}
}

func runDDP(t *testing.T, py, driver string, c ddpCase) {
	n, err := spec.Load(c.path)
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
	dir := t.TempDir()
	modPath := filepath.Join(dir, "net.py")
	write(t, modPath, module)

	// NewModel(1)'s parameters: the generated package's where there is one, else the
	// generic engine's (the same values).
	layout := emit.Layout(p)
	init := genericModel(t, n, p.DType).params()
	if c.generated != nil {
		gen := c.generated(nil).params()
		if !equalBits(gen, init) {
			t.Fatal("the generated package's NewModel(1) and the generic engine's differ")
		}
	}
	saveParams(t, filepath.Join(dir, "init.safetensors"), p.DType, layout, init)

	xs, ts, testXs, testClasses := c.data(t, n)
	js, err := json.Marshal(map[string]any{"train_x": xs, "train_t": ts, "test_x": testXs,
		"test_class": testClasses, "head": c.head, "steps": c.steps, "batch": c.batch, "seed": 1,
		"world_size": ddpWorld})
	if err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, "data.json"), js)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, py, driver, modPath, dir)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s ddp.py: %v\n%s", py, err, stderr.String())
	}
	wall := time.Since(start)
	if s := strings.TrimSpace(stderr.String()); s != "" {
		t.Errorf("ddp.py wrote to stderr (a warning?):\n%s", s)
	}
	var r ddpResult
	raw, err := os.ReadFile(filepath.Join(dir, "result.json"))
	if err == nil {
		err = json.Unmarshal(raw, &r)
	}
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(stdout.String()) != strings.TrimSpace(string(raw)) {
		t.Errorf("ddp.py printed another result than it wrote:\n%s", stdout.String())
	}
	if r.WorldSize != ddpWorld || r.Steps != c.steps || len(r.Predict) != len(testXs) {
		t.Fatalf("ddp.py ran %d processes and %d steps and predicted %d rows, want %d, %d and %d",
			r.WorldSize, r.Steps, len(r.Predict), ddpWorld, c.steps, len(testXs))
	}

	// The trained parameters, into the Go model.
	trained := loadParams(t, filepath.Join(dir, "trained.safetensors"), p.DType, layout, len(init))
	if equalBits(trained, init) {
		t.Fatal("the trained parameters are NewModel(1)'s")
	}
	if os.Getenv("GRADGEN_DDP_CORRUPT") != "" { // to watch the test fail: one parameter off by 0.01
		trained[len(trained)/3] += 0.01
	}
	var m *ddpModel
	if c.generated != nil {
		m = c.generated(trained)
	} else {
		m = pretrained(t, n, p.DType, trained)
	}

	tol := tolerance[p.DType]
	worst, bad := predictions(m, testXs, r.Predict, tol.rel, tol.abs)
	if bad > 0 {
		t.Errorf("%d values of the %d held-out rows' predictions differ from PyTorch's beyond %g relative (worst %.3g)",
			bad, len(testXs), tol.rel, worst)
	}
	correct := 0
	for i, x := range testXs {
		if m.classify(x, c.head) == testClasses[i] {
			correct++
		}
	}
	accuracy := float64(correct) / float64(len(testXs))
	if correct != r.Correct || accuracy != r.Accuracy {
		t.Errorf("the Go model classifies %d of %d held-out rows right (%.4f), PyTorch %d (%.4f)",
			correct, len(testXs), accuracy, r.Correct, r.Accuracy)
	}
	if r.Accuracy < c.floor {
		t.Errorf("held-out accuracy %.4f after %d steps, want at least %.2f: did it train?", r.Accuracy, c.steps, c.floor)
	}

	// The comparison can fail: one parameter moved by 1% of its magnitude (at least 1e-3)
	// moves the predictions beyond the tolerance.
	k := len(trained) / 3
	corrupt := append([]float64(nil), trained...)
	corrupt[k] += max(0.01*math.Abs(corrupt[k]), 1e-3)
	var cm *ddpModel
	if c.generated != nil {
		cm = c.generated(corrupt)
	} else {
		cm = pretrained(t, n, p.DType, corrupt)
	}
	if _, bad := predictions(cm, testXs, r.Predict, tol.rel, tol.abs); bad == 0 {
		t.Errorf("with parameter %d (%s) corrupted, the predictions still match PyTorch's", k, layoutName(layout, k))
	}

	t.Logf("%s (%s, %d parameters): DDP on %d processes (gloo), %d steps of %d samples per process (%d epochs) in %.2f s of training, %.1f s in all; loss %.4f → %.4f; held-out accuracy %d/%d = %.4f in PyTorch and in Go; predictions max relative error %.2g (tolerance %g)",
		c.name, p.DType, len(init), r.WorldSize, r.Steps, c.batch, r.Epochs, r.Seconds, wall.Seconds(),
		r.Losses[0], r.Losses[1], correct, len(testXs), accuracy, worst, tol.rel)
}

// ddpModel is a Go model seen through float64 rows.
type ddpModel struct {
	predict func(x []float64) []float64
	params  func() []float64
	// classify returns the class of x that the head predicts.
	classify func(x []float64, head int) int
}

// irisModel is irisnet.NewModel(1), with its parameters set to params unless params is nil.
func irisModel(params []float64) *ddpModel {
	m := irisnet.NewModel(1)
	if params != nil {
		copy(m.Params.Slice(), narrow(params))
	}
	in := func(x []float64) *[irisnet.Inputs]float32 {
		var a [irisnet.Inputs]float32
		for j := range a {
			a[j] = float32(x[j])
		}
		return &a
	}
	return &ddpModel{
		predict: func(x []float64) []float64 {
			var y [irisnet.Outputs]float32
			m.Predict(in(x), &y)
			return widen(y[:])
		},
		params:   func() []float64 { return widen(m.Params.Slice()) },
		classify: func(x []float64, _ int) int { return m.Classify(in(x)) },
	}
}

// pretrained is the generic engine's model of n with the parameters params.
func pretrained(t *testing.T, n *spec.Network, d ir.DType, params []float64) *ddpModel {
	if d == ir.F64 {
		return pretrainedOf[float64](t, n, params)
	}
	return pretrainedOf[float32](t, n, params)
}

func pretrainedOf[T generic.Float](t *testing.T, n *spec.Network, params []float64) *ddpModel {
	m, err := generic.New[T](n, 1)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range params {
		m.Params()[i] = T(v)
	}
	heads := headColumns(n)
	predict := func(x []float64) []T {
		in := make([]T, len(x))
		for i, v := range x {
			in[i] = T(v)
		}
		y := make([]T, m.Outputs())
		m.Predict(in, y)
		return y
	}
	return &ddpModel{
		predict: func(x []float64) []float64 { return widen(predict(x)) },
		params:  func() []float64 { return widen(m.Params()) },
		classify: func(x []float64, head int) int {
			y := predict(x)[heads[head][0]:heads[head][1]]
			if len(y) == 1 { // one binary_cross_entropy logit
				if y[0] > 0 {
					return 1
				}
				return 0
			}
			return runtime.Argmax(y)
		},
	}
}

// headColumns returns each head's columns [from, to) in the output row.
func headColumns(n *spec.Network) [][2]int {
	n = n.Normalized()
	var cols [][2]int
	at := 0
	for _, h := range n.Outputs {
		cols = append(cols, [2]int{at, at + h.Layer.Dense})
		at += h.Layer.Dense
	}
	return cols
}

// predictions compares the model's predictions of xs with want and returns
// the largest relative error and the number of values beyond the tolerance.
func predictions(m *ddpModel, xs, want [][]float64, rel, abs float64) (worst float64, bad int) {
	for i, x := range xs {
		got := m.predict(x)
		if len(got) != len(want[i]) {
			return math.Inf(1), len(xs)
		}
		for j, w := range want[i] {
			d := math.Abs(got[j] - w)
			e := d / max(math.Abs(w), abs/rel)
			if !(e <= 1e300) {
				e = math.Inf(1)
			}
			worst = max(worst, e)
			if !(d <= max(rel*math.Abs(w), abs)) {
				bad++
			}
		}
	}
	return worst, bad
}

// irisData is examples/iris's split of the bundled iris.csv: 80/20 stratified by species
// with seed 1, standardised with the training flowers' statistics, float32 values.
func irisData(t *testing.T, _ *spec.Network) (xs, ts, testXs [][]float64, testClasses []int) {
	f, err := os.Open("../../examples/iris/iris.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tab, err := dataset.Read(f, "iris.csv", dataset.Format{Header: dataset.SklearnHeader, Label: -1})
	if err != nil {
		t.Fatal(err)
	}
	trainIdx, testIdx := dataset.StratifiedSplit(tab.Classes, 0.2, 1)
	std, err := dataset.NewStandardizer(dataset.Subset(tab.Rows, trainIdx))
	if err != nil {
		t.Fatal(err)
	}
	round := func(rows [][]float64) [][]float64 {
		for _, r := range rows {
			for j, v := range r {
				r[j] = float64(float32(v))
			}
		}
		return rows
	}
	xs = round(std.Standardize(dataset.Subset(tab.Rows, trainIdx)))
	testXs = round(std.Standardize(dataset.Subset(tab.Rows, testIdx)))
	for _, c := range dataset.Subset(tab.Classes, trainIdx) {
		row := make([]float64, len(tab.ClassNames))
		row[c] = 1
		ts = append(ts, row)
	}
	return xs, ts, testXs, dataset.Subset(tab.Classes, testIdx)
}

// policyData is a synthetic data set for ac32: 512 training and 256 held-out rows of
// obs (5) and goal (3) drawn from U(-1, 1); the policy's class is the argmax of a fixed
// random linear map of the 8 values, the value target their mean.
func policyData(t *testing.T, n *spec.Network) (xs, ts, testXs [][]float64, testClasses []int) {
	r := rand.New(rand.NewPCG(21, 2))
	u := func() float64 { return float64(float32(2*r.Float64() - 1)) }
	const in, classes = 8, 4
	if w := headColumns(n); len(w) != 2 || w[1][1]-w[1][0] != classes {
		t.Fatalf("ac32's heads are %v, the data has a value and %d classes", w, classes)
	}
	var w [classes][in]float64
	for i := range w {
		for j := range w[i] {
			w[i][j] = u()
		}
	}
	sample := func() (x, tr []float64, class int) {
		best := math.Inf(-1)
		mean := 0.0
		for range in {
			x = append(x, u())
		}
		for i := range w {
			s := 0.0
			for j, v := range x {
				s += w[i][j] * v
			}
			if s > best {
				best, class = s, i
			}
		}
		for _, v := range x {
			mean += v / in
		}
		tr = []float64{float64(float32(mean)), 0, 0, 0, 0} // value, then the policy's one-hot row
		tr[1+class] = 1
		return x, tr, class
	}
	for range 512 {
		x, tr, _ := sample()
		xs, ts = append(xs, x), append(ts, tr)
	}
	for range 256 {
		x, _, c := sample()
		testXs, testClasses = append(testXs, x), append(testClasses, c)
	}
	return xs, ts, testXs, testClasses
}

func saveParams(t *testing.T, path string, d ir.DType, layout []runtime.ParamInfo, params []float64) {
	t.Helper()
	var err error
	if d == ir.F64 {
		err = safetensors.SaveParams(path, layout, params)
	} else {
		err = safetensors.SaveParams(path, layout, narrow(params))
	}
	if err != nil {
		t.Fatal(err)
	}
}

func loadParams(t *testing.T, path string, d ir.DType, layout []runtime.ParamInfo, size int) []float64 {
	t.Helper()
	if d == ir.F64 {
		got := make([]float64, size)
		if err := safetensors.LoadParams(path, layout, got); err != nil {
			t.Fatal(err)
		}
		return got
	}
	got := make([]float32, size)
	if err := safetensors.LoadParams(path, layout, got); err != nil {
		t.Fatal(err)
	}
	return widen(got)
}

func equalBits(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return false
		}
	}
	return true
}

// layoutName names the tensor holding parameter k.
func layoutName(layout []runtime.ParamInfo, k int) string {
	for _, q := range layout {
		size := 1
		for _, d := range q.Shape {
			size *= d
		}
		if k >= q.Offset && k < q.Offset+size {
			return fmt.Sprintf("%s[%d]", q.Torch, k-q.Offset)
		}
	}
	return "?"
}

// TestScaleExample runs examples/scale as its README says, without torchrun:
// train.py spawns 2 processes and trains net.py with DDP, then the example's
// Go command serves the weights and fails unless its logits and accuracy are
// torch's.
func TestScaleExample(t *testing.T) {
	py := python(t)
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	example, err := filepath.Abs("../../examples/scale")
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "trained")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	b, err := exec.CommandContext(ctx, py, filepath.Join(example, "train.py"), "--out", out).CombinedOutput()
	if err != nil {
		t.Fatalf("train.py: %v\n%s", err, b)
	}
	t.Logf("train.py:\n%s", b)
	cmd := exec.CommandContext(ctx, goCmd, "run", ".", "-weights", out+".safetensors", "-report", out+".json")
	cmd.Dir = example
	b, err = cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go run ./examples/scale: %v\n%s", err, b)
	}
	t.Logf("go run ./examples/scale:\n%s", b)
	got, _ := os.ReadFile(out + ".safetensors")
	if committed, _ := os.ReadFile(filepath.Join(example, "trained.safetensors")); !bytes.Equal(got, committed) {
		t.Log("these weights differ from the committed trained.safetensors (another torch version?)")
	}
}
