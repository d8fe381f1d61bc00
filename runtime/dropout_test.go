package runtime

import (
	"math"
	"slices"
	"testing"
)

// TestDropRow: DropRow keeps a fraction 1 − p of the values, scaled by
// 1/(1−p), the same ones for the same key, layer and row whatever the tile
// (Row + row) and whether it writes in place, other ones for another key,
// layer or row; p = 0 keeps every value bit for bit.
func TestDropRow(t *testing.T) {
	const n = 1000
	x := make([]float64, n)
	for i := range x {
		x[i] = float64(i%7) + 0.5
	}
	y := make([]float64, n)
	for _, p := range []float64{0, 0.1, 0.5, 0.9} {
		kept, total := 0, 0
		for row := range 200 {
			DropRow(y, x, Dropout{Key: DropoutKey(1, 0)}, 3, row, p)
			for j, v := range y {
				switch v {
				case 0:
				case x[j] * (1 / (1 - p)): // as PyTorch: x times the mask, 1/(1−p) where kept
					kept++
				default:
					t.Fatalf("p %g: value %g of %g is neither dropped nor scaled by 1/(1−p)", p, v, x[j])
				}
				total++
			}
		}
		rate := float64(kept) / float64(total)
		// 200 000 Bernoulli draws: the standard deviation of the rate is at most 0.0012.
		if math.Abs(rate-(1-p)) > 0.006 {
			t.Errorf("p %g: kept %.4f of the values, want %.4f", p, rate, 1-p)
		}
	}
	a, b, c := make([]float32, 64), make([]float32, 64), make([]float32, 64)
	for i := range a {
		a[i] = 1
	}
	copy(c, a)
	DropRow(b, a, Dropout{Key: 9, Row: 10}, 2, 5, 0.5)
	DropRow(c, c, Dropout{Key: 9, Row: 0}, 2, 15, 0.5) // another tile, in place
	if !slices.Equal(b, c) {
		t.Errorf("the same sample's mask differs by tile or in place")
	}
	for _, d := range []struct {
		key        uint64
		layer, row int
	}{{10, 2, 15}, {9, 3, 15}, {9, 2, 16}} {
		DropRow(c, a, Dropout{Key: d.key}, d.layer, d.row, 0.5)
		if slices.Equal(b, c) {
			t.Errorf("key %d, layer %d, row %d draw the mask of key 9, layer 2, row 15", d.key, d.layer, d.row)
		}
	}
	if DropoutKey(1, 0) == DropoutKey(1, 1) || DropoutKey(1, 0) == DropoutKey(2, 0) {
		t.Errorf("calls or seeds share a key")
	}
}
