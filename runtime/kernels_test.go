package runtime

import (
	"math"
	"math/rand/v2"
	"testing"
)

func randSlice[T Float](r *rand.Rand, n int) []T {
	s := make([]T, n)
	for i := range s {
		s[i] = T(2*r.Float64() - 1)
	}
	return s
}

func near(got, want, scale, tol float64) bool {
	return math.Abs(got-want) <= tol*math.Max(scale, 1)
}

func testKernels[T Float](t *testing.T, tol float64) {
	r := rand.New(rand.NewPCG(1, 2))
	for n := 0; n <= 70; n++ {
		w := randSlice[T](r, n)
		xs := [4][]T{randSlice[T](r, n+3), randSlice[T](r, n+3), randSlice[T](r, n+3), randSlice[T](r, n+3)}
		exact := func(a, b []T) float64 {
			s := 0.0
			for i := range a {
				s += float64(a[i]) * float64(b[i])
			}
			return s
		}
		if got, want := float64(Dot(w, xs[0])), exact(w, xs[0]); !near(got, want, float64(n), tol) {
			t.Errorf("Dot, n=%d: %g, want %g", n, got, want)
		}
		w1, w2 := randSlice[T](r, n+1), randSlice[T](r, n+2)
		s12 := Dot4x3(w, w1, w2, xs[0], xs[1], xs[2], xs[3])
		for i, wi := range [][]T{w, w1[:n], w2[:n]} {
			for q := range 4 {
				if want := exact(wi, xs[q]); !near(float64(s12[i][q]), want, float64(n), tol) {
					t.Errorf("Dot4x3, n=%d, s[%d][%d]: %g, want %g", n, i, q, s12[i][q], want)
				}
			}
		}
		s0, s1, s2, s3 := Dot4(w, xs[0], xs[1], xs[2], xs[3])
		for i, s := range []T{s0, s1, s2, s3} {
			if want := exact(w, xs[i]); !near(float64(s), want, float64(n), tol) {
				t.Errorf("Dot4, n=%d, s%d: %g, want %g", n, i, s, want)
			}
		}
		a := [4]T{0.5, -1.25, 2, 0.75}
		y := randSlice[T](r, n)
		y1 := append([]T(nil), y...)
		Axpy(y1, a[0], xs[1])
		ys := append([]T(nil), y...)
		Scale(ys, a[2], xs[3])
		for i := range ys {
			if want := float64(a[2]) * float64(xs[3][i]); !near(float64(ys[i]), want, 1, tol) {
				t.Fatalf("Scale, n=%d, [%d]: %g, want %g", n, i, ys[i], want)
			}
		}
		y4 := append([]T(nil), y...)
		Axpy4(y4, a[0], a[1], a[2], a[3], xs[0], xs[1], xs[2], xs[3])
		for i := range y {
			want1 := float64(y[i]) + float64(a[0])*float64(xs[1][i])
			if !near(float64(y1[i]), want1, 1, tol) {
				t.Fatalf("Axpy, n=%d, [%d]: %g, want %g", n, i, y1[i], want1)
			}
			want4 := float64(y[i])
			for k := range 4 {
				want4 += float64(a[k]) * float64(xs[k][i])
			}
			if !near(float64(y4[i]), want4, 4, tol) {
				t.Fatalf("Axpy4, n=%d, [%d]: %g, want %g", n, i, y4[i], want4)
			}
		}
	}
}

// TestKernels checks every kernel on every length from 0 to 70 (all vector
// tails) against float64 sums, on the vector and the plain path.
func TestKernels(t *testing.T) {
	withPaths(t, func(t *testing.T) {
		testKernels[float32](t, 1e-5)
		testKernels[float64](t, 1e-13)
	})
}

func TestKernelsDoNotAllocate(t *testing.T) {
	a, b := make([]float32, 100), make([]float32, 100)
	if n := testing.AllocsPerRun(10, func() {
		Dot(a, b)
		Dot4(a, b, b, b, b)
		Axpy(a, 2, b)
		Axpy4(a, 1, 2, 3, 4, b, b, b, b)
	}); n != 0 {
		t.Errorf("%v allocations", n)
	}
}

func testWhole[T Float](t *testing.T, tol float64) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, rows := range []int{1, 3, 16} {
		for _, cols := range []int{1, 4, 7, 8, 12, 16, 24, 32, 40} {
			d, x := randSlice[T](r, rows), randSlice[T](r, cols)
			base := randSlice[T](r, rows*cols)
			for _, set := range []bool{true, false} {
				out := append([]T(nil), base...)
				Ger(out, d, x, set)
				for i := range rows {
					for j := range cols {
						want := float64(d[i]) * float64(x[j])
						if !set {
							want += float64(base[i*cols+j])
						}
						if !near(float64(out[i*cols+j]), want, 1, tol) {
							t.Fatalf("Ger %dx%d set=%v [%d][%d]: %g, want %g", rows, cols, set, i, j, out[i*cols+j], want)
						}
					}
				}
			}
			w := randSlice[T](r, rows*cols)
			out := append([]T(nil), base[:cols]...)
			GemvT(out, w, d)
			for j := range cols {
				want := float64(base[j])
				for k := range rows {
					want += float64(d[k]) * float64(w[k*cols+j])
				}
				if !near(float64(out[j]), want, float64(rows), tol) {
					t.Fatalf("GemvT %dx%d [%d]: %g, want %g", rows, cols, j, out[j], want)
				}
			}
		}
	}
}

// TestWholeKernels checks Ger and GemvT on shapes with and without vector
// widths, on the vector and the plain path.
func TestWholeKernels(t *testing.T) {
	withPaths(t, func(t *testing.T) {
		testWhole[float32](t, 1e-5)
		testWhole[float64](t, 1e-13)
	})
}
