package finetune

import (
	"testing"

	"github.com/gradgen/gradgen/internal/gradtest"
)

// TestAgainstReferences runs the shared suite: finite differences (frozen
// parameters must have a zero gradient), the float64 reference network and
// optimizer (weight decay, clipping, the schedule), batches, numerics,
// allocations, workers and resuming.
func TestAgainstReferences(t *testing.T) {
	gradtest.Run(t, "finetune.yaml", func(seed uint64) gradtest.Model[float32] {
		m := NewModel(seed)
		return gradtest.Adapt[float32, [Inputs]float32, [Outputs]float32](m, m.Params.Slice(), m.Grad.Slice())
	})
}
