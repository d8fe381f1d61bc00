package runtime

import (
	"math"
	"slices"
	"strings"
	"testing"
)

// The pinned draws were computed by an independent Python implementation of
// PCG-DXSM with the 128-bit state seed<<64 | 0x9e3779b97f4a7c15. A change
// here changes every network's initial weights.
var pinRand = []struct {
	seed    uint64
	uint64s []uint64
	unit    []float64 // Uniform(0, 1), from a fresh Seed
	wide    []float64 // Uniform(-2, 3), drawn after unit
}{
	{
		seed:    1,
		uint64s: []uint64{0xee4200f3880a19eb, 0xbaadcc279ed76e43, 0xe6e217b961fee78d, 0xe3170d14b82b2739},
		unit:    []float64{0.9306946367796985, 0.7292144390802072, 0.9018874003977504},
		wide:    []float64{2.435352409164663, 1.516356430875391},
	},
	{
		seed:    42,
		uint64s: []uint64{0x55f94932b92ba500, 0xe0be0fd7ce6d26f1, 0x162ad53b615ab5f5, 0x137e60713d238914},
		unit:    []float64{0.3358350514255748, 0.8779001142378786, 0.0865910787555133},
		wide:    []float64{-1.6192644708337922, 1.506768004095171},
	},
}

func TestRandPinned(t *testing.T) {
	for _, c := range pinRand {
		var r Rand
		r.Seed(c.seed)
		for i, want := range c.uint64s {
			if got := r.Uint64(); got != want {
				t.Errorf("seed %d: Uint64 #%d = %#x, want %#x", c.seed, i, got, want)
			}
		}
		r.Seed(c.seed) // Seed restarts the stream.
		for i, want := range c.unit {
			if got := r.Uniform(0, 1); got != want {
				t.Errorf("seed %d: Uniform(0, 1) #%d = %v, want %v", c.seed, i, got, want)
			}
		}
		for i, want := range c.wide {
			if got := r.Uniform(-2, 3); got != want {
				t.Errorf("seed %d: Uniform(-2, 3) #%d = %v, want %v", c.seed, i, got, want)
			}
		}
	}
}

func TestUniformRange(t *testing.T) {
	var r Rand
	r.Seed(3)
	for range 10000 {
		if u := r.Uniform(-0.5, 0.25); u < -0.5 || u > 0.25 {
			t.Fatalf("Uniform(-0.5, 0.25) = %v", u)
		}
	}
}

// Pinned InitLinear results, from the same Python implementation.
var (
	// Seed 1, fanIn 3, two outputs: w row-major, then b.
	pinInit64 = []float64{
		0.4973233289665743, 0.26467403621021346, 0.46405959760712034,
		0.4469504937632037, 0.23471746358340573, -0.1671487089345316,
		0.5208293072589031, 0.20065731054646807,
	}
	// Seed 7, fanIn 4, three outputs, rounded to float32.
	pinInit32 = []float64{
		-0.01682434231042862, -0.49678096175193787, 0.05096674710512161, -0.21159958839416504,
		0.32528308033943176, 0.2740452289581299, -0.17670390009880066, -0.06817377358675003,
		0.20389515161514282, -0.1366557478904724, 0.14268073439598083, -0.3696088492870331,
		0.08762099593877792, 0.20638710260391235, -0.22176600992679596,
	}
)

func TestInitLinearPinned(t *testing.T) {
	testInitLinearPinned[float64](t, 1, 3, 2, pinInit64)
	testInitLinearPinned[float32](t, 7, 4, 3, pinInit32)
}

func testInitLinearPinned[T Float](t *testing.T, seed uint64, fanIn, out int, pin []float64) {
	var r Rand
	r.Seed(seed)
	w, b := make([]T, out*fanIn), make([]T, out)
	InitLinear(&r, w, b, fanIn)
	for i, got := range append(w, b...) {
		if got != T(pin[i]) {
			t.Errorf("%s seed %d: parameter %d = %v, want %v", typeName[T](), seed, i, got, pin[i])
		}
	}
}

func TestInitLinearBounds(t *testing.T) {
	testInitLinearBounds[float32](t)
	testInitLinearBounds[float64](t)
}

func testInitLinearBounds[T Float](t *testing.T) {
	var r Rand
	r.Seed(42)
	for _, fanIn := range []int{1, 2, 3, 10, 784} {
		const out = 50
		w, b := make([]T, out*fanIn), make([]T, out)
		InitLinear(&r, w, b, fanIn)
		bound := T(1 / math.Sqrt(float64(fanIn)))
		lo, hi := bound, -bound
		for _, x := range append(w, b...) {
			if x < -bound || x > bound {
				t.Fatalf("%s fanIn %d: parameter %v outside ±%v", typeName[T](), fanIn, x, bound)
			}
			lo, hi = min(lo, x), max(hi, x)
		}
		// The draws should spread over most of the interval.
		if lo > -bound/2 || hi < bound/2 {
			t.Errorf("%s fanIn %d: parameters span only [%v, %v] of ±%v", typeName[T](), fanIn, lo, hi, bound)
		}
	}
}

func TestInitLinearDeterministic(t *testing.T) {
	const fanIn, out = 5, 4
	draw := func(seed uint64, withBias bool) (w, b []float32) {
		var r Rand
		r.Seed(seed)
		w = make([]float32, out*fanIn)
		if withBias {
			b = make([]float32, out)
		}
		InitLinear(&r, w, b, fanIn)
		return w, b
	}
	w1, b1 := draw(9, true)
	w2, b2 := draw(9, true)
	w3, _ := draw(9, false) // A nil bias is allowed and draws w the same way.
	w4, _ := draw(10, true)
	if !slices.Equal(w1, w2) || !slices.Equal(b1, b2) {
		t.Errorf("seed 9 gave different parameters on two runs")
	}
	if !slices.Equal(w1, w3) {
		t.Errorf("w differs between a layer with bias and one without")
	}
	if slices.Equal(w1, w4) {
		t.Errorf("seeds 9 and 10 gave the same w")
	}
}

func TestInitLinearPanics(t *testing.T) {
	var r Rand
	for _, c := range []struct {
		w, b  []float64
		fanIn int
		want  string
	}{
		{make([]float64, 6), nil, 0, "fanIn = 0"},
		{make([]float64, 7), nil, 3, "len(w) = 7 is not a multiple of fanIn = 3"},
		{make([]float64, 6), make([]float64, 3), 3, "len(w) = 6 but len(b)*fanIn = 3*3"},
	} {
		msg := panicMessage(func() { InitLinear(&r, c.w, c.b, c.fanIn) })
		if !strings.HasPrefix(msg, "gradgen: InitLinear: ") || !strings.Contains(msg, c.want) {
			t.Errorf("panic %q, want it to contain %q", msg, c.want)
		}
	}
}

// TestInitLinearBiasIsInitLinearsBias: a bias drawn on its own after its
// weight gets the values InitLinear gives the pair.
func TestInitLinearBiasIsInitLinearsBias(t *testing.T) {
	var r1, r2 Rand
	r1.Seed(7)
	r2.Seed(7)
	w1, b1 := make([]float32, 12), make([]float32, 4)
	w2, b2 := make([]float32, 12), make([]float32, 4)
	InitLinear(&r1, w1, b1, 3)
	InitLinear(&r2, w2, nil, 3)
	InitLinearBias(&r2, b2, 3)
	if !slices.Equal(w1, w2) || !slices.Equal(b1, b2) {
		t.Fatalf("InitLinear gave w %v b %v; InitLinear then InitLinearBias gave w %v b %v", w1, b1, w2, b2)
	}
}

func TestFill(t *testing.T) {
	s := []float64{1, 2, 3}
	Fill(s, 1)
	if s[0] != 1 || s[1] != 1 || s[2] != 1 {
		t.Errorf("Fill(s, 1) = %v", s)
	}
}

// TestNormalPinned pins the first normal draws of seed 1, so a seed gives
// the same embedding tables in every version, and checks the moments of many.
func TestNormalPinned(t *testing.T) {
	var r Rand
	r.Seed(1)
	first := []float64{r.Normal(), r.Normal(), r.Normal()}
	// math.Log is assembly on amd64 and Go elsewhere, so the last bit may
	// differ between platforms.
	for i, want := range []float64{-0.3008947305811288, 1.6347605174467532, -0.9572974637844237} {
		if math.Abs(first[i]-want) > 1e-15*math.Abs(want) {
			t.Errorf("normal draw %d of seed 1 is %v, pinned %v", i, first[i], want)
		}
	}
	var again Rand
	again.Seed(1)
	for i, want := range first {
		u1, u2 := again.Uniform(0, 1), again.Uniform(0, 1)
		if got := math.Sqrt(-2*math.Log(1-u1)) * math.Cos(2*math.Pi*u2); got != want {
			t.Errorf("draw %d: %v, want Box–Muller of the next two uniforms, %v", i, want, got)
		}
	}
	r.Seed(2)
	const n = 200_000
	var sum, sq float64
	for range n {
		x := r.Normal()
		sum += x
		sq += x * x
	}
	if mean, variance := sum/n, sq/n-(sum/n)*(sum/n); math.Abs(mean) > 0.01 || math.Abs(variance-1) > 0.01 {
		t.Errorf("mean %.4f, variance %.4f of %d draws; want 0 and 1", mean, variance, n)
	}
	s := make([]float32, 3)
	r.Seed(1)
	InitNormal(&r, s)
	for i := range s {
		if s[i] != float32(first[i]) {
			t.Errorf("InitNormal = %v, want the draws %v rounded", s, first)
		}
	}
}
