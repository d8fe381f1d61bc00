package binary64

import (
	"testing"
	"unsafe"

	"github.com/gradgen/gradgen/internal/gradtest"
)

// adapt exposes a Model to the shared suite with flat batches.
func adapt(m *Model) gradtest.Model[float64] {
	xs := func(flat []float64) [][Inputs]float64 {
		return unsafe.Slice((*[Inputs]float64)(unsafe.Pointer(unsafe.SliceData(flat))), len(flat)/Inputs)
	}
	ts := func(flat []float64) [][Outputs]float64 {
		return unsafe.Slice((*[Outputs]float64)(unsafe.Pointer(unsafe.SliceData(flat))), len(flat)/Outputs)
	}
	return gradtest.Model[float64]{
		Params: m.Params.Slice(), Grad: m.Grad.Slice(), Inputs: Inputs, Outputs: Outputs,
		Predict:  func(x, y []float64) { m.Predict((*[Inputs]float64)(x), (*[Outputs]float64)(y)) },
		Loss:     func(x, t []float64) float64 { return m.Loss(xs(x), ts(t)) },
		Backward: func(x, t []float64) float64 { return m.Backward(xs(x), ts(t)) },
		Step:     m.Step,
		Train:    func(x, t []float64) float64 { return m.Train(xs(x), ts(t)) },
	}
}

func TestAgainstReferences(t *testing.T) {
	gradtest.Suite[float64]{
		Net: gradtest.Net{Loss: "binary_cross_entropy", Layers: []gradtest.Layer{
			{In: 7, Out: 10, Activation: "relu"},
			{In: 10, Out: 3, Bias: true},
		}},
		Optimizer: gradtest.Optimizer{Kind: "sgd", LR: 0.1},
		New:       func(seed uint64) gradtest.Model[float64] { return adapt(NewModel(seed)) },
	}.Run(t)
}
