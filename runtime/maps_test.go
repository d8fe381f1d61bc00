package runtime

import (
	"math"
	"math/rand/v2"
	"testing"
)

// specials are the values whose handling the maps must keep: ±0, NaN,
// ±Inf and the smallest subnormals.
var specials = []float64{0, math.Copysign(0, -1), math.NaN(), math.Inf(1), math.Inf(-1), 5e-324, -5e-324, 1e-40, -1e-40}

// mapInput is n values, random or special.
func mapInput[T Float](r *rand.Rand, n int) []T {
	s := randSlice[T](r, n)
	for i := range s {
		if r.IntN(3) == 0 {
			s[i] = T(specials[r.IntN(len(specials))])
		}
	}
	return s
}

// sameBits reports whether a and b are the same bits (NaN payloads aside).
func sameBits[T Float](a, b T) bool {
	if a != a || b != b {
		return a != a && b != b
	}
	return a == b && math.Signbit(float64(a)) == math.Signbit(float64(b))
}

func testMaps[T Float](t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for n := 0; n <= 70; n++ {
		y, a, b := mapInput[T](r, n), mapInput[T](r, n), mapInput[T](r, 19)

		got := append([]T(nil), y...)
		ReLU(got)
		for i := range y {
			want := y[i]
			if want < 0 {
				want = 0
			}
			if !sameBits(got[i], want) {
				t.Fatalf("n=%d: ReLU(%v) = %v, want %v", n, y[i], got[i], want)
			}
		}

		got = append([]T(nil), y...)
		ReLUGrad(got, a)
		for i := range y {
			want := y[i]
			if a[i] <= 0 {
				want = 0
			}
			if !sameBits(got[i], want) {
				t.Fatalf("n=%d: ReLUGrad(%v, a=%v) = %v, want %v", n, y[i], a[i], got[i], want)
			}
		}

		// Rows shorter than the kernel's cut-off and longer.
		for _, b := range [][]T{b, mapInput[T](r, 40)} {
			rows := mapInput[T](r, len(b)*(n%5))
			got = append([]T(nil), rows...)
			AddBias(got, b)
			for i := range rows {
				if want := rows[i] + b[i%len(b)]; !sameBits(got[i], want) {
					t.Fatalf("AddBias, rows of %d: [%d] = %v, want %v", len(b), i, got[i], want)
				}
			}
		}
	}
}

// TestMaps checks the tile maps element by element against the generated
// scalar code's rule, special values included, on the vector and plain path.
func TestMaps(t *testing.T) {
	withPaths(t, func(t *testing.T) {
		t.Run("float32", testMaps[float32])
		t.Run("float64", testMaps[float64])
	})
}
