package digits

import (
	"testing"

	"github.com/gradgen/gradgen/internal/gradtest"
)

// TestAgainstReferences runs the shared suite: finite differences, the
// float64 reference network and optimizer, batches, numerics, allocations.
func TestAgainstReferences(t *testing.T) {
	gradtest.Run(t, "digits.yaml", func(seed uint64) gradtest.Model[float32] {
		m := NewModel(seed)
		return gradtest.Adapt[float32, [Inputs]float32, [Outputs]float32](m, m.Params.Slice(), m.Grad.Slice())
	})
}
