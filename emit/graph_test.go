package emit

import (
	"strings"
	"testing"

	"github.com/gradgen/gradgen/build"
	"github.com/gradgen/gradgen/ir"
	"github.com/gradgen/gradgen/passes"
	"github.com/gradgen/gradgen/spec"
)

// residualSpec is a graph network of one input and one output: a residual
// sum, a concatenation of two hidden layers, and a value (h1) with three
// users, whose gradient the grad pass sums over its paths.
const residualSpec = `package: toy
dtype: float64
input: 3
layers:
  - name: h1
    dense: 5
    activation: tanh
  - name: h2
    dense: 5
    activation: sigmoid
  - name: s
    add: [h1, h2]
    activation: relu
  - from: [h1, s]
    dense: 4
    activation: leaky_relu
  - dense: 2
loss: mse
optimizer:
  sgd: {lr: 0.1}
`

// TestGraphGradients: a residual network with a concatenation generates
// code whose Backward agrees with central differences of its Loss, and
// whose backward statements name the total-derivative sums and the slices
// of the concatenation's gradient.
func TestGraphGradients(t *testing.T) {
	n, err := spec.Parse("toy.yaml", []byte(residualSpec))
	if err != nil {
		t.Fatal(err)
	}
	p, err := build.Program(n, build.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := passes.Run(p, "", true); err != nil {
		t.Fatal(err)
	}
	src, err := Source(p)
	if err != nil {
		t.Fatal(err)
	}
	a1 := ir.Bar("a1")
	for _, rule := range []string{"z3 = a1 + a2", "c4 = [a1; a3]", "= " + ir.Bar("c4") + "[0:5]", "= " + ir.Bar("c4") + "[5:10]",
		a1 + " = " + ir.Bar("c4") + "[0:5] + " + ir.Bar("z3") + " + W2ᵀ " + ir.Bar("z2")} {
		if !strings.Contains(string(src), rule) {
			t.Errorf("the generated code lacks %q", rule)
		}
	}
	if testing.Short() {
		return
	}
	checkGradient(t, src)
}
