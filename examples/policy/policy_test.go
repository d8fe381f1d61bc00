package policy

//go:generate go tool gradgen gen -o policy_gen.go ./netspec:Net

import (
	"math/rand/v2"
	"testing"

	"github.com/gradgen/gradgen/examples/policy/netspec"
	"github.com/gradgen/gradgen/gradgentest"
)

// TestGeneratedCodeIsFresh fails when netspec.Net changed and nobody ran
// go generate.
func TestGeneratedCodeIsFresh(t *testing.T) {
	gradgentest.FreshNetwork(t, netspec.Net, "policy_gen.go")
}

// expert is the controller the network learns to imitate: a PD law that
// pushes each cart towards its target and damps its velocity.
func expert(obs *[Inputs]float32) (act [Outputs]float32) {
	for cart := range Outputs {
		pos, vel, target := obs[3*cart], obs[3*cart+1], obs[3*cart+2]
		act[cart] = -1.5*(pos-target) - 0.8*vel
	}
	return act
}

// TestImitatesExpert trains the policy on observations labelled by the
// expert (behaviour cloning) and expects the error to fall tenfold.
func TestImitatesExpert(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	xs := make([][Inputs]float32, 512)
	ts := make([][Outputs]float32, len(xs))
	for i := range xs {
		for j := range xs[i] {
			xs[i][j] = float32(2*r.Float64() - 1)
		}
		ts[i] = expert(&xs[i])
	}
	m := NewModel(7)
	before := m.Loss(xs, ts)
	for range 60 {
		for lo := 0; lo < len(xs); lo += 32 {
			m.Train(xs[lo:lo+32], ts[lo:lo+32])
		}
	}
	after := m.Loss(xs, ts)
	t.Logf("mean squared error %.4f → %.4f", before, after)
	if !(after < before/10) {
		t.Errorf("mean squared error went from %.4f to %.4f, want a tenfold drop", before, after)
	}
}
