package gradtest

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// testLabels: for softmax cross-entropy, the methods with class labels give
// the bits of their twins with the labels' one-hot rows, on the per-sample
// path and on tiles, with one worker and two, for Loss, Backward and 20
// steps of Train; they allocate nothing; and a label out of range panics
// naming the sample and the range before anything changes.
func (s Suite[T]) testLabels(t *testing.T) {
	if s.Net.Loss != "softmax_cross_entropy" {
		if s.New(1).TrainLabels != nil {
			t.Error("a model whose loss is not softmax_cross_entropy has TrainLabels")
		}
		return
	}
	if s.New(1).TrainLabels == nil {
		t.Fatal("a softmax_cross_entropy model has no TrainLabels")
	}
	for _, n := range []int{1, 3, 40, 130} {
		for _, workers := range []int{1, 2} {
			what := fmt.Sprintf("batch %d, %d workers", n, workers)
			xs, _ := s.data(uint64(30+n), n)
			labels, ts := s.labels(uint64(n), n)
			a, b := s.New(3), s.New(3)
			if workers > 1 {
				a.SetWorkers(workers)
				b.SetWorkers(workers)
			}
			if got, want := a.LossLabels(xs, labels), b.Loss(xs, ts); got != want {
				t.Fatalf("%s: LossLabels %v, Loss with one-hot rows %v", what, got, want)
			}
			if got, want := a.BackwardLabels(xs, labels), b.Backward(xs, ts); got != want || !sameBits(a.Grad, b.Grad) {
				t.Fatalf("%s: BackwardLabels %v, Backward with one-hot rows %v (gradients equal: %v)", what, got, want, sameBits(a.Grad, b.Grad))
			}
			for step := range 20 {
				if got, want := a.TrainLabels(xs, labels), b.Train(xs, ts); got != want || !sameBits(a.Params, b.Params) {
					t.Fatalf("%s, step %d: TrainLabels %v, Train with one-hot rows %v (parameters equal: %v)",
						what, step, got, want, sameBits(a.Params, b.Params))
				}
			}
			if workers > 1 {
				a.Close()
				b.Close()
			}
		}
	}
	m := s.New(4)
	xs, _ := s.data(4, 40)
	labels, _ := s.labels(4, 40)
	if allocs := testing.AllocsPerRun(20, func() { m.TrainLabels(xs, labels) }); allocs != 0 {
		t.Errorf("TrainLabels allocates %v times per call", allocs)
	}
	before := append([]T(nil), m.Params...)
	labels[7] = int32(m.Outputs)
	want := fmt.Sprintf("TrainLabels: label of sample 7 is %d, want 0 ≤ label < %d", m.Outputs, m.Outputs)
	func() {
		defer func() {
			if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), want) {
				t.Errorf("TrainLabels with a label out of range: panic %v, want %q", r, want)
			}
		}()
		m.TrainLabels(xs, labels)
	}()
	if !sameBits(before, m.Params) {
		t.Error("TrainLabels with a label out of range changed the parameters")
	}
}

// labels makes n class labels and their one-hot rows, flat.
func (s Suite[T]) labels(seed uint64, n int) ([]int32, []T) {
	r := rand.New(rand.NewPCG(seed, 13))
	out := s.Net.Layers[len(s.Net.Layers)-1].Out
	labels, ts := make([]int32, n), make([]T, n*out)
	for i := range labels {
		labels[i] = int32(r.IntN(out))
		ts[i*out+int(labels[i])] = 1
	}
	return labels, ts
}

// sameBits reports whether a and b hold the same values, bit for bit (NaN
// equal to itself).
func sameBits[T Float](a, b []T) bool {
	for i := range a {
		if a[i] != b[i] && (a[i] == a[i] || b[i] == b[i]) {
			return false
		}
	}
	return len(a) == len(b)
}
