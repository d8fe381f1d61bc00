package cancernet

//go:generate go tool gradgen gen -o cancernet_gen.go cancernet.yaml

import (
	"testing"

	"github.com/gradgen/gradgen/gradgentest"
	"github.com/gradgen/gradgen/internal/gradtest"
)

// TestGeneratedCodeIsFresh fails when cancernet.yaml changed and nobody ran
// go generate.
func TestGeneratedCodeIsFresh(t *testing.T) {
	gradgentest.Fresh(t, "cancernet.yaml", "cancernet_gen.go")
}

// TestAgainstReferences runs the shared suite, which covers a binary
// classifier's PredictProba and Classify: finite differences, the float64
// reference network and optimizer, batches, numerics, allocations.
func TestAgainstReferences(t *testing.T) {
	gradtest.Run(t, "cancernet.yaml", func(seed uint64) gradtest.Model[float32] {
		m := NewModel(seed)
		return gradtest.Adapt[float32, [Inputs]float32, [Outputs]float32](m, m.Params.Slice(), m.Grad.Slice())
	})
}
