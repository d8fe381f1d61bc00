package generic

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/gradgen/gradgen/runtime"
	"github.com/gradgen/gradgen/spec"
)

// ids is an integer input of n categories, as the parser makes it: width 1.
func ids(name string, n int) spec.Port { return spec.Port{Name: name, Width: 1, Categories: n} }

// emb is an embedding layer named name of width dim over the integer input from.
func emb(name, from string, dim int) spec.Layer {
	return spec.Layer{Name: name, From: []string{from}, Embedding: dim}
}

// embCases are graph networks with embeddings: a batch's ids of each integer
// input are given, with repeats, and some ids of each table unused.
var embCases = []struct {
	name string
	net  *spec.Network
	ids  map[string][]int // an integer input's ids, sample by sample
}{
	{"repeated", &spec.Network{Package: "p",
		Inputs: []spec.Port{ids("item", 7)},
		Layers: []spec.Layer{emb("e", "item", 3), {Dense: 2, Activation: spec.Tanh}},
		Loss:   spec.MSE,
	}, map[string][]int{"item": {2, 5, 2, 0, 2}}},
	{"concat_float", &spec.Network{Package: "p",
		Inputs: []spec.Port{{Name: "x", Width: 3}, ids("item", 5)},
		Layers: []spec.Layer{
			emb("e", "item", 4),
			{Name: "h", From: []string{"x", "e"}, Dense: 5, Activation: spec.Sigmoid},
			{Dense: 3},
		},
		Loss: spec.SoftmaxCrossEntropy,
	}, map[string][]int{"item": {4, 1, 1, 4, 0, 4}}},
	{"two_of_one_input", &spec.Network{Package: "p",
		Inputs: []spec.Port{ids("user", 6), {Name: "x", Width: 2}},
		Layers: []spec.Layer{
			emb("a", "user", 3),
			emb("b", "user", 2),
			emb("c", "user", 3),
			{Name: "s", Add: []string{"a", "c"}},
			{From: []string{"s", "x", "b"}, Dense: 4, Activation: spec.Tanh},
			{Dense: 2},
		},
		Loss: spec.BinaryCrossEntropy,
	}, map[string][]int{"user": {3, 0, 3, 5, 3}}},
	{"layer_norm", func() *spec.Network {
		norm := ln(0)
		norm.Name, norm.From, norm.Activation = "norm", []string{"e"}, spec.Tanh
		return &spec.Network{Package: "p",
			Inputs: []spec.Port{ids("word", 4), {Name: "x", Width: 2}},
			Layers: []spec.Layer{emb("e", "word", 5), norm},
			Outputs: []spec.Head{
				{Name: "value", Layer: spec.Layer{Dense: 1, From: []string{"norm", "x"}}, Loss: spec.MSE},
				{Name: "click", Layer: spec.Layer{Dense: 2, From: []string{"e"}}, Loss: spec.BinaryCrossEntropy,
					Weight: 0.5, Fields: spec.Positions{"weight": {}}},
			},
		}
	}(), map[string][]int{"word": {1, 1, 3, 1}}},
	{"two_inputs_frozen", func() *spec.Network {
		frozen := emb("v", "item", 2)
		frozen.Frozen = true
		return &spec.Network{Package: "p",
			Inputs: []spec.Port{ids("user", 3), {Name: "x", Width: 1}, ids("item", 9)},
			Layers: []spec.Layer{
				emb("u", "user", 2),
				frozen,
				{From: []string{"u", "x", "v"}, Dense: 3, Activation: spec.Sigmoid},
				{Dense: 1},
			},
			Loss: spec.MSE,
		}
	}(), map[string][]int{"user": {0, 2, 2, 0, 2}, "item": {8, 0, 8, 3, 3}}},
	{"output", &spec.Network{Package: "p", // the embedding is the output
		Inputs: []spec.Port{ids("item", 6)},
		Layers: []spec.Layer{emb("", "item", 2)},
		Loss:   spec.MSE,
	}, map[string][]int{"item": {5, 1, 5}}},
}

// embBatch returns a batch for m, of the network n, with the given ids in
// their inputs' slots and random values elsewhere.
func embBatch[T Float](t *testing.T, m *Net[T], n *spec.Network, idsOf map[string][]int, seed uint64) (xs, ts []T) {
	t.Helper()
	rows := 0
	for _, v := range idsOf {
		rows = len(v)
	}
	xs, ts = batch(m, lossOf(n), rows, seed)
	for name, v := range idsOf {
		if len(v) != rows {
			t.Fatalf("%d ids of %s, want %d", len(v), name, rows)
		}
		off := slot(n, name)
		for r, id := range v {
			xs[r*m.Inputs()+off] = T(id)
		}
	}
	return xs, ts
}

// slot is the offset of the input named name in n's input row.
func slot(n *spec.Network, name string) int {
	off := 0
	for _, p := range n.Inputs {
		if p.Name == name {
			return off
		}
		off += p.Width
	}
	panic("no input " + name)
}

// tables returns the offset, rows and width of each embedding table of n in
// Params, by the layer's number from 0.
func tables(n *spec.Network) map[int][3]int {
	ts := map[int][3]int{}
	layerIn, layerOut, headIn := n.Fans()
	off := 0
	for i, l := range n.Layers {
		a, b, c := 0, 0, 0
		switch l.Kind() {
		case "dense":
			a, b = layerOut[i], layerIn[i]
			if !l.NoBias {
				c = layerOut[i]
			}
		case "layer_norm":
			c = 2 * layerOut[i]
		case "embedding":
			a, b = n.Categories(l), l.Embedding
			ts[i] = [3]int{off, a, b}
		}
		off += a*b + c
	}
	for i, h := range n.Outputs {
		off += h.Layer.Dense*headIn[i] + h.Layer.Dense
	}
	if off != int(n.NumParams()) {
		panic(fmt.Sprintf("tables: %d params, NumParams %d", off, n.NumParams()))
	}
	return ts
}

func TestEmbeddingGradient(t *testing.T) {
	for _, c := range embCases {
		t.Run(c.name, func(t *testing.T) {
			m := mustNew[float64](t, c.net, 3)
			xs, ts := embBatch(t, m, c.net, c.ids, 2)
			checkGradient(t, m, xs, ts)

			// The rows of a table that no id of the batch names have
			// gradient 0 exactly, as does a frozen table; the rows the
			// batch names do not (here).
			m.Backward(xs, ts)
			g := m.Grad()
			for i, tb := range tables(c.net) {
				l := c.net.Layers[i]
				used := c.ids[l.From[0]]
				for id := range tb[1] {
					row := g[tb[0]+id*tb[2] : tb[0]+(id+1)*tb[2]]
					zero := !slices.ContainsFunc(row, func(v float64) bool { return v != 0 })
					if want := l.Frozen || !slices.Contains(used, id); zero != want {
						t.Errorf("layer %d (%s), row %d: gradient %v; the batch names the id: %v, frozen %v",
							i+1, l.Name, id, row, slices.Contains(used, id), l.Frozen)
					}
				}
			}
		})
	}
}

// TestEmbeddingRepeatedIDsSum checks that the gradient of a batch is the
// mean of its samples' gradients, each computed alone: a repeated id's row
// gets the sum of its samples' gradients, in the batch's order.
func TestEmbeddingRepeatedIDsSum(t *testing.T) {
	for _, c := range embCases {
		t.Run(c.name, func(t *testing.T) {
			m := mustNew[float64](t, c.net, 5)
			xs, ts := embBatch(t, m, c.net, c.ids, 7)
			in, out := m.Inputs(), m.Outputs()
			rows := len(xs) / in
			sum := make([]float64, len(m.Params()))
			for r := range rows {
				m.Backward(xs[r*in:(r+1)*in], ts[r*out:(r+1)*out])
				for i, g := range m.Grad() {
					sum[i] += g / float64(rows)
				}
			}
			m.Backward(xs, ts)
			for i, g := range m.Grad() {
				if math.Abs(g-sum[i]) > 1e-15*math.Max(1, math.Abs(g)) {
					t.Errorf("Grad[%d] = %.17g, mean of the samples' %.17g", i, g, sum[i])
				}
			}
		})
	}
}

// TestEmbeddingForward checks Predict against a direct computation: the
// output of an embedding alone is its table's row, and an embedding
// concatenated with a float input into a dense layer is W·[x, E[id]] + b.
func TestEmbeddingForward(t *testing.T) {
	n := embCases[len(embCases)-1].net // output
	m := mustNew[float64](t, n, 9)
	y := make([]float64, 2)
	for id := range 6 {
		m.Predict([]float64{float64(id)}, y)
		if row := m.Params()[2*id : 2*id+2]; !slices.Equal(y, row) {
			t.Errorf("Predict(%d) = %v, want the table's row %v", id, y, row)
		}
	}

	n = &spec.Network{Package: "p",
		Inputs: []spec.Port{{Name: "x", Width: 2}, ids("item", 3)},
		Layers: []spec.Layer{emb("e", "item", 2), {From: []string{"x", "e"}, Dense: 1}},
		Loss:   spec.MSE,
	}
	m = mustNew[float64](t, n, 4)
	p := m.Params()
	table, w, b := p[0:6], p[6:10], p[10]
	y = y[:1]
	for id := range 3 {
		x := []float64{0.5, -2}
		m.Predict(append(x, float64(id)), y)
		want := b + w[0]*x[0] + w[1]*x[1] + w[2]*table[2*id] + w[3]*table[2*id+1]
		if math.Abs(y[0]-want) > 1e-15 {
			t.Errorf("Predict([0.5 -2 %d]) = %v, want %v", id, y[0], want)
		}
	}
	if m.Inputs() != 3 {
		t.Errorf("Inputs = %d, want 3: the integer input takes one slot", m.Inputs())
	}
}

// TestEmbeddingInit checks the initial parameters against a hand-written
// sequence of draws from runtime.Rand: in spec order, a dense layer's
// weight and bias from U(−1/√fan_in, 1/√fan_in), an embedding's table from
// N(0, 1) element by element in row-major order, a layer_norm's γ = 1 and
// β = 0 drawing nothing, then the heads; and a frozen table's parameters
// are frozen for the optimizer.
func TestEmbeddingInit(t *testing.T) {
	testEmbeddingInit[float32](t)
	testEmbeddingInit[float64](t)
}

func testEmbeddingInit[T Float](t *testing.T) {
	frozen := emb("v", "item", 3)
	frozen.Frozen = true
	norm := ln(0)
	norm.Name, norm.From = "norm", []string{"u"}
	n := &spec.Network{Package: "p",
		Inputs: []spec.Port{{Name: "x", Width: 2}, ids("user", 4), ids("item", 5)},
		Layers: []spec.Layer{
			{Name: "h", From: []string{"x"}, Dense: 3},
			emb("u", "user", 2),
			norm,
			frozen,
			{Name: "t", From: []string{"h", "norm", "v"}, Dense: 2, NoBias: true},
		},
		Outputs: []spec.Head{{Name: "y", Layer: spec.Layer{Dense: 1, From: []string{"t", "u"}}, Loss: spec.MSE}},
	}
	const seed = 23
	var r runtime.Rand
	r.Seed(seed)
	var want []T
	var frozenWant []bool
	uniform := func(k, fanIn int) {
		bound := 1 / math.Sqrt(float64(fanIn))
		for range k {
			want = append(want, T(r.Uniform(-bound, bound)))
			frozenWant = append(frozenWant, false)
		}
	}
	normal := func(k int, frozen bool) {
		for range k {
			want = append(want, T(r.Normal()))
			frozenWant = append(frozenWant, frozen)
		}
	}
	constant := func(k int, v T) {
		for range k {
			want = append(want, v)
			frozenWant = append(frozenWant, false)
		}
	}
	uniform(3*2+3, 2)   // h: W [3][2], b [3]
	normal(4*2, false)  // u: E [4][2]
	constant(2, 1)      // norm: γ
	constant(2, 0)      // norm: β
	normal(5*3, true)   // v: E [5][3], frozen
	uniform(2*8, 3+2+3) // t: W [2][8], no bias
	uniform(1*4+1, 2+2) // y: W [1][4], b [1]

	m := mustNew[T](t, n, seed)
	if got := len(m.Params()); got != len(want) || got != int(n.NumParams()) {
		t.Fatalf("len(Params) = %d, want %d (NumParams %d)", got, len(want), n.NumParams())
	}
	for i, v := range m.Params() {
		if v != want[i] {
			t.Errorf("%T Params[%d] = %v, want %v", v, i, v, want[i])
		}
		if m.opt.frozen[i] != frozenWant[i] {
			t.Errorf("%T Params[%d]: frozen %v, want %v", v, i, m.opt.frozen[i], frozenWant[i])
		}
	}

	// The seed decides the table, and a table is not all one value.
	other := mustNew[T](t, n, seed+1)
	if slices.Equal(m.Params()[9:17], other.Params()[9:17]) {
		t.Errorf("seeds %d and %d give the same table %v", seed, seed+1, m.Params()[9:17])
	}
}

// TestEmbeddingBadIDs checks that each method panics on an id out of range
// or not an integer, naming the method, the first sample and input of the
// batch that has one, the id and the range, and changes nothing.
func TestEmbeddingBadIDs(t *testing.T) {
	n := &spec.Network{Package: "p",
		Inputs: []spec.Port{ids("user", 50), {Name: "x", Width: 1}, ids("item", 7)},
		Layers: []spec.Layer{
			emb("u", "user", 2),
			emb("v", "item", 2),
			{From: []string{"u", "x", "v"}, Dense: 2},
		},
		Loss:      spec.MSE,
		Optimizer: spec.Optimizer{Adam: &spec.Adam{}},
	}
	cases := []struct {
		user, item float64 // sample 3's ids; sample 4 has user −1
		want       string
	}{
		{57, 2, "sample 3: user is 57, want 0 ≤ user < 50"},
		{50, 2, "sample 3: user is 50, want 0 ≤ user < 50"},
		{-1, 2, "sample 3: user is -1, want 0 ≤ user < 50"},
		{49, 7, "sample 3: item is 7, want 0 ≤ item < 7"},
		{1e20, 2, "sample 3: user is 100000000000000000000, want 0 ≤ user < 50"},
		{2.5, 2, "sample 3: user is 2.5, not an integer: want an integer id 0 ≤ user < 50"},
		{3, -0.25, "sample 3: item is -0.25, not an integer: want an integer id 0 ≤ item < 7"},
		{math.NaN(), 2, "sample 3: user is NaN, not an integer: want an integer id 0 ≤ user < 50"},
		{math.Inf(1), 2, "sample 3: user is +Inf, not an integer: want an integer id 0 ≤ user < 50"},
		{3, math.Inf(-1), "sample 3: item is -Inf, not an integer: want an integer id 0 ≤ item < 7"},
	}
	for _, c := range cases {
		t.Run(c.want, func(t *testing.T) {
			m := mustNew[float64](t, n, 1)
			xs, ts := embBatch(t, m, n, map[string][]int{"user": {0, 49, 3, 0, 1}, "item": {6, 0, 0, 5, 1}}, 3)
			m.Train(xs, ts) // a step, so that the optimizer has state
			xs[3*3], xs[3*3+2] = c.user, c.item
			xs[4*3] = -1 // a later sample's bad id is not the one named
			params, grad := slices.Clone(m.Params()), slices.Clone(m.Grad())
			for _, method := range []string{"Predict", "Loss", "Backward", "Train"} {
				want := "generic: " + method + ": " + c.want
				x, tt := xs, ts
				if method == "Predict" {
					want = strings.Replace(want, "sample 3", "sample 0", 1)
					x = xs[3*3 : 4*3]
				}
				got := func() (msg any) {
					defer func() { msg = recover() }()
					switch method {
					case "Predict":
						m.Predict(x, make([]float64, 2))
					case "Loss":
						m.Loss(x, tt)
					case "Backward":
						m.Backward(x, tt)
					case "Train":
						m.Train(x, tt)
					}
					return nil
				}()
				if got != want {
					t.Errorf("%s: panic %v, want %q", method, got, want)
				}
			}
			if !slices.Equal(m.Params(), params) || !slices.Equal(m.Grad(), grad) {
				t.Errorf("a call that panicked changed the parameters or the gradient")
			}
			// The step's count is unchanged too: the next step equals that
			// of a twin that never saw the bad batch.
			twin := mustNew[float64](t, n, 1)
			good, _ := embBatch(t, twin, n, map[string][]int{"user": {0, 49, 3, 0, 1}, "item": {6, 0, 0, 5, 1}}, 3)
			twin.Train(good, ts)
			copy(xs, good)
			if a, b := m.Train(xs, ts), twin.Train(good, ts); a != b || !slices.Equal(m.Params(), twin.Params()) {
				t.Errorf("after the panics: loss %v and params differ from a twin's (loss %v)", a, b)
			}
		})
	}

	// float32 holds the ids as float32 values, and says so the same way.
	m := mustNew[float32](t, n, 1)
	defer func() {
		if got, want := recover(), "generic: Predict: sample 0: user is 1.5, not an integer: want an integer id 0 ≤ user < 50"; got != want {
			t.Errorf("float32: panic %v, want %q", got, want)
		}
	}()
	m.Predict([]float32{1.5, 0, 0}, make([]float32, 2))
}

// TestEmbeddingYAML runs an embedding network given in YAML and compares it
// with the same network as a literal.
func TestEmbeddingYAML(t *testing.T) {
	src := `package: p
dtype: float64
inputs:
  x: 2
  item: {categories: 5}
layers:
  - name: e
    from: item
    embedding: 3
  - name: f
    from: item
    embedding: 2
    trainable: false
  - from: [x, e, f]
    dense: 4
    activation: relu
  - dense: 2
loss: mse
`
	n, err := spec.Parse("emb.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	f := emb("f", "item", 2)
	f.Frozen = true
	lit := &spec.Network{Package: "p",
		Inputs: []spec.Port{{Name: "x", Width: 2}, ids("item", 5)},
		Layers: []spec.Layer{emb("e", "item", 3), f,
			{From: []string{"x", "e", "f"}, Dense: 4, Activation: spec.ReLU}, {Dense: 2}},
		Loss: spec.MSE,
	}
	a, b := mustNew[float64](t, n, 5), mustNew[float64](t, lit, 5)
	if !slices.Equal(a.Params(), b.Params()) {
		t.Fatalf("initial parameters of the YAML network differ from the literal's")
	}
	idsOf := map[string][]int{"item": {4, 0, 4, 2}}
	xs, ts := embBatch(t, a, n, idsOf, 3)
	if la, lb := a.Backward(xs, ts), b.Backward(xs, ts); la != lb {
		t.Errorf("Loss of the YAML network %v, of the literal %v", la, lb)
	}
	if !slices.Equal(a.Grad(), b.Grad()) {
		t.Errorf("gradients of the YAML network differ from the literal's")
	}
	checkGradient(t, a, xs, ts)
}

// TestEmbeddingFloat32 trains float32 and float64 copies of the embedding
// networks side by side with Adam, which moves every row of a table
// (untouched ones too, once their moments are nonzero).
func TestEmbeddingFloat32(t *testing.T) {
	for _, c := range embCases {
		t.Run(c.name, func(t *testing.T) {
			n := *c.net
			n.Optimizer = spec.Optimizer{Adam: &spec.Adam{LR: 0.01}}
			m64, m32 := mustNew[float64](t, &n, 5), mustNew[float32](t, &n, 5)
			for i, v := range m64.Params() {
				if m32.Params()[i] != float32(v) {
					t.Fatalf("param %d: float32 %v, float64 %v", i, m32.Params()[i], v)
				}
			}
			xs, ts := embBatch(t, m64, &n, c.ids, 4)
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
