package gradtest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gradgen/gradgen/spec"
)

// Model adapts one generated package to the suite: flat row-major batches
// in, the package's own methods underneath.
type Model[T Float] struct {
	Params, Grad    []T // Params.Slice() and Grad.Slice() of the model
	Inputs, Outputs int
	Predict         func(x, y []T)
	PredictBatch    func(xs, ys []T) // flat batches of inputs and outputs
	Loss            func(xs, ts []T) T
	Backward        func(xs, ts []T) T
	Step            func()
	Train           func(xs, ts []T) T
	// SetWorkers and Close control the model's worker goroutines; nil
	// for a model without them.
	SetWorkers func(n int)
	Close      func()
	// PredictProba, Classify and Labels read a classifier's outputs; nil
	// for a model without them.
	PredictProba func(x, p []T)
	Classify     func(x []T) int
	Labels       func(x []T, on []bool)
	// Save and Load write and read the whole training state (Model.Save,
	// Model.Load); Steps counts the optimizer steps taken.
	Save, Load func(path string) error
	Steps      func() int
	// LossLabels, BackwardLabels and TrainLabels take class labels instead
	// of targets (softmax cross-entropy); nil for a model without them.
	LossLabels, BackwardLabels, TrainLabels func(xs []T, labels []int32) T
}

// Suite is everything the suite knows about one generated network.
type Suite[T Float] struct {
	Net       Net
	Optimizer spec.OptimizerSettings // the update rule, for the reference step
	New       func(seed uint64) Model[T]
}

func (s Suite[T]) f64() bool { var x T; return any(x) == any(float64(0)) }

// tol is the relative tolerance for comparing with the float64 reference.
func (s Suite[T]) tol() float64 {
	if s.f64() {
		return 1e-12
	}
	return 2e-5
}

// data makes a reproducible batch of n samples with targets that suit the loss.
func (s Suite[T]) data(seed uint64, n int) (xs, ts []T) {
	r := rand.New(rand.NewPCG(seed, 7))
	in, out := s.Net.Layers[0].In, s.Net.Layers[len(s.Net.Layers)-1].Out
	xs, ts = make([]T, n*in), make([]T, n*out)
	for i := range xs {
		xs[i] = T(2*r.Float64() - 1)
	}
	for k := 0; k < n; k++ {
		t := ts[k*out : (k+1)*out]
		switch s.Net.Loss {
		case "softmax_cross_entropy":
			if k%2 == 0 {
				t[r.IntN(out)] = 1 // one-hot
			} else {
				sum := 0.0 // a probability vector
				w := make([]float64, out)
				for j := range w {
					w[j] = r.Float64()
					sum += w[j]
				}
				for j := range t {
					t[j] = T(w[j] / sum)
				}
			}
		case "binary_cross_entropy":
			for j := range t {
				t[j] = T(r.Float64())
			}
		default:
			for j := range t {
				t[j] = T(2*r.Float64() - 1)
			}
		}
	}
	return xs, ts
}

func rows[T Float](flat []T, width int) [][]float64 {
	out := make([][]float64, len(flat)/width)
	for i := range out {
		out[i] = Float64s(flat[i*width : (i+1)*width])
	}
	return out
}

// Run checks the generated network against the references.
func (s Suite[T]) Run(t *testing.T) {
	t.Run("Init", s.testInit)
	t.Run("Forward", s.testForward)
	t.Run("PredictBatch", s.testPredictBatch)
	t.Run("Classify", s.testClassify)
	t.Run("Loss", s.testLoss)
	t.Run("Gradients", s.testGradients)
	t.Run("MinibatchMean", s.testMinibatchMean)
	t.Run("EmptyBatch", s.testEmpty)
	t.Run("LengthMismatch", s.testMismatch)
	t.Run("Step", s.testStep)
	t.Run("TrainDecreasesLoss", s.testTrain)
	t.Run("ExtremeLogits", s.testExtremeLogits)
	t.Run("Numerics", s.testNumerics)
	t.Run("NoAllocations", s.testAllocs)
	t.Run("Workers", s.testWorkers)
	t.Run("Resume", s.testResume)
	t.Run("Labels", s.testLabels)
}

// testInit: PyTorch's nn.Linear bounds, and a seed fixes the parameters.
func (s Suite[T]) testInit(t *testing.T) {
	a, b, c := s.New(1), s.New(1), s.New(2)
	off := 0
	for k, l := range s.Net.Layers {
		n := l.In * l.Out
		if l.Bias {
			n += l.Out
		}
		bound := 1 / math.Sqrt(float64(l.In))
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, p := range a.Params[off : off+n] {
			lo, hi = math.Min(lo, float64(p)), math.Max(hi, float64(p))
		}
		if lo < -bound || hi > bound {
			t.Errorf("layer %d: parameters in [%g, %g], want within ±%g", k+1, lo, hi, bound)
		}
		if n >= 16 && (hi-lo) < bound {
			t.Errorf("layer %d: parameters span [%g, %g], too narrow for U(±%g)", k+1, lo, hi, bound)
		}
		off += n
	}
	same, differ := true, false
	for i := range a.Params {
		same = same && a.Params[i] == b.Params[i]
		differ = differ || a.Params[i] != c.Params[i]
	}
	if !same || !differ {
		t.Errorf("seed 1 twice equal: %v (want true); seeds 1 and 2 differ: %v (want true)", same, differ)
	}
}

func (s Suite[T]) testForward(t *testing.T) {
	m := s.New(3)
	xs, _ := s.data(3, 5)
	y := make([]T, m.Outputs)
	for k := 0; k < 5; k++ {
		x := xs[k*m.Inputs : (k+1)*m.Inputs]
		m.Predict(x, y)
		want := s.Net.Forward(Float64s(m.Params), Float64s(x))
		for j := range y {
			if !Close(float64(y[j]), want[j], s.tol()) {
				t.Errorf("sample %d: y[%d] = %.12g, reference %.12g", k, j, y[j], want[j])
			}
		}
	}
}

// testPredictBatch: PredictBatch gives each sample Predict's output (up to
// the rounding of another summation order) on batches shorter than a tile,
// of whole tiles and with a partial last tile, and leaves rows past the
// batch alone.
func (s Suite[T]) testPredictBatch(t *testing.T) {
	m := s.New(3)
	y := make([]T, m.Outputs)
	for _, n := range []int{0, 1, 3, 4, 5, 32, 33, 70} {
		xs, _ := s.data(4, n)
		ys := make([]T, (n+1)*m.Outputs)
		for i := range ys {
			ys[i] = -7
		}
		m.PredictBatch(xs, ys[:n*m.Outputs])
		for k := range n {
			m.Predict(xs[k*m.Inputs:(k+1)*m.Inputs], y)
			for j, want := range y {
				if got := ys[k*m.Outputs+j]; !Close(float64(got), float64(want), s.tol()) {
					t.Fatalf("batch of %d, sample %d: y[%d] = %.12g, Predict %.12g", n, k, j, got, want)
				}
			}
		}
		for _, v := range ys[n*m.Outputs:] {
			if v != -7 {
				t.Fatalf("batch of %d: PredictBatch wrote past the batch", n)
			}
		}
	}
	xs, _ := s.data(4, 5)
	defer func() {
		if recover() == nil {
			t.Error("PredictBatch with 5 inputs and 4 outputs did not panic")
		}
	}()
	m.PredictBatch(xs, make([]T, 4*m.Outputs))
}

// testClassify: PredictProba applies the loss's link to the reference
// outputs, and Classify and Labels decide by them; which of the three a
// package has follows from its loss and outputs.
func (s Suite[T]) testClassify(t *testing.T) {
	m := s.New(3)
	link, single := s.Net.Loss != "mse", s.Net.Loss == "softmax_cross_entropy" || m.Outputs == 1
	if got, want := [3]bool{m.PredictProba != nil, m.Classify != nil, m.Labels != nil},
		[3]bool{link, link && single, link && !single}; got != want {
		t.Fatalf("loss %s, %d outputs: has PredictProba, Classify, Labels = %v, want %v", s.Net.Loss, m.Outputs, got, want)
	}
	if !link {
		return
	}
	xs, _ := s.data(3, 20)
	p, on := make([]T, m.Outputs), make([]bool, m.Outputs)
	for k := range 20 {
		x := xs[k*m.Inputs : (k+1)*m.Inputs]
		z := s.Net.Forward(Float64s(m.Params), Float64s(x))
		want := Link(s.Net.Loss, z)
		m.PredictProba(x, p)
		sum := 0.0
		for j := range p {
			sum += float64(p[j])
			if !Close(float64(p[j]), want[j], s.tol()) {
				t.Errorf("sample %d: PredictProba p[%d] = %.12g, reference %.12g", k, j, p[j], want[j])
			}
		}
		if s.Net.Loss == "softmax_cross_entropy" && !Close(sum, 1, s.tol()) {
			t.Errorf("sample %d: the probabilities sum to %.12g", k, sum)
		}
		if m.Classify != nil && decided(want, s.tol()) {
			class := argmax(want)
			if s.Net.Loss == "binary_cross_entropy" {
				class = 0
				if want[0] > 0.5 {
					class = 1
				}
			}
			if got := m.Classify(x); got != class {
				t.Errorf("sample %d: Classify = %d, want %d (probabilities %v)", k, got, class, want)
			}
		}
		if m.Labels != nil {
			m.Labels(x, on)
			for j := range on {
				if on[j] != (want[j] > 0.5) && math.Abs(want[j]-0.5) > s.tol() {
					t.Errorf("sample %d: Labels[%d] = %v, want %v (probability %g)", k, j, on[j], !on[j], want[j])
				}
			}
		}
	}
}

// decided reports whether the probabilities ps name their class clearly: no
// probability within tol of 0.5 and the largest two more than tol apart, so
// rounding cannot change the class.
func decided(ps []float64, tol float64) bool {
	top, second := math.Inf(-1), math.Inf(-1)
	for _, p := range ps {
		if math.Abs(p-0.5) <= tol {
			return false
		}
		if p > top {
			top, second = p, top
		} else if p > second {
			second = p
		}
	}
	return top-second > tol
}

// argmax is the index of the largest of ys, the first on a tie.
func argmax(ys []float64) int {
	best := 0
	for i, y := range ys {
		if y > ys[best] {
			best = i
		}
	}
	return best
}

func (s Suite[T]) testLoss(t *testing.T) {
	m := s.New(4)
	for _, n := range []int{1, 7, 32, 33, 70} {
		xs, ts := s.data(uint64(n), n)
		got := float64(m.Loss(xs, ts))
		want := s.Net.MeanLoss(Float64s(m.Params), rows(xs, m.Inputs), rows(ts, m.Outputs))
		if !Close(got, want, s.tol()*10) {
			t.Errorf("batch of %d: loss %.12g, reference %.12g", n, got, want)
		}
		if b := float64(m.Backward(xs, ts)); b != got {
			t.Errorf("batch of %d: Backward returned %.12g, Loss %.12g", n, b, got)
		}
	}
}

// testGradients compares Backward with finite differences in float64: of
// the generated Loss itself for a float64 network, and of the float64
// reference loss at the same parameters for a float32 one, whose own loss is
// too coarse to difference.
func (s Suite[T]) testGradients(t *testing.T) {
	h, floor, tol := 1e-4, 1e-4, 1e-6
	if !s.f64() {
		floor, tol = 1e-3, 2e-3
	}
	every := max(1, len(s.New(0).Params)/400)
	for _, n := range []int{1, 5, 40} {
		m := s.New(5)
		xs, ts := s.data(uint64(10+n), n)
		m.Backward(xs, ts)
		grad := Float64s(m.Grad)
		loss := func(p []float64) float64 {
			return s.Net.MeanLoss(p, rows(xs, m.Inputs), rows(ts, m.Outputs))
		}
		if s.f64() {
			loss = func(p []float64) float64 {
				for i := range p {
					m.Params[i] = T(p[i])
				}
				return float64(m.Loss(xs, ts))
			}
		}
		t.Run(fmt.Sprintf("batch%d", n), func(t *testing.T) {
			p, g, l := trainableOnly(t, s.Net.Frozen(), Float64s(m.Params), grad, loss)
			Gradients(t, p, g, l, h, floor, tol, every)
		})
	}
}

// testMinibatchMean: the gradient of a batch's mean loss is the mean of the
// per-sample gradients.
func (s Suite[T]) testMinibatchMean(t *testing.T) {
	for _, n := range []int{1, 7, 32, 1000} {
		m := s.New(6)
		xs, ts := s.data(uint64(20+n), n)
		m.Backward(xs, ts)
		batch := Float64s(m.Grad)
		mean := make([]float64, len(batch))
		for k := 0; k < n; k++ {
			m.Backward(xs[k*m.Inputs:(k+1)*m.Inputs], ts[k*m.Outputs:(k+1)*m.Outputs])
			for i, g := range m.Grad {
				mean[i] += float64(g) / float64(n)
			}
		}
		scale := 0.0
		for _, g := range mean {
			scale = math.Max(scale, math.Abs(g))
		}
		tol := 1e-12
		if !s.f64() {
			tol = 1e-5
		}
		for i := range mean {
			if math.Abs(batch[i]-mean[i]) > tol*math.Max(scale, 1e-3) {
				t.Errorf("batch of %d: parameter %d: gradient %.12g, mean of per-sample gradients %.12g", n, i, batch[i], mean[i])
				break
			}
		}
	}
}

func (s Suite[T]) testEmpty(t *testing.T) {
	m := s.New(7)
	xs, ts := s.data(7, 3)
	m.Backward(xs, ts)
	before := append([]T(nil), m.Params...)
	if l := m.Loss(nil, nil); l != 0 {
		t.Errorf("Loss(empty) = %v, want 0", l)
	}
	if l := m.Backward(nil, nil); l != 0 {
		t.Errorf("Backward(empty) = %v, want 0", l)
	}
	for i, g := range m.Grad {
		if g != 0 {
			t.Fatalf("Backward(empty) left Grad[%d] = %v, want 0", i, g)
		}
	}
	m.Backward(xs, ts)
	if l := m.Train(nil, nil); l != 0 {
		t.Errorf("Train(empty) = %v, want 0", l)
	}
	for i := range before {
		if m.Params[i] != before[i] {
			t.Fatalf("Train(empty) changed parameter %d", i)
		}
	}
}

func (s Suite[T]) testMismatch(t *testing.T) {
	m := s.New(8)
	xs, ts := s.data(8, 3)
	for name, call := range map[string]func(){
		"Loss":     func() { m.Loss(xs, ts[:2*m.Outputs]) },
		"Backward": func() { m.Backward(xs, ts[:2*m.Outputs]) },
		"Train":    func() { m.Train(xs, ts[:2*m.Outputs]) },
	} {
		func() {
			defer func() {
				msg, _ := recover().(string)
				if !strings.Contains(msg, name) || !strings.Contains(msg, "len(xs) = 3") || !strings.Contains(msg, "len(ts) = 2") {
					t.Errorf("%s with 3 inputs and 2 targets: panic %q, want one naming both lengths", name, msg)
				}
			}()
			call()
		}()
	}
}

// testStep compares optimizer steps with a float64 reference of
// torch.optim's update rules, clipping and schedule.
func (s Suite[T]) testStep(t *testing.T) {
	m := s.New(9)
	xs, ts := s.data(9, 6)
	ref := newReferenceOptimizer(s.Optimizer, s.Net.Frozen())
	p := Float64s(m.Params)
	for step := 1; step <= 5; step++ {
		m.Backward(xs, ts)
		g := Float64s(m.Grad)
		m.Step()
		ref.step(p, g)
		for i := range p {
			if !Close(float64(m.Params[i]), p[i], s.tol()*1e3) {
				t.Fatalf("step %d: parameter %d = %.12g, reference %.12g", step, i, m.Params[i], p[i])
			}
			p[i] = float64(m.Params[i]) // follow the model, so rounding does not accumulate
		}
	}
}

func (s Suite[T]) testTrain(t *testing.T) {
	// Batches of 1 and 3 take the per-sample path, where Train may step
	// weights row by row as their gradients are made; 16 takes a tile.
	for _, n := range []int{1, 3, 16} {
		m, twin := s.New(10), s.New(10)
		xs, ts := s.data(10, n)
		first := m.Loss(xs, ts)
		TrainIsBackwardStep(t, fmt.Sprintf("batch of %d", n), m, twin, xs, ts, 50)
		last := m.Loss(xs, ts)
		if !(last < first) {
			t.Errorf("batch of %d: 50 training steps took the loss from %g to %g", n, first, last)
		}
	}
}

// TrainIsBackwardStep runs steps of Train on fused and of Backward then Step
// on split, two models that start equal, and fails unless every step's loss
// and the parameters and gradients after it are the same bits: the fused
// paths of Train (workers that step, weights stepped row by row) must not
// change a result.
func TrainIsBackwardStep[T Float](t *testing.T, what string, fused, split Model[T], xs, ts []T, steps int) {
	t.Helper()
	for step := range steps {
		got := fused.Train(xs, ts)
		want := split.Backward(xs, ts)
		split.Step()
		if got != want {
			t.Fatalf("%s, step %d: Train returned %v, Backward %v", what, step, got, want)
		}
		for i := range fused.Params {
			if fused.Params[i] != split.Params[i] || fused.Grad[i] != split.Grad[i] {
				t.Fatalf("%s, step %d: Train and Backward+Step differ at parameter %d", what, step, i)
			}
		}
	}
}

func (s Suite[T]) testAllocs(t *testing.T) {
	m := s.New(11)
	x, y := make([]T, m.Inputs), make([]T, m.Outputs)
	ys := make([]T, 100*m.Outputs)
	for _, n := range []int{1, 33, 100} {
		xs, ts := s.data(11, n)
		for name, f := range map[string]func(){
			"Predict":      func() { m.Predict(x, y) },
			"PredictBatch": func() { m.PredictBatch(xs, ys[:len(ts)]) },
			"PredictProba": func() {
				if m.PredictProba != nil {
					m.PredictProba(x, y)
				}
			},
			"Classify": func() {
				if m.Classify != nil {
					m.Classify(x)
				}
			},
			"Loss":     func() { m.Loss(xs, ts) },
			"Backward": func() { m.Backward(xs, ts) },
			"Step":     m.Step,
			"Train":    func() { m.Train(xs, ts) },
		} {
			if a := testing.AllocsPerRun(5, f); a != 0 {
				t.Errorf("%s with a batch of %d: %v allocations per run, want 0", name, n, a)
			}
		}
	}
}

// testExtremeLogits drives the outputs to ±1e4 (the last layer's weights
// zero, its biases ±1e4) and expects a finite loss and gradient that match
// the reference: the losses must not overflow where PyTorch's do not.
func (s Suite[T]) testExtremeLogits(t *testing.T) {
	last := s.Net.Layers[len(s.Net.Layers)-1]
	if !last.Bias {
		t.Skip("the last layer has no bias to set")
	}
	m := s.New(12)
	n := len(m.Params)
	w := m.Params[n-last.Out-last.In*last.Out : n-last.Out]
	b := m.Params[n-last.Out:]
	for i := range w {
		w[i] = 0
	}
	for i := range b {
		b[i] = T(1e4 * float64(1-2*(i%2)))
	}
	xs, ts := s.data(12, 9)
	loss := float64(m.Backward(xs, ts))
	want := s.Net.MeanLoss(Float64s(m.Params), rows(xs, m.Inputs), rows(ts, m.Outputs))
	if math.IsInf(loss, 0) || math.IsNaN(loss) || !Close(loss, want, 1e-6) {
		t.Errorf("loss with logits ±1e4 = %g, reference %g", loss, want)
	}
	for i, g := range m.Grad {
		if math.IsInf(float64(g), 0) || math.IsNaN(float64(g)) {
			t.Fatalf("gradient %d = %v with logits ±1e4", i, g)
		}
	}
}

func finite[T Float](vs ...T) bool {
	for _, v := range vs {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return false
		}
	}
	return true
}

// testNumerics covers the edge cases where PyTorch stays finite: inputs of
// 1e30 (for float64 networks, and for cross-entropy losses, whose logits
// enter only through a stable log-sum-exp; float32 mse squares them past
// float32's range, as PyTorch's does); exact zeros at every input of a ReLU
// layer, where relu′(0) = 0; all-zero targets for cross-entropy; and a
// batch of 10 000 samples.
func (s Suite[T]) testNumerics(t *testing.T) {
	if s.f64() || s.Net.Loss != "mse" {
		m := s.New(13)
		xs, ts := s.data(13, 5)
		for i := range xs {
			xs[i] *= 1e30
		}
		loss := m.Backward(xs, ts)
		if !finite(loss) || !finite(m.Grad...) {
			t.Errorf("inputs of 1e30: loss %v, gradient finite %v", loss, finite(m.Grad...))
		}
	}

	off := 0
	for k, l := range s.Net.Layers {
		n := l.In * l.Out
		if l.Bias {
			n += l.Out
		}
		if l.Activation == "relu" {
			m := s.New(14)
			clear(m.Params[off : off+n]) // every input of the ReLU is exactly 0
			xs, ts := s.data(14, 6)
			loss := float64(m.Backward(xs, ts))
			want := s.Net.MeanLoss(Float64s(m.Params), rows(xs, m.Inputs), rows(ts, m.Outputs))
			if !Close(loss, want, s.tol()*10) {
				t.Errorf("zeros at layer %d's ReLU: loss %g, reference %g", k+1, loss, want)
			}
			for i, g := range m.Grad[off : off+n] {
				if g != 0 {
					t.Errorf("zeros at layer %d's ReLU: gradient %d of the layer is %v, want 0 (relu′(0) = 0)", k+1, i, g)
					break
				}
			}
		}
		off += n
	}

	if s.Net.Loss == "softmax_cross_entropy" {
		m := s.New(15)
		xs, ts := s.data(15, 4)
		clear(ts)
		if loss := m.Backward(xs, ts); loss != 0 {
			t.Errorf("all-zero targets: loss %v, want 0", loss)
		}
		for i, g := range m.Grad {
			if g != 0 {
				t.Errorf("all-zero targets: gradient %d is %v, want 0", i, g)
				break
			}
		}
	}

	m := s.New(16)
	xs, ts := s.data(16, 10000)
	loss := float64(m.Backward(xs, ts))
	want := s.Net.MeanLoss(Float64s(m.Params), rows(xs, m.Inputs), rows(ts, m.Outputs))
	tol := 1e-10
	if !s.f64() {
		tol = 1e-4 // ten thousand float32 terms
	}
	if !Close(loss, want, tol) || !finite(m.Grad...) {
		t.Errorf("batch of 10000: loss %.10g, reference %.10g", loss, want)
	}
}

// testWorkers: with 2 and 3 workers a batch's loss and gradient equal the
// single-goroutine ones to rounding, are the same bits on every run for a
// given number of workers, Train gives the bits of Backward and Step, and a
// step allocates nothing.
func (s Suite[T]) testWorkers(t *testing.T) {
	if s.New(0).SetWorkers == nil {
		t.Skip("the model has no workers")
	}
	xs, ts := s.data(17, 150) // five tiles
	one := s.New(18)
	loss1 := float64(one.Backward(xs, ts))
	grad1 := Float64s(one.Grad)
	tol := 1e-12
	if !s.f64() {
		tol = 1e-5
	}
	for _, n := range []int{2, 3} {
		var first []T
		for run := range 2 {
			m := s.New(18)
			m.SetWorkers(n)
			loss := float64(m.Backward(xs, ts))
			if !Close(loss, loss1, tol) {
				t.Errorf("%d workers: loss %.12g, one goroutine %.12g", n, loss, loss1)
			}
			scale := 0.0
			for _, g := range grad1 {
				scale = math.Max(scale, math.Abs(g))
			}
			for i, g := range m.Grad {
				if math.Abs(float64(g)-grad1[i]) > tol*math.Max(scale, 1e-3) {
					t.Errorf("%d workers: gradient %d = %g, one goroutine %g", n, i, g, grad1[i])
					break
				}
			}
			if run == 0 {
				first = append([]T(nil), m.Grad...)
				if a := testing.AllocsPerRun(5, func() { m.Train(xs, ts) }); a != 0 {
					t.Errorf("%d workers: Train allocates %v times per run", n, a)
				}
			} else {
				for i := range first {
					if first[i] != m.Grad[i] {
						t.Fatalf("%d workers: two runs differ at gradient %d", n, i)
					}
				}
			}
			m.Close()
		}

		// Train, whose workers also sum the gradients and step a range of the
		// parameters each, gives the bits of Backward and then Step.
		fused, split := s.New(19), s.New(19)
		fused.SetWorkers(n)
		split.SetWorkers(n)
		TrainIsBackwardStep(t, fmt.Sprintf("%d workers", n), fused, split, xs, ts, 3)
		fused.Close()
		split.Close()
	}

	// More goroutines than tiles: some shares are empty, and their
	// gradients must not keep a previous batch's values.
	m, ref := s.New(20), s.New(20)
	m.SetWorkers(3)
	defer m.Close()
	for _, seed := range []uint64{21, 22} {
		xs, ts := s.data(seed, 64) // two tiles for three goroutines
		loss, want := float64(m.Backward(xs, ts)), float64(ref.Backward(xs, ts))
		if !Close(loss, want, tol) {
			t.Errorf("3 workers, 2 tiles: loss %.12g, one goroutine %.12g", loss, want)
		}
		for i, g := range ref.Grad {
			if math.Abs(float64(m.Grad[i]-g)) > tol*math.Max(math.Abs(float64(g)), 1e-3) {
				t.Fatalf("3 workers, 2 tiles, batch %d: gradient %d = %g, one goroutine %g", seed, i, m.Grad[i], g)
			}
		}
	}
}

// testResume: a run trained some steps, saved with Save, loaded with Load
// into a model made from another seed and trained on ends with the bits of
// the run that never stopped, on short batches and long ones, with one
// worker and with two; a failed Load leaves the model as it was.
func (s Suite[T]) testResume(t *testing.T) {
	if s.New(1).Save == nil {
		t.Fatal("the model has no Save and Load")
	}
	short, shortT := s.data(21, 3)
	long, longT := s.data(22, 70)
	train := func(m Model[T], steps int) {
		for k := range steps {
			if k%2 == 0 {
				m.Train(short, shortT)
			} else {
				m.Train(long, longT)
			}
		}
	}
	for _, workers := range []int{1, 2} {
		path := filepath.Join(t.TempDir(), "state.ckpt")
		run, resumed := s.New(5), s.New(6)
		if workers > 1 {
			run.SetWorkers(workers)
			resumed.SetWorkers(workers)
			defer run.Close()
			defer resumed.Close()
		}
		train(run, 3)
		if err := run.Save(path); err != nil {
			t.Fatal(err)
		}
		if err := resumed.Load(path); err != nil {
			t.Fatal(err)
		}
		if run.Steps() != 3 || resumed.Steps() != 3 {
			t.Errorf("%d workers: Steps %d after 3 Train calls, %d after loading them", workers, run.Steps(), resumed.Steps())
		}
		train(run, 4)
		train(resumed, 4)
		run.Step()
		resumed.Step()
		if run.Steps() != 8 || resumed.Steps() != 8 {
			t.Errorf("%d workers: Steps %d and %d after 7 Train calls and a Step, want 8", workers, run.Steps(), resumed.Steps())
		}
		for i := range run.Params {
			if math.Float64bits(float64(run.Params[i])) != math.Float64bits(float64(resumed.Params[i])) {
				t.Fatalf("%d workers: parameter %d is %v after resuming, %v in the run that never stopped", workers, i, resumed.Params[i], run.Params[i])
			}
		}
	}
	// A damaged file changes nothing.
	path := filepath.Join(t.TempDir(), "state.ckpt")
	m := s.New(5)
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data[:len(data)-1], 0o644); err != nil {
		t.Fatal(err)
	}
	other := s.New(6)
	before := append([]T(nil), other.Params...)
	if err := other.Load(path); err == nil || !slices.Equal(before, other.Params) {
		t.Errorf("Load of a truncated file: err %v, parameters changed %v", err, !slices.Equal(before, other.Params))
	}
}
