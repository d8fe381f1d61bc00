package runtime

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestGemvTOrder: on the vector path GemvT adds the rows' products to each
// element of out in order, with one fused multiply-add each, whether it
// keeps out in registers (narrow rows) or in memory.
func TestGemvTOrder(t *testing.T) {
	if !vector {
		t.Skip("no vector kernels")
	}
	r := rand.New(rand.NewPCG(15, 16))
	for _, cols := range []int{4, 8, 12, 16, 20, 24} {
		for _, rows := range []int{0, 1, 5, 16} {
			w, dy, out := randSlice[float64](r, rows*cols), randSlice[float64](r, rows), randSlice[float64](r, cols)
			want := append([]float64(nil), out...)
			for k := range rows {
				for j := range want {
					want[j] = math.FMA(dy[k], w[k*cols+j], want[j])
				}
			}
			GemvT(out, w, dy)
			for j := range out {
				if out[j] != want[j] {
					t.Fatalf("%d×%d, out[%d] = %v, want %v", rows, cols, j, out[j], want[j])
				}
			}
		}
	}
}
