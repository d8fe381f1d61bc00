package runtime

import (
	"math"
	"testing"
)

func TestSoftmax(t *testing.T) {
	for _, tt := range []struct {
		z, want []float64
	}{
		{[]float64{0}, []float64{1}},
		{[]float64{1, 2, 3}, []float64{0.09003057317038046, 0.24472847105479764, 0.6652409557748219}},
		{[]float64{1000, 1000}, []float64{0.5, 0.5}},     // no overflow
		{[]float64{-1000, 0}, []float64{0, 1}},           // no 0/0
		{[]float64{-1e4, 1e4, -1e4}, []float64{0, 1, 0}}, // logits far apart
		{[]float64{math.Inf(-1), 0}, []float64{0, 1}},    // a class ruled out
		{[]float64{}, []float64{}},
	} {
		z := append([]float64(nil), tt.z...)
		Softmax(z)
		for i := range z {
			if math.Abs(z[i]-tt.want[i]) > 1e-15 {
				t.Errorf("Softmax(%v) = %v, want %v", tt.z, z, tt.want)
				break
			}
		}
		z32 := make([]float32, len(tt.z))
		for i, v := range tt.z {
			z32[i] = float32(v)
		}
		Softmax(z32)
		for i := range z32 {
			if z32[i] != float32(tt.want[i]) {
				t.Errorf("Softmax(float32 %v) = %v, want the rounded float64 %v", tt.z, z32, tt.want)
				break
			}
		}
	}
	z := []float64{1, math.NaN(), 2}
	Softmax(z)
	for _, v := range z {
		if !math.IsNaN(v) {
			t.Errorf("Softmax with a NaN logit = %v, want all NaN", z)
		}
	}
}

func TestSigmoidAll(t *testing.T) {
	z := []float32{0, 1e4, -1e4, 2}
	SigmoidAll(z)
	want := []float32{0.5, 1, 0, float32(1 / (1 + math.Exp(-2)))}
	for i := range z {
		if z[i] != want[i] {
			t.Errorf("SigmoidAll = %v, want %v", z, want)
		}
	}
}

func TestArgmax(t *testing.T) {
	nan := math.NaN()
	for _, tt := range []struct {
		y    []float64
		want int
	}{
		{nil, -1},
		{[]float64{3}, 0},
		{[]float64{1, 3, 2}, 1},
		{[]float64{2, 3, 3}, 1}, // the first on a tie
		{[]float64{math.Inf(-1), math.Inf(-1)}, 0},
		{[]float64{1, nan, 5, nan}, 1}, // NaN is the largest, as in torch.argmax
	} {
		if got := Argmax(tt.y); got != tt.want {
			t.Errorf("Argmax(%v) = %d, want %d", tt.y, got, tt.want)
		}
	}
}
