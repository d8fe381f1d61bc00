package runtime

import (
	"math/rand/v2"
	"testing"
)

// TestGradSGD: one pass gives the bits of Scale or Axpy and then SGD, on
// every length to 70 (every vector tail), with and without weight decay,
// on every kernel path.
func TestGradSGD(t *testing.T) {
	withPaths(t, func(t *testing.T) {
		testGradSGD[float32](t)
		testGradSGD[float64](t)
	})
}

func testGradSGD[T Float](t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for n := 0; n <= 70; n++ {
		for _, add := range []bool{false, true} {
			for _, wd := range []float64{0, 0.01} {
				h := &Hyperparams{WeightDecay: wd}
				p, g, x := randSlice[T](r, n), randSlice[T](r, n), randSlice[T](r, n)
				s := T(r.Float64() - 0.5)
				wantP, wantG := append([]T(nil), p...), append([]T(nil), g...)
				if add {
					Axpy(wantG, s, x)
				} else {
					Scale(wantG, s, x)
				}
				SGD(wantP, wantG, 0.03, h)
				GradSGD(p, g, s, x, add, 0.03, h)
				for i := range p {
					if p[i] != wantP[i] || g[i] != wantG[i] {
						t.Fatalf("n=%d add=%v wd=%g, [%d]: p %v g %v, want p %v g %v", n, add, wd, i, p[i], g[i], wantP[i], wantG[i])
					}
				}
			}
		}
	}
}

// BenchmarkGradSGD: a 128 × 784 weight, its gradient made and stepped row
// by row, in one pass against Scale then SGD.
func BenchmarkGradSGD(b *testing.B) {
	r := rand.New(rand.NewPCG(13, 14))
	const rows, cols = 128, 784
	p, g, x, d := randSlice[float32](r, rows*cols), randSlice[float32](r, rows*cols), randSlice[float32](r, cols), randSlice[float32](r, rows)
	h := &Hyperparams{}
	b.Run("fused", func(b *testing.B) {
		for b.Loop() {
			for i := range rows {
				GradSGD(p[i*cols:(i+1)*cols], g[i*cols:(i+1)*cols], d[i], x, false, 1e-6, h)
			}
		}
	})
	b.Run("split", func(b *testing.B) {
		for b.Loop() {
			for i := range rows {
				Scale(g[i*cols:(i+1)*cols], d[i], x)
				SGD(p[i*cols:(i+1)*cols], g[i*cols:(i+1)*cols], 1e-6, h)
			}
		}
	})
}
