package torchgold

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"

	gradgen "github.com/gradgen/gradgen/runtime"

	"github.com/gradgen/gradgen/internal/torchgold/nets/adam32"
	"github.com/gradgen/gradgen/internal/torchgold/nets/adam32frozen"
	"github.com/gradgen/gradgen/internal/torchgold/nets/adam64"
	"github.com/gradgen/gradgen/internal/torchgold/nets/adam64frozen"
	"github.com/gradgen/gradgen/internal/torchgold/nets/adamw32"
	"github.com/gradgen/gradgen/internal/torchgold/nets/adamw32frozen"
	"github.com/gradgen/gradgen/internal/torchgold/nets/adamw64"
	"github.com/gradgen/gradgen/internal/torchgold/nets/adamw64frozen"
	"github.com/gradgen/gradgen/internal/torchgold/nets/momentum32"
	"github.com/gradgen/gradgen/internal/torchgold/nets/momentum32frozen"
	"github.com/gradgen/gradgen/internal/torchgold/nets/momentum64"
	"github.com/gradgen/gradgen/internal/torchgold/nets/momentum64frozen"
	"github.com/gradgen/gradgen/internal/torchgold/nets/sgd32"
	"github.com/gradgen/gradgen/internal/torchgold/nets/sgd32frozen"
	"github.com/gradgen/gradgen/internal/torchgold/nets/sgd64"
	"github.com/gradgen/gradgen/internal/torchgold/nets/sgd64frozen"
)

// The tolerances of a generated package against torch, |got − want| ≤
// max(rel·|want|, abs):
//
//   - float32: rel 3e-4, abs 1e-6. Two correct float32 implementations differ
//     in the order of their sums and in their exp, log and tanh. golden.py
//     measures how much: torch's float32 runs against the same runs in float64,
//     and against themselves on the batch reversed, use at most about 5% of
//     this tolerance (gradgen, at the time of writing, 6%). The parameters are
//     of order 0.1 to 0.5, where a float32 ulp is 7e-9 to 3e-8, and 12 steps of
//     rounding leave errors of about 1e-8 absolute; a parameter that crosses
//     zero keeps that absolute error, so its relative error has no bound
//     (gradgen: 5.7e-4 relative, 2e-8 absolute, on a weight ending at 3.6e-5).
//     1e-6 absolute (some 30 ulps of a parameter of 0.3) covers those; it
//     governs only values below 1e-6/3e-4 ≈ 3.3e-3, and the losses (about 1)
//     and most parameters are held to 3e-4 relative.
//   - float64: rel 1e-9, abs 1e-14, by the same reasoning with float64's ulp
//     (5.6e-17 at 0.3): weights that end near zero differ by some 4e-16
//     absolute, which is 3e-10 relative on one that ends at 1.3e-6. The floor
//     governs only values below 1e-5.
//
// The learning rate of each step must match torch's param_groups[0]['lr'] to
// 1e-12 relative (LRAt's closed forms against torch's recursive schedulers:
// golden.py measures 2e-16).
var tolerance = map[string]struct{ rel, abs float64 }{
	"float32": {3e-4, 1e-6},
	"float64": {1e-9, 1e-14},
}

const lrTolerance = 1e-12

// net is the part of a generated Model the test drives: every package of nets/
// has Inputs 4 and Outputs 3.
type net[T float32 | float64] interface {
	Train(xs [][4]T, ts [][3]T) T
	LR() float64
	Steps() int
	Hyperparams() gradgen.Hyperparams
	SetHyperparams(h gradgen.Hyperparams) error
	SetWorkers(n int)
	Close()
	Save(path string) error
	Load(path string) error
}

// pkg is a generated package of nets/: a model made by NewModel(1) with its
// flat parameters and gradient, and its DefaultHyperparams.
type pkg[T float32 | float64] struct {
	model    func() (m net[T], params, grad []T)
	defaults func() gradgen.Hyperparams
}

var pkgs32 = map[string]pkg[float32]{
	"sgd32": {func() (net[float32], []float32, []float32) {
		m := sgd32.NewModel(1)
		return m, m.Params.Slice(), m.Grad.Slice()
	}, sgd32.DefaultHyperparams},
	"sgd32frozen": {func() (net[float32], []float32, []float32) {
		m := sgd32frozen.NewModel(1)
		return m, m.Params.Slice(), m.Grad.Slice()
	}, sgd32frozen.DefaultHyperparams},
	"momentum32": {func() (net[float32], []float32, []float32) {
		m := momentum32.NewModel(1)
		return m, m.Params.Slice(), m.Grad.Slice()
	}, momentum32.DefaultHyperparams},
	"momentum32frozen": {func() (net[float32], []float32, []float32) {
		m := momentum32frozen.NewModel(1)
		return m, m.Params.Slice(), m.Grad.Slice()
	}, momentum32frozen.DefaultHyperparams},
	"adam32": {func() (net[float32], []float32, []float32) {
		m := adam32.NewModel(1)
		return m, m.Params.Slice(), m.Grad.Slice()
	}, adam32.DefaultHyperparams},
	"adam32frozen": {func() (net[float32], []float32, []float32) {
		m := adam32frozen.NewModel(1)
		return m, m.Params.Slice(), m.Grad.Slice()
	}, adam32frozen.DefaultHyperparams},
	"adamw32": {func() (net[float32], []float32, []float32) {
		m := adamw32.NewModel(1)
		return m, m.Params.Slice(), m.Grad.Slice()
	}, adamw32.DefaultHyperparams},
	"adamw32frozen": {func() (net[float32], []float32, []float32) {
		m := adamw32frozen.NewModel(1)
		return m, m.Params.Slice(), m.Grad.Slice()
	}, adamw32frozen.DefaultHyperparams},
}

var pkgs64 = map[string]pkg[float64]{
	"sgd64": {func() (net[float64], []float64, []float64) {
		m := sgd64.NewModel(1)
		return m, m.Params.Slice(), m.Grad.Slice()
	}, sgd64.DefaultHyperparams},
	"sgd64frozen": {func() (net[float64], []float64, []float64) {
		m := sgd64frozen.NewModel(1)
		return m, m.Params.Slice(), m.Grad.Slice()
	}, sgd64frozen.DefaultHyperparams},
	"momentum64": {func() (net[float64], []float64, []float64) {
		m := momentum64.NewModel(1)
		return m, m.Params.Slice(), m.Grad.Slice()
	}, momentum64.DefaultHyperparams},
	"momentum64frozen": {func() (net[float64], []float64, []float64) {
		m := momentum64frozen.NewModel(1)
		return m, m.Params.Slice(), m.Grad.Slice()
	}, momentum64frozen.DefaultHyperparams},
	"adam64": {func() (net[float64], []float64, []float64) {
		m := adam64.NewModel(1)
		return m, m.Params.Slice(), m.Grad.Slice()
	}, adam64.DefaultHyperparams},
	"adam64frozen": {func() (net[float64], []float64, []float64) {
		m := adam64frozen.NewModel(1)
		return m, m.Params.Slice(), m.Grad.Slice()
	}, adam64frozen.DefaultHyperparams},
	"adamw64": {func() (net[float64], []float64, []float64) {
		m := adamw64.NewModel(1)
		return m, m.Params.Slice(), m.Grad.Slice()
	}, adamw64.DefaultHyperparams},
	"adamw64frozen": {func() (net[float64], []float64, []float64) {
		m := adamw64frozen.NewModel(1)
		return m, m.Params.Slice(), m.Grad.Slice()
	}, adamw64frozen.DefaultHyperparams},
}

// golden is testdata/golden.json, written by golden.py.
type golden struct {
	Torch       string                 `json:"torch"`
	Steps       int                    `json:"steps"`
	Layers      [][2]int               `json:"layers"` // {in, out} of each Linear
	FrozenLayer int                    `json:"frozen_layer"`
	Init64      []json.Number          `json:"init64"`
	Init32      []json.Number          `json:"init32"`
	Batches     map[string]goldenBatch `json:"batches"`
	Combos      []combo                `json:"combos"`
}

type goldenBatch struct {
	X64 []json.Number `json:"x64"` // samples × 4, row-major
	X32 []json.Number `json:"x32"` // the same, rounded to float32
	T   []json.Number `json:"t"`   // samples × 3: probabilities k/16, exact in both types
}

// combo is one torch run: its settings, the learning rate and loss of each step
// (before the step) and the parameters after the last.
type combo struct {
	Name    string        `json:"name"`
	Kind    string        `json:"kind"`  // sgd, momentum, adam, adamw
	Dtype   string        `json:"dtype"` // float32, float64
	Frozen  bool          `json:"frozen"`
	Batch   string        `json:"batch"`
	Workers bool          `json:"workers"` // also run with SetWorkers(2)
	Hyper   hyper         `json:"hyper"`
	LR      []float64     `json:"lr"`
	Loss    []json.Number `json:"loss"`
	Final   []json.Number `json:"final"`
}

type hyper struct {
	LR           float64 `json:"lr"`
	WeightDecay  float64 `json:"weight_decay"`
	Momentum     float64 `json:"momentum"`
	Dampening    float64 `json:"dampening"`
	Nesterov     bool    `json:"nesterov"`
	Beta1        float64 `json:"beta1"`
	Beta2        float64 `json:"beta2"`
	Eps          float64 `json:"eps"`
	ClipGradNorm float64 `json:"clip_grad_norm"`
	Schedule     struct {
		Warmup   int     `json:"warmup"`
		Kind     string  `json:"kind"`
		TMax     int     `json:"t_max"`
		EtaMin   float64 `json:"eta_min"`
		StepSize int     `json:"step_size"`
		Gamma    float64 `json:"gamma"`
	} `json:"schedule"`
}

func (h *hyper) runtime() (gradgen.Hyperparams, error) {
	kinds := map[string]gradgen.ScheduleKind{"constant": gradgen.Constant, "cosine": gradgen.Cosine, "step": gradgen.StepDecay}
	kind, ok := kinds[h.Schedule.Kind]
	if !ok {
		return gradgen.Hyperparams{}, fmt.Errorf("unknown schedule %q", h.Schedule.Kind)
	}
	return gradgen.Hyperparams{
		LR: h.LR, WeightDecay: h.WeightDecay,
		Momentum: h.Momentum, Dampening: h.Dampening, Nesterov: h.Nesterov,
		Beta1: h.Beta1, Beta2: h.Beta2, Eps: h.Eps,
		ClipGradNorm: h.ClipGradNorm,
		Schedule: gradgen.Schedule{
			Warmup: h.Schedule.Warmup, Kind: kind,
			TMax: h.Schedule.TMax, EtaMin: h.Schedule.EtaMin,
			StepSize: h.Schedule.StepSize, Gamma: h.Schedule.Gamma,
		},
	}, nil
}

// goldenPath is the JSON the tests read: $TORCHGOLD_JSON (make interop points
// it at goldens just regenerated), else the committed testdata/golden.json.
func goldenPath() string {
	if p := os.Getenv("TORCHGOLD_JSON"); p != "" {
		return p
	}
	return "testdata/golden.json"
}

func load(t *testing.T, path string) *golden {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	g := new(golden)
	if err := json.Unmarshal(b, g); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(g.Combos) == 0 || g.Steps < 1 || len(g.Layers) != 3 {
		t.Fatalf("%s: %d combinations, %d steps, %d layers", path, len(g.Combos), g.Steps, len(g.Layers))
	}
	return g
}

// numbers parses golden numbers as T: float32 ones straight to float32 (not
// through float64, which could round twice).
func numbers[T float32 | float64](ns []json.Number) ([]T, error) {
	var t T
	size := 64
	if _, ok := any(t).(float32); ok {
		size = 32
	}
	out := make([]T, len(ns))
	for i, n := range ns {
		v, err := strconv.ParseFloat(string(n), size)
		if err != nil {
			return nil, err
		}
		out[i] = T(v)
	}
	return out, nil
}

// paramName names element i of the flat parameters as in nn.Sequential's
// state_dict: 0.weight[5][3], 4.bias[2].
func paramName(layers [][2]int, i int) string {
	for l, io := range layers {
		in, out := io[0], io[1]
		if i < in*out {
			return fmt.Sprintf("%d.weight[%d][%d]", 2*l, i/in, i%in)
		}
		i -= in * out
		if i < out {
			return fmt.Sprintf("%d.bias[%d]", 2*l, i)
		}
		i -= out
	}
	return fmt.Sprintf("param[%d]?", i)
}

// frozenRange is the range of the flat parameters of the frozen layer.
func frozenRange(g *golden) (lo, hi int) {
	for l, io := range g.Layers {
		n := io[0]*io[1] + io[1]
		if l == g.FrozenLayer {
			return lo, lo + n
		}
		lo += n
	}
	panic("no frozen layer")
}

// stats gathers, per element type, the largest errors against torch.
type stats struct {
	rel, abs, used float64 // largest relative error where rel·|want| ≥ abs; largest absolute error elsewhere; largest fraction of the tolerance
	relAt, absAt   string
	usedAt         string
	values         int
}

func (s *stats) add(dtype string, got, want float64, where string) bool {
	tol := tolerance[dtype]
	d := math.Abs(got - want)
	s.values++
	if tol.rel*math.Abs(want) >= tol.abs {
		if r := d / math.Abs(want); r > s.rel {
			s.rel, s.relAt = r, where
		}
	} else if d > s.abs {
		s.abs, s.absAt = d, where
	}
	used := d / max(tol.rel*math.Abs(want), tol.abs)
	if used > s.used || math.IsNaN(used) {
		s.used, s.usedAt = used, where
	}
	return used <= 1
}

// TestTorch trains every combination of golden.json with its generated package
// and compares each step's learning rate and loss and the final parameters with
// torch's.
func TestTorch(t *testing.T) {
	g := load(t, goldenPath())
	t.Logf("%s: %d combinations from torch %s", goldenPath(), len(g.Combos), g.Torch)
	st := map[string]*stats{"float32": {}, "float64": {}}
	used := map[string]bool{}
	for i := range g.Combos {
		c := &g.Combos[i]
		name := c.Kind + strings.TrimPrefix(c.Dtype, "float")
		if c.Frozen {
			name += "frozen"
		}
		used[name] = true
		t.Run(c.Name, func(t *testing.T) {
			switch c.Dtype {
			case "float32":
				p, ok := pkgs32[name]
				if !ok {
					t.Fatalf("no package %s for %s", name, c.Name)
				}
				check(t, g, c, p, st[c.Dtype])
			case "float64":
				p, ok := pkgs64[name]
				if !ok {
					t.Fatalf("no package %s for %s", name, c.Name)
				}
				check(t, g, c, p, st[c.Dtype])
			default:
				t.Fatalf("%s: dtype %q", c.Name, c.Dtype)
			}
		})
	}
	for name := range pkgs32 {
		if !used[name] {
			t.Errorf("package %s is in no combination", name)
		}
	}
	for name := range pkgs64 {
		if !used[name] {
			t.Errorf("package %s is in no combination", name)
		}
	}
	for _, d := range []string{"float32", "float64"} {
		s := st[d]
		t.Logf("%s: %d values; largest relative error %.3g (%s); largest absolute error below the relative range %.3g (%s); at most %.3g of the tolerance (%s)",
			d, s.values, s.rel, s.relAt, s.abs, s.absAt, s.used, s.usedAt)
	}
}

// check runs c on one thread and, when c.Workers, on two.
func check[T float32 | float64](t *testing.T, g *golden, c *combo, p pkg[T], st *stats) {
	t.Helper()
	init, x, ts := g.Init64, g.Batches[c.Batch].X64, g.Batches[c.Batch].T
	if c.Dtype == "float32" {
		init, x = g.Init32, g.Batches[c.Batch].X32
	}
	params, err := numbers[T](init)
	if err != nil {
		t.Fatal(err)
	}
	xf, err := numbers[T](x)
	if err != nil {
		t.Fatal(err)
	}
	tf, err := numbers[T](ts)
	if err != nil {
		t.Fatal(err)
	}
	if len(xf)%4 != 0 || len(tf) != len(xf)/4*3 || len(xf) == 0 {
		t.Fatalf("batch %s: %d inputs, %d targets", c.Batch, len(xf), len(tf))
	}
	xs := make([][4]T, len(xf)/4)
	for i := range xs {
		xs[i] = [4]T(xf[4*i:])
	}
	ys := make([][3]T, len(tf)/3)
	for i := range ys {
		ys[i] = [3]T(tf[3*i:])
	}
	losses, err := numbers[T](c.Loss)
	if err != nil {
		t.Fatal(err)
	}
	final, err := numbers[T](c.Final)
	if err != nil {
		t.Fatal(err)
	}
	h, err := c.Hyper.runtime()
	if err != nil {
		t.Fatalf("%s: %v", c.Name, err)
	}
	if len(c.LR) != g.Steps || len(losses) != g.Steps || len(final) != len(params) {
		t.Fatalf("%s: %d learning rates, %d losses, %d final parameters for %d steps and %d parameters",
			c.Name, len(c.LR), len(losses), len(final), g.Steps, len(params))
	}
	train(t, g, c, c.Name, p, h, params, xs, ys, losses, final, 1, st)
	if c.Workers {
		train(t, g, c, c.Name+" with SetWorkers(2)", p, h, params, xs, ys, losses, final, 2, st)
	}
}

// train makes the model, sets it to torch's starting point and hyperparameters,
// trains g.Steps steps and compares with torch; errors name the combination.
func train[T float32 | float64](t *testing.T, g *golden, c *combo, name string, p pkg[T], h gradgen.Hyperparams,
	init []T, xs [][4]T, ys [][3]T, losses, final []T, workers int, st *stats) {
	t.Helper()
	m, params, grad := p.model()
	defer m.Close()
	if len(params) != len(init) || len(grad) != len(init) {
		t.Fatalf("%s: the package has %d parameters (%d gradients), torch %d", name, len(params), len(grad), len(init))
	}
	copy(params, init)
	if err := m.SetHyperparams(h); err != nil {
		t.Fatalf("%s: SetHyperparams(%+v): %v", name, h, err)
	}
	if got := m.Hyperparams(); got != h {
		t.Errorf("%s: Hyperparams() = %+v after SetHyperparams(%+v)", name, got, h)
	}
	if workers > 1 {
		m.SetWorkers(workers)
	}
	const most = 6 // mismatches reported per run
	bad := 0
	report := func(format string, args ...any) {
		t.Helper()
		if bad++; bad <= most {
			t.Errorf("%s: "+format, append([]any{name}, args...)...)
		}
	}
	lo, hi := 0, 0 // the frozen parameters
	if c.Frozen {
		lo, hi = frozenRange(g)
	}
	for k := range g.Steps {
		if got, want := m.LR(), c.LR[k]; math.Abs(got-want) > lrTolerance*math.Abs(want) {
			report("step %d: LR() = %.17g, torch's lr %.17g (relative error %.3g)", k, got, want, math.Abs(got-want)/math.Abs(want))
		}
		loss := m.Train(xs, ys)
		for i := lo; i < hi; i++ {
			if grad[i] != 0 {
				report("step %d: the gradient of frozen %s is %.17g, not 0", k, paramName(g.Layers, i), grad[i])
			}
		}
		if !st.add(c.Dtype, float64(loss), float64(losses[k]), fmt.Sprintf("%s, loss of step %d", name, k)) {
			report("step %d: loss %.9g, torch %.9g (relative error %.3g)", k, loss, losses[k], relErr(float64(loss), float64(losses[k])))
		}
	}
	if got := m.Steps(); got != g.Steps {
		report("Steps() = %d after %d steps", got, g.Steps)
	}
	for i, v := range params {
		where := paramName(g.Layers, i)
		if i >= lo && i < hi {
			if math.Float64bits(float64(v)) != math.Float64bits(float64(init[i])) {
				report("frozen %s changed from %.17g to %.17g", where, init[i], v)
			}
			continue
		}
		if !st.add(c.Dtype, float64(v), float64(final[i]), fmt.Sprintf("%s, final %s", name, where)) {
			report("final %s = %.9g, torch %.9g (started at %.9g; relative error %.3g)", where, v, final[i], init[i], relErr(float64(v), float64(final[i])))
		}
	}
	if bad > most {
		t.Errorf("%s: %d more mismatches", name, bad-most)
	}
	resume(t, name, p, h, init, xs, ys, params, g.Steps, workers)
}

// resume trains the combination again, stops after half its steps, saves the
// whole training state, loads it into another model (whose parameters and
// hyperparameters are scrambled first) and trains that on: it must end with
// the bits of the run that never stopped, whose final parameters are want.
func resume[T float32 | float64](t *testing.T, name string, p pkg[T], h gradgen.Hyperparams,
	init []T, xs [][4]T, ys [][3]T, want []T, steps, workers int) {
	t.Helper()
	path := t.TempDir() + "/state.ckpt"
	first, params, _ := p.model()
	defer first.Close()
	copy(params, init)
	if err := first.SetHyperparams(h); err != nil {
		t.Fatal(err)
	}
	if workers > 1 {
		first.SetWorkers(workers)
	}
	for range steps / 2 {
		first.Train(xs, ys)
	}
	if err := first.Save(path); err != nil {
		t.Fatalf("%s: Save: %v", name, err)
	}
	second, params2, _ := p.model()
	defer second.Close()
	for i := range params2 {
		params2[i] = 0.5
	}
	other := h
	other.LR *= 3
	if err := second.SetHyperparams(other); err != nil {
		t.Fatal(err)
	}
	if err := second.Load(path); err != nil {
		t.Fatalf("%s: Load: %v", name, err)
	}
	if second.Hyperparams() != h || second.Steps() != steps/2 {
		t.Errorf("%s: after Load, Hyperparams() = %+v and Steps() = %d, want %+v and %d", name, second.Hyperparams(), second.Steps(), h, steps/2)
	}
	if workers > 1 {
		second.SetWorkers(workers)
	}
	for range steps - steps/2 {
		second.Train(xs, ys)
	}
	for i := range want {
		if math.Float64bits(float64(params2[i])) != math.Float64bits(float64(want[i])) {
			t.Errorf("%s: resumed after %d of %d steps, parameter %d is %v, %v in the run that never stopped", name, steps/2, steps, i, params2[i], want[i])
			return
		}
	}
}

func relErr(got, want float64) float64 {
	return math.Abs(got-want) / math.Abs(want)
}

// TestDefaults checks that each package's DefaultHyperparams, and a new
// model's Hyperparams, are the values of its spec under nets/.
func TestDefaults(t *testing.T) {
	for name, p := range pkgs32 {
		m, _, _ := p.model()
		defaults(t, name, p.defaults(), m.Hyperparams())
	}
	for name, p := range pkgs64 {
		m, _, _ := p.model()
		defaults(t, name, p.defaults(), m.Hyperparams())
	}
}

func defaults(t *testing.T, name string, got, model gradgen.Hyperparams) {
	t.Helper()
	// The values of the YAML files under nets/.
	var want gradgen.Hyperparams
	switch {
	case strings.HasPrefix(name, "sgd"):
		want = gradgen.Hyperparams{LR: 0.1, WeightDecay: 0.01}
	case strings.HasPrefix(name, "momentum"):
		want = gradgen.Hyperparams{LR: 0.05, Momentum: 0.9, Nesterov: true, WeightDecay: 0.01}
	case strings.HasPrefix(name, "adamw"):
		want = gradgen.Hyperparams{LR: 0.01, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.05}
	case strings.HasPrefix(name, "adam"):
		want = gradgen.Hyperparams{LR: 0.01, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.01}
	}
	// clip_grad_norm and a schedule are in the specs of the float32 trainable
	// and the float64 frozen packages only.
	if strings.HasSuffix(name, "32") || strings.HasSuffix(name, "64frozen") {
		want.ClipGradNorm = 0.2
		want.Schedule = gradgen.Schedule{Warmup: 4, Kind: gradgen.StepDecay, StepSize: 3, Gamma: 0.7}
		if strings.HasPrefix(name, "momentum") || strings.HasPrefix(name, "adamw") {
			want.Schedule = gradgen.Schedule{Warmup: 4, Kind: gradgen.Cosine, TMax: 7, EtaMin: 0.001}
		}
	}
	if got != want {
		t.Errorf("%s: DefaultHyperparams() = %+v, the spec says %+v", name, got, want)
	}
	if model != want {
		t.Errorf("%s: NewModel(1).Hyperparams() = %+v, the spec says %+v", name, model, want)
	}
}

// TestRegenerated compares goldens golden.py has just written, at
// $TORCHGOLD_FRESH, with the committed ones: the same structure, names and
// settings, every number within 1e-12 relative. make interop runs it; without
// the variable it is skipped.
func TestRegenerated(t *testing.T) {
	path := os.Getenv("TORCHGOLD_FRESH")
	if path == "" {
		t.Skip("TORCHGOLD_FRESH is not set: make interop sets it to goldens regenerated by golden.py")
	}
	committed, err := os.ReadFile("testdata/golden.json")
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(committed, fresh) {
		t.Logf("%s is byte for byte testdata/golden.json", path)
		return
	}
	var a, b any
	for _, f := range []struct {
		data []byte
		v    *any
	}{{committed, &a}, {fresh, &b}} {
		d := json.NewDecoder(bytes.NewReader(f.data))
		d.UseNumber()
		if err := d.Decode(f.v); err != nil {
			t.Fatal(err)
		}
	}
	var diffs, inexact int
	var worst float64
	compare(t, "", a, b, &diffs, &inexact, &worst)
	if diffs > 0 {
		t.Fatalf("the regenerated goldens differ from testdata/golden.json in %d places (above); if torch's answers really changed, rerun /usr/bin/python3 internal/torchgold/golden.py and review the diff", diffs)
	}
	t.Logf("regenerated goldens: %d numbers differ in their last bits (largest relative difference %.3g), within 1e-12", inexact, worst)
}

// compare reports where the JSON values a (committed) and b (fresh) differ.
func compare(t *testing.T, at string, a, b any, diffs, inexact *int, worst *float64) {
	t.Helper()
	fail := func(format string, args ...any) {
		t.Helper()
		if *diffs++; *diffs <= 20 {
			t.Errorf("%s: "+format, append([]any{at}, args...)...)
		}
	}
	switch a := a.(type) {
	case map[string]any:
		b, ok := b.(map[string]any)
		if !ok || len(a) != len(b) {
			fail("committed %d keys, regenerated %v", len(a), b)
			return
		}
		for k, va := range a {
			vb, ok := b[k]
			if !ok {
				fail("key %q is missing from the regenerated goldens", k)
				continue
			}
			compare(t, at+"."+k, va, vb, diffs, inexact, worst)
		}
	case []any:
		b, ok := b.([]any)
		if !ok || len(a) != len(b) {
			fail("committed %d values, regenerated another length or type", len(a))
			return
		}
		for i := range a {
			where := fmt.Sprintf("%s[%d]", at, i)
			if m, ok := a[i].(map[string]any); ok {
				if name, ok := m["name"].(string); ok {
					where = fmt.Sprintf("%s[%d %s]", at, i, name)
				}
			}
			compare(t, where, a[i], b[i], diffs, inexact, worst)
		}
	case json.Number:
		b, ok := b.(json.Number)
		if !ok {
			fail("committed %v, regenerated %v", a, b)
			return
		}
		if a == b {
			return
		}
		x, err1 := a.Float64()
		y, err2 := b.Float64()
		if err1 != nil || err2 != nil {
			fail("committed %v, regenerated %v", a, b)
			return
		}
		if x == y {
			return
		}
		*inexact++
		r := math.Abs(x-y) / max(math.Abs(x), math.Abs(y))
		*worst = max(*worst, r)
		if r > 1e-12 {
			fail("committed %v, regenerated %v (relative difference %.3g)", a, b, r)
		}
	default:
		if a != b {
			fail("committed %v, regenerated %v", a, b)
		}
	}
}
