package e2e

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gradgen/gradgen"
	"github.com/gradgen/gradgen/internal/testmod"
	"github.com/gradgen/gradgen/spec"
)

// randomSpecs makes count valid specs from a seeded generator: widths 1..40,
// depths 1..5, every activation, loss and optimizer kind in both dtypes (the
// combinations cycle, so any count ≥ 18 covers each loss × dtype and
// optimizer × dtype), with weight decay, momentum's dampening or Nesterov,
// clipping, a schedule and frozen layers drawn at random.
func randomSpecs(seed uint64, count int) []string {
	r := rand.New(rand.NewPCG(seed, 11))
	// Widths: half drawn from 1..40, half from sizes that hit every kernel
	// path and tail (odd, one past a vector, above the vector threshold).
	odd := []int{1, 7, 13, 17, 33, 40}
	width := func() int {
		if r.IntN(2) == 0 {
			return odd[r.IntN(len(odd))]
		}
		return 1 + r.IntN(40)
	}
	activations := []string{"none", "relu", "leaky_relu", "sigmoid", "tanh"}
	losses := []string{"mse", "softmax_cross_entropy", "binary_cross_entropy"}
	var specs []string
	for i := range count {
		var b strings.Builder
		dtype := []string{"float32", "float64"}[i%2]
		loss := losses[(i/2)%3]
		fmt.Fprintf(&b, "package: p%d\ndtype: %s\ninput: %d\nlayers:\n", i, dtype, width())
		depth := 1 + r.IntN(5)
		for l := range depth {
			act := activations[(i+l)%len(activations)]
			if l == depth-1 && loss != "mse" {
				act = "none"
			}
			w := width()
			if l == depth-1 && loss == "softmax_cross_entropy" {
				w = max(w, 2) // softmax over one class cannot learn; Validate refuses it
			}
			fmt.Fprintf(&b, "  - dense: %d\n    activation: %s\n", w, act)
			if act == "leaky_relu" {
				fmt.Fprintf(&b, "    slope: %.3f\n", 0.01+0.5*r.Float64())
			}
			if r.IntN(4) == 0 {
				b.WriteString("    bias: false\n")
			}
			if l < depth-1 && r.IntN(3) == 0 { // the last layer always trains
				b.WriteString("    trainable: false\n")
			}
		}
		fmt.Fprintf(&b, "loss: %s\noptimizer:\n", loss)
		wd := []float64{0, 0, 1e-3, 0.05}[r.IntN(4)]
		switch (i / 2) % 4 {
		case 0:
			fmt.Fprintf(&b, "  sgd: {lr: %.4f, weight_decay: %g}\n", 0.001+0.1*r.Float64(), wd)
		case 1:
			mu, damp, nesterov := 0.05+0.9*r.Float64(), 0.0, r.IntN(2) == 0
			if !nesterov {
				damp = []float64{0, 0.3}[r.IntN(2)]
			}
			fmt.Fprintf(&b, "  momentum: {lr: %.4f, momentum: %.3f, dampening: %g, nesterov: %t, weight_decay: %g}\n",
				0.001+0.1*r.Float64(), mu, damp, nesterov, wd)
		default:
			fmt.Fprintf(&b, "  %s: {lr: %.4f, beta1: %.3f, beta2: %.4f, eps: 1e-7, weight_decay: %g}\n", []string{"adam", "adamw"}[(i/2)%4-2],
				0.001+0.05*r.Float64(), 0.5+0.45*r.Float64(), 0.9+0.099*r.Float64(), wd)
		}
		if r.IntN(2) == 0 {
			fmt.Fprintf(&b, "  clip_grad_norm: %.3f\n", 0.05+r.Float64())
		}
		switch r.IntN(4) {
		case 1:
			fmt.Fprintf(&b, "  schedule:\n    warmup: {steps: %d}\n    cosine: {t_max: %d, eta_min: 1e-4}\n", 1+r.IntN(3), 2+r.IntN(5))
		case 2:
			fmt.Fprintf(&b, "  schedule:\n    step: {step_size: %d, gamma: 0.5}\n", 1+r.IntN(3))
		case 3:
			fmt.Fprintf(&b, "  schedule:\n    cosine: {t_max: %d}\n", 2+r.IntN(5))
		}
		specs = append(specs, b.String())
	}
	return specs
}

// checkTemplate is the test written beside each generated package: it
// compares the package with the generic engine on the same spec, weights and
// batches. PKG and T are replaced per package.
const checkTemplate = `package PKG

import (
	"testing"

	"github.com/gradgen/gradgen/internal/e2e/agree"
	"github.com/gradgen/gradgen/internal/gradtest"
)

func TestAgreesWithGenericEngine(t *testing.T) {
	agree.Check[T](t, "net.yaml", func(seed uint64) gradtest.Model[T] {
		m := NewModel(seed)
		return gradtest.Adapt[T, [Inputs]T, [Outputs]T](m, m.Params.Slice(), m.Grad.Slice())
	})
}
`

// TestGeneratedAgreesWithGenericEngine generates random specs into a
// temporary module that requires this checkout, and runs there a test per
// package comparing outputs, losses, gradients and parameters after five
// optimizer steps with the generic engine (float64: relative 1e-9; float32:
// 1e-4). Set E2E_SPECS to change the number of specs (default 18).
func TestGeneratedAgreesWithGenericEngine(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a module with the go command")
	}
	count := 18
	if s := os.Getenv("E2E_SPECS"); s != "" {
		fmt.Sscan(s, &count)
	}
	dir := t.TempDir()
	// Inside gradgen's import path, so that it may import gradgen's internal test helpers.
	testmod.Write(t, dir, testmod.Module{Path: "github.com/gradgen/gradgen/e2emod"})
	env := testmod.Env(t)
	for i, src := range randomSpecs(1, count) {
		n, err := spec.Parse("net.yaml", []byte(src))
		if err != nil {
			t.Fatalf("random spec %d is invalid: %v\n%s", i, err, src)
		}
		code, err := gradgen.Generate(n, gradgen.Options{})
		if err != nil {
			t.Fatalf("spec %d: %v", i, err)
		}
		pkg := fmt.Sprintf("p%d", i)
		elem := "float32"
		if n.DType == spec.Float64 {
			elem = "float64"
		}
		test := strings.NewReplacer("PKG", pkg, "[T]", "["+elem+"]", "T,", elem+",", "]T", "]"+elem).Replace(checkTemplate)
		write(t, filepath.Join(dir, pkg, "net.yaml"), src)
		write(t, filepath.Join(dir, pkg, "net_gen.go"), string(code))
		write(t, filepath.Join(dir, pkg, "net_test.go"), test)
	}
	// Once with the vector kernels, once with the portable ones (purego).
	for _, tags := range []string{"", "purego"} {
		cmd := exec.Command("go", "test", "-count=1", "-tags="+tags, "./...")
		cmd.Dir = dir
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("go test -tags=%q in the generated module: %v\n%s", tags, err, out)
		}
		t.Logf("-tags=%q:\n%s", tags, out)
		if got := strings.Count("\n"+string(out), "\nok "); got < count {
			t.Errorf("-tags=%q: expected %d passing packages:\n%s", tags, count, out)
		}
	}
}

func write(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}
