package emit

import (
	"strings"
	"testing"

	"github.com/gradgen/gradgen/build"
	"github.com/gradgen/gradgen/ir"
	"github.com/gradgen/gradgen/passes"
	"github.com/gradgen/gradgen/spec"
)

// residualSpec is a graph network of one input and one output: a residual
// sum, a concatenation of two hidden layers, and a value (h1) with three
// users, whose gradient the grad pass sums over its paths.
const residualSpec = `package: toy
dtype: float64
input: 3
layers:
  - name: h1
    dense: 5
    activation: tanh
  - name: h2
    dense: 5
    activation: sigmoid
  - name: s
    add: [h1, h2]
    activation: relu
  - from: [h1, s]
    dense: 4
    activation: leaky_relu
  - dense: 2
loss: mse
optimizer:
  sgd: {lr: 0.1}
`

// TestGraphGradients: a residual network with a concatenation generates
// code whose Backward agrees with central differences of its Loss, and
// whose backward statements name the total-derivative sums and the slices
// of the concatenation's gradient.
func TestGraphGradients(t *testing.T) {
	n, err := spec.Parse("toy.yaml", []byte(residualSpec))
	if err != nil {
		t.Fatal(err)
	}
	p, err := build.Program(n, build.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := passes.Run(p, "", true); err != nil {
		t.Fatal(err)
	}
	src, err := Source(p)
	if err != nil {
		t.Fatal(err)
	}
	a1 := ir.Bar("a1")
	for _, rule := range []string{"z3 = a1 + a2", "c4 = [a1; a3]", "= " + ir.Bar("c4") + "[0:5]", "= " + ir.Bar("c4") + "[5:10]",
		a1 + " = " + ir.Bar("c4") + "[0:5] + " + ir.Bar("z3") + " + W2ᵀ " + ir.Bar("z2")} {
		if !strings.Contains(string(src), rule) {
			t.Errorf("the generated code lacks %q", rule)
		}
	}
	if testing.Short() {
		return
	}
	checkGradient(t, src)
}

// criticSpec is a graph network of two inputs and two heads: a trunk over
// both inputs (their concatenation is the Input row itself), a residual
// block, and a value head (weight 0.5) and a policy head reading the block.
const criticSpec = `package: toy
dtype: float64
inputs:
  obs: 5
  goal: 2
layers:
  - name: trunk
    from: [obs, goal]
    dense: 6
    activation: tanh
  - name: block
    dense: 6
    activation: tanh
  - add: [trunk, block]
outputs:
  value:
    dense: 1
    loss: mse
    weight: 0.5
  policy:
    from: [block, goal]
    dense: 3
    loss: softmax_cross_entropy
optimizer:
  sgd: {lr: 0.1}
`

// TestGraphStructAPI: a network of two inputs and two heads generates the
// struct API (Input, Target, Output), whose loss is the weighted sum of
// the heads' losses computed from Predict's fields, whose Backward agrees
// with central differences of Loss, and whose Train allocates nothing.
func TestGraphStructAPI(t *testing.T) {
	n, err := spec.Parse("toy.yaml", []byte(criticSpec))
	if err != nil {
		t.Fatal(err)
	}
	p, err := build.Program(n, build.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := passes.Run(p, "", true); err != nil {
		t.Fatal(err)
	}
	src, err := Source(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"type Input struct", "Obs  [5]float64", "type Target struct", "func (m *Model) Train(xs []Input, ts []Target) float64"} {
		if !strings.Contains(string(src), want) {
			t.Errorf("the generated code lacks %q", want)
		}
	}
	if testing.Short() {
		return
	}
	runToyTest(t, src, `package toy

import (
	"math"
	"testing"
)

func batch() ([]Input, []Target) {
	xs := make([]Input, 6)
	ts := make([]Target, 6)
	for i := range xs {
		for j := range xs[i].Obs {
			xs[i].Obs[j] = math.Sin(float64(3*i + j))
		}
		xs[i].Goal = [2]float64{math.Cos(float64(i)), 0.5 - float64(i%3)}
		ts[i].Value = [1]float64{float64(i) / 3}
		ts[i].Policy[i%3] = 1
	}
	return xs, ts
}

// The loss is 0.5·mse(value) + cross-entropy(policy), from Predict's fields,
// and HeadLosses gives the two terms unweighted, on a batch of tiles and on
// a short one, which runs sample by sample.
func TestLossIsTheWeightedSum(t *testing.T) {
	m := NewModel(1)
	all, allT := batch()
	for _, n := range []int{len(all), 2} {
		xs, ts := all[:n], allT[:n]
		var mse, ce float64
		for i := range xs {
			var y Output
			m.Predict(&xs[i], &y)
			d := y.Value[0] - ts[i].Value[0]
			mse += d * d / float64(n)
			mx := math.Max(y.Policy[0], math.Max(y.Policy[1], y.Policy[2]))
			var se float64
			for _, z := range y.Policy {
				se += math.Exp(z - mx)
			}
			for j, z := range y.Policy {
				ce += ts[i].Policy[j] * (mx + math.Log(se) - z) / float64(n)
			}
		}
		if got, want := m.Loss(xs, ts), 0.5*mse+ce; math.Abs(got-want) > 1e-12 {
			t.Errorf("batch %d: Loss %.15g, from Predict %.15g", n, got, want)
		}
		if h := m.HeadLosses(xs, ts); math.Abs(h[0]-mse) > 1e-12 || math.Abs(h[1]-ce) > 1e-12 {
			t.Errorf("batch %d: HeadLosses %v, from Predict [%.15g %.15g]", n, h, mse, ce)
		}
	}
}

// PredictBatch writes each sample's Output as Predict does, on a short batch
// and on one of tiles, without allocating.
func TestPredictBatch(t *testing.T) {
	m := NewModel(1)
	all, _ := batch()
	for _, n := range []int{len(all), 2} {
		xs, ys := all[:n], make([]Output, n)
		m.PredictBatch(xs, ys)
		for i := range xs {
			var y Output
			m.Predict(&xs[i], &y)
			if d := math.Abs(y.Value[0] - ys[i].Value[0]) + math.Abs(y.Policy[2] - ys[i].Policy[2]); d > 1e-12 {
				t.Errorf("batch %d, sample %d: PredictBatch %+v, Predict %+v", n, i, ys[i], y)
			}
		}
		if a := testing.AllocsPerRun(10, func() { m.PredictBatch(xs, ys) }); a != 0 {
			t.Errorf("PredictBatch allocates %v times", a)
		}
	}
}

func TestTrainAllocatesNothing(t *testing.T) {
	m := NewModel(1)
	xs, ts := batch()
	if n := testing.AllocsPerRun(10, func() { m.Train(xs, ts) }); n != 0 {
		t.Errorf("Train allocates %v times", n)
	}
}
`+backwardIsTheDerivative("1e-7"))
}
