//go:build arm64 && !purego

package runtime

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestNEONIsOn: on arm64 the NEON kernels run unless GRADGEN_KERNELS turns
// them off, and they take whole 128-bit vectors.
func TestNEONIsOn(t *testing.T) {
	if !kernelsAllowed("neon") {
		if vector {
			t.Fatalf("%s allows no NEON, but the NEON kernels are on", KernelsEnv)
		}
		t.Skipf("%s turns NEON off", KernelsEnv)
	}
	if !vector {
		t.Fatal("the NEON kernels are off")
	}
	if got := vectorLen[float32](11); got != 8 {
		t.Errorf("vectorLen[float32](11) = %d, want 8", got)
	}
	if got := vectorLen[float64](11); got != 10 {
		t.Errorf("vectorLen[float64](11) = %d, want 10", got)
	}
}

// TestNEONBitIdentical: every NEON kernel, and the products made of them,
// give exactly the bits of the plain Go path on the same machine, for
// float32 and float64, on every row length from 0 to 70 and every product
// shape of gemmSizes, adding and setting. (The test turns the NEON path on
// itself, so it tests it under GRADGEN_KERNELS=portable too.)
func TestNEONBitIdentical(t *testing.T) {
	t.Run("float32", testNEONBits[float32])
	t.Run("float64", testNEONBits[float64])
}

// sameBitsOnPaths fails unless f returns the same bits with the NEON path
// on as off. f must compute from fresh copies of its inputs on each call.
func sameBitsOnPaths[T Float](t *testing.T, name string, f func() []T) {
	t.Helper()
	saved := vector
	defer func() { vector = saved }()
	vector = false
	want := f()
	vector = true
	got := f()
	if len(got) != len(want) {
		t.Fatalf("%s: %d results on NEON, %d in plain Go", name, len(got), len(want))
	}
	if i := firstDiff(want, got); i >= 0 {
		t.Fatalf("%s: [%d] is %v (%#x) on NEON, %v (%#x) in plain Go", name, i, got[i], bits(got[i]), want[i], bits(want[i]))
	}
}

func testNEONBits[T Float](t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	clone := func(s []T) []T { return append([]T(nil), s...) }
	for n := 0; n <= 70; n++ {
		w, w1, w2 := randSlice[T](r, n), randSlice[T](r, n+1), randSlice[T](r, n+2)
		xs := [4][]T{randSlice[T](r, n+3), randSlice[T](r, n), randSlice[T](r, n+1), randSlice[T](r, n)}
		y := randSlice[T](r, n)
		a := [4]T{T(r.Float64() - 0.5), T(r.Float64() * 3), T(-r.Float64()), 1}
		name := func(kernel string) string { return fmt.Sprintf("%s n=%d", kernel, n) }

		sameBitsOnPaths(t, name("Dot"), func() []T { return []T{Dot(w, xs[0])} })
		sameBitsOnPaths(t, name("Dot4"), func() []T {
			s0, s1, s2, s3 := Dot4(w, xs[0], xs[1], xs[2], xs[3])
			return []T{s0, s1, s2, s3}
		})
		sameBitsOnPaths(t, name("Dot4x3"), func() []T {
			s := Dot4x3(w, w1, w2, xs[0], xs[1], xs[2], xs[3])
			return append(append(s[0][:], s[1][:]...), s[2][:]...)
		})
		sameBitsOnPaths(t, name("Axpy"), func() []T { out := clone(y); Axpy(out, a[0], xs[0]); return out })
		sameBitsOnPaths(t, name("Scale"), func() []T { out := clone(y); Scale(out, a[1], xs[2]); return out })
		sameBitsOnPaths(t, name("Axpy4"), func() []T {
			out := clone(y)
			Axpy4(out, a[0], a[1], a[2], a[3], xs[0], xs[1], xs[2], xs[3])
			return out
		})
		special := mapInput[T](r, n)
		sameBitsOnPaths(t, name("ReLU"), func() []T { out := clone(special); ReLU(out); return out })
		sameBitsOnPaths(t, name("ReLUGrad"), func() []T { out := clone(y); ReLUGrad(out, special); return out })
		rows := randSlice[T](r, 3*n)
		sameBitsOnPaths(t, name("AddBias"), func() []T { out := clone(rows); AddBias(out, w); return out })
		for _, m := range []int{1, 3, 16} {
			d, base := randSlice[T](r, m), randSlice[T](r, m*n)
			for _, set := range []bool{true, false} {
				sameBitsOnPaths(t, fmt.Sprintf("Ger m=%d set=%v n=%d", m, set, n), func() []T {
					out := clone(base)
					Ger(out, d, y, set)
					return out
				})
			}
			sameBitsOnPaths(t, fmt.Sprintf("GemvT m=%d n=%d", m, n), func() []T {
				out := clone(y)
				GemvT(out, base, d)
				return out
			})
		}
	}
	type shape struct{ m, n, k int }
	var shapes []shape
	for _, m := range gemmSizes.m {
		for _, n := range gemmSizes.n {
			for _, k := range gemmSizes.k {
				shapes = append(shapes, shape{m, n, k})
			}
		}
	}
	// MulNT's micro-kernel in more than one block of columns, and f64 tiles
	// of rows beyond the first few.
	shapes = append(shapes, shape{20, 530, 131}, shape{36, 517, 5})
	for _, s := range shapes {
		m, n, k := s.m, s.n, s.k
		a, b, bt := randSlice[T](r, m*k), randSlice[T](r, k*n), randSlice[T](r, n*k)
		old := randSlice[T](r, m*n+5)
		for _, add := range []bool{false, true} {
			shape := fmt.Sprintf("m=%d n=%d k=%d add=%v", m, n, k, add)
			sameBitsOnPaths(t, "MulNT "+shape, func() []T { c := clone(old); MulNT(c, a, bt, m, n, k, add); return c })
			sameBitsOnPaths(t, "MulNN "+shape, func() []T { c := clone(old); MulNN(c, a, b, m, n, k, add); return c })
			sameBitsOnPaths(t, "MulTN "+shape, func() []T { c := clone(old); MulTN(c, a, b, m, n, k, add); return c })
		}
	}
}

// TestMulNTNEONAllocs: the NEON MulNT, whose buffers live on the stack,
// allocates nothing.
func TestMulNTNEONAllocs(t *testing.T) {
	saved := vector
	defer func() { vector = saved }()
	vector = true
	r := rand.New(rand.NewPCG(15, 16))
	m, n, k := 33, 530, 300
	a32, b32, c32 := randSlice[float32](r, m*k), randSlice[float32](r, n*k), make([]float32, m*n)
	a64, b64, c64 := randSlice[float64](r, m*k), randSlice[float64](r, n*k), make([]float64, m*n)
	if got := testing.AllocsPerRun(5, func() {
		MulNT(c32, a32, b32, m, n, k, true)
		MulNT(c64, a64, b64, m, n, k, false)
	}); got != 0 {
		t.Fatalf("%v allocations per run", got)
	}
}
