package passes_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gradgen/gradgen/build"
	"github.com/gradgen/gradgen/ir"
	"github.com/gradgen/gradgen/passes"
	"github.com/gradgen/gradgen/spec"
)

var update = flag.Bool("update", false, "rewrite the golden IR dumps in testdata/")

// specs are the networks the pass tests compile: the checked-in ones.
var specs = []string{"tiny", "digits", "mixed64", "softmax64", "binary64"}

func program(t *testing.T, name string) *ir.Program {
	t.Helper()
	n, err := spec.Load(filepath.Join("..", "generated", name, name+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := build.Program(n, build.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestPipelineOrder checks the written-down ordering rules against the
// pipeline, as the Go compiler checks its passOrder.
func TestPipelineOrder(t *testing.T) {
	index := make(map[string]int)
	for i, ps := range passes.Pipeline {
		index[ps.Name] = i
	}
	for _, o := range passes.Order {
		a, okA := index[o[0]]
		b, okB := index[o[1]]
		if !okA || !okB {
			t.Errorf("order rule %v names an unknown pass", o)
		} else if a >= b {
			t.Errorf("pass %s must run before %s", o[0], o[1])
		}
	}
}

// TestVerifyAfterEveryPass runs the verifier after each pass of each spec.
func TestVerifyAfterEveryPass(t *testing.T) {
	for _, name := range specs {
		p := program(t, name)
		for _, f := range p.Funcs {
			if err := ir.Check(p, f); err != nil {
				t.Fatalf("%s before the passes: %v", name, err)
			}
		}
		if err := passes.Run(p, "", true); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestGolden compares the dump after every pass of tiny, and the final dump
// of the others, with testdata/NAME.after-PASS.ir. The dumps show how a
// change moves the IR; correctness comes from the generated packages' tests.
func TestGolden(t *testing.T) {
	for _, name := range specs {
		for _, pass := range passes.Names() {
			if name != "tiny" && pass != "verify" {
				continue
			}
			p := program(t, name)
			if err := passes.Run(p, pass, true); err != nil {
				t.Fatal(err)
			}
			got := p.String()
			path := filepath.Join("testdata", name+".after-"+pass+".ir")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./passes -update)", err)
			}
			if got != string(want) {
				t.Errorf("%s after %s differs from %s (rerun with -update if the change is intended):\n%s", name, pass, path, got)
			}
		}
	}
}

func find(f *ir.Func, pred func(v *ir.Value) bool) *ir.Value {
	for _, v := range f.Values {
		if pred(v) {
			return v
		}
	}
	return nil
}

func TestLowerLeavesNoLayers(t *testing.T) {
	p := program(t, "mixed64")
	passes.Run(p, "lower", true)
	for _, f := range p.Funcs {
		if v := find(f, func(v *ir.Value) bool { return v.Op.Info().Class == ir.Layer }); v != nil {
			t.Errorf("%s: %s survived lowering", f.Name, v.LongString(p.DType))
		}
	}
}

// TestGradThenDCE: grad derives the input's gradient like any other, and dce
// drops it, because no output needs it.
func TestGradThenDCE(t *testing.T) {
	p := program(t, "tiny")
	isInputGrad := func(v *ir.Value) bool { return v.Name == ir.Bar("x") }
	passes.Run(p, "grad", true)
	train := p.Func(ir.RoleTrain)
	if find(train, isInputGrad) == nil {
		t.Fatal("grad made no gradient for x")
	}
	grads := map[string]bool{}
	for _, o := range train.Outputs {
		if o.Kind == ir.GradOut {
			grads[o.Param] = true
		}
	}
	if len(grads) != len(p.Params) {
		t.Errorf("gradients of %d parameters, want %d", len(grads), len(p.Params))
	}
	passes.Run(p, "dce", true)
	if v := find(train, isInputGrad); v != nil {
		t.Errorf("dce kept %s", v.LongString(p.DType))
	}
	if v := find(p.Func(ir.RolePredict), func(v *ir.Value) bool { return v.Op == ir.OpTarget || v.Op == ir.OpMSE }); v != nil {
		t.Errorf("dce kept %s in predict", v.LongString(p.DType))
	}
}

// TestFuse: after fuse no element-wise op is left on its own in these
// networks; each sits in its producer's loop.
func TestFuse(t *testing.T) {
	for _, name := range specs {
		p := program(t, name)
		passes.Run(p, "fuse", true)
		for _, f := range p.Funcs {
			if v := find(f, func(v *ir.Value) bool { return v.Op.Info().Class == ir.Elementwise }); v != nil {
				t.Errorf("%s %s: unfused %s", name, f.Name, v.LongString(p.DType))
			}
		}
	}
}

// TestPlanReusesBuffers: in tiny's train function z̄1 takes the buffer of
// a2, whose last reader comes before it, so there are fewer buffers than
// buffered values.
func TestPlanReusesBuffers(t *testing.T) {
	p := program(t, "tiny")
	passes.Run(p, "", true)
	f := p.Func(ir.RoleTrain)
	values := 0
	for _, v := range f.Values {
		if v.Buf >= 0 {
			values++
		}
	}
	if len(f.Bufs) >= values {
		t.Errorf("%d buffers for %d values: no reuse", len(f.Bufs), values)
	}
}

func TestUnknownPass(t *testing.T) {
	p := program(t, "tiny")
	err := passes.Run(p, "nosuch", false)
	if err == nil || !strings.Contains(err.Error(), "unknown pass") {
		t.Errorf("Run(after nosuch) = %v", err)
	}
}

// TestLayoutSignature: layout records what each function's generated Go
// takes. tiny's tiles transpose W3 (fresh) but add W̄1 row by row, so
// only its per-sample training function writes the gradient on its first
// call; digits' tiles compute every weight gradient by gemm, and its first
// layer's weight is large enough for the per-sample function to step it,
// and its softmax cross-entropy also takes class labels.
func TestLayoutSignature(t *testing.T) {
	loss := ir.Signature{Targets: true, Loss: true}
	train := ir.Signature{Grad: true, Targets: true, Loss: true}
	with := func(s ir.Signature, f func(*ir.Signature)) ir.Signature { f(&s); return s }
	want := map[string]map[ir.Role]ir.Signature{
		"tiny": {
			ir.RolePredict:     {Prediction: true},
			ir.RoleLoss:        loss,
			ir.RoleTrain:       with(train, func(s *ir.Signature) { s.Fresh = true }),
			ir.RoleTrainSample: with(train, func(s *ir.Signature) { s.First = true }),
			ir.RoleLossSample:  loss,
		},
		"digits": {
			ir.RoleTrain:       with(train, func(s *ir.Signature) { s.First, s.Labels = true, true }),
			ir.RoleTrainSample: with(train, func(s *ir.Signature) { s.First, s.Step, s.Labels = true, true, true }),
		},
	}
	for name, roles := range want {
		p := program(t, name)
		if err := passes.Run(p, "layout", true); err != nil {
			t.Fatal(err)
		}
		for role, sig := range roles {
			if f := p.Func(role); f.Sig == nil || *f.Sig != sig {
				t.Errorf("%s %s: signature %+v, want %+v", name, role, f.Sig, sig)
			}
		}
	}
}
