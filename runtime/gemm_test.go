package runtime

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// withPaths runs f on every kernel path this build and machine have: the
// AVX-512 micro-kernels, the AVX2 row kernels (NEON on arm64) and plain Go.
func withPaths(t *testing.T, f func(t *testing.T)) {
	savedVector, saved512 := vector, avx512
	defer func() { vector, avx512 = savedVector, saved512 }()
	vectorPath := "avx2"
	if onARM64 {
		vectorPath = "neon"
	}
	paths := []struct {
		name           string
		vector, avx512 bool
	}{{"avx512", true, true}, {vectorPath, true, false}, {"portable", false, false}}
	for _, p := range paths {
		if p.vector && !savedVector || p.avx512 && !saved512 {
			continue
		}
		vector, avx512 = p.vector, p.avx512
		t.Run(p.name, f)
	}
}

// gemmSizes are the sizes the product tests run: every row count of a
// micro-kernel tile and its tails, column counts around the vector widths,
// and inner sizes from empty past one packed block (gemmDepth).
var gemmSizes = struct{ m, n, k []int }{
	m: []int{1, 2, 3, 5, 7, 11, 12, 13, 17, 25, 33},
	n: []int{1, 6, 7, 13, 16, 17, 31, 33, 47, 70},
	k: []int{0, 1, 4, 7, 16, 33, 300},
}

func testMul[T Float](t *testing.T, tol float64) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, m := range gemmSizes.m {
		for _, n := range gemmSizes.n {
			for _, k := range gemmSizes.k {
				for _, add := range []bool{false, true} {
					a := randSlice[T](r, k*m)
					b := randSlice[T](r, k*n)
					old := randSlice[T](r, m*n+5) // five more, which must stay
					name := fmt.Sprintf("m=%d n=%d k=%d add=%v", m, n, k, add)

					c := append([]T(nil), old...)
					MulTN(c, a, b, m, n, k, add)
					checkProduct(t, "MulTN "+name, c, old, m, n, k, add, tol,
						func(i, p int) T { return a[p*m+i] }, func(p, j int) T { return b[p*n+j] })

					c = append([]T(nil), old...)
					bt := randSlice[T](r, n*k)
					MulNT(c, a, bt, m, n, k, add) // a read as m rows of k
					checkProduct(t, "MulNT "+name, c, old, m, n, k, add, tol,
						func(i, p int) T { return a[i*k+p] }, func(p, j int) T { return bt[j*k+p] })

					c = append([]T(nil), old...)
					MulNN(c, a, b, m, n, k, add) // a read as m rows of k
					checkProduct(t, "MulNN "+name, c, old, m, n, k, add, tol,
						func(i, p int) T { return a[i*k+p] }, func(p, j int) T { return b[p*n+j] })
				}
			}
		}
	}
}

// checkProduct compares c with old (when add) plus Σ_p a(i,p)·b(p,j),
// summed in float64, and checks that c's elements past m·n are untouched.
func checkProduct[T Float](t *testing.T, name string, c, old []T, m, n, k int, add bool, tol float64, a func(i, p int) T, b func(p, j int) T) {
	t.Helper()
	for i := range m {
		for j := range n {
			var want, scale float64
			if add {
				want, scale = float64(old[i*n+j]), abs(float64(old[i*n+j]))
			}
			for p := range k {
				x := float64(a(i, p)) * float64(b(p, j))
				want += x
				scale += abs(x)
			}
			if got := float64(c[i*n+j]); !near(got, want, scale, tol) {
				t.Fatalf("%s: c[%d][%d] = %v, want %v", name, i, j, got, want)
			}
		}
	}
	for i := m * n; i < len(c); i++ {
		if c[i] != old[i] {
			t.Fatalf("%s: c[%d] past the product changed", name, i)
		}
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// TestMul checks MulTN and MulNN against float64 sums on every kernel path.
func TestMul(t *testing.T) {
	withPaths(t, func(t *testing.T) {
		t.Run("float32", func(t *testing.T) { testMul[float32](t, 1e-5) })
		t.Run("float64", func(t *testing.T) { testMul[float64](t, 1e-13) })
	})
}

// TestMulDeterministic: the same product twice gives the same bits.
func TestMulDeterministic(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	m, n, k := 37, 53, 290
	a, b := randSlice[float32](r, m*k), randSlice[float32](r, k*n)
	c1, c2 := make([]float32, m*n), make([]float32, m*n)
	MulNN(c1, a, b, m, n, k, false)
	MulNN(c2, a, b, m, n, k, false)
	for i := range c1 {
		if c1[i] != c2[i] {
			t.Fatalf("c[%d]: %v then %v", i, c1[i], c2[i])
		}
	}
}

// TestMulAllocs: the products allocate nothing.
func TestMulAllocs(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	m, n, k := 32, 100, 300
	a, at, b, c := randSlice[float64](r, m*k), randSlice[float64](r, k*m), randSlice[float64](r, k*n), make([]float64, m*n)
	if got := testing.AllocsPerRun(10, func() {
		MulNN(c, a, b, m, n, k, true)
		MulTN(c, at, b, m, n, k, true)
	}); got != 0 {
		t.Fatalf("%v allocations per run", got)
	}
}

// BenchmarkMul runs the products of the benchmark's wide network on a tile
// of 32 rows: W̄1 += ȳᵀ x (512×784), x̄ = ȳ W2 (32×512×512).
func BenchmarkMul(b *testing.B) {
	r := rand.New(rand.NewPCG(9, 10))
	for _, s := range []struct {
		name    string
		tn      bool
		m, n, k int
	}{{"TN/512x784x32", true, 512, 784, 32}, {"NN/32x512x512", false, 32, 512, 512}, {"NN/32x784x512", false, 32, 784, 512}, {"NT/32x512x784", false, 32, 512, 784}} {
		b.Run(s.name, func(b *testing.B) {
			a, bb, c := randSlice[float32](r, s.m*s.k), randSlice[float32](r, s.k*s.n), make([]float32, s.m*s.n)
			for b.Loop() {
				switch {
				case s.tn:
					MulTN(c, a, bb, s.m, s.n, s.k, true)
				case s.name[:2] == "NT":
					MulNT(c, a, bb[:s.n*s.k], s.m, s.n, s.k, false)
				default:
					MulNN(c, a, bb, s.m, s.n, s.k, false)
				}
			}
			b.ReportMetric(2*float64(s.m*s.n*s.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
