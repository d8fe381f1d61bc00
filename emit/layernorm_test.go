package emit

import (
	"fmt"
	"path/filepath"
	"testing"
)

// layerNormSpecs are networks with layer_norm layers, in float64: over a
// dense layer, with an activation and its own eps, of width 1 (whose output
// is β), over an input with a constant row (variance 0), frozen, and in a
// graph beside a residual add and a concatenation.
var layerNormSpecs = map[string]string{
	"ln1": `package: ln1
dtype: float64
input: 3
layers:
  - dense: 5
  - layer_norm: {}
  - dense: 2
loss: mse
`,
	"ln2": `package: ln2
dtype: float64
input: 3
layers:
  - layer_norm: {eps: 0.001}
    activation: tanh
  - dense: 4
    activation: relu
  - layer_norm: {}
    activation: leaky_relu
    slope: 0.2
  - dense: 2
loss: softmax_cross_entropy
`,
	"ln3": `package: ln3
dtype: float64
input: 3
layers:
  - dense: 1
  - layer_norm: {}
  - dense: 2
    activation: sigmoid
  - layer_norm: {}
    trainable: false
  - dense: 2
loss: binary_cross_entropy
`,
	"ln4": `package: ln4
dtype: float64
inputs:
  a: 2
  b: 1
layers:
  - name: h
    from: [a, b]
    dense: 4
    activation: tanh
  - name: n
    layer_norm: {}
  - name: r
    add: [h, n]
  - from: [r, a]
    layer_norm: {}
    activation: relu
outputs:
  y:
    dense: 2
    loss: mse
  z:
    from: n
    dense: 1
    loss: mse
    weight: 0.5
optimizer:
  sgd: {lr: 0.1}
`,
}

// TestLayerNormGradients: for each network with layer_norm layers, the
// generated Backward agrees with central differences of Loss (the full
// Jacobian of the normalization, γ's and β's sums over the batch), on a
// batch whose first row is constant, and Train allocates nothing.
func TestLayerNormGradients(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a module of generated packages")
	}
	dir := toyModule(t)
	var pkgs []string
	for pkg, src := range layerNormSpecs {
		p := writePackage(t, dir, pkg, src)
		var frozen []int
		for _, q := range p.Params {
			for i := range q.Type.Elems() {
				if q.Frozen {
					frozen = append(frozen, q.Offset+i)
				}
			}
		}
		writeFile(t, filepath.Join(dir, pkg, pkg+"_test.go"), layerNormTest(pkg, structIn(p), structOut(p), frozen))
		pkgs = append(pkgs, pkg)
	}
	testModule(t, dir, "a network with layer_norm fails its gradient check", pkgs...)
}

// layerNormTest is the test file of a generated package pkg of
// TestLayerNormGradients: central differences (a frozen parameter, at the
// offsets frozen, has gradient 0) and allocations, on a batch whose first
// sample's inputs are all 0.75.
func layerNormTest(pkg string, in, out bool, frozen []int) string {
	inT, outT := "[Inputs]float64", "[Outputs]float64"
	if in {
		inT = "Input"
	}
	if out {
		outT = "Target"
	}
	return fmt.Sprintf(`package %s

import (
	"math"
	"testing"
	"unsafe"
)

func rows[R any](flat []float64, n int) []R {
	return unsafe.Slice((*R)(unsafe.Pointer(&flat[0])), len(flat)/n)
}

func batch() ([]%[2]s, []%[3]s) {
	const n = 5
	x, t := make([]float64, n*Inputs), make([]float64, n*Outputs)
	for i := range x {
		x[i] = math.Sin(float64(7*i + 1))
		if i < Inputs {
			x[i] = 0.75 // a constant row: variance 0
		}
	}
	for i := range t {
		t[i] = 0.5 + 0.5*math.Cos(float64(3*i))
	}
	return rows[%[2]s](x, Inputs), rows[%[3]s](t, Outputs)
}

func TestTrainAllocatesNothing(t *testing.T) {
	m := NewModel(1)
	xs, ts := batch()
	if n := testing.AllocsPerRun(5, func() { m.Train(xs, ts) }); n != 0 {
		t.Errorf("Train allocates %%v times", n)
	}
}

var frozen = map[int]bool{%[4]s}

func TestBackwardIsTheDerivative(t *testing.T) {
	m := NewModel(1)
	xs, ts := batch()
	m.Backward(xs, ts)
	p, g := m.Params.Slice(), m.Grad.Slice()
	for i := range p {
		if frozen[i] {
			if g[i] != 0 {
				t.Errorf("frozen parameter %%d: gradient %%g", i, g[i])
			}
			continue
		}
		const h = 1e-6
		old := p[i]
		p[i] = old + h
		up := m.Loss(xs, ts)
		p[i] = old - h
		down := m.Loss(xs, ts)
		p[i] = old
		if fd := (up - down) / (2 * h); math.Abs(fd-g[i]) > 1e-6*math.Max(1, math.Abs(fd)) {
			t.Errorf("parameter %%d: Backward %%.10g, central difference %%.10g", i, g[i], fd)
		}
	}
}
`, pkg, inT, outT, frozenList(frozen))
}

// frozenList formats offsets as the keys of a map literal.
func frozenList(offsets []int) string {
	s := ""
	for _, o := range offsets {
		s += fmt.Sprintf("%d: true, ", o)
	}
	return s
}
