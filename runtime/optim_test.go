package runtime

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The problem every optimizer test starts from: three parameters and the
// gradients of three steps, including a zero gradient.
var (
	p0    = []float64{0.5, -1.25, 2.0}
	grads = [][]float64{{0.1, -0.2, 0.3}, {-0.4, 0.05, 0.0}, {1.5, -0.7, 0.25}}
)

// adamCase is one set of Adam hyperparameters.
type adamCase struct{ lr, beta1, beta2, eps float64 }

var adamCases = []adamCase{{0.01, 0.9, 0.999, 1e-8}, {0.001, 0.8, 0.99, 1e-6}}

// Reference optimizers, written in float64 from the textbook formulas rather
// than PyTorch's order of operations.

func refSGD(p, g []float64, lr float64) {
	for i := range p {
		p[i] = p[i] - lr*g[i]
	}
}

func refMomentum(p, g, v []float64, lr, mu float64) {
	for i := range p {
		v[i] = mu*v[i] + g[i]
		p[i] = p[i] - lr*v[i]
	}
}

// refAdam is Algorithm 1 of Kingma & Ba with eps added to sqrt(vhat), which is
// what PyTorch's sqrt(v)/sqrt(bc2) + eps computes.
func refAdam(p, g, m, v []float64, step int, c adamCase) {
	t := float64(step)
	for i := range p {
		m[i] = c.beta1*m[i] + (1-c.beta1)*g[i]
		v[i] = c.beta2*v[i] + (1-c.beta2)*g[i]*g[i]
		mhat := m[i] / (1 - math.Pow(c.beta1, t))
		vhat := v[i] / (1 - math.Pow(c.beta2, t))
		p[i] -= c.lr * mhat / (math.Sqrt(vhat) + c.eps)
	}
}

// Pinned results after each step, computed with Python floats, rounding to
// float32 after every operation for the float32 rows.
var (
	pinSGD = map[string][][]float64{
		"float64": {{0.49, -1.23, 1.97}, {0.53, -1.2349999999999999, 1.97}, {0.38, -1.1649999999999998, 1.945}},
		"float32": {
			{0.49000000953674316, -1.2300000190734863, 1.9700000286102295},
			{0.5300000309944153, -1.2350000143051147, 1.9700000286102295},
			{0.3800000250339508, -1.1649999618530273, 1.9450000524520874},
		},
	}
	pinMomentum = map[string][][]float64{
		"float64": {{0.49, -1.23, 1.97}, {0.521, -1.217, 1.943}, {0.39890000000000003, -1.1353, 1.8937000000000002}},
		"float32": {
			{0.49000000953674316, -1.2300000190734863, 1.9700000286102295},
			{0.5210000276565552, -1.2170000076293945, 1.943000078201294},
			{0.39890003204345703, -1.1353000402450562, 1.893700122833252},
		},
	}
	// pinAdam is indexed like adamCases.
	pinAdam = map[string][][][]float64{
		"float64": {
			{
				{0.4900000009999999, -1.2400000005, 1.9900000003333334},
				{0.4955950357485128, -1.2353053191100447, 1.9832994181079155},
				{0.4905808746827984, -1.2281526189142167, 1.975229995527524},
			},
			{
				{0.4990000099999, -1.249000004999975, 1.9990000033333222},
				{0.4996084332975882, -1.2485798566285353, 1.9983698817285938},
				{0.4990434060254589, -1.2478165550737161, 1.9975657143406058},
			},
		},
		"float32": {
			{
				{0.49000000953674316, -1.2400000095367432, 1.9900000095367432},
				{0.4955950379371643, -1.2353053092956543, 1.9832993745803833},
				{0.49058088660240173, -1.2281526327133179, 1.9752299785614014},
			},
			{
				{0.49900001287460327, -1.2489999532699585, 1.9989999532699585},
				{0.49960842728614807, -1.2485798597335815, 1.998369812965393},
				{0.49904340505599976, -1.247816562652588, 1.9975656270980835},
			},
		},
	}
)

func TestSGD(t *testing.T) {
	testSGD[float32](t)
	testSGD[float64](t)
}

func testSGD[T Float](t *testing.T) {
	name := typeName[T]()
	p, ref := conv[T](p0), clone(p0)
	for k, g := range grads {
		SGD(p, conv[T](g), 0.1)
		refSGD(ref, g, 0.1)
		checkStep(t, name+" SGD", k+1, p, ref, pinSGD[name][k])
	}
}

func TestMomentum(t *testing.T) {
	testMomentum[float32](t)
	testMomentum[float64](t)
}

func testMomentum[T Float](t *testing.T) {
	name := typeName[T]()
	p, v := conv[T](p0), make([]T, len(p0))
	ref, refV := clone(p0), make([]float64, len(p0))
	for k, g := range grads {
		Momentum(p, conv[T](g), v, 0.1, 0.9)
		refMomentum(ref, g, refV, 0.1, 0.9)
		checkStep(t, name+" Momentum", k+1, p, ref, pinMomentum[name][k])
	}

	// The first step, from a zero buffer, is a plain SGD step.
	p, v = conv[T](p0), make([]T, len(p0))
	sgd := conv[T](p0)
	Momentum(p, conv[T](grads[0]), v, 0.1, 0.9)
	SGD(sgd, conv[T](grads[0]), 0.1)
	for i := range p {
		if p[i] != sgd[i] {
			t.Errorf("%s Momentum: first step p[%d] = %v, want p - lr*g = %v", name, i, p[i], sgd[i])
		}
	}
}

func TestAdam(t *testing.T) {
	testAdam[float32](t)
	testAdam[float64](t)
}

func testAdam[T Float](t *testing.T) {
	name := typeName[T]()
	for c, hp := range adamCases {
		p, m, v := conv[T](p0), make([]T, len(p0)), make([]T, len(p0))
		ref, refM, refV := clone(p0), make([]float64, len(p0)), make([]float64, len(p0))
		for k, g := range grads {
			Adam(p, conv[T](g), m, v, k+1, hp.lr, hp.beta1, hp.beta2, hp.eps)
			refAdam(ref, g, refM, refV, k+1, hp)
			checkStep(t, name+" Adam", k+1, p, ref, pinAdam[name][c][k])
		}
	}

	// The first step moves each parameter by lr*|g|/(|g|+eps), about lr,
	// against the sign of its gradient, whatever the gradient's magnitude.
	const lr, eps = 0.01, 1e-8
	g := []T{1e-3, -5, 123, -0.25}
	p, m, v := make([]T, len(g)), make([]T, len(g)), make([]T, len(g))
	Adam(p, g, m, v, 1, lr, 0.9, 0.999, eps)
	for i := range p {
		want := -lr * math.Copysign(1, float64(g[i]))
		tol := lr * (1e-6 + eps/math.Abs(float64(g[i])))
		if d := float64(p[i]) - want; math.Abs(d) > tol {
			t.Errorf("%s Adam: first step with g = %v moved p by %v, want %v", name, g[i], p[i], want)
		}
	}
}

// checkStep compares p after a step with the float64 reference ref, within
// the rounding of T, and exactly with the pinned values pin.
func checkStep[T Float](t *testing.T, what string, step int, p []T, ref, pin []float64) {
	t.Helper()
	tol := 1e-12
	if typeName[T]() == "float32" {
		tol = 1e-6
	}
	for i := range p {
		if d := math.Abs(float64(p[i]) - ref[i]); d > tol*math.Max(1, math.Abs(ref[i])) {
			t.Errorf("%s step %d: p[%d] = %v, reference %v (off by %g)", what, step, i, p[i], ref[i], d)
		}
		if p[i] != T(pin[i]) {
			t.Errorf("%s step %d: p[%d] = %v, pinned %v", what, step, i, p[i], pin[i])
		}
	}
}

func TestOptimizersDoNotAllocate(t *testing.T) {
	testNoAllocs[float32](t)
	testNoAllocs[float64](t)
}

func testNoAllocs[T Float](t *testing.T) {
	const n = 64
	p, g, m, v := make([]T, n), make([]T, n), make([]T, n), make([]T, n)
	for i := range g {
		g[i] = T(i%7) - 3
	}
	step := 0
	for name, f := range map[string]func(){
		"SGD":      func() { SGD(p, g, 0.01) },
		"Momentum": func() { Momentum(p, g, v, 0.01, 0.9) },
		"Adam":     func() { step++; Adam(p, g, m, v, step, 1e-3, 0.9, 0.999, 1e-8) },
	} {
		if a := testing.AllocsPerRun(100, f); a != 0 {
			t.Errorf("%s %s: %v allocations per step, want 0", typeName[T](), name, a)
		}
	}
}

func TestLengthMismatchPanics(t *testing.T) {
	a, b := make([]float32, 3), make([]float32, 4)
	for _, c := range []struct {
		f    func()
		want string
	}{
		{func() { SGD(a, b, 0.1) }, "gradgen: SGD: len(p) = 3 but len(g) = 4"},
		{func() { Momentum(a, a, b, 0.1, 0.9) }, "gradgen: Momentum: len(p) = 3 but len(v) = 4"},
		{func() { Momentum(b, a, b, 0.1, 0.9) }, "gradgen: Momentum: len(p) = 4 but len(g) = 3"},
		{func() { Adam(a, a, b, a, 1, 0.1, 0.9, 0.999, 1e-8) }, "gradgen: Adam: len(p) = 3 but len(m) = 4"},
		{func() { Adam(a, a, a, b, 1, 0.1, 0.9, 0.999, 1e-8) }, "gradgen: Adam: len(p) = 3 but len(v) = 4"},
		{func() { Adam(a, a, a, a, 0, 0.1, 0.9, 0.999, 1e-8) }, "gradgen: Adam: step = 0, want >= 1"},
		{func() { PanicBatchLengths("tiny", "Backward", 3, 4) }, "tiny: Backward: len(xs) = 3 but len(ts) = 4"},
	} {
		if got := panicMessage(c.f); got != c.want {
			t.Errorf("panic %q, want %q", got, c.want)
		}
	}
}

// panicMessage returns the value f panics with, or "" if it returns.
func panicMessage(f func()) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg, _ = r.(string)
			if msg == "" {
				msg = "non-string panic"
			}
		}
	}()
	f()
	return ""
}

func typeName[T Float]() string {
	var x T
	switch any(x).(type) {
	case float32:
		return "float32"
	default:
		return "float64"
	}
}

func conv[T Float](xs []float64) []T {
	ys := make([]T, len(xs))
	for i, x := range xs {
		ys[i] = T(x)
	}
	return ys
}

func clone(xs []float64) []float64 { return append([]float64(nil), xs...) }

// TestOptimizersByRange: every optimizer is element-wise, so stepping two
// ranges of the parameters one after the other gives the bits of one step
// over all of them, on every kernel path and wherever the cut falls. The
// generated code relies on it to step ranges in parallel (workers) and
// row by row (a weight whose gradient the per-sample path fuses).
func TestOptimizersByRange(t *testing.T) {
	withPaths(t, func(t *testing.T) {
		t.Run("float32", testOptimizersByRange[float32])
		t.Run("float64", testOptimizersByRange[float64])
	})
}

func testOptimizersByRange[T Float](t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	const n = 53
	steps := map[string]func(p, g, m, v []T, lo, hi int){
		"sgd": func(p, g, _, _ []T, lo, hi int) { SGD(p[lo:hi], g[lo:hi], 0.05) },
		"momentum": func(p, g, m, _ []T, lo, hi int) {
			Momentum(p[lo:hi], g[lo:hi], m[lo:hi], 0.05, 0.9)
		},
		"adam": func(p, g, m, v []T, lo, hi int) {
			Adam(p[lo:hi], g[lo:hi], m[lo:hi], v[lo:hi], 3, 0.01, 0.9, 0.999, 1e-8)
		},
	}
	for name, step := range steps {
		for cut := 0; cut <= n; cut++ {
			p, g, m, v := randSlice[T](r, n), randSlice[T](r, n), randSlice[T](r, n), randSlice[T](r, n)
			for i := range v {
				v[i] *= v[i] // a second moment is not negative
			}
			whole := [4][]T{append([]T(nil), p...), g, append([]T(nil), m...), append([]T(nil), v...)}
			step(whole[0], whole[1], whole[2], whole[3], 0, n)
			step(p, g, m, v, 0, cut)
			step(p, g, m, v, cut, n)
			for i := range n {
				if p[i] != whole[0][i] || m[i] != whole[2][i] || v[i] != whole[3][i] {
					t.Fatalf("%s cut at %d: element %d differs from one step over all", name, cut, i)
				}
			}
		}
	}
}

// BenchmarkAdamSubnormal measures one Adam step over 100 000 parameters
// whose moments are normal numbers and whose moments have decayed into
// float32 subnormals, as they do in a long run on a fixed sample (issue 15,
// item 7: the step is several times slower there). Run it on each kernel
// path with GRADGEN_KERNELS.
func BenchmarkAdamSubnormal(b *testing.B) {
	const n = 100_000
	for _, tc := range []struct {
		name string
		m, v float32
		g    float32
	}{
		{"normal", 1e-3, 1e-6, 1e-3},
		{"subnormal", 1e-40, 1e-41, 0},
	} {
		b.Run(tc.name, func(b *testing.B) {
			p, g, m, v := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
			for i := range p {
				p[i], g[i], m[i], v[i] = 0.1, tc.g, tc.m, tc.v
			}
			b.SetBytes(4 * 4 * n)
			for b.Loop() {
				// Restore the moments each step, so every step sees the same kind of numbers.
				b.StopTimer()
				for i := range m {
					m[i], v[i] = tc.m, tc.v
				}
				b.StartTimer()
				Adam(p, g, m, v, 1000, 0.001, 0.9, 0.999, 1e-8)
			}
		})
	}
}
