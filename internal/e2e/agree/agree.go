// Package agree compares a generated network with the generic engine built
// from the same spec: same initial weights, then outputs, losses, gradients
// and the parameters after optimizer steps must agree. The end-to-end tests
// write a call to Check beside every package they generate.
package agree

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gradgen/gradgen/generic"
	"github.com/gradgen/gradgen/internal/gradtest"
	"github.com/gradgen/gradgen/spec"
)

// tolerance is the relative agreement required: float64 1e-9, float32 1e-4.
func tolerance[T gradtest.Float]() float64 {
	var x T
	if _, ok := any(x).(float64); ok {
		return 1e-9
	}
	return 1e-4
}

// Check loads the spec at specPath and compares the models newGenerated
// makes with the generic engine, for several batch lengths.
func Check[T gradtest.Float](t *testing.T, specPath string, newGenerated func(seed uint64) gradtest.Model[T]) {
	t.Helper()
	n, err := spec.Load(specPath)
	if err != nil {
		t.Fatal(err)
	}
	tol := tolerance[T]()
	for _, batch := range []int{1, 3, 37} {
		t.Run(fmt.Sprint("batch", batch), func(t *testing.T) {
			seed := uint64(batch)
			gen := newGenerated(seed)
			eng, err := generic.New[T](n, seed)
			if err != nil {
				t.Fatal(err)
			}
			same(t, "initial parameters", gen.Params, eng.Params(), 0)
			xs, ts := batchOf[T](n, seed, batch)

			y1, y2 := make([]T, gen.Outputs), make([]T, gen.Outputs)
			for k := range batch {
				x := xs[k*gen.Inputs : (k+1)*gen.Inputs]
				gen.Predict(x, y1)
				eng.Predict(x, y2)
				same(t, fmt.Sprintf("output of sample %d", k), y1, y2, tol)
			}
			same(t, "loss", []T{gen.Loss(xs, ts)}, []T{eng.Loss(xs, ts)}, tol)
			same(t, "Backward's loss", []T{gen.Backward(xs, ts)}, []T{eng.Backward(xs, ts)}, tol)
			same(t, "gradient", gen.Grad, eng.Grad(), tol)
			for step := 1; step <= 5; step++ {
				gen.Train(xs, ts)
				eng.Train(xs, ts)
				same(t, fmt.Sprintf("parameters after step %d", step), gen.Params, eng.Params(), tol*10)
			}
		})
	}
}

// batchOf makes a reproducible batch with targets that suit the loss.
func batchOf[T gradtest.Float](n *spec.Network, seed uint64, batch int) (xs, ts []T) {
	r := rand.New(rand.NewPCG(seed, 99))
	out := n.Layers[len(n.Layers)-1].Dense
	xs, ts = make([]T, batch*n.Input), make([]T, batch*out)
	for i := range xs {
		xs[i] = T(2*r.Float64() - 1)
	}
	for k := range batch {
		t := ts[k*out : (k+1)*out]
		switch n.Loss {
		case spec.SoftmaxCrossEntropy:
			t[r.IntN(out)] = 1
		case spec.BinaryCrossEntropy:
			for j := range t {
				t[j] = T(r.Float64())
			}
		default:
			for j := range t {
				t[j] = T(2*r.Float64() - 1)
			}
		}
	}
	return xs, ts
}

// same reports the first elements where got and want differ by more than
// tol relative to the larger of the element and a tenth of the vector's
// largest magnitude (tiny elements of a vector are judged at its scale).
func same[T gradtest.Float](t *testing.T, what string, got, want []T, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	scale := 0.0
	for _, w := range want {
		scale = math.Max(scale, math.Abs(float64(w)))
	}
	bad := 0
	for i := range got {
		g, w := float64(got[i]), float64(want[i])
		if math.Abs(g-w) > tol*math.Max(math.Abs(w), 0.1*scale) || math.IsNaN(g) != math.IsNaN(w) {
			if bad++; bad <= 3 {
				t.Errorf("%s [%d]: generated %.10g, generic engine %.10g", what, i, g, w)
			}
		}
	}
	if bad > 3 {
		t.Errorf("%s: %d of %d values differ", what, bad, len(got))
	}
}
