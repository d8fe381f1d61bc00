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
		// The norm, summed in float64 into eight sums by index mod 8,
		// added pairwise, each square rounded (without the conversion
		// arm64 fuses the multiply into the add).
		var sums [8]float64
		for i, x := range g {
			f := float64(x)
			sums[i%8] += float64(f * f)
		}
		norm := math.Sqrt(((sums[0] + sums[1]) + (sums[2] + sums[3])) + ((sums[4] + sums[5]) + (sums[6] + sums[7])))
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
	// A NaN makes every element NaN, as PyTorch's multiplication by a NaN
	// coefficient does; an infinite element makes the others 0.
	nan := []T{1, T(math.NaN()), 2}
	if norm := ClipGradNorm(nan, 1); !math.IsNaN(norm) || nan[0] == nan[0] || nan[2] == nan[2] {
		t.Errorf("ClipGradNorm with a NaN: norm %v, g %v", norm, nan)
	}
	inf := []T{1, T(math.Inf(1)), -2}
	if norm := ClipGradNorm(inf, 1); !math.IsInf(norm, 1) || inf[0] != 0 || inf[2] != 0 {
		t.Errorf("ClipGradNorm with an Inf: norm %v, g %v", norm, inf)
	}
	// PyTorch's example: g = (3, 4), max_norm 1.
	g := []T{3, 4}
	if norm := ClipGradNorm(g, 1); norm != 5 || g[0] != T(1/(5+1e-6))*3 || g[1] != T(1/(5+1e-6))*4 {
		t.Errorf("ClipGradNorm((3, 4), 1) = %v, g = %v", norm, g)
	}
}

// BenchmarkClipGradNorm measures ClipGradNorm over a gradient of 100 000
// float32: the norm alone (max_norm 0), and the norm and the scaling (g
// restored, untimed, before each clip). Results in docs/bench/optim.txt.
func BenchmarkClipGradNorm(b *testing.B) {
	const n = 100_000
	g := randSlice[float32](rand.New(rand.NewPCG(1, 2)), n)
	g0 := append([]float32(nil), g...)
	b.Run("norm", func(b *testing.B) {
		b.SetBytes(4 * n)
		for b.Loop() {
			ClipGradNorm(g, 0)
		}
	})
	b.Run("clip", func(b *testing.B) {
		b.SetBytes(4 * n)
		for b.Loop() {
			b.StopTimer()
			copy(g, g0)
			b.StartTimer()
			ClipGradNorm(g, 1)
		}
	})
}
