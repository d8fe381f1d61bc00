package emit

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/gradgen/gradgen/build"
	"github.com/gradgen/gradgen/internal/testmod"
	"github.com/gradgen/gradgen/ir"
	"github.com/gradgen/gradgen/passes"
	"github.com/gradgen/gradgen/spec"
)

// TestWeightedLossTerms: a function's loss may be a weighted sum of terms,
// each a LossOut output whose loss op carries its weight, as a network with
// several heads will have. No front end makes one yet, so the test adds a
// second term, 0.25 · binary cross-entropy on the same logits and targets,
// to every function of an mse network, and checks the generated package
// against two packages generated with each loss alone: its Loss is
// mse + 0.25·bce, and so is its gradient, on the per-sample path (3 samples)
// and the tiled one (40).
func TestWeightedLossTerms(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a module with the go command")
	}
	const net = "dtype: float64\ninput: 3\nlayers:\n  - dense: 5\n    activation: tanh\n  - dense: 2\noptimizer:\n  sgd: {lr: 0.1}\n"
	dir := t.TempDir()
	testmod.Write(t, dir, testmod.Module{Path: "example.com/terms"})
	gen := func(pkg, loss string, extra func(p *ir.Program)) {
		n, err := spec.Parse(pkg+".yaml", []byte("package: "+pkg+"\nloss: "+loss+"\n"+net))
		if err != nil {
			t.Fatal(err)
		}
		p, err := build.Program(n, build.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if extra != nil {
			extra(p)
		}
		if err := passes.Run(p, "", true); err != nil {
			t.Fatal(err)
		}
		src, err := Source(p)
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, pkg, pkg+"_gen.go"), string(src))
	}
	gen("mse", "mse", nil)
	gen("bce", "binary_cross_entropy", nil)
	gen("two", "mse", func(p *ir.Program) {
		for _, f := range p.Funcs {
			for _, o := range f.Outputs {
				if o.Kind != ir.LossOut {
					continue
				}
				a, tt := o.Value.Args[0], o.Value.Args[1]
				l2 := f.NewValue(ir.OpBCELogits, ir.Scalar, a, tt)
				l2.Aux, l2.Name, l2.Rule = 0.25, "L2", "L2 = 0.25 · BCE("+a.Label()+", t)"
				f.Outputs = append(f.Outputs, ir.Output{Kind: ir.LossOut, Value: l2})
				break
			}
		}
	})
	writeFile(t, filepath.Join(dir, "two", "two_test.go"), `package two

import (
	"math"
	"testing"

	"example.com/terms/bce"
	"example.com/terms/mse"
)

func near(got, want float64) bool { return math.Abs(got-want) <= 1e-12*(1+math.Abs(want)) }

func TestSumOfTerms(t *testing.T) {
	for _, n := range []int{3, 40} {
		xs, ts := make([][Inputs]float64, n), make([][Outputs]float64, n)
		for i := range xs {
			for j := range xs[i] {
				xs[i][j] = math.Sin(float64(3*i + j))
			}
			ts[i] = [Outputs]float64{float64(i % 2), float64((i / 2) % 2)}
		}
		m, a, b := NewModel(1), mse.NewModel(1), bce.NewModel(1)
		want := a.Loss(xs, ts) + 0.25*b.Loss(xs, ts)
		if got := m.Loss(xs, ts); !near(got, want) {
			t.Errorf("batch %d: Loss %.15g, want mse + 0.25·bce = %.15g", n, got, want)
		}
		if got := m.Backward(xs, ts); !near(got, want) {
			t.Errorf("batch %d: Backward's loss %.15g, want %.15g", n, got, want)
		}
		a.Backward(xs, ts)
		b.Backward(xs, ts)
		g, ga, gb := m.Grad.Slice(), a.Grad.Slice(), b.Grad.Slice()
		for i := range g {
			if !near(g[i], ga[i]+0.25*gb[i]) {
				t.Errorf("batch %d: gradient %d is %.15g, want %.15g", n, i, g[i], ga[i]+0.25*gb[i])
			}
		}
	}
}
`)
	cmd := exec.Command("go", "test", "-count=1", "./two")
	cmd.Dir, cmd.Env = dir, testmod.Env(t)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the two-term package: %v\n%s", err, out)
	}
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}
