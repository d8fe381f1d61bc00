package emit

import (
	"path/filepath"
	"testing"
)

// embedSpecs are networks with embeddings, in float64 (whose Input pads
// each int32 id to a float64 slot): two integer inputs beside a float one,
// and one of them read by two embedding layers, each with its table.
var embedSpecs = map[string]string{
	"emb64": `package: emb64
dtype: float64
inputs:
  user: {categories: 7}
  features: 3
  item: {categories: 11}
layers:
  - name: u
    from: user
    embedding: 4
  - name: i
    from: item
    embedding: 3
  - name: i2
    from: item
    embedding: 2
  - from: [features, u, i]
    dense: 6
    activation: tanh
  - name: n
    layer_norm: {}
outputs:
  y:
    from: [n, i2]
    dense: 2
    loss: mse
optimizer:
  sgd: {lr: 0.1}
`,
}

// TestEmbeddingGradients: the generated Backward's gradient is the
// derivative of Loss for every parameter, the table rows no id of the batch
// names included (gradient 0), on a batch with repeated ids; Train
// allocates nothing; an id out of range panics naming the sample.
func TestEmbeddingGradients(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a module of generated packages")
	}
	dir := toyModule(t)
	var pkgs []string
	for pkg, src := range embedSpecs {
		writePackage(t, dir, pkg, src)
		writeFile(t, filepath.Join(dir, pkg, pkg+"_test.go"), embedTest(pkg)+embedGenericTest(src))
		pkgs = append(pkgs, pkg)
	}
	testModule(t, dir, "a network with embeddings fails its tests", pkgs...)
}

func embedTest(pkg string) string {
	return `package ` + pkg + `

import (
	"math"
	"strings"
	"testing"

	"github.com/gradgen/gradgen/generic"
	"github.com/gradgen/gradgen/spec"
)

func batch(n int) ([]Input, [][Outputs]float64) {
	xs, ts := make([]Input, n), make([][Outputs]float64, n)
	for k := range xs {
		xs[k].User = int32(k*5%7)
		xs[k].Item = int32(k*3%4) // ids 0 to 3 of 11, repeated
		for j := range xs[k].Features {
			xs[k].Features[j] = math.Sin(float64(7*k+j) + 1)
		}
		for j := range ts[k] {
			ts[k][j] = math.Cos(float64(3*k + j))
		}
	}
	return xs, ts
}

func TestBackwardIsTheDerivative(t *testing.T) {
	for _, n := range []int{5, 70} {
		m := NewModel(1)
		xs, ts := batch(n)
		m.Backward(xs, ts)
		p, g := m.Params.Slice(), append([]float64(nil), m.Grad.Slice()...)
		for i := range p {
			const h = 1e-6
			old := p[i]
			p[i] = old + h
			up := m.Loss(xs, ts)
			p[i] = old - h
			down := m.Loss(xs, ts)
			p[i] = old
			if fd := (up - down) / (2 * h); math.Abs(fd-g[i]) > 1e-6*math.Max(1, math.Abs(fd)) {
				t.Errorf("batch %d, parameter %d: Backward %.10g, central difference %.10g", n, i, g[i], fd)
			}
		}
		for r := 4; r < len(m.Grad.E2); r++ {
			if m.Grad.E2[r] != ([3]float64{}) {
				t.Errorf("row %d of the item table, which no sample names, has gradient %v", r, m.Grad.E2[r])
			}
		}
	}
}

func TestTrainAllocatesNothing(t *testing.T) {
	m := NewModel(1)
	for _, n := range []int{5, 70} {
		xs, ts := batch(n)
		if a := testing.AllocsPerRun(5, func() { m.Train(xs, ts) }); a != 0 {
			t.Errorf("batch %d: Train allocates %v times", n, a)
		}
	}
}

func TestIDOutOfRange(t *testing.T) {
	m := NewModel(1)
	xs, ts := batch(5)
	xs[3].Item = 11
	before := append([]float64(nil), m.Params.Slice()...)
	defer func() {
		msg, _ := recover().(string)
		if want := "` + pkg + `: Train: sample 3: item is 11, want 0 ≤ item < 11"; msg != want {
			t.Errorf("panic %q, want %q", msg, want)
		}
		for i, v := range m.Params.Slice() {
			if v != before[i] {
				t.Fatal("the parameters changed before the panic")
			}
		}
		var y [Outputs]float64
		defer func() {
			if msg, _ := recover().(string); !strings.Contains(msg, "sample 0: user is -1") {
				t.Errorf("Predict: panic %q", msg)
			}
		}()
		x := xs[0]
		x.User = -1
		m.Predict(&x, &y)
	}()
	m.Train(xs, ts)
}
`
}

// embedGenericTest is a test of TestEmbeddingGradients' package of the spec
// src: five SGD steps on batches whose ids change from step to step (so a
// row the last batch touched must be cleared, and a row no id names must
// keep its value) give the generic engine's parameters, which clears and
// steps every row.
func embedGenericTest(src string) string {
	return `
func TestTrainAgreesWithGeneric(t *testing.T) {
	n, err := spec.Parse("spec.yaml", []byte(` + "`" + src + "`" + `))
	if err != nil {
		t.Fatal(err)
	}
	g, err := generic.New[float64](n, 1)
	if err != nil {
		t.Fatal(err)
	}
	m := NewModel(1)
	for step, size := range []int{5, 70, 3, 40, 6} {
		xs, ts := batch(size)
		for k := range xs {
			xs[k].Item = int32((k*7 + step*3) % 11)
		}
		var rows, targets []float64
		for k, x := range xs {
			rows = append(rows, float64(x.User))
			rows = append(rows, x.Features[:]...)
			rows = append(rows, float64(x.Item))
			targets = append(targets, ts[k][:]...)
		}
		a, b := m.Train(xs, ts), g.Train(rows, targets)
		if math.Abs(a-b) > 1e-12*math.Max(1, math.Abs(b)) {
			t.Errorf("step %d: loss %.15g generated, %.15g generic", step, a, b)
		}
	}
	for i, v := range m.Params.Slice() {
		if w := g.Params()[i]; math.Abs(v-w) > 1e-12*math.Max(1, math.Abs(w)) {
			t.Fatalf("parameter %d: %.15g generated, %.15g generic", i, v, w)
		}
	}
}
`
}
