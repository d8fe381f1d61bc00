package digits

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
		Net: gradtest.Net{Loss: "softmax_cross_entropy", Layers: []gradtest.Layer{
			{In: 64, Out: 128, Activation: "relu", Bias: true},
			{In: 128, Out: 10, Bias: true},
		}},
		Optimizer: gradtest.Optimizer{Kind: "adam", LR: 0.001, Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-8},
		New:       func(seed uint64) gradtest.Model[float32] { return adapt(NewModel(seed)) },
	}.Run(t)
}
