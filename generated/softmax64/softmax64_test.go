package softmax64

import (
	"testing"

	"github.com/gradgen/gradgen/internal/gradtest"
)

// TestAgainstReferences runs the shared suite: finite differences, the
// float64 reference network and optimizer, batches, numerics, allocations.
func TestAgainstReferences(t *testing.T) {
	gradtest.Run(t, "softmax64.yaml", func(seed uint64) gradtest.Model[float64] {
		m := NewModel(seed)
		return gradtest.Adapt[float64, [Inputs]float64, [Outputs]float64](m, m.Params.Slice(), m.Grad.Slice())
	})
}
