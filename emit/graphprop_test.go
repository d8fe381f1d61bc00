package emit

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
)

// randomGraphSpec writes a random valid graph network in float64: one to
// three inputs, layers that read random earlier values (concatenating two
// now and then) or add two of one width, and one to three heads with
// random losses and weights. Every layer is read by something.
func randomGraphSpec(rng *rand.Rand, pkg string) string {
	pick := func(xs ...string) string { return xs[rng.IntN(len(xs))] }
	var b strings.Builder
	fmt.Fprintf(&b, "package: %s\ndtype: float64\ninputs:\n", pkg)
	type value struct {
		name  string
		width int
		layer bool
	}
	var values []value
	for i := range 1 + rng.IntN(3) {
		w := 1 + rng.IntN(5)
		values = append(values, value{fmt.Sprintf("in%d", i), w, false})
		fmt.Fprintf(&b, "  in%d: %d\n", i, w)
	}
	read := map[string]bool{}
	b.WriteString("layers:\n")
	for i := range 1 + rng.IntN(5) {
		name := fmt.Sprintf("l%d", i)
		act := pick("none", "relu", "leaky_relu", "sigmoid", "tanh")
		var pairs [][2]value
		for x, u := range values {
			for _, v := range values[x+1:] {
				if u.width == v.width {
					pairs = append(pairs, [2]value{u, v})
				}
			}
		}
		if len(pairs) > 0 && rng.IntN(3) == 0 {
			p := pairs[rng.IntN(len(pairs))]
			fmt.Fprintf(&b, "  - name: %s\n    add: [%s, %s]\n    activation: %s\n", name, p[0].name, p[1].name, act)
			read[p[0].name], read[p[1].name] = true, true
			values = append(values, value{name, p[0].width, true})
			continue
		}
		from := []string{values[rng.IntN(len(values))].name}
		if rng.IntN(3) == 0 {
			if other := values[rng.IntN(len(values))].name; other != from[0] {
				from = append(from, other)
			}
		}
		for _, f := range from {
			read[f] = true
		}
		w := 1 + rng.IntN(6)
		fmt.Fprintf(&b, "  - name: %s\n    from: [%s]\n    dense: %d\n    activation: %s\n    bias: %t\n",
			name, strings.Join(from, ", "), w, act, rng.IntN(4) > 0)
		values = append(values, value{name, w, true})
	}
	var unread []string
	for _, v := range values {
		if v.layer && !read[v.name] {
			unread = append(unread, v.name)
		}
	}
	b.WriteString("outputs:\n")
	for j := range 1 + rng.IntN(3) {
		from := []string{values[rng.IntN(len(values))].name}
		if j == 0 && len(unread) > 0 {
			from = unread // every layer is read
		}
		loss := pick("mse", "softmax_cross_entropy", "binary_cross_entropy")
		dense := 1 + rng.IntN(4)
		if loss == "softmax_cross_entropy" && dense == 1 {
			dense = 2
		}
		act := "none"
		if loss == "mse" {
			act = pick("none", "tanh", "sigmoid")
		}
		fmt.Fprintf(&b, "  h%d:\n    from: [%s]\n    dense: %d\n    activation: %s\n    loss: %s\n", j, strings.Join(from, ", "), dense, act, loss)
		if rng.IntN(2) == 0 {
			fmt.Fprintf(&b, "    weight: %s\n", pick("0.5", "2", "0.25"))
		}
	}
	b.WriteString("optimizer:\n  sgd: {lr: 0.1}\n")
	return b.String()
}

// TestRandomGraphGradients is a property test over random graph networks:
// each generates code whose Backward agrees with central differences of its
// Loss, whose Train allocates nothing, and which the generic engine, built
// from the same spec at run time, agrees with (parameters, prediction, loss
// and gradient), with the array API (one input, one head) or the struct API
// alike. All packages build in one module.
func TestRandomGraphGradients(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a module of generated packages")
	}
	rng := rand.New(rand.NewPCG(17, 1))
	dir := toyModule(t)
	var pkgs []string
	for i := 0; len(pkgs) < 12; i++ {
		pkg := fmt.Sprintf("g%d", i)
		src := randomGraphSpec(rng, pkg)
		p := writePackage(t, dir, pkg, src)
		writeFile(t, filepath.Join(dir, pkg, pkg+"_test.go"), graphPropTest(pkg, structIn(p), structOut(p), src))
		writeFile(t, filepath.Join(dir, pkg, pkg+".yaml"), src)
		pkgs = append(pkgs, pkg)
	}
	testModule(t, dir, "a random graph network fails its gradient check (its spec is beside its package in the failing output)", pkgs...)
}

// graphPropTest is the test file of a random graph package: a batch of 5
// samples of inputs in [-1, 1] and targets in [0, 1], as the API's types
// (the structs, or the arrays), on which Backward must be the derivative
// of Loss and Train must not allocate.
func graphPropTest(pkg string, in, out bool, specSrc string) string {
	inT, outT, predT := "[Inputs]float64", "[Outputs]float64", "[Outputs]float64"
	if in {
		inT = "Input"
	}
	if out {
		outT, predT = "Target", "Output"
	}
	return fmt.Sprintf(`package %s

import (
	"math"
	"testing"
	"unsafe"

	"github.com/gradgen/gradgen/generic"
	"github.com/gradgen/gradgen/spec"
)

const specSrc = %[4]q

func rows[R any](flat []float64, n int) []R {
	return unsafe.Slice((*R)(unsafe.Pointer(&flat[0])), len(flat)/n)
}

func batch() ([]%[2]s, []%[3]s) {
	const n = 5
	x, t := make([]float64, n*Inputs), make([]float64, n*Outputs)
	for i := range x {
		x[i] = math.Sin(float64(7*i + 1))
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

// The generic engine, built from the same spec at run time, gives the
// same initial parameters, predictions, loss and gradient.
func TestGenericAgrees(t *testing.T) {
	n, err := spec.Parse("spec.yaml", []byte(specSrc))
	if err != nil {
		t.Fatal(err)
	}
	g, err := generic.New[float64](n, 1)
	if err != nil {
		t.Fatal(err)
	}
	m := NewModel(1)
	for i, p := range m.Params.Slice() {
		if p != g.Params()[i] {
			t.Fatalf("parameter %%d: %%v generated, %%v generic", i, p, g.Params()[i])
		}
	}
	xs, ts := batch()
	x := unsafe.Slice((*float64)(unsafe.Pointer(&xs[0])), len(xs)*Inputs)
	tt := unsafe.Slice((*float64)(unsafe.Pointer(&ts[0])), len(ts)*Outputs)
	near := func(a, b float64) bool { return math.Abs(a-b) <= 1e-12*math.Max(1, math.Abs(b)) }
	if a, b := m.Backward(xs, ts), g.Backward(x, tt); !near(a, b) {
		t.Errorf("loss %%.15g generated, %%.15g generic", a, b)
	}
	for i, d := range m.Grad.Slice() {
		if !near(d, g.Grad()[i]) {
			t.Errorf("gradient %%d: %%.15g generated, %%.15g generic", i, d, g.Grad()[i])
		}
	}
	y := make([]float64, Outputs)
	g.Predict(x[:Inputs], y)
	var out [Outputs]float64
	m.Predict(&xs[0], (*%[5]s)(unsafe.Pointer(&out)))
	for j := range y {
		if !near(out[j], y[j]) {
			t.Errorf("prediction %%d: %%.15g generated, %%.15g generic", j, out[j], y[j])
		}
	}
}
`, pkg, inT, outT, specSrc, predT) + backwardIsTheDerivative("1e-6")
}
