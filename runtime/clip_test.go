package runtime

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestClipGradNorm(t *testing.T) {
	withPaths(t, func(t *testing.T) {
		t.Run("float32", testClipGradNorm[float32])
		t.Run("float64", testClipGradNorm[float64])
	})
}

func testClipGradNorm[T Float](t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{0, 1, 7, 8, 9, 33, 70, 1000} {
		g := randSlice[T](r, n)
		// The norm, summed in float64 in index order.
		s := 0.0
		for _, x := range g {
			s += float64(x) * float64(x)
		}
		norm := math.Sqrt(s)
		for _, maxNorm := range []float64{0, -1, norm / 3, norm, 2 * norm, 1e9} {
			c := append([]T(nil), g...)
			got := ClipGradNorm(c, maxNorm)
			if math.Float64bits(got) != math.Float64bits(norm) {
				t.Fatalf("n=%d max_norm=%v: norm %v, want %v", n, maxNorm, got, norm)
			}
			coef := maxNorm / (norm + 1e-6)
			for i := range c {
				want := g[i]
				if maxNorm > 0 && coef < 1 {
					want = T(coef) * g[i]
				}
				if bits(c[i]) != bits(want) {
					t.Fatalf("n=%d max_norm=%v: g[%d] = %v, want %v", n, maxNorm, i, c[i], want)
				}
			}
			if maxNorm == norm/3 && n > 0 {
				// Clipped: the norm is now max_norm, to rounding.
				s := 0.0
				for _, x := range c {
					s += float64(x) * float64(x)
				}
				if d := math.Abs(math.Sqrt(s) - maxNorm); d > 1e-5*maxNorm {
					t.Errorf("n=%d: norm after clipping to %v is %v", n, maxNorm, math.Sqrt(s))
				}
			}
		}
	}
	// PyTorch's example: g = (3, 4), max_norm 1.
	g := []T{3, 4}
	if norm := ClipGradNorm(g, 1); norm != 5 || g[0] != T(1/(5+1e-6))*3 || g[1] != T(1/(5+1e-6))*4 {
		t.Errorf("ClipGradNorm((3, 4), 1) = %v, g = %v", norm, g)
	}
}
