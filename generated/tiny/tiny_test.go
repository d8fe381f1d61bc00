package tiny

import (
	"testing"

	"github.com/gradgen/gradgen/internal/gradtest"
)

// TestAgainstReferences runs the shared suite: finite differences, the
// float64 reference network and optimizer, batches, numerics, allocations.
func TestAgainstReferences(t *testing.T) {
	gradtest.Run(t, "tiny.yaml", func(seed uint64) gradtest.Model[float32] {
		m := NewModel(seed)
		return gradtest.Adapt[float32, [Inputs]float32, [Outputs]float32](m, m.Params.Slice(), m.Grad.Slice())
	})
}

// TestInitPinned pins the first parameters of seed 1, so that a change of
// generator or draw order, which would change every user's weights, fails.
func TestInitPinned(t *testing.T) {
	m := NewModel(1)
	got := m.Params.Slice()[:4]
	want := []float32{0.43069464, 0.22921444, 0.4018874, 0.38707048}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("NewModel(1).Params.Slice()[:4] = %v, want %v", got, want)
		}
	}
}

// TestForwardConcurrently runs Forward from several goroutines, each with
// its own Scratch, on shared parameters; run with -race to check sharing.
func TestForwardConcurrently(t *testing.T) {
	m := NewModel(2)
	x := [Inputs]float32{0.5, -1, 0.25, 2}
	var want [Outputs]float32
	m.Predict(&x, &want)
	errs := make(chan string, 4)
	for range 4 {
		go func() {
			var s Scratch
			var y [Outputs]float32
			for range 100 {
				Forward(&m.Params, &s, &x, &y)
				if y != want {
					errs <- "Forward with its own Scratch differs from Predict"
					return
				}
			}
			errs <- ""
		}()
	}
	for range 4 {
		if e := <-errs; e != "" {
			t.Error(e)
		}
	}
}

func BenchmarkTrainB1(b *testing.B) {
	m := NewModel(1)
	xs := [][Inputs]float32{{0.1, -0.2, 0.3, 0.4}}
	ts := [][Outputs]float32{{1, 0, 0}}
	b.ReportAllocs()
	for b.Loop() {
		m.Train(xs, ts)
	}
}

func BenchmarkPredict(b *testing.B) {
	m := NewModel(1)
	x := [Inputs]float32{0.1, -0.2, 0.3, 0.4}
	var y [Outputs]float32
	b.ReportAllocs()
	for b.Loop() {
		m.Predict(&x, &y)
	}
}
