package irisnet

//go:generate go tool gradgen gen -o irisnet_gen.go irisnet.yaml

import (
	"testing"

	"github.com/gradgen/gradgen/gradgentest"
)

// TestGeneratedCodeIsFresh fails when irisnet.yaml changed and nobody ran
// go generate.
func TestGeneratedCodeIsFresh(t *testing.T) {
	gradgentest.Fresh(t, "irisnet.yaml", "irisnet_gen.go")
}

// TestSeparatesOneSample trains on a single flower and expects its class to
// win: the smallest check that the generated code learns.
func TestSeparatesOneSample(t *testing.T) {
	m := NewModel(1)
	xs := [][Inputs]float32{{-0.9, 1.0, -1.3, -1.3}} // a standardised setosa
	ts := [][Outputs]float32{{1, 0, 0}}
	first := m.Train(xs, ts)
	for range 50 {
		m.Train(xs, ts)
	}
	var y [Outputs]float32
	m.Predict(&xs[0], &y)
	if last := m.Loss(xs, ts); !(last < first/4) || !(y[0] > y[1] && y[0] > y[2]) {
		t.Errorf("after 50 steps: loss %g (from %g), logits %v", last, first, y)
	}
}
