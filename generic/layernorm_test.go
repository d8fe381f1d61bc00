package generic

import (
	"math"
	"strconv"
	"testing"

	"github.com/gradgen/gradgen/spec"
)

// ln returns a layer_norm layer with the given eps (0: the default).
func ln(eps float64) spec.Layer { return spec.Layer{LayerNorm: &spec.LayerNorm{Eps: eps}} }

// lnAct returns a layer_norm layer with an activation.
func lnAct(act spec.Activation, slope float64) spec.Layer {
	l := ln(0)
	l.Activation, l.Slope = act, slope
	return l
}

// twoInputs is a graph of two named inputs: a dense layer over a, a
// layer_norm over the concatenation [h, b], a dense layer over it and a
// residual add of the two, then (without heads) a last dense layer trained
// with mse, or (with heads) two heads reading the sum and the layer_norm.
func twoInputs(heads bool) *spec.Network {
	norm := ln(1e-3)
	norm.Name, norm.From, norm.Activation = "norm", []string{"h", "b"}, spec.Tanh
	n := &spec.Network{Package: "p",
		Inputs: []spec.Port{{Name: "a", Width: 3}, {Name: "b", Width: 2}},
		Layers: []spec.Layer{
			{Name: "h", From: []string{"a"}, Dense: 4, Activation: spec.Sigmoid},
			norm,
			{Name: "d", Dense: 6, Activation: spec.Tanh},
			{Name: "res", Add: []string{"norm", "d"}},
		},
	}
	if heads {
		n.Outputs = []spec.Head{
			{Name: "value", Layer: spec.Layer{Dense: 2}, Loss: spec.MSE, Weight: 0.5, Fields: spec.Positions{"weight": {}}},
			{Name: "policy", Layer: spec.Layer{Dense: 3, From: []string{"norm", "a"}}, Loss: spec.SoftmaxCrossEntropy},
		}
	} else {
		n.Layers = append(n.Layers, spec.Layer{Dense: 2, Activation: spec.LeakyReLU})
		n.Loss = spec.MSE
	}
	return n
}

// lnCases are networks with layer_norm layers of widths 1, 3 and 16, with
// and without activations, frozen, first, and in graphs.
var lnCases = []struct {
	name string
	net  *spec.Network
}{
	{"width3/mse", network(2, spec.MSE,
		spec.Layer{Dense: 3, Activation: spec.Tanh}, ln(0), spec.Layer{Dense: 2})},
	{"width1/mse", network(2, spec.MSE,
		spec.Layer{Dense: 1}, ln(0), spec.Layer{Dense: 2, Activation: spec.Sigmoid})},
	{"width16/softmax_ce", network(5, spec.SoftmaxCrossEntropy,
		spec.Layer{Dense: 16, Activation: spec.ReLU}, ln(1e-4), spec.Layer{Dense: 3})},
	{"first/bce", network(4, spec.BinaryCrossEntropy,
		ln(0), spec.Layer{Dense: 3, NoBias: true})},
	{"relu", network(3, spec.MSE,
		spec.Layer{Dense: 5}, lnAct(spec.ReLU, 0), spec.Layer{Dense: 2})},
	{"leaky_relu", network(3, spec.MSE,
		spec.Layer{Dense: 5}, lnAct(spec.LeakyReLU, 0.2), spec.Layer{Dense: 2})},
	{"sigmoid", network(3, spec.MSE,
		spec.Layer{Dense: 5}, lnAct(spec.Sigmoid, 0), spec.Layer{Dense: 2})},
	{"tanh/last", network(3, spec.MSE,
		spec.Layer{Dense: 4, Activation: spec.Tanh}, spec.Layer{Dense: 5}, lnAct(spec.Tanh, 0))},
	{"two_norms", network(3, spec.MSE,
		spec.Layer{Dense: 4}, ln(0), ln(0.5), spec.Layer{Dense: 2})},
	{"frozen", func() *spec.Network {
		f := ln(0)
		f.Frozen = true
		return network(3, spec.MSE, spec.Layer{Dense: 4, Activation: spec.Tanh}, f, spec.Layer{Dense: 2})
	}()},
	{"graph/from_concat_residual", twoInputs(false)},
	{"graph/heads", twoInputs(true)},
}

// checkGradient compares m's gradient on (xs, ts) with central differences
// of its loss, parameter by parameter; a frozen parameter's gradient must
// be 0.
func checkGradient(t *testing.T, m *Net[float64], xs, ts []float64) {
	t.Helper()
	m.Backward(xs, ts)
	g := append([]float64(nil), m.Grad()...)
	p := m.Params()
	for i := range p {
		if m.opt.frozen[i] {
			if g[i] != 0 {
				t.Errorf("frozen param %d: gradient %v, want 0", i, g[i])
			}
			continue
		}
		// A central difference across a relu kink is wrong, and one on a
		// layer_norm of variance near 0 has a large error term; a smaller
		// step then does better.
		var fd, rel float64
		for _, h := range []float64{1e-5, 1e-6, 1e-7, 1e-8} {
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
}

func TestLayerNormGradient(t *testing.T) {
	for _, c := range lnCases {
		t.Run(c.name, func(t *testing.T) {
			m := mustNew[float64](t, c.net, 3)
			xs, ts := batch(m, lossOf(c.net), 5, 2)
			// Move β and γ off their initial 1 and 0, so that their
			// gradients and the input's are checked in general.
			p := m.Params()
			for i := range p {
				p[i] += 0.3 * math.Sin(float64(7*i+1))
			}
			checkGradient(t, m, xs, ts)
		})
	}
}

// lossOf is the loss batch makes targets for: the network's, or softmax
// cross-entropy when a head has it (its targets then sum to 1 over the
// whole row, which PyTorch accepts).
func lossOf(n *spec.Network) spec.Loss {
	for _, h := range n.Outputs {
		if h.Loss == spec.SoftmaxCrossEntropy {
			return h.Loss
		}
	}
	return n.Loss
}

// TestLayerNormConstantRow checks the gradient where a layer_norm reads a
// constant row, whose variance is 0 and σ = sqrt(eps): the input row of a
// first layer_norm, and a row a dense layer with equal rows of W and equal
// biases makes constant.
func TestLayerNormConstantRow(t *testing.T) {
	t.Run("input", func(t *testing.T) {
		n := network(3, spec.MSE, ln(0), spec.Layer{Dense: 2, Activation: spec.Tanh})
		m := mustNew[float64](t, n, 1)
		xs, ts := batch(m, n.Loss, 3, 5)
		copy(xs[3:6], []float64{0.75, 0.75, 0.75}) // the mean 2.25/3 is 0.75 exactly
		checkGradient(t, m, xs, ts)
		// The constant row normalises to 0, so the output is tanh(W·β + b)
		// = tanh(b).
		y := make([]float64, 2)
		m.Predict(xs[3:6], y)
		b := m.Params()[6+2*3:]
		for j := range y {
			if want := math.Tanh(b[j]); math.Abs(y[j]-want) > 1e-15 {
				t.Errorf("Predict(constant row)[%d] = %v, want %v", j, y[j], want)
			}
		}
	})
	for _, eps := range []float64{0, 0.01} {
		t.Run("dense/eps="+strconv.FormatFloat(eps, 'g', -1, 64), func(t *testing.T) {
			n := network(3, spec.MSE, spec.Layer{Dense: 4}, ln(eps), spec.Layer{Dense: 2, Activation: spec.Sigmoid})
			m := mustNew[float64](t, n, 2)
			p := m.Params()
			for i := range 4 { // W1's rows all [0.3, −0.2, 0.5], b1 all 0.1
				copy(p[3*i:3*i+3], []float64{0.3, -0.2, 0.5})
				p[12+i] = 0.1
			}
			xs, ts := batch(m, n.Loss, 4, 6)
			checkGradient(t, m, xs, ts)
		})
	}
}

// refLayerNorm is nn.LayerNorm of one row, by its definition.
func refLayerNorm(x, gamma, beta []float64, eps float64) []float64 {
	var mean, variance float64
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	for _, v := range x {
		variance += (v - mean) * (v - mean)
	}
	variance /= float64(len(x))
	y := make([]float64, len(x))
	for j, v := range x {
		y[j] = gamma[j]*(v-mean)/math.Sqrt(variance+eps) + beta[j]
	}
	return y
}

// TestLayerNormForward checks Predict and Loss of input → dense 4 →
// layer_norm (leaky_relu) → dense 2 against a direct computation, with γ
// and β set away from 1 and 0, and a layer_norm worked out by hand.
func TestLayerNormForward(t *testing.T) {
	for _, eps := range []float64{0, 1e-5, 0.25} {
		norm := lnAct(spec.LeakyReLU, 0.1)
		norm.LayerNorm.Eps = eps
		n := network(3, spec.MSE, spec.Layer{Dense: 4, Activation: spec.Tanh}, norm, spec.Layer{Dense: 2})
		m := mustNew[float64](t, n, 4)
		p := m.Params()
		if len(p) != 12+4+4+4+8+2 {
			t.Fatalf("len(Params) = %d, want 34", len(p))
		}
		w1, b1 := p[0:12], p[12:16]
		gamma, beta := p[16:20], p[20:24]
		w2, b2 := p[24:32], p[32:34]
		copy(gamma, []float64{1.5, -0.5, 2, 0.25})
		copy(beta, []float64{0.1, -0.3, 0, 0.7})
		e := eps
		if e == 0 {
			e = spec.DefaultEps
		}
		xs, ts := batch(m, n.Loss, 4, 9)
		var loss float64
		for r := range 4 {
			x := xs[3*r : 3*r+3]
			h := make([]float64, 4)
			for i := range h {
				h[i] = b1[i]
				for j := range x {
					h[i] += w1[3*i+j] * x[j]
				}
				h[i] = math.Tanh(h[i])
			}
			z := refLayerNorm(h, gamma, beta, e)
			for i, v := range z {
				if v < 0 {
					z[i] = 0.1 * v
				}
			}
			want := make([]float64, 2)
			for i := range want {
				want[i] = b2[i]
				for j := range z {
					want[i] += w2[4*i+j] * z[j]
				}
				d := want[i] - ts[2*r+i]
				loss += d * d / 8
			}
			y := make([]float64, 2)
			m.Predict(x, y)
			for i := range y {
				if math.Abs(y[i]-want[i]) > 1e-14 {
					t.Errorf("eps %v, row %d: Predict[%d] = %.17g, direct %.17g", eps, r, i, y[i], want[i])
				}
			}
		}
		if got := m.Loss(xs, ts); math.Abs(got-loss) > 1e-14 {
			t.Errorf("eps %v: Loss = %.17g, direct %.17g", eps, got, loss)
		}
	}

	// x = [1, 3]: mean 2, variance 1, so n = [−1, 1]/sqrt(1 + eps).
	n := network(2, spec.MSE, ln(0.44))
	m := mustNew[float64](t, n, 1)
	copy(m.Params(), []float64{2, 3, 0.5, -1}) // γ, β
	y := make([]float64, 2)
	m.Predict([]float64{1, 3}, y)
	if want := []float64{2*(-1/1.2) + 0.5, 3*(1/1.2) - 1}; math.Abs(y[0]-want[0]) > 1e-15 || math.Abs(y[1]-want[1]) > 1e-15 {
		t.Errorf("layer_norm of [1 3] = %v, want %v", y, want)
	}
}

// TestLayerNormInit checks that γ starts at 1 and β at 0, that they draw
// nothing from the generator, so the dense layers around a layer_norm
// start where they would without it, and that a frozen layer_norm is
// frozen for the optimizer.
func TestLayerNormInit(t *testing.T) {
	testLayerNormInit[float32](t)
	testLayerNormInit[float64](t)
}

func testLayerNormInit[T Float](t *testing.T) {
	frozen := ln(0)
	frozen.Frozen = true
	with := network(3, spec.MSE,
		spec.Layer{Dense: 4, Activation: spec.Tanh}, ln(0),
		spec.Layer{Dense: 5, NoBias: true}, frozen,
		spec.Layer{Dense: 2})
	without := network(3, spec.MSE,
		spec.Layer{Dense: 4, Activation: spec.Tanh},
		spec.Layer{Dense: 5, NoBias: true},
		spec.Layer{Dense: 2})
	const seed = 17
	mw, mo := mustNew[T](t, with, seed), mustNew[T](t, without, seed)
	if got, want := len(mw.Params()), int(with.NumParams()); got != want || want != len(mo.Params())+2*4+2*5 {
		t.Fatalf("len(Params) = %d, NumParams %d, want %d", got, want, len(mo.Params())+2*4+2*5)
	}
	// with:    W1 b1 γ2 β2 W3 γ4 β4 W5 b5
	// without: W1 b1 W2 W3 b3
	pw, po := mw.Params(), mo.Params()
	type part struct {
		name   string
		w, o   int // offsets in with and without; o < 0: a layer_norm's
		size   int
		value  T
		frozen bool
	}
	parts := []part{
		{"W1 b1", 0, 0, 12 + 4, 0, false},
		{"γ2", 16, -1, 4, 1, false},
		{"β2", 20, -1, 4, 0, false},
		{"W3", 24, 16, 20, 0, false},
		{"γ4", 44, -1, 5, 1, true},
		{"β4", 49, -1, 5, 0, true},
		{"W5 b5", 54, 36, 10 + 2, 0, false},
	}
	for _, p := range parts {
		for i := range p.size {
			want := p.value
			if p.o >= 0 {
				want = po[p.o+i]
			}
			if got := pw[p.w+i]; got != want {
				t.Fatalf("%T %s[%d] = %v, want %v", got, p.name, i, got, want)
			}
			if got := mw.opt.frozen[p.w+i]; got != p.frozen {
				t.Errorf("%T %s[%d]: frozen %v, want %v", want, p.name, i, got, p.frozen)
			}
		}
	}
	if last := parts[len(parts)-1]; last.w+last.size != len(pw) {
		t.Errorf("the parts cover %d params of %d", last.w+last.size, len(pw))
	}
}

// TestLayerNormYAML runs a layer_norm network given in YAML, with eps left
// out (1e-5) and given, and compares it with the same network as a literal.
func TestLayerNormYAML(t *testing.T) {
	src := `package: p
input: 3
layers:
  - {dense: 4, activation: relu}
  - {layer_norm: {}, activation: tanh}
  - {layer_norm: {eps: 0.5}, trainable: false}
  - {dense: 2}
loss: mse
`
	n, err := spec.Parse("ln.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	frozen := ln(0.5)
	frozen.Frozen = true
	lit := network(3, spec.MSE, spec.Layer{Dense: 4, Activation: spec.ReLU}, lnAct(spec.Tanh, 0), frozen, spec.Layer{Dense: 2})
	a, b := mustNew[float64](t, n, 5), mustNew[float64](t, lit, 5)
	p := a.Params()
	for i := range p {
		p[i] += 0.2 * math.Cos(float64(i)) // γ and β away from 1 and 0
	}
	copy(b.Params(), p)
	xs, ts := batch(a, n.Loss, 6, 3)
	if la, lb := a.Backward(xs, ts), b.Backward(xs, ts); la != lb {
		t.Errorf("Loss of the YAML network %v, of the literal %v", la, lb)
	}
	for i, g := range a.Grad() {
		if b.Grad()[i] != g {
			t.Fatalf("Grad[%d]: YAML %v, literal %v", i, g, b.Grad()[i])
		}
	}
	checkGradient(t, a, xs, ts)
}

// TestLayerNormFloat32 trains float32 and float64 copies of the layer_norm
// networks side by side.
func TestLayerNormFloat32(t *testing.T) {
	for _, c := range lnCases {
		t.Run(c.name, func(t *testing.T) {
			n := *c.net
			n.Optimizer = spec.Optimizer{Adam: &spec.Adam{LR: 0.01}}
			m64, m32 := mustNew[float64](t, &n, 5), mustNew[float32](t, &n, 5)
			for i, v := range m64.Params() {
				if m32.Params()[i] != float32(v) {
					t.Fatalf("param %d: float32 %v, float64 %v", i, m32.Params()[i], v)
				}
			}
			xs, ts := batch(m64, lossOf(c.net), 8, 4)
			xs32, ts32 := convert[float32](xs), convert[float32](ts)
			for step := range 5 {
				l64, l32 := m64.Train(xs, ts), m32.Train(xs32, ts32)
				if math.Abs(float64(l32)-l64) > 1e-5*math.Max(1, math.Abs(l64)) {
					t.Errorf("step %d: loss float32 %v, float64 %v", step, l32, l64)
				}
				closeSlices(t, "grad", m32.Grad(), m64.Grad(), 1e-4)
				closeSlices(t, "params", m32.Params(), m64.Params(), 1e-4)
			}
		})
	}
}

// TestDropout checks that dropout with p = 0 is the identity, in Predict,
// Loss, the gradient and the initial parameters, and that p > 0 is refused
// by New and NewPretrained.
func TestDropout(t *testing.T) {
	drop := func(p float64) spec.Layer { return spec.Layer{Dropout: &spec.Dropout{P: p}} }
	with := network(3, spec.SoftmaxCrossEntropy,
		spec.Layer{Dense: 4, Activation: spec.ReLU}, drop(0), spec.Layer{Dense: 3})
	without := network(3, spec.SoftmaxCrossEntropy,
		spec.Layer{Dense: 4, Activation: spec.ReLU}, spec.Layer{Dense: 3})
	a, b := mustNew[float64](t, with, 8), mustNew[float64](t, without, 8)
	if len(a.Params()) != len(b.Params()) {
		t.Fatalf("len(Params) with dropout %d, without %d", len(a.Params()), len(b.Params()))
	}
	for i, v := range b.Params() {
		if a.Params()[i] != v {
			t.Fatalf("param %d with dropout %v, without %v", i, a.Params()[i], v)
		}
	}
	xs, ts := batch(a, with.Loss, 5, 2)
	if la, lb := a.Backward(xs, ts), b.Backward(xs, ts); math.Abs(la-lb) > 1e-15 {
		t.Errorf("Loss with dropout %v, without %v", la, lb)
	}
	for i, g := range b.Grad() {
		if math.Abs(a.Grad()[i]-g) > 1e-15 {
			t.Fatalf("Grad[%d] with dropout %v, without %v", i, a.Grad()[i], g)
		}
	}
	ya, yb := make([]float64, 3), make([]float64, 3)
	a.Predict(xs[:3], ya)
	b.Predict(xs[:3], yb)
	for i := range ya {
		if math.Abs(ya[i]-yb[i]) > 1e-15 {
			t.Errorf("Predict[%d] with dropout %v, without %v", i, ya[i], yb[i])
		}
	}
	checkGradient(t, a, xs, ts)

	// A dropout over a concatenation in a graph, p = 0.
	g := twoInputs(false)
	g.Layers[1] = spec.Layer{Name: "norm", From: []string{"h", "b"}, Dropout: &spec.Dropout{}}
	m := mustNew[float64](t, g, 3)
	xs, ts = batch(m, g.Loss, 4, 1)
	checkGradient(t, m, xs, ts)

	bad := network(3, spec.MSE, spec.Layer{Dense: 4}, drop(0.5), spec.Layer{Dense: 2})
	const want = "generic: layer 2: dropout with p > 0 is not supported by the generic engine: its masks are drawn by the generated code's generator"
	if _, err := New[float32](bad, 1); err == nil || err.Error() != want {
		t.Errorf("New with dropout 0.5: error %v, want %q", err, want)
	}
	bad.Pretrained = make([]float64, bad.NumParams())
	if _, err := NewPretrained[float64](bad); err == nil || err.Error() != want {
		t.Errorf("NewPretrained with dropout 0.5: error %v, want %q", err, want)
	}
}

// TestLayerNormOutputMap checks that a graph network of one output (a
// chain with a layer_norm) applies its output map in Predict.
func TestLayerNormOutputMap(t *testing.T) {
	n := network(3, spec.SoftmaxCrossEntropy, spec.Layer{Dense: 4}, ln(0), spec.Layer{Dense: 3})
	plain := mustNew[float64](t, n, 1)
	n.Output = spec.Softmax
	mapped := mustNew[float64](t, n, 1)
	x, y, z := []float64{0.5, -1, 2}, make([]float64, 3), make([]float64, 3)
	plain.Predict(x, y)
	mapped.Predict(x, z)
	var s float64
	for _, v := range y {
		s += math.Exp(v)
	}
	for i := range y {
		if want := math.Exp(y[i]) / s; math.Abs(z[i]-want) > 1e-15 {
			t.Errorf("Predict with output softmax [%d] = %v, want %v", i, z[i], want)
		}
	}
}

// TestLayerNormWidth1 checks that a layer_norm of width 1 outputs β and
// passes no gradient back: the dense layer before it gets none.
func TestLayerNormWidth1(t *testing.T) {
	n := network(2, spec.MSE, spec.Layer{Dense: 1}, ln(0), spec.Layer{Dense: 1})
	m := mustNew[float64](t, n, 1)
	copy(m.Params()[3:5], []float64{2, 0.25}) // γ, β
	xs, ts := batch(m, n.Loss, 3, 1)
	m.Backward(xs, ts)
	for i, g := range m.Grad()[:3] {
		if g != 0 {
			t.Errorf("dense layer before a width-1 layer_norm: Grad[%d] = %v, want 0", i, g)
		}
	}
	if g := m.Grad()[3]; g != 0 {
		t.Errorf("γ's gradient %v, want 0 (n = 0)", g)
	}
	y := make([]float64, 1)
	m.Predict(xs[:2], y)
	w, b := m.Params()[5], m.Params()[6]
	if want := w*0.25 + b; y[0] != want {
		t.Errorf("Predict = %v, want W·β + b = %v", y[0], want)
	}
}
