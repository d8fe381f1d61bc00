package gradtest

import (
	"reflect"
	"testing"
	"unsafe"

	"github.com/gradgen/gradgen/spec"
)

// API is the method set every generated Model has, with X = [Inputs]T and
// Y = [Outputs]T of its package.
type API[T Float, X, Y any] interface {
	Predict(x *X, y *Y)
	PredictBatch(xs []X, ys []Y)
	Loss(xs []X, ts []Y) T
	Backward(xs []X, ts []Y) T
	Step()
	Train(xs []X, ts []Y) T
}

// Adapt exposes a generated model to the suite: flat row-major batches are
// viewed, without copying or allocating, as the package's slices of arrays.
// params and grad are the model's Params.Slice() and Grad.Slice().
func Adapt[T Float, X, Y any](m API[T, X, Y], params, grad []T) Model[T] {
	var t T
	var x X
	var y Y
	in, out := int(unsafe.Sizeof(x)/unsafe.Sizeof(t)), int(unsafe.Sizeof(y)/unsafe.Sizeof(t))
	xs := func(flat []T) []X { return unsafe.Slice((*X)(unsafe.Pointer(unsafe.SliceData(flat))), len(flat)/in) }
	ys := func(flat []T) []Y { return unsafe.Slice((*Y)(unsafe.Pointer(unsafe.SliceData(flat))), len(flat)/out) }
	model := Model[T]{
		Params: params, Grad: grad, Inputs: in, Outputs: out,
		Predict:      func(x, y []T) { m.Predict(&xs(x)[0], &ys(y)[0]) },
		PredictBatch: func(x, y []T) { m.PredictBatch(xs(x), ys(y)) },
		Loss:         func(x, t []T) T { return m.Loss(xs(x), ys(t)) },
		Backward:     func(x, t []T) T { return m.Backward(xs(x), ys(t)) },
		Step:         m.Step,
		Train:        func(x, t []T) T { return m.Train(xs(x), ys(t)) },
	}
	if w, ok := m.(interface {
		SetWorkers(int)
		Close()
	}); ok {
		model.SetWorkers, model.Close = w.SetWorkers, w.Close
	}
	if st, ok := m.(interface {
		Save(path string) error
		Load(path string) error
		Steps() int
	}); ok {
		model.Save, model.Load, model.Steps = st.Save, st.Load, st.Steps
	}
	if c, ok := m.(interface{ PredictProba(x *X, p *Y) }); ok {
		model.PredictProba = func(x, p []T) { c.PredictProba(&xs(x)[0], &ys(p)[0]) }
	}
	if c, ok := m.(interface {
		LossLabels(xs []X, labels []int32) T
		BackwardLabels(xs []X, labels []int32) T
		TrainLabels(xs []X, labels []int32) T
	}); ok {
		model.LossLabels = func(x []T, l []int32) T { return c.LossLabels(xs(x), l) }
		model.BackwardLabels = func(x []T, l []int32) T { return c.BackwardLabels(xs(x), l) }
		model.TrainLabels = func(x []T, l []int32) T { return c.TrainLabels(xs(x), l) }
	}
	if c, ok := m.(interface{ Classify(x *X) int }); ok {
		model.Classify = func(x []T) int { return c.Classify(&xs(x)[0]) }
	}
	// Labels takes a *[Outputs]bool, a type no type parameter names: call
	// it by reflection (which allocates; the package's own test counts
	// Labels' allocations).
	if labels := reflect.ValueOf(m).MethodByName("Labels"); labels.IsValid() {
		on := labels.Type().In(1)
		model.Labels = func(x []T, set []bool) {
			arg := reflect.NewAt(on.Elem(), unsafe.Pointer(unsafe.SliceData(set)))
			labels.Call([]reflect.Value{reflect.ValueOf(&xs(x)[0]), arg})
		}
	}
	return model
}

// Run loads the spec a package was generated from, builds the reference
// network and optimizer from it, and runs the suite on models made by New.
func Run[T Float](t *testing.T, specPath string, New func(seed uint64) Model[T]) {
	n, err := spec.Load(specPath)
	if err != nil {
		t.Fatal(err)
	}
	s := Suite[T]{New: New, Net: Net{Loss: string(n.Loss)}}
	in := n.Input
	for _, l := range n.Layers {
		s.Net.Layers = append(s.Net.Layers, Layer{In: in, Out: l.Dense, Activation: Activation(l.Activation), Slope: l.Slope, Bias: !l.NoBias, Frozen: l.Frozen})
		in = l.Dense
	}
	s.Optimizer = n.Optimizer.Settings()
	s.Run(t)
}
