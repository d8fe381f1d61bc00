package binary64

import (
	"testing"

	"github.com/gradgen/gradgen/internal/gradtest"
)

// TestAgainstReferences runs the shared suite: finite differences, the
// float64 reference network and optimizer, batches, numerics, allocations.
func TestAgainstReferences(t *testing.T) {
	gradtest.Run(t, "binary64.yaml", func(seed uint64) gradtest.Model[float64] {
		m := NewModel(seed)
		return gradtest.Adapt[float64, [Inputs]float64, [Outputs]float64](m, m.Params.Slice(), m.Grad.Slice())
	})
}

// TestLabelsAllocatesNothing: the suite checks Labels' values through
// reflection, which allocates; here it is called directly.
func TestLabelsAllocatesNothing(t *testing.T) {
	m := NewModel(1)
	x := [Inputs]float64{0.5, -1, 2, 0, 1, -0.25, 3}
	var on [Outputs]bool
	if a := testing.AllocsPerRun(10, func() { m.Labels(&x, &on) }); a != 0 {
		t.Errorf("Labels: %v allocations per run, want 0", a)
	}
}
