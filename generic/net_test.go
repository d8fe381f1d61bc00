package generic

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gradgen/gradgen/runtime"
	"github.com/gradgen/gradgen/spec"
)

// network returns a valid network with the given input width, loss and layers
// and the default optimizer.
func network(input int, loss spec.Loss, layers ...spec.Layer) *spec.Network {
	return &spec.Network{Package: "p", Input: input, Loss: loss, Layers: layers}
}

// gradCases cover every activation, loss, and layers with and without bias.
var gradCases = []struct {
	name string
	net  *spec.Network
}{
	{"relu/softmax_ce", network(3, spec.SoftmaxCrossEntropy,
		spec.Layer{Dense: 4, Activation: spec.ReLU},
		spec.Layer{Dense: 3})},
	{"tanh-nobias/sigmoid/mse", network(2, spec.MSE,
		spec.Layer{Dense: 5, Activation: spec.Tanh, NoBias: true},
		spec.Layer{Dense: 3, Activation: spec.Sigmoid})},
	{"leaky/bce-nobias", network(4, spec.BinaryCrossEntropy,
		spec.Layer{Dense: 3, Activation: spec.LeakyReLU, Slope: 0.2},
		spec.Layer{Dense: 2, NoBias: true})},
	{"deep/mse", network(3, spec.MSE,
		spec.Layer{Dense: 4, Activation: spec.Sigmoid},
		spec.Layer{Dense: 3, Activation: spec.LeakyReLU},
		spec.Layer{Dense: 3, Activation: spec.None, NoBias: true},
		spec.Layer{Dense: 2, Activation: spec.ReLU})},
}

// batch returns rows random samples and targets for m. Targets are in [0, 1]
// and, for softmax cross-entropy, rows of probabilities except the last row,
// which does not sum to 1 (PyTorch accepts that too).
func batch[T Float](m *Net[T], loss spec.Loss, rows int, seed uint64) (xs, ts []T) {
	r := rand.New(rand.NewPCG(seed, 1))
	xs = make([]T, rows*m.Inputs())
	for i := range xs {
		xs[i] = T(2*r.Float64() - 1)
	}
	n := m.Outputs()
	ts = make([]T, rows*n)
	for i := range ts {
		ts[i] = T(r.Float64())
	}
	if loss == spec.SoftmaxCrossEntropy {
		for row := range rows - 1 {
			t := ts[row*n : (row+1)*n]
			var s T
			for _, v := range t {
				s += v
			}
			for j := range t {
				t[j] /= s
			}
		}
	}
	return xs, ts
}

func mustNew[T Float](t *testing.T, n *spec.Network, seed uint64) *Net[T] {
	t.Helper()
	m, err := New[T](n, seed)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// refLoss computes the mean loss of the network n with parameters p on a
// batch by plain loops over the definitions, independently of Net.
func refLoss(n *spec.Network, p, xs, ts []float64) float64 {
	in, out := n.Input, n.Layers[len(n.Layers)-1].Dense
	rows := len(xs) / in
	var total float64
	for r := range rows {
		x := xs[r*in : (r+1)*in]
		off := 0
		for _, l := range n.Layers {
			w := p[off : off+l.Dense*len(x)]
			off += l.Dense * len(x)
			a := make([]float64, l.Dense)
			for i := range a {
				for j := range x {
					a[i] += w[i*len(x)+j] * x[j]
				}
				if !l.NoBias {
					a[i] += p[off+i]
				}
				slope := l.Slope
				if slope == 0 {
					slope = spec.DefaultSlope
				}
				switch z := a[i]; l.Activation {
				case spec.ReLU:
					a[i] = math.Max(z, 0)
				case spec.LeakyReLU:
					if z < 0 {
						a[i] = slope * z
					}
				case spec.Sigmoid:
					a[i] = 1 / (1 + math.Exp(-z))
				case spec.Tanh:
					a[i] = math.Tanh(z)
				}
			}
			if !l.NoBias {
				off += l.Dense
			}
			x = a
		}
		t := ts[r*out : (r+1)*out]
		switch n.Loss {
		case spec.MSE:
			for i := range x {
				total += (x[i] - t[i]) * (x[i] - t[i]) / float64(out)
			}
		case spec.BinaryCrossEntropy:
			for i, z := range x {
				s := 1 / (1 + math.Exp(-z))
				total -= (t[i]*math.Log(s) + (1-t[i])*math.Log(1-s)) / float64(out)
			}
		case spec.SoftmaxCrossEntropy:
			var s float64
			for _, z := range x {
				s += math.Exp(z)
			}
			for i, z := range x {
				total -= t[i] * (z - math.Log(s))
			}
		}
	}
	return total / float64(rows)
}

func TestLossMatchesReference(t *testing.T) {
	for _, c := range gradCases {
		t.Run(c.name, func(t *testing.T) {
			m := mustNew[float64](t, c.net, 7)
			xs, ts := batch(m, c.net.Loss, 6, 1)
			got, want := m.Loss(xs, ts), refLoss(c.net, m.Params(), xs, ts)
			if math.Abs(got-want) > 1e-12*math.Max(1, math.Abs(want)) {
				t.Errorf("Loss = %.17g, reference %.17g", got, want)
			}
			if b := m.Backward(xs, ts); b != got {
				t.Errorf("Backward returned %.17g, Loss %.17g", b, got)
			}
		})
	}
}

// TestLossValues checks losses worked out by hand.
func TestLossValues(t *testing.T) {
	ln2 := math.Ln2
	cases := []struct {
		name   string
		net    *spec.Network
		params []float64
		xs, ts []float64
		want   float64
	}{
		// z = [0, 0]: −log softmax = log 2 for both rows.
		{"softmax_ce", network(1, spec.SoftmaxCrossEntropy, spec.Layer{Dense: 2, NoBias: true}),
			[]float64{0, 0}, []float64{1, 2}, []float64{1, 0, 0.5, 0.5}, ln2},
		// z = [log 3, 0] gives softmax [3/4, 1/4].
		{"softmax_ce_skewed", network(1, spec.SoftmaxCrossEntropy, spec.Layer{Dense: 2}),
			[]float64{0, 0, math.Log(3), 0}, []float64{5}, []float64{0, 1}, math.Log(4)},
		// z = 0: log(1 + e^0) − 0 = log 2 whatever the target.
		{"bce", network(1, spec.BinaryCrossEntropy, spec.Layer{Dense: 1}),
			[]float64{0, 0}, []float64{3, -1}, []float64{1, 0.3}, ln2},
		// z = 40, t = 0: 40 + log1p(e^−40), no overflow.
		{"bce_large", network(1, spec.BinaryCrossEntropy, spec.Layer{Dense: 1, NoBias: true}),
			[]float64{1}, []float64{40}, []float64{0}, 40 + math.Log1p(math.Exp(-40))},
		// y = 2x + 1 on x = 1, 2 with targets 0, 0: (9 + 25) / 2.
		{"mse", network(1, spec.MSE, spec.Layer{Dense: 1}),
			[]float64{2, 1}, []float64{1, 2}, []float64{0, 0}, 17},
	}
	for _, c := range cases {
		m := mustNew[float64](t, c.net, 1)
		copy(m.Params(), c.params)
		if got := m.Loss(c.xs, c.ts); math.Abs(got-c.want) > 1e-15*math.Max(1, c.want) {
			t.Errorf("%s: Loss = %.17g, want %.17g", c.name, got, c.want)
		}
	}
}

// TestPredictLayout checks Predict on weights set by hand through Params,
// which also shows the [out][in] layout and that Params aliases the layers.
func TestPredictLayout(t *testing.T) {
	n := network(2, spec.MSE,
		spec.Layer{Dense: 2, Activation: spec.ReLU},
		spec.Layer{Dense: 1, NoBias: true})
	m := mustNew[float64](t, n, 1)
	// W1 = [[1 2] [3 4]], b1 = [0.5 −20], W2 = [[2 1]].
	copy(m.Params(), []float64{1, 2, 3, 4, 0.5, -20, 2, 1})
	y := make([]float64, 1)
	// z1 = [1+2+0.5, 3+4−20] = [3.5, −13], a1 = [3.5, 0], y = 7.
	m.Predict([]float64{1, 1}, y)
	if y[0] != 7 {
		t.Errorf("Predict = %v, want 7", y[0])
	}
	m.Params()[5] = 0 // b1[1]: a1 = [3.5, 7], y = 14
	m.Predict([]float64{1, 1}, y)
	if y[0] != 14 {
		t.Errorf("after setting b1[1]: Predict = %v, want 14", y[0])
	}
}

func TestGradientFiniteDifferences(t *testing.T) {
	for _, c := range gradCases {
		t.Run(c.name, func(t *testing.T) {
			m := mustNew[float64](t, c.net, 3)
			xs, ts := batch(m, c.net.Loss, 5, 2)
			m.Backward(xs, ts)
			g := append([]float64(nil), m.Grad()...)
			p := m.Params()
			for i := range p {
				// A central difference across a relu kink is wrong; a
				// smaller step then no longer straddles it.
				var fd, rel float64
				for _, h := range []float64{1e-5, 1e-7, 1e-9} {
					orig := p[i]
					p[i] = orig + h
					up := m.Loss(xs, ts)
					p[i] = orig - h
					down := m.Loss(xs, ts)
					p[i] = orig
					fd = (up - down) / (2 * h)
					rel = math.Abs(fd-g[i]) / math.Max(math.Max(math.Abs(fd), math.Abs(g[i])), 1e-4)
					if rel <= 1e-6 {
						break
					}
				}
				if rel > 1e-6 {
					t.Errorf("param %d: gradient %.12g, finite difference %.12g (relative error %.2g)", i, g[i], fd, rel)
				}
			}
		})
	}
}

func TestFloat32MatchesFloat64(t *testing.T) {
	for _, c := range gradCases {
		t.Run(c.name, func(t *testing.T) {
			n := *c.net
			n.Optimizer = spec.Optimizer{Adam: &spec.Adam{LR: 0.01}}
			m64 := mustNew[float64](t, &n, 5)
			m32 := mustNew[float32](t, &n, 5)
			for i, v := range m64.Params() {
				if m32.Params()[i] != float32(v) {
					t.Fatalf("param %d: float32 %v, float64 %v", i, m32.Params()[i], v)
				}
			}
			xs, ts := batch(m64, c.net.Loss, 8, 4)
			xs32, ts32 := convert[float32](xs), convert[float32](ts)
			for step := range 5 {
				l64, l32 := m64.Train(xs, ts), m32.Train(xs32, ts32)
				if math.Abs(float64(l32)-l64) > 1e-5*math.Max(1, math.Abs(l64)) {
					t.Errorf("step %d: loss float32 %v, float64 %v", step, l32, l64)
				}
				closeSlices(t, "grad", m32.Grad(), m64.Grad(), 1e-4)
				closeSlices(t, "params", m32.Params(), m64.Params(), 1e-4)
			}
			y64, y32 := make([]float64, m64.Outputs()), make([]float32, m32.Outputs())
			m64.Predict(xs[:m64.Inputs()], y64)
			m32.Predict(xs32[:m32.Inputs()], y32)
			closeSlices(t, "Predict", y32, y64, 1e-4)
		})
	}
}

// closeSlices fails unless |got−want| <= tol·max(1, max|want|) elementwise.
func closeSlices(t *testing.T, what string, got []float32, want []float64, tol float64) {
	t.Helper()
	scale := 1.0
	for _, v := range want {
		scale = math.Max(scale, math.Abs(v))
	}
	for i := range want {
		if d := math.Abs(float64(got[i]) - want[i]); d > tol*scale {
			t.Errorf("%s[%d]: float32 %v, float64 %v", what, i, got[i], want[i])
			return
		}
	}
}

func convert[E, T Float](xs []T) []E {
	out := make([]E, len(xs))
	for i, v := range xs {
		out[i] = E(v)
	}
	return out
}

func TestInitMatchesRuntime(t *testing.T) {
	testInit[float32](t)
	testInit[float64](t)
}

func testInit[T Float](t *testing.T) {
	n := network(3, spec.MSE,
		spec.Layer{Dense: 4, Activation: spec.Tanh},
		spec.Layer{Dense: 2, NoBias: true},
		spec.Layer{Dense: 5})
	const seed = 42
	m := mustNew[T](t, n, seed)
	if got, want := len(m.Params()), int(n.NumParams()); got != want || len(m.Grad()) != want {
		t.Fatalf("len(Params) = %d, len(Grad) = %d, want %d", got, len(m.Grad()), want)
	}
	// W1 b1 W2 W3 b3, each drawn from U(−1/√fanIn, 1/√fanIn) in turn.
	var r runtime.Rand
	r.Seed(seed)
	var want []T
	draw := func(count, fanIn int) {
		bound := 1 / math.Sqrt(float64(fanIn))
		for range count {
			want = append(want, T(r.Uniform(-bound, bound)))
		}
	}
	draw(4*3, 3)
	draw(4, 3)
	draw(2*4, 4)
	draw(5*2, 2)
	draw(5, 2)
	for i, v := range want {
		if m.Params()[i] != v {
			t.Fatalf("%T param %d = %v, want %v", v, i, m.Params()[i], v)
		}
	}
}

func TestNewLeavesSpecAlone(t *testing.T) {
	n := network(2, spec.MSE, spec.Layer{Dense: 1, Activation: spec.LeakyReLU})
	n.Optimizer.Adam = &spec.Adam{LR: 0.1}
	mustNew[float64](t, n, 1)
	if n.Layers[0].Slope != 0 || n.Optimizer.Adam.Beta1 != 0 || n.DType != "" {
		t.Errorf("New changed its argument: %+v, %+v", n.Layers[0], *n.Optimizer.Adam)
	}
}

func TestNewInvalid(t *testing.T) {
	if _, err := New[float64](nil, 1); err == nil {
		t.Error("New(nil) succeeded")
	}
	n := network(0, spec.SoftmaxCrossEntropy, spec.Layer{Dense: 2, Activation: spec.ReLU})
	_, err := New[float32](n, 1)
	if err == nil || !strings.Contains(err.Error(), "input must be >= 1") || !strings.Contains(err.Error(), "takes logits") {
		t.Errorf("New on an invalid network: error %v", err)
	}
}

func TestEmptyBatch(t *testing.T) {
	n := network(3, spec.MSE, spec.Layer{Dense: 2, Activation: spec.Sigmoid})
	n.Optimizer.Adam = &spec.Adam{}
	m := mustNew[float64](t, n, 1)
	xs, ts := batch(m, n.Loss, 4, 1)
	m.Backward(xs, ts)
	before := append([]float64(nil), m.Params()...)
	if l := m.Loss(nil, nil); l != 0 {
		t.Errorf("Loss(empty) = %v", l)
	}
	if l := m.Train(nil, []float64{}); l != 0 {
		t.Errorf("Train(empty) = %v", l)
	}
	for i, v := range m.Params() {
		if v != before[i] {
			t.Fatalf("Train(empty) changed param %d", i)
		}
	}
	if l := m.Backward(nil, nil); l != 0 {
		t.Errorf("Backward(empty) = %v", l)
	}
	for i, g := range m.Grad() {
		if g != 0 {
			t.Fatalf("Backward(empty): Grad[%d] = %v, want 0", i, g)
		}
	}
	// Train(empty) did not count as an Adam step: the first real step
	// matches a fresh Net's.
	fresh := mustNew[float64](t, n, 1)
	fresh.Train(xs, ts)
	m.Train(xs, ts)
	for i, v := range fresh.Params() {
		if m.Params()[i] != v {
			t.Fatalf("param %d after one step: %v, fresh Net %v", i, m.Params()[i], v)
		}
	}
}

// TestBatchSizes checks that work matrices kept from a larger batch give the
// same results for a smaller one.
func TestBatchSizes(t *testing.T) {
	c := gradCases[3]
	m := mustNew[float64](t, c.net, 9)
	xs, ts := batch(m, c.net.Loss, 7, 3)
	m.Loss(xs, ts)
	small := mustNew[float64](t, c.net, 9)
	xs3, ts3 := xs[:3*m.Inputs()], ts[:3*m.Outputs()]
	if a, b := m.Backward(xs3, ts3), small.Backward(xs3, ts3); a != b {
		t.Errorf("loss on 3 rows after 7: %v, fresh %v", a, b)
	}
	for i, g := range small.Grad() {
		if m.Grad()[i] != g {
			t.Fatalf("Grad[%d] on 3 rows after 7: %v, fresh %v", i, m.Grad()[i], g)
		}
	}
}

func TestLengthPanics(t *testing.T) {
	m := mustNew[float32](t, network(3, spec.MSE, spec.Layer{Dense: 2}), 1)
	cases := []struct {
		name, want string
		f          func()
	}{
		{"xs", "len(xs) = 4 is not a multiple of Inputs = 3", func() { m.Train(make([]float32, 4), make([]float32, 2)) }},
		{"ts", "len(ts) = 3 is not a multiple of Outputs = 2", func() { m.Loss(make([]float32, 3), make([]float32, 3)) }},
		{"batch", "xs holds 2 samples (len 6) but ts holds 1 (len 2)", func() { m.Backward(make([]float32, 6), make([]float32, 2)) }},
		{"predict", "len(x) = 2 and len(y) = 2", func() { m.Predict(make([]float32, 2), make([]float32, 2)) }},
	}
	for _, c := range cases {
		msg := func() (msg string) {
			defer func() { msg, _ = recover().(string) }()
			c.f()
			return ""
		}()
		if !strings.Contains(msg, c.want) {
			t.Errorf("%s: panic %q, want it to contain %q", c.name, msg, c.want)
		}
	}
}

func TestNoAllocs(t *testing.T) {
	testNoAllocs[float32](t)
	testNoAllocs[float64](t)
}

func testNoAllocs[T Float](t *testing.T) {
	n := network(8, spec.SoftmaxCrossEntropy,
		spec.Layer{Dense: 16, Activation: spec.ReLU},
		spec.Layer{Dense: 4})
	n.Optimizer.Adam = &spec.Adam{}
	m := mustNew[T](t, n, 1)
	xs, ts := batch(m, n.Loss, 32, 1)
	y := make([]T, m.Outputs())
	m.Train(xs, ts)
	for name, f := range map[string]func(){
		"Predict":       func() { m.Predict(xs[:m.Inputs()], y) },
		"Train":         func() { m.Train(xs, ts) },
		"Loss":          func() { m.Loss(xs, ts) },
		"Backward":      func() { m.Backward(xs, ts) },
		"smaller Train": func() { m.Train(xs[:5*m.Inputs()], ts[:5*m.Outputs()]) },
	} {
		if a := testing.AllocsPerRun(50, f); a != 0 {
			t.Errorf("%T %s: %v allocations per run", y[0], name, a)
		}
	}
}

// TestWide runs matrices large enough for gonum's GEMM to split them into
// blocks and work on them concurrently.
func TestWide(t *testing.T) {
	n := network(70, spec.BinaryCrossEntropy,
		spec.Layer{Dense: 200, Activation: spec.Tanh},
		spec.Layer{Dense: 130})
	m := mustNew[float64](t, n, 11)
	xs, ts := batch(m, n.Loss, 150, 8)
	got, want := m.Backward(xs, ts), refLoss(n, m.Params(), xs, ts)
	if math.Abs(got-want) > 1e-12*math.Max(1, math.Abs(want)) {
		t.Errorf("Loss = %.17g, reference %.17g", got, want)
	}
	p, g := m.Params(), append([]float64(nil), m.Grad()...)
	for i := 0; i < len(p); i += len(p)/23 + 1 {
		const h = 1e-4
		orig := p[i]
		p[i] = orig + h
		up := m.Loss(xs, ts)
		p[i] = orig - h
		down := m.Loss(xs, ts)
		p[i] = orig
		fd := (up - down) / (2 * h)
		if rel := math.Abs(fd-g[i]) / math.Max(math.Max(math.Abs(fd), math.Abs(g[i])), 1e-4); rel > 1e-6 {
			t.Errorf("param %d: gradient %.12g, finite difference %.12g (relative error %.2g)", i, g[i], fd, rel)
		}
	}
}

func BenchmarkTrain(b *testing.B) {
	b.Run("float32", benchmarkTrain[float32])
	b.Run("float64", benchmarkTrain[float64])
}

// benchmarkTrain trains a 64-128-10 classifier with Adam on batches of 32.
func benchmarkTrain[T Float](b *testing.B) {
	n := network(64, spec.SoftmaxCrossEntropy,
		spec.Layer{Dense: 128, Activation: spec.ReLU},
		spec.Layer{Dense: 10})
	n.Optimizer.Adam = &spec.Adam{}
	m, err := New[T](n, 1)
	if err != nil {
		b.Fatal(err)
	}
	xs, ts := batch(m, n.Loss, 32, 1)
	m.Train(xs, ts) // allocates the work matrices
	b.ReportAllocs()
	for b.Loop() {
		m.Train(xs, ts)
	}
}
