package digitsnet

//go:generate go tool gradgen gen -o digitsnet_gen.go digitsnet.yaml

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gradgen/gradgen/gradgentest"
)

// TestGeneratedCodeIsFresh fails when digitsnet.yaml changed and nobody ran
// go generate.
func TestGeneratedCodeIsFresh(t *testing.T) {
	gradgentest.Fresh(t, "digitsnet.yaml", "digitsnet_gen.go")
}

// digitsLike returns n random samples shaped like the digits data: pixels
// k/16 for k in 0..16, mostly dark, and a one-hot class.
func digitsLike(r *rand.Rand, n int) ([][Inputs]float32, [][Outputs]float32) {
	xs := make([][Inputs]float32, n)
	ts := make([][Outputs]float32, n)
	for i := range xs {
		for j := range xs[i] {
			if r.IntN(2) == 0 {
				xs[i][j] = float32(r.IntN(17)) / 16
			}
		}
		ts[i][r.IntN(Outputs)] = 1
	}
	return xs, ts
}

// TestBatchGradientIsMeanOfSampleGradients checks that the gradient Backward
// computes for a minibatch is the mean of the gradients of its samples, one
// at a time, for batches shorter than a tile, one tile and many tiles. The
// difference is measured in float64, relative to the largest gradient.
func TestBatchGradientIsMeanOfSampleGradients(t *testing.T) {
	for _, n := range []int{1, 7, 32, 1000} {
		xs, ts := digitsLike(rand.New(rand.NewPCG(uint64(n), 5)), n)
		m := NewModel(6)
		m.Backward(xs, ts)
		batch := append([]float32(nil), m.Grad.Slice()...) // Slice aliases m.Grad
		want := make([]float64, NumParams)
		for k := range xs {
			m.Backward(xs[k:k+1], ts[k:k+1])
			for i, g := range m.Grad.Slice() {
				want[i] += float64(g) / float64(n)
			}
		}
		scale := 0.0
		for _, g := range want {
			scale = math.Max(scale, math.Abs(g))
		}
		worst := 0.0
		for i, g := range batch {
			worst = math.Max(worst, math.Abs(float64(g)-want[i])/scale)
		}
		t.Logf("batch of %d: largest difference %.3g of the gradient's scale %.3g", n, worst, scale)
		if !(worst <= 1e-5) {
			t.Errorf("batch of %d: gradient differs from the mean of per-sample gradients by %.3g of its scale %.3g, want ≤ 1e-5",
				n, worst, scale)
		}
	}
}
