package emit

import (
	"strings"
	"testing"

	"github.com/gradgen/gradgen/build"
	"github.com/gradgen/gradgen/ir"
	"github.com/gradgen/gradgen/passes"
	"github.com/gradgen/gradgen/spec"
)

// TestRowMapGradients: softmax and log_softmax, whose Jacobians are full,
// get their backward statements from their rules, and the generated
// Backward agrees with central differences of Loss when either maps a
// hidden layer (no front end puts them there yet: the test does).
func TestRowMapGradients(t *testing.T) {
	for _, tc := range []struct {
		op   ir.Op
		rule string
	}{
		{ir.OpSoftmax, ir.Bar("z1") + " = a1 ⊙ (" + ir.Bar("a1") + " − " + ir.Bar("a1") + "·a1)"},
		{ir.OpLogSoftmax, ir.Bar("z1") + " = " + ir.Bar("a1") + " − e^a1 Σ" + ir.Bar("a1")},
	} {
		t.Run(tc.op.String(), func(t *testing.T) {
			n, err := spec.Parse("toy.yaml", []byte("package: toy\ndtype: float64\ninput: 3\nlayers:\n"+
				"  - dense: 5\n    activation: tanh\n  - dense: 2\n    activation: relu\nloss: mse\n"))
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
						v.Op = tc.op
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
			if !strings.Contains(string(src), "// "+tc.rule) {
				t.Errorf("the generated code lacks the derived rule %q", tc.rule)
			}
			if testing.Short() {
				return
			}
			checkGradient(t, src)
		})
	}
}
