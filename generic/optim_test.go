package generic

import (
	"math"
	"testing"

	"github.com/gradgen/gradgen/spec"
)

// oneWeight returns a Net whose only parameter is a single weight set to 1,
// with optimizer o.
func oneWeight(t *testing.T, o spec.Optimizer) *Net[float64] {
	t.Helper()
	n := network(1, spec.MSE, spec.Layer{Dense: 1, NoBias: true})
	n.Optimizer = o
	m := mustNew[float64](t, n, 1)
	m.Params()[0] = 1
	return m
}

// steps sets Grad to each of grads in turn, takes a Step, and checks the
// weight against want.
func steps(t *testing.T, m *Net[float64], grads, want []float64, tol float64) {
	t.Helper()
	for i, g := range grads {
		m.Grad()[0] = g
		m.Step()
		if got := m.Params()[0]; math.Abs(got-want[i]) > tol {
			t.Errorf("step %d: p = %.17g, want %.17g", i+1, got, want[i])
		}
	}
}

func TestSGD(t *testing.T) {
	m := oneWeight(t, spec.Optimizer{SGD: &spec.SGD{LR: 0.1}})
	steps(t, m, []float64{0.5, -1, 2}, []float64{0.95, 1.05, 0.85}, 1e-15)
}

func TestDefaultOptimizerIsSGD(t *testing.T) {
	m := oneWeight(t, spec.Optimizer{}) // lr 0.01
	steps(t, m, []float64{1, 1}, []float64{0.99, 0.98}, 1e-15)
}

func TestMomentum(t *testing.T) {
	m := oneWeight(t, spec.Optimizer{Momentum: &spec.Momentum{LR: 0.1, Momentum: 0.9}})
	// v = 1, 1.9, 2.71; p = 1 − 0.1, − 0.19, − 0.271.
	steps(t, m, []float64{1, 1, 1}, []float64{0.9, 0.71, 0.439}, 1e-15)
}

func TestAdam(t *testing.T) {
	// Betas and eps take PyTorch's defaults 0.9, 0.999 and 1e-8.
	m := oneWeight(t, spec.Optimizer{Adam: &spec.Adam{LR: 0.1}})
	// Step 1: m̂ = g and v̂ = g², so p moves by lr·g/(|g| + eps).
	// Step 2: m = 0.9·0.1 − 0.1·2 = −0.11, v = 0.999·0.001 + 0.001·4 = 0.004999;
	// m̂ = −0.11/0.19, v̂ = 0.004999/0.001999.
	// Step 3: m = 0.9·(−0.11) + 0.1·0.5 = −0.049,
	// v = 0.999·0.004999 + 0.001·0.25 = 0.005244001;
	// m̂ = −0.049/0.271, v̂ = 0.005244001/0.002997001.
	p1 := 1 - 0.1/(1+1e-8)
	p2 := p1 - 0.1*(-0.11/0.19)/(math.Sqrt(0.004999/0.001999)+1e-8)
	p3 := p2 - 0.1*(-0.049/0.271)/(math.Sqrt(0.005244001/0.002997001)+1e-8)
	steps(t, m, []float64{1, -2, 0.5}, []float64{p1, p2, p3}, 1e-14)
}

// TestTrainIsBackwardThenStep checks Train against its definition.
func TestTrainIsBackwardThenStep(t *testing.T) {
	c := gradCases[0]
	n := *c.net
	n.Optimizer = spec.Optimizer{Momentum: &spec.Momentum{LR: 0.05, Momentum: 0.5}}
	a, b := mustNew[float64](t, &n, 2), mustNew[float64](t, &n, 2)
	xs, ts := batch(a, n.Loss, 4, 6)
	for range 3 {
		la := a.Train(xs, ts)
		lb := b.Backward(xs, ts)
		b.Step()
		if la != lb {
			t.Fatalf("Train = %v, Backward = %v", la, lb)
		}
	}
	for i, v := range b.Params() {
		if a.Params()[i] != v {
			t.Fatalf("param %d: Train %v, Backward+Step %v", i, a.Params()[i], v)
		}
	}
}
