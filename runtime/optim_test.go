package runtime

import (
	"fmt"
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

func (c adamCase) hyper(wd float64) *Hyperparams {
	return &Hyperparams{LR: c.lr, Beta1: c.beta1, Beta2: c.beta2, Eps: c.eps, WeightDecay: wd}
}

// Reference optimizers, written in float64 from the textbook formulas rather
// than PyTorch's order of operations.

func refSGD(p, g []float64, lr, wd float64) {
	for i := range p {
		p[i] = p[i] - lr*(g[i]+wd*p[i])
	}
}

func refMomentum(p, g, v []float64, lr float64, step int, h *Hyperparams) {
	for i := range p {
		d := g[i] + h.WeightDecay*p[i]
		if step == 1 {
			v[i] = d
		} else {
			v[i] = h.Momentum*v[i] + (1-h.Dampening)*d
		}
		if h.Nesterov {
			d += h.Momentum * v[i]
		} else {
			d = v[i]
		}
		p[i] -= lr * d
	}
}

// refAdam is Algorithm 1 of Kingma & Ba with eps added to sqrt(vhat), which is
// what PyTorch's sqrt(v)/sqrt(bc2) + eps computes, with weight decay as an L2
// term (Adam) or decoupled (AdamW, Loshchilov & Hutter).
func refAdam(p, g, m, v []float64, step int, c adamCase, wd float64, decoupled bool) {
	t := float64(step)
	for i := range p {
		gi := g[i]
		if decoupled {
			p[i] *= 1 - c.lr*wd
		} else {
			gi += wd * p[i]
		}
		m[i] = c.beta1*m[i] + (1-c.beta1)*gi
		v[i] = c.beta2*v[i] + (1-c.beta2)*gi*gi
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
		SGD(p, conv[T](g), 0.1, &Hyperparams{})
		refSGD(ref, g, 0.1, 0)
		checkStep(t, name+" SGD", k+1, p, ref, pinSGD[name][k])
	}
	p, ref = conv[T](p0), clone(p0)
	for k, g := range grads {
		SGD(p, conv[T](g), 0.1, &Hyperparams{WeightDecay: 0.05})
		refSGD(ref, g, 0.1, 0.05)
		checkStep(t, name+" SGD weight_decay=0.05", k+1, p, ref, nil)
	}
}

func TestMomentum(t *testing.T) {
	testMomentum[float32](t)
	testMomentum[float64](t)
}

func testMomentum[T Float](t *testing.T) {
	name := typeName[T]()
	h := &Hyperparams{Momentum: 0.9}
	p, v := conv[T](p0), make([]T, len(p0))
	ref, refV := clone(p0), make([]float64, len(p0))
	for k, g := range grads {
		Momentum(p, conv[T](g), v, 0.1, k+1, h)
		refMomentum(ref, g, refV, 0.1, k+1, h)
		checkStep(t, name+" Momentum", k+1, p, ref, pinMomentum[name][k])
	}

	for _, h := range momentumCases() {
		what := fmt.Sprintf("%s Momentum %+v", name, *h)
		p, v := conv[T](p0), make([]T, len(p0))
		ref, refV := clone(p0), make([]float64, len(p0))
		for k, g := range grads {
			Momentum(p, conv[T](g), v, 0.1, k+1, h)
			refMomentum(ref, g, refV, 0.1, k+1, h)
			checkStep(t, what, k+1, p, ref, nil)
		}

		// The first step is a plain SGD step (dampening does not apply),
		// or with Nesterov one with d + mu·d, and the buffer is d.
		p, v = conv[T](p0), make([]T, len(p0))
		g := conv[T](grads[0])
		sgd, d := conv[T](p0), append([]T(nil), g...)
		if h.WeightDecay != 0 {
			for i := range d {
				d[i] += T(T(h.WeightDecay) * sgd[i])
			}
		}
		Momentum(p, g, v, 0.1, 1, h)
		sd := append([]T(nil), d...)
		if h.Nesterov {
			for i := range sd {
				sd[i] += T(T(h.Momentum) * d[i])
			}
		}
		SGD(sgd, sd, 0.1, &Hyperparams{})
		for i := range p {
			if p[i] != sgd[i] || v[i] != d[i] {
				t.Errorf("%s: first step p[%d], v[%d] = %v, %v, want p - lr*d = %v, d = %v", what, i, i, p[i], v[i], sgd[i], d[i])
			}
		}
	}

	// Momentum 0 is SGD, and PyTorch keeps no buffer.
	h = &Hyperparams{Dampening: 0.5, WeightDecay: 0.01}
	p, v = conv[T](p0), make([]T, len(p0))
	sgd := conv[T](p0)
	for k, g := range grads {
		Momentum(p, conv[T](g), v, 0.1, k+1, h)
		SGD(sgd, conv[T](g), 0.1, h)
	}
	for i := range p {
		if p[i] != sgd[i] || v[i] != 0 {
			t.Errorf("%s Momentum 0: p[%d] = %v, v = %v, want SGD's %v and 0", name, i, p[i], v[i], sgd[i])
		}
	}
}

// momentumCases are the momentum settings the tests run: every option on
// and off (Nesterov needs dampening 0).
func momentumCases() []*Hyperparams {
	var hs []*Hyperparams
	for _, wd := range []float64{0, 0.05} {
		for _, damp := range []float64{0, 0.3} {
			for _, nesterov := range []bool{false, true} {
				if nesterov && damp != 0 {
					continue
				}
				hs = append(hs, &Hyperparams{Momentum: 0.9, Dampening: damp, Nesterov: nesterov, WeightDecay: wd})
			}
		}
	}
	return hs
}

func TestAdam(t *testing.T) {
	testAdam[float32](t)
	testAdam[float64](t)
}

func testAdam[T Float](t *testing.T) {
	name := typeName[T]()
	for c, hp := range adamCases {
		for _, opt := range []struct {
			name      string
			wd        float64
			decoupled bool
		}{{"Adam", 0, false}, {"Adam weight_decay=0.1", 0.1, false}, {"AdamW weight_decay=0", 0, true}, {"AdamW weight_decay=0.1", 0.1, true}} {
			p, m, v := conv[T](p0), make([]T, len(p0)), make([]T, len(p0))
			ref, refM, refV := clone(p0), make([]float64, len(p0)), make([]float64, len(p0))
			for k, g := range grads {
				if opt.decoupled {
					AdamW(p, conv[T](g), m, v, hp.lr, k+1, hp.hyper(opt.wd))
				} else {
					Adam(p, conv[T](g), m, v, hp.lr, k+1, hp.hyper(opt.wd))
				}
				refAdam(ref, g, refM, refV, k+1, hp, opt.wd, opt.decoupled)
				var pin []float64
				if opt.wd == 0 {
					pin = pinAdam[name][c][k] // AdamW without decay is Adam
				}
				checkStep(t, name+" "+opt.name, k+1, p, ref, pin)
			}
		}
	}

	// The first step moves each parameter by lr*|g|/(|g|+eps), about lr,
	// against the sign of its gradient, whatever the gradient's magnitude.
	const lr, eps = 0.01, 1e-8
	g := []T{1e-3, -5, 123, -0.25}
	p, m, v := make([]T, len(g)), make([]T, len(g)), make([]T, len(g))
	Adam(p, g, m, v, lr, 1, &Hyperparams{Beta1: 0.9, Beta2: 0.999, Eps: eps})
	for i := range p {
		want := -lr * math.Copysign(1, float64(g[i]))
		tol := lr * (1e-6 + eps/math.Abs(float64(g[i])))
		if d := float64(p[i]) - want; math.Abs(d) > tol {
			t.Errorf("%s Adam: first step with g = %v moved p by %v, want %v", name, g[i], p[i], want)
		}
	}
}

// TestWeightDecayIsExact: each optimizer's weight decay is exactly the
// formula of its comment, on every kernel path: SGD, Momentum and Adam
// with weight_decay wd give the bits of the same optimizer without it on
// the gradient g + T(wd·p), and AdamW those of Adam on p·T(1 − lr·wd).
func TestWeightDecayIsExact(t *testing.T) {
	withPaths(t, func(t *testing.T) {
		t.Run("float32", testWeightDecayIsExact[float32])
		t.Run("float64", testWeightDecayIsExact[float64])
	})
}

func testWeightDecayIsExact[T Float](t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	const n, lr, wd = 45, 0.05, 0.1
	for _, name := range []string{"SGD", "Momentum", "Nesterov", "Adam", "AdamW"} {
		h := &Hyperparams{Momentum: 0.9, Nesterov: name == "Nesterov", Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}
		hd := *h
		hd.WeightDecay = wd
		p, m, v := randSlice[T](r, n), randSlice[T](r, n), randSlice[T](r, n)
		for i := range v {
			v[i] *= v[i]
		}
		// a, the optimizer with weight decay; b, without it on changed inputs.
		pa, ma, va := append([]T(nil), p...), append([]T(nil), m...), append([]T(nil), v...)
		pb, mb, vb := p, m, v
		for step := 1; step <= 3; step++ {
			g := randSlice[T](r, n)
			gb := append([]T(nil), g...)
			if name == "AdamW" {
				keep := T(1 - lr*wd)
				for i := range pb {
					pb[i] = T(pb[i] * keep)
				}
			} else {
				for i := range gb {
					gb[i] += T(T(wd) * pb[i])
				}
			}
			switch name {
			case "SGD":
				SGD(pa, g, lr, &hd)
				SGD(pb, gb, lr, h)
			case "Momentum", "Nesterov":
				Momentum(pa, g, ma, lr, step, &hd)
				Momentum(pb, gb, mb, lr, step, h)
			case "Adam":
				Adam(pa, g, ma, va, lr, step, &hd)
				Adam(pb, gb, mb, vb, lr, step, h)
			case "AdamW":
				AdamW(pa, g, ma, va, lr, step, &hd)
				Adam(pb, gb, mb, vb, lr, step, h)
			}
			for k, pair := range [][2][]T{{pa, pb}, {ma, mb}, {va, vb}} {
				if i := firstDiff(pair[0], pair[1]); i >= 0 {
					t.Fatalf("%s step %d: slice %d differs at %d: %v vs %v", name, step, k, i, pair[0][i], pair[1][i])
				}
			}
		}
	}
}

// checkStep compares p after a step with the float64 reference ref, within
// the rounding of T, and exactly with the pinned values pin, if any.
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
		if pin != nil && p[i] != T(pin[i]) {
			t.Errorf("%s step %d: p[%d] = %v, pinned %v", what, step, i, p[i], pin[i])
		}
	}
}

// optimizerCase is one optimizer with one setting of its options.
type optimizerCase[T Float] struct {
	name string
	h    Hyperparams
	step func(p, g, m, v []T, lr float64, step int, h *Hyperparams)
}

// optimizerCases are every optimizer with every option on and off.
func optimizerCases[T Float]() []optimizerCase[T] {
	sgd := func(p, g, _, _ []T, lr float64, _ int, h *Hyperparams) { SGD(p, g, lr, h) }
	momentum := func(p, g, m, _ []T, lr float64, step int, h *Hyperparams) { Momentum(p, g, m, lr, step, h) }
	adamw := func(p, g, m, v []T, lr float64, step int, h *Hyperparams) { AdamW(p, g, m, v, lr, step, h) }
	var cs []optimizerCase[T]
	for _, wd := range []float64{0, 0.05} {
		cs = append(cs, optimizerCase[T]{fmt.Sprintf("sgd wd=%g", wd), Hyperparams{WeightDecay: wd}, sgd})
		adam := Hyperparams{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: wd}
		cs = append(cs, optimizerCase[T]{fmt.Sprintf("adam wd=%g", wd), adam, Adam[T]})
		cs = append(cs, optimizerCase[T]{fmt.Sprintf("adamw wd=%g", wd), adam, adamw})
	}
	for _, h := range momentumCases() {
		cs = append(cs, optimizerCase[T]{fmt.Sprintf("momentum %+v", *h), *h, momentum})
	}
	return cs
}

// optimizerState returns random parameters, gradients and buffers of n
// elements, with zeros of both signs, subnormals, numbers around the
// smallest normal and some infinities and NaNs among them.
func optimizerState[T Float](r *rand.Rand, n int) (p, g, m, v []T) {
	p, g, m, v = randSlice[T](r, n), randSlice[T](r, n), randSlice[T](r, n), randSlice[T](r, n)
	tiny := smallestNormal[T]()
	special := []T{0, T(math.Copysign(0, -1)), tiny, -tiny, tiny / 3, -tiny / 1024, tiny * 1.05, 1e-30, T(math.Inf(1)), T(math.NaN())}
	for _, s := range [][]T{p, g, m, v} {
		for i := range s {
			if r.IntN(4) == 0 {
				s[i] = special[r.IntN(len(special))]
			}
		}
	}
	for i := range v {
		v[i] = T(math.Abs(float64(v[i])))
	}
	return p, g, m, v
}

// TestOptimizerKernelsAreBitIdentical: every optimizer, with every option
// on and off, gives on the AVX2 and the AVX-512 kernels exactly the bits of
// its plain Go loop, for float32 and float64, on every length from 0 to 70
// (whole vectors of both widths and every tail) and a few longer, over
// steps 1 to 3, on states with zeros of both signs, subnormals, infinities
// and NaNs.
func TestOptimizerKernelsAreBitIdentical(t *testing.T) {
	if !vector {
		t.Skip("no vector kernels in this build or on this machine")
	}
	t.Run("float32", testOptimizerBits[float32])
	t.Run("float64", testOptimizerBits[float64])
}

func testOptimizerBits[T Float](t *testing.T) {
	savedVector, saved512 := vector, avx512
	defer func() { vector, avx512 = savedVector, saved512 }()
	paths := []struct {
		name           string
		vector, avx512 bool
	}{{"plain", false, false}, {"vector (AVX2 or NEON)", true, false}}
	if saved512 {
		paths = append(paths, struct {
			name           string
			vector, avx512 bool
		}{"avx512", true, true})
	}
	r := rand.New(rand.NewPCG(3, 4))
	lengths := []int{100, 257}
	for n := 0; n <= 70; n++ {
		lengths = append(lengths, n)
	}
	for _, c := range optimizerCases[T]() {
		for _, n := range lengths {
			p, g, m, v := optimizerState[T](r, n)
			state := make([][4][]T, len(paths)) // per path: p, g, m, v
			for path := range state {
				state[path] = [4][]T{append([]T(nil), p...), g, append([]T(nil), m...), append([]T(nil), v...)}
			}
			for step := 1; step <= 3; step++ {
				for path, on := range paths {
					vector, avx512 = on.vector, on.avx512
					s := &state[path]
					c.step(s[0], s[1], s[2], s[3], 0.01, step, &c.h)
				}
				for path := 1; path < len(paths); path++ {
					for k := range 4 {
						if i := firstDiff(state[0][k], state[path][k]); i >= 0 {
							t.Fatalf("%s n=%d step %d: slice %d differs at %d: plain %v (%#x), %s %v (%#x)", c.name, n, step, k, i,
								state[0][k][i], bits(state[0][k][i]), paths[path].name, state[path][k][i], bits(state[path][k][i]))
						}
					}
				}
			}
		}
	}
}

// TestAdamFlushesSubnormalMoments: Adam and AdamW store a moment whose
// magnitude is below the smallest normal number as +0 and keep every other
// (the smallest normal itself, NaN), on the vector and the plain path, with
// the same bits; a parameter whose moment was flushed does not move.
func TestAdamFlushesSubnormalMoments(t *testing.T) {
	withPaths(t, func(t *testing.T) {
		t.Run("float32", testAdamFlush[float32])
		t.Run("float64", testAdamFlush[float64])
	})
}

func testAdamFlush[T Float](t *testing.T) {
	tiny := smallestNormal[T]()
	next := func(x T, dir float64) T {
		if is32[T]() {
			return T(math.Nextafter32(float32(x), float32(dir)))
		}
		return T(math.Nextafter(float64(x), dir))
	}
	// Moments around tiny/beta1, where the decayed moment crosses tiny,
	// subnormals, zeros, and a normal one; the gradient is 0 or tiny.
	moments := []T{0, T(math.Copysign(0, -1)), tiny, -tiny, tiny / 0.9, next(tiny/0.9, 1), next(tiny/0.9, 0), -tiny / 0.9,
		tiny / 2, next(0, 1), -next(0, 1), 5 * next(0, 1), next(tiny, 0), next(tiny, 1), tiny * 1.2, tiny / 0.999,
		next(tiny/0.999, 1), next(tiny/0.999, 0), 1e-3, T(math.NaN())}
	const n = 67 // a vector part and a tail
	for _, h := range []*Hyperparams{
		{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8},
		{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.1},
	} {
		for _, adamw := range []bool{false, true} {
			p, g, m, v := make([]T, n), make([]T, n), make([]T, n), make([]T, n)
			for i := range p {
				p[i] = 0.5
				if h.WeightDecay != 0 && !adamw {
					p[i] = tiny / 2 // the L2 term wd·p stays subnormal
				}
				m[i] = moments[i%len(moments)]
				v[i] = T(math.Abs(float64(moments[(i/len(moments)+i)%len(moments)])))
				if i%5 == 3 {
					g[i] = tiny / 8
				}
			}
			m0, v0, pStart := append([]T(nil), m...), append([]T(nil), v...), append([]T(nil), p...)
			if adamw {
				AdamW(p, g, m, v, 0.001, 1000, h)
			} else {
				Adam(p, g, m, v, 0.001, 1000, h)
			}
			// The moments without the flush, as the step computes them.
			w, b2, c2 := T(1-h.Beta1), T(h.Beta2), T(1-h.Beta2)
			flushed, kept := 0, 0
			for i := range m {
				gi := g[i]
				if !adamw && h.WeightDecay != 0 {
					gi += T(T(h.WeightDecay) * pStart[i])
				}
				for _, mv := range []struct {
					name      string
					got, want T
				}{
					{"m", m[i], m0[i] + T(w*(gi-m0[i]))},
					{"v", v[i], T(v0[i]*b2) + T(T(c2*gi)*gi)},
				} {
					want := mv.want
					if math.Abs(float64(want)) < float64(tiny) {
						want = 0
						if mv.want != 0 {
							flushed++
						}
					} else if math.Abs(float64(want)) < 2*float64(tiny) {
						kept++
					}
					if bits(mv.got) != bits(want) && !(want != want && mv.got != mv.got) {
						t.Errorf("%+v adamw=%v: %s[%d] = %v (%#x) from %v, want %v", *h, adamw, mv.name, i, mv.got, bits(mv.got), mv.want, want)
					}
				}
				if m[i] == 0 && v[i] == v[i] && !adamw && p[i] != pStart[i] {
					t.Errorf("%+v: p[%d] moved from %v to %v with m flushed", *h, i, pStart[i], p[i])
				}
			}
			if flushed < 10 || kept < 5 {
				t.Errorf("%+v adamw=%v: %d moments flushed, %d near tiny kept: the test does not test", *h, adamw, flushed, kept)
			}
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
	h := &Hyperparams{Momentum: 0.9, Nesterov: true, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.01}
	step := 0
	for name, f := range map[string]func(){
		"SGD":          func() { SGD(p, g, 0.01, h) },
		"Momentum":     func() { step++; Momentum(p, g, v, 0.01, step, h) },
		"Adam":         func() { step++; Adam(p, g, m, v, 1e-3, step, h) },
		"AdamW":        func() { step++; AdamW(p, g, m, v, 1e-3, step, h) },
		"ClipGradNorm": func() { ClipGradNorm(g, 1) },
	} {
		if a := testing.AllocsPerRun(100, f); a != 0 {
			t.Errorf("%s %s: %v allocations per step, want 0", typeName[T](), name, a)
		}
	}
}

func TestOptimizerPanics(t *testing.T) {
	a, b := make([]float32, 3), make([]float32, 4)
	h := &Hyperparams{Momentum: 0.9, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}
	for _, c := range []struct {
		f    func()
		want string
	}{
		{func() { SGD(a, b, 0.1, h) }, "gradgen: SGD: len(p) = 3 but len(g) = 4"},
		{func() { Momentum(a, a, b, 0.1, 1, h) }, "gradgen: Momentum: len(p) = 3 but len(v) = 4"},
		{func() { Momentum(b, a, b, 0.1, 1, h) }, "gradgen: Momentum: len(p) = 4 but len(g) = 3"},
		{func() { Momentum(a, a, a, 0.1, 0, h) }, "gradgen: Momentum: step = 0, want >= 1"},
		{func() { Adam(a, a, b, a, 0.1, 1, h) }, "gradgen: Adam: len(p) = 3 but len(m) = 4"},
		{func() { Adam(a, a, a, b, 0.1, 1, h) }, "gradgen: Adam: len(p) = 3 but len(v) = 4"},
		{func() { Adam(a, a, a, a, 0.1, 0, h) }, "gradgen: Adam: step = 0, want >= 1"},
		{func() { AdamW(a, b, a, a, 0.1, 1, h) }, "gradgen: AdamW: len(p) = 3 but len(g) = 4"},
		{func() { AdamW(a, a, a, a, 0.1, -1, h) }, "gradgen: AdamW: step = -1, want >= 1"},
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

// bits is the encoding of x.
func bits[T Float](x T) uint64 {
	if is32[T]() {
		return uint64(math.Float32bits(float32(x)))
	}
	return math.Float64bits(float64(x))
}

// firstDiff is the first index where a and b differ in their bits, or -1.
func firstDiff[T Float](a, b []T) int {
	for i := range a {
		if bits(a[i]) != bits(b[i]) {
			return i
		}
	}
	return -1
}

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
	for _, c := range optimizerCases[T]() {
		for cut := 0; cut <= n; cut++ {
			p, g, m, v := randSlice[T](r, n), randSlice[T](r, n), randSlice[T](r, n), randSlice[T](r, n)
			for i := range v {
				v[i] *= v[i] // a second moment is not negative
			}
			step := 1 + cut%3
			whole := [4][]T{append([]T(nil), p...), g, append([]T(nil), m...), append([]T(nil), v...)}
			c.step(whole[0], whole[1], whole[2], whole[3], 0.05, step, &c.h)
			c.step(p[:cut], g[:cut], m[:cut], v[:cut], 0.05, step, &c.h)
			c.step(p[cut:], g[cut:], m[cut:], v[cut:], 0.05, step, &c.h)
			for k, s := range [][]T{p, g, m, v} {
				if i := firstDiff(s, whole[k]); i >= 0 {
					t.Fatalf("%s cut at %d: slice %d element %d differs from one step over all", c.name, cut, k, i)
				}
			}
		}
	}
}

// BenchmarkAdamSubnormal measures Adam steps over 100 000 float32
// parameters in the state a long run on a fixed sample reaches: moments
// normal (a steady gradient), and moments that decayed into subnormals
// (gradient 0, the moments starting at 1e-40 and 1e-41). The steps follow
// one another, as in training: without the flush the moments stay
// subnormal (0.9·m rounds back to m at the smallest ones) and every step
// computes on subnormals (issue 15, item 7); with it the first step stores
// zeros. Run it on each kernel path with GRADGEN_KERNELS; results in
// docs/bench/subnormal.txt.
func BenchmarkAdamSubnormal(b *testing.B) {
	const n = 100_000
	for _, tc := range []struct {
		name    string
		m, v, g float32
	}{
		{"normal", 1e-3, 1e-6, 1e-3},
		{"subnormal", 1e-40, 1e-41, 0},
	} {
		b.Run(tc.name, func(b *testing.B) {
			p, g, m, v := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
			for i := range p {
				p[i], g[i], m[i], v[i] = 0.1, tc.g, tc.m, tc.v
			}
			h := &Hyperparams{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}
			b.SetBytes(4 * 4 * n)
			step := 1000
			for b.Loop() {
				step++
				Adam(p, g, m, v, 0.001, step, h)
			}
		})
	}
}

// BenchmarkMomentumSubnormal is BenchmarkAdamSubnormal for the momentum
// buffer (mu = 0.9: it sticks at 4 times the smallest subnormal).
func BenchmarkMomentumSubnormal(b *testing.B) {
	const n = 100_000
	for _, tc := range []struct {
		name string
		v, g float32
	}{
		{"normal", 1e-3, 1e-3},
		{"subnormal", 1e-40, 0},
	} {
		b.Run(tc.name, func(b *testing.B) {
			p, g, v := make([]float32, n), make([]float32, n), make([]float32, n)
			for i := range p {
				p[i], g[i], v[i] = 0.1, tc.g, tc.v
			}
			h := &Hyperparams{Momentum: 0.9}
			b.SetBytes(3 * 4 * n)
			step := 1000
			for b.Loop() {
				step++
				Momentum(p, g, v, 0.01, step, h)
			}
		})
	}
}

// BenchmarkOptimizers measures one step of each optimizer over 100 000
// float32 parameters with a normal state. The bytes of an op are the
// slices the step reads or writes, each counted once (p and g for SGD, and
// v for Momentum, m and v as well for Adam and AdamW). Results in
// docs/bench/optim.txt.
func BenchmarkOptimizers(b *testing.B) {
	const n = 100_000
	h := &Hyperparams{Momentum: 0.9, Nesterov: true, WeightDecay: 0.01, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}
	r := rand.New(rand.NewPCG(1, 2))
	p, g, m, v := randSlice[float32](r, n), randSlice[float32](r, n), randSlice[float32](r, n), randSlice[float32](r, n)
	for i := range v {
		g[i] *= 1e-2
		m[i] *= 1e-3
		v[i] *= v[i] * 1e-4
	}
	for _, c := range []struct {
		name   string
		slices int
		step   func(step int)
	}{
		{"SGD", 2, func(int) { SGD(p, g, 1e-3, &Hyperparams{}) }},
		{"Momentum", 3, func(s int) { Momentum(p, g, m, 1e-3, s, &Hyperparams{Momentum: 0.9}) }},
		{"Momentum-nesterov-wd", 3, func(s int) { Momentum(p, g, m, 1e-3, s, h) }},
		{"Adam", 4, func(s int) { Adam(p, g, m, v, 1e-3, s, &Hyperparams{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}) }},
		{"AdamW", 4, func(s int) { AdamW(p, g, m, v, 1e-3, s, h) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(c.slices * 4 * n))
			step := 1000
			for b.Loop() {
				step++
				c.step(step)
			}
		})
	}
}

// TestFlushEffectBounds checks the bounds Adam's comment and
// docs/bench/subnormal.txt give for the effect of the flush against
// PyTorch, in float32 with eps = 1e-8, by exhaustive search over the
// binades at the thresholds. PyTorch's update from a subnormal m is at most
// u = (stepSize·m)/eps with m the largest subnormal (the denominator is at
// least eps), below (lr/bc1)·2^-126/eps but for the rounding of a subnormal
// product (at most 2^-150, a relative 5e-5 for lr/bc1 = 1e-3): every parameter from the threshold up gives p ± u = p (the
// binade at the threshold decides, the spacing only grows above), and some
// parameter in the binade below does not. A subnormal v changes the
// denominator only for eps below 2^-39 (bc2 = 1) or 2^-34 (bc2 = 0.001).
func TestFlushEffectBounds(t *testing.T) {
	if testing.Short() {
		t.Skip("exhaustive over binades")
	}
	maxSub := math.Float32frombits(0x007fffff)
	eps := float32(1e-8)
	keeps := func(e int, u float32) bool { // every p of the binade [2^e, 2^(e+1)) keeps its bits
		lo, hi := math.Float32bits(float32(math.Ldexp(1, e))), math.Float32bits(float32(math.Ldexp(1, e+1)))
		for b := lo; b < hi; b++ {
			p := math.Float32frombits(b)
			if p-u != p || p+u != p {
				return false
			}
		}
		return true
	}
	for _, c := range []struct {
		rate float64 // lr/bc1
		exp  int     // the threshold 2^exp
	}{{10, -71}, {1, -74}, {1e-3, -84}} {
		u := float32(float32(c.rate)*maxSub) / eps
		// The bound, plus the rounding of a subnormal product (2^-150) and of two operations.
		if bound := (c.rate*0x1p-126 + 0x1p-150) / 1e-8 * (1 + 0x1p-22); float64(u) > bound {
			t.Errorf("lr/bc1 = %v: update %v above the bound %v", c.rate, u, bound)
		}
		if !keeps(c.exp, u) || keeps(c.exp-1, u) {
			t.Errorf("lr/bc1 = %v: the threshold is not 2^%d", c.rate, c.exp)
		}
		if formula := math.Ldexp(c.rate*0x1p-126/1e-8, 26); formula < math.Ldexp(1, c.exp) {
			t.Errorf("lr/bc1 = %v: 2^26·(lr/bc1)·2^-126/eps = %v is below the threshold 2^%d", c.rate, formula, c.exp)
		}
	}
	for _, c := range []struct {
		bc2 float64
		exp int // eps >= 2^exp leaves the denominator alone, the float below 2^exp does not
	}{{1, -39}, {0.5, -38}, {0.001, -34}} {
		x := float32(math.Sqrt(float64(maxSub))) / float32(math.Sqrt(c.bc2))
		e := float32(math.Ldexp(1, c.exp))
		below := math.Nextafter32(e, 0)
		if x+e != e || x+below == below {
			t.Errorf("bc2 = %v: the eps threshold is not 2^%d", c.bc2, c.exp)
		}
		if bound := math.Ldexp(1, -38) / math.Sqrt(c.bc2); bound < float64(e) {
			t.Errorf("bc2 = %v: 2^-38/sqrt(bc2) = %v is below the threshold 2^%d", c.bc2, bound, c.exp)
		}
	}
	// float64, bc2 = 1: eps >= 2^-458.
	x64 := math.Sqrt(math.Float64frombits(0x000fffffffffffff))
	if e := 0x1p-458; x64+e != e || x64+math.Nextafter(e, 0) == math.Nextafter(e, 0) {
		t.Errorf("float64: the eps threshold is not 2^-458")
	}
	// eps = 1e-8 itself: half an ulp is 2^-51, far above 2^-63.
	if x := float32(math.Sqrt(float64(maxSub))); x+eps != eps {
		t.Errorf("a subnormal v changes the denominator with eps = 1e-8")
	}
}
