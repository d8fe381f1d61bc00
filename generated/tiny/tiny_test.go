package tiny

import (
	"testing"
	"unsafe"

	"github.com/gradgen/gradgen/internal/gradtest"
)

// adapt exposes a Model to the shared suite with flat batches.
func adapt(m *Model) gradtest.Model[float32] {
	xs := func(flat []float32) [][Inputs]float32 {
		return unsafe.Slice((*[Inputs]float32)(unsafe.Pointer(unsafe.SliceData(flat))), len(flat)/Inputs)
	}
	ts := func(flat []float32) [][Outputs]float32 {
		return unsafe.Slice((*[Outputs]float32)(unsafe.Pointer(unsafe.SliceData(flat))), len(flat)/Outputs)
	}
	return gradtest.Model[float32]{
		Params: m.Params.Slice(), Grad: m.Grad.Slice(), Inputs: Inputs, Outputs: Outputs,
		Predict:  func(x, y []float32) { m.Predict((*[Inputs]float32)(x), (*[Outputs]float32)(y)) },
		Loss:     func(x, t []float32) float32 { return m.Loss(xs(x), ts(t)) },
		Backward: func(x, t []float32) float32 { return m.Backward(xs(x), ts(t)) },
		Step:     m.Step,
		Train:    func(x, t []float32) float32 { return m.Train(xs(x), ts(t)) },
	}
}

func TestAgainstReferences(t *testing.T) {
	gradtest.Suite[float32]{
		Net: gradtest.Net{Loss: "mse", Layers: []gradtest.Layer{
			{In: 4, Out: 16, Activation: "relu", Bias: true},
			{In: 16, Out: 16, Activation: "relu", Bias: true},
			{In: 16, Out: 3, Bias: true},
		}},
		Optimizer: gradtest.Optimizer{Kind: "sgd", LR: 0.01},
		New:       func(seed uint64) gradtest.Model[float32] { return adapt(NewModel(seed)) },
	}.Run(t)
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
