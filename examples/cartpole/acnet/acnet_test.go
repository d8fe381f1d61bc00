package acnet

//go:generate go tool gradgen gen -o acnet_gen.go acnet.yaml

import (
	"math"
	"testing"

	"github.com/gradgen/gradgen/gradgentest"
)

// TestGeneratedCodeIsFresh fails when acnet.yaml changed and nobody ran
// go generate.
func TestGeneratedCodeIsFresh(t *testing.T) {
	gradgentest.Fresh(t, "acnet.yaml", "acnet_gen.go")
}

// TestShapes: one input of the four state variables, and two heads, the
// policy's two logits before the value, with their parameters named as the
// spec names the layers.
func TestShapes(t *testing.T) {
	var y Output
	if Inputs != 4 || len(y.Policy) != 2 || len(y.Value) != 1 || Outputs != 3 || Heads != 2 {
		t.Errorf("Inputs %d, Output.Policy %d, Output.Value %d, Outputs %d, Heads %d; want 4, 2, 1, 3, 2",
			Inputs, len(y.Policy), len(y.Value), Outputs, Heads)
	}
	var names []string
	for _, p := range Layout {
		names = append(names, p.Torch)
	}
	want := []string{"trunk.weight", "trunk.bias", "block.weight", "block.bias", "policy.weight", "policy.bias", "value.weight", "value.bias"}
	if len(names) != len(want) {
		t.Fatalf("parameters %v, want %v", names, want)
	}
	for i := range want {
		if names[i] != want[i] {
			t.Fatalf("parameters %v, want %v", names, want)
		}
	}
}

// batch returns n observations and targets of the kind examples/cartpole
// trains on: a signed advantage on the action taken and a return.
func batch(n int) ([][Inputs]float32, []Target) {
	xs := make([][Inputs]float32, n)
	ts := make([]Target, n)
	for i := range xs {
		f := float32(i)
		xs[i] = [Inputs]float32{0.1 * f, -0.05 * f, 0.02 * f, 0.3}
		ts[i].Policy[i%2] = 1 - 0.2*f
		ts[i].Value[0] = 0.01 * f
	}
	return xs, ts
}

// TestTrainDoesNotAllocate: after NewModel, a training step allocates
// nothing, for a batch shorter than a tile and for one of several tiles.
func TestTrainDoesNotAllocate(t *testing.T) {
	m := NewModel(1)
	for _, n := range []int{7, 100} {
		xs, ts := batch(n)
		if a := testing.AllocsPerRun(20, func() { m.Train(xs, ts) }); a != 0 {
			t.Errorf("Train on %d samples: %v allocations, want 0", n, a)
		}
		if a := testing.AllocsPerRun(20, func() { m.HeadLosses(xs, ts) }); a != 0 {
			t.Errorf("HeadLosses on %d samples: %v allocations, want 0", n, a)
		}
	}
	var y Output
	if a := testing.AllocsPerRun(20, func() { m.Predict(&[Inputs]float32{0.1, 0.2, 0.3, 0.4}, &y) }); a != 0 {
		t.Errorf("Predict: %v allocations, want 0", a)
	}
}

// TestPolicyGradientTarget checks the fact examples/cartpole rests on: with
// the soft target A·onehot(a), the policy head's loss is −A·log π(a|s), and
// the gradient with respect to its logits, which is the gradient of its
// bias, is A·(π(·|s) − onehot(a)); a negative advantage too.
func TestPolicyGradientTarget(t *testing.T) {
	m := NewModel(3)
	x := [Inputs]float32{0.2, -0.4, 0.1, 0.5}
	var y Output
	m.Predict(&x, &y)
	z0, z1 := float64(y.Policy[0]), float64(y.Policy[1])
	p := [2]float64{1 / (1 + math.Exp(z1-z0)), 1 / (1 + math.Exp(z0-z1))}
	for _, adv := range []float64{1.7, -0.6} {
		for a := range 2 {
			var ts [1]Target
			ts[0].Policy[a] = float32(adv)
			ts[0].Value = y.Value // no error, so no value gradient
			xs := [][Inputs]float32{x}
			if got, want := float64(m.HeadLosses(xs, ts[:])[0]), -adv*math.Log(p[a]); math.Abs(got-want) > 1e-5 {
				t.Errorf("A %g, action %d: policy loss %g, want −A·log π = %g", adv, a, got, want)
			}
			m.Backward(xs, ts[:])
			for i := range 2 {
				want := adv * p[i]
				if i == a {
					want -= adv
				}
				if got := float64(m.Grad.B4[i]); math.Abs(got-want) > 1e-5 {
					t.Errorf("A %g, action %d: ∂L/∂z[%d] %g, want A·(π − onehot) = %g", adv, a, i, got, want)
				}
			}
			if g := m.Grad.B5[0]; g != 0 {
				t.Errorf("A %g, action %d: value bias gradient %g with the target the value itself, want 0", adv, a, g)
			}
		}
	}
}
