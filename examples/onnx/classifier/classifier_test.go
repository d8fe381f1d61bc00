package classifier

//go:generate go tool gradgen gen -o classifier_gen.go classifier.yaml

import (
	"testing"

	"github.com/gradgen/gradgen/gradgentest"
)

// TestGeneratedCodeIsFresh fails when classifier.yaml or ../classifier.onnx
// changed and nobody ran go generate.
func TestGeneratedCodeIsFresh(t *testing.T) {
	gradgentest.Fresh(t, "classifier.yaml", "classifier_gen.go")
}

// TestPretrainedAllocatesNothing: after NewPretrained, predicting and
// fine-tuning allocate nothing.
func TestPretrainedAllocatesNothing(t *testing.T) {
	m := NewPretrained()
	xs := make([][Inputs]float32, 8)
	labels := []int32{0, 1, 2, 3, 4, 5, 6, 7}
	var y [Outputs]float32
	if n := testing.AllocsPerRun(20, func() {
		m.Predict(&xs[0], &y)
		m.TrainLabels(xs, labels)
	}); n != 0 {
		t.Errorf("Predict and TrainLabels allocate %v times per run", n)
	}
}
