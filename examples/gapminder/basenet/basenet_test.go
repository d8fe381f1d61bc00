package basenet

//go:generate go tool gradgen gen -o basenet_gen.go basenet.yaml

import (
	"testing"

	"github.com/gradgen/gradgen/gradgentest"
)

// TestGeneratedCodeIsFresh fails when basenet.yaml changed and nobody ran
// go generate.
func TestGeneratedCodeIsFresh(t *testing.T) {
	gradgentest.Fresh(t, "basenet.yaml", "basenet_gen.go")
}

// TestTrainDoesNotAllocate: after NewModel, Train, Loss and Predict allocate
// nothing, for a batch shorter than a tile and for one of several tiles.
func TestTrainDoesNotAllocate(t *testing.T) {
	m := NewModel(1)
	for _, n := range []int{32, 1500} {
		xs := make([][Inputs]float32, n)
		ts := make([][Outputs]float32, n)
		for i := range xs {
			f := float32(i)
			xs[i] = [Inputs]float32{0.1 * f, -0.02 * f, 0.5}
			ts[i][0] = 0.01*f - 0.3
		}
		if a := testing.AllocsPerRun(20, func() { m.Train(xs, ts) }); a != 0 {
			t.Errorf("Train on %d samples: %v allocations, want 0", n, a)
		}
		if a := testing.AllocsPerRun(20, func() { m.Loss(xs, ts) }); a != 0 {
			t.Errorf("Loss on %d samples: %v allocations, want 0", n, a)
		}
	}
	var y [Outputs]float32
	if a := testing.AllocsPerRun(20, func() { m.Predict(&[Inputs]float32{0.1, 0.2, 0.3}, &y) }); a != 0 {
		t.Errorf("Predict: %v allocations, want 0", a)
	}
}
