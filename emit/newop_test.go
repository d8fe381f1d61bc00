package emit

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/dave/jennifer/jen"

	"github.com/gradgen/gradgen/build"
	"github.com/gradgen/gradgen/internal/testmod"
	"github.com/gradgen/gradgen/ir"
	"github.com/gradgen/gradgen/passes"
	"github.com/gradgen/gradgen/spec"
)

// TestNewOp adds an op the way docs/ARCHITECTURE.md says a new op is added,
// touching only the three places it names: the op table (ir.Register, with
// the op's type rule and vector-Jacobian rule), its math (ir.Math), and its
// emitter (mapEmitters, for an element-wise op). The op is softsign,
// y = z / (1 + |z|), whose derivative 1/(1 + |z|)² is (1 − |y|)² in terms
// of its output. The grad pass derives its backward statement, fuse and plan
// treat it like any map, and the generated package's Backward agrees with
// central differences of its Loss.
func TestNewOp(t *testing.T) {
	// 1. The op table: the op and its backward op, with their rules.
	var softsign ir.Op
	grad := ir.Register(ir.OpInfo{Name: "SoftsignGrad", Class: ir.Elementwise, Type: ir.SameType, Backward: true},
		ir.Math{Def: func(y string, a []string, _ float64) string {
			return fmt.Sprintf(`%s = %s \odot (1 - |%s|)^2`, y, a[0], a[1])
		}})
	softsign = ir.Register(ir.OpInfo{Name: "Softsign", Class: ir.Elementwise, Type: ir.UnaryType,
		VJP: func(f *ir.Func, v, gy *ir.Value) []*ir.Value {
			return ir.ActivationVJP(softsign, grad, "%s = %s ⊙ (1 − |%s|)²")(f, v, gy)
		}},
		// 2. Its math, as gradgen explain prints it.
		ir.Math{
			Def: func(y string, a []string, _ float64) string {
				return fmt.Sprintf(`%s = %s / (1 + |%s|)`, y, a[0], a[0])
			},
			Jacobians: func(y string, a []string, _ float64) []string {
				return []string{fmt.Sprintf(`\frac{\partial %s}{\partial %s} = \operatorname{diag}\left((1 - |%s|)^2\right)`, y, a[0], y)}
			},
			Why: "An element-wise op has a diagonal Jacobian.",
		})
	// 3. Its emitter: the statements that map the element acc in place.
	mapEmitters[softsign] = func(c *funcCtx, _ float64, _ []*Statement) []Code {
		return []Code{Id("acc").Op("=").Id("acc").Op("/").Parens(Lit(1).Op("+").Qual(runtimePath, "Abs").Call(Id("acc")))}
	}
	mapEmitters[grad] = func(c *funcCtx, _ float64, o []*Statement) []Code {
		d := func() *Statement { return Parens(Lit(1).Op("-").Qual(runtimePath, "Abs").Call(o[0].Clone())) }
		return []Code{Id("acc").Op("=").Id("acc").Op("*").Add(d()).Op("*").Add(d())}
	}
	opEmitters[softsign], opEmitters[grad] = emitElementwise, emitElementwise
	t.Cleanup(func() {
		delete(mapEmitters, softsign)
		delete(mapEmitters, grad)
		delete(opEmitters, softsign)
		delete(opEmitters, grad)
	})

	// A network with a tanh layer whose activation becomes softsign: no
	// front end knows the op, so the test puts it into the IR.
	n, err := spec.Parse("toy.yaml", []byte("package: toy\ndtype: float64\ninput: 3\nlayers:\n"+
		"  - dense: 5\n    activation: tanh\n  - dense: 2\nloss: mse\noptimizer:\n  sgd: {lr: 0.1}\n"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := build.Program(n, build.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range p.Funcs {
		for _, v := range f.Values {
			if v.Op == ir.OpTanh {
				v.Op, v.Rule = softsign, "a1 = softsign(z1)"
			}
		}
	}
	if err := passes.Run(p, "", true); err != nil {
		t.Fatal(err)
	}
	src, err := Source(p)
	if err != nil {
		t.Fatal(err)
	}
	if rule := "// " + ir.Bar("z1") + " = " + ir.Bar("a1") + " ⊙ (1 − |a1|)²"; !strings.Contains(string(src), rule) {
		t.Errorf("the generated code lacks the derived rule %q", rule)
	}
	if testing.Short() {
		return
	}
	checkGradient(t, src)
}

// checkGradient builds the generated package src in a throwaway module and
// runs a test that compares Backward's gradient with central differences
// of Loss for every parameter.
func checkGradient(t *testing.T, src []byte) {
	runToyTest(t, src, `package toy

import (
	"math"
	"testing"
)

func batch() ([][Inputs]float64, [][Outputs]float64) {
	return [][Inputs]float64{{0.5, -1, 2}, {-0.3, 0.8, 0.1}, {1.5, 0.2, -0.7}},
		[][Outputs]float64{{1, -1}, {0, 0.5}, {-0.5, 2}}
}
`+backwardIsTheDerivative("1e-7"))
}

// backwardIsTheDerivative is a test of a generated package's test file:
// Backward's gradient against central differences of Loss, within tol
// relative, on the batch the file's batch() returns.
func backwardIsTheDerivative(tol string) string {
	return `
func TestBackwardIsTheDerivative(t *testing.T) {
	m := NewModel(1)
	xs, ts := batch()
	m.Backward(xs, ts)
	p, g := m.Params.Slice(), m.Grad.Slice()
	for i := range p {
		const h = 1e-6
		old := p[i]
		p[i] = old + h
		up := m.Loss(xs, ts)
		p[i] = old - h
		down := m.Loss(xs, ts)
		p[i] = old
		if fd := (up - down) / (2 * h); math.Abs(fd-g[i]) > ` + tol + `*math.Max(1, math.Abs(fd)) {
			t.Errorf("parameter %d: Backward %.10g, central difference %.10g", i, g[i], fd)
		}
	}
}
`
}

// runToyTest builds the generated package src as example.com/toy/toy in a
// throwaway module and runs the test file test beside it.
func runToyTest(t *testing.T, src []byte, test string) {
	dir := t.TempDir()
	testmod.Write(t, dir, testmod.Module{Path: "example.com/toy"})
	files := map[string]string{"toy/toy_gen.go": string(src), "toy/toy_test.go": test}
	for name, text := range files {
		writeFile(t, filepath.Join(dir, name), text)
	}
	cmd := exec.Command("go", "test", "-count=1", "./toy")
	cmd.Dir, cmd.Env = dir, testmod.Env(t)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the generated package with the new op fails its gradient check: %v\n%s", err, out)
	}
}
