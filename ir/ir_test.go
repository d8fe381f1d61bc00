package ir

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"
)

// TestOpTable: every op has a name and a type rule, and every op that a
// network's forward graph can hold after lowering has a vector-Jacobian rule.
func TestOpTable(t *testing.T) {
	names := map[string]bool{}
	for _, op := range Ops() {
		info := op.Info()
		if info.Name == "" || info.Type == nil {
			t.Errorf("op %d lacks a name or a type rule", op)
		}
		if names[info.Name] {
			t.Errorf("op name %s is used twice", info.Name)
		}
		names[info.Name] = true
		differentiable := info.Class != Leaf && info.Class != Layer && !info.Backward
		if differentiable && info.VJP == nil {
			t.Errorf("forward op %s has no vector-Jacobian rule", op)
		}
		if !differentiable && info.VJP != nil {
			t.Errorf("op %s has a rule the grad pass never uses", op)
		}
	}
}

func TestBar(t *testing.T) {
	for in, want := range map[string]string{"x": "x\u0304", "W1": "W\u03041", "z12": "z\u030412"} {
		if got := Bar(in); got != want {
			t.Errorf("Bar(%q) = %q, want %q", in, got, want)
		}
	}
}

// small builds x → Affine → ReLU → MSE with parameter W.
func small() (*Program, *Func, []*Value) {
	p := &Program{Package: "t", Inputs: []Port{{Name: "x", Width: 2}}, Outputs: []Port{{Name: "y", Width: 3}}, Params: []Param{{Name: "W", Type: Matrix(3, 2), Init: InitLinearWeight, FanIn: 2}}}
	f := &Func{Name: "train", Rows: 4}
	x := f.NewValue(OpInput, Batch(2))
	x.Name = "x"
	w := f.NewValue(OpParam, Matrix(3, 2))
	w.Name = "W"
	z := f.NewValue(OpAffine, Batch(3), x, w)
	a := f.NewValue(OpReLU, Batch(3), z)
	tv := f.NewValue(OpTarget, Batch(3))
	tv.Name = "t"
	l := f.NewValue(OpMSE, Scalar, a, tv)
	f.Outputs = []Output{{Kind: LossOut, Value: l}}
	p.Funcs = []*Func{f}
	return p, f, []*Value{x, w, z, a, tv, l}
}

// gradW adds W̄ += ā xᵀ, a gemm gradient of W that a call with first set
// writes, to small's function.
func gradW(f *Func, v []*Value) *Value {
	gw := f.NewValue(OpMatMulTN, Matrix(3, 2), v[3], v[0])
	gw.Kernel, gw.First = KernelGemm, true
	f.Outputs = append(f.Outputs, Output{Kind: GradOut, Value: gw, Param: "W"})
	return gw
}

func TestCheckAcceptsValidGraph(t *testing.T) {
	p, f, v := small()
	if err := Check(p, f); err != nil {
		t.Fatal(err)
	}
	gradW(f, v)
	f.Sig = &Signature{Grad: true, Targets: true, Loss: true, First: true}
	if err := Check(p, f); err != nil {
		t.Fatal(err)
	}
}

// TestCheckFindsEveryViolation breaks the graph in each way the verifier
// knows and expects a message naming the problem.
func TestCheckFindsEveryViolation(t *testing.T) {
	cases := []struct {
		name   string
		break_ func(f *Func, v []*Value)
		want   string
	}{
		{"use before definition", func(f *Func, v []*Value) { f.Values[2], f.Values[3] = f.Values[3], f.Values[2] }, "not defined before use"},
		{"wrong result type", func(f *Func, v []*Value) { v[2].Type = Batch(4) }, "type should be"},
		{"wrong operand shape", func(f *Func, v []*Value) { v[1].Type = Matrix(3, 5) }, "want [B][in] and [out][in]"},
		{"arity", func(f *Func, v []*Value) { v[3].Args = append(v[3].Args, v[2]) }, "takes 1 arguments"},
		{"duplicate ID", func(f *Func, v []*Value) { v[3].ID = v[2].ID }, "duplicate ID"},
		{"unknown parameter", func(f *Func, v []*Value) { v[1].Name = "Q" }, "no parameter Q"},
		{"map on a non-producer", func(f *Func, v []*Value) { v[5].Maps = []Map{{Op: OpReLU}} }, "cannot carry maps"},
		{"non-elementwise map", func(f *Func, v []*Value) { v[3].Maps = []Map{{Op: OpMatMul}} }, "not element-wise"},
		{"loss output not a reduction", func(f *Func, v []*Value) { f.Outputs[0].Value = v[3] }, "scalar reduction"},
		{"foreign output", func(f *Func, v []*Value) { f.Outputs[0].Value = &Value{ID: 99, Op: OpMSE} }, "not a value of the function"},
		{"buffer overwritten while live", func(f *Func, v []*Value) {
			f.Bufs = []Buffer{{Type: Batch(3)}}
			v[2].Buf, v[3].Buf = 0, 0
			v[3].Op, v[3].Args = OpAffine, []*Value{v[0], v[1]} // not element-wise: cannot write over z
			f.Values[5].Args[0] = v[3]
			v[2].Name = "z"
			f.Values = append(f.Values[:4:4], &Value{ID: 50, Op: OpReLU, Type: Batch(3), Args: []*Value{v[2]}, Buf: -1}, v[4], v[5])
		}, "overwrites b0"},
		{"missing buffer", func(f *Func, v []*Value) { f.Bufs = []Buffer{} }, "has no buffer"},
		{"buffer of another type", func(f *Func, v []*Value) {
			f.Bufs = []Buffer{{Type: Batch(7)}}
			v[2].Buf, v[3].Buf = 0, 0
		}, "in buffer b0 of type"},
		{"kernel of an op without a product", func(f *Func, v []*Value) { v[3].Kernel = KernelVector }, "ReLU, which has no matrix product"},
		{"gemm in a per-sample function", func(f *Func, v []*Value) { f.Rows, v[2].Kernel = 1, KernelGemm }, "kernel gemm in a per-sample function"},
		{"whole in a batched function", func(f *Func, v []*Value) { v[2].Kernel = KernelWhole }, "kernel whole in a batched function"},
		{"whole Affine", func(f *Func, v []*Value) { f.Rows, v[2].Kernel = 1, KernelWhole }, "no whole-matrix kernel for Affine"},
		{"unknown kernel", func(f *Func, v []*Value) { v[2].Kernel = 9 }, "unknown kernel"},
		{"input of no port", func(f *Func, v []*Value) { v[0].Port = 1 }, "reads input 1, but the program has 1"},
		{"target narrower than its output", func(f *Func, v []*Value) { v[4].Type = Batch(2); v[5].Args[1] = v[4] }, "output y has type [B][3]"},
		{"first on a value that is no gradient", func(f *Func, v []*Value) { v[2].First = true }, "can be marked first"},
		{"first on a batched product without gemm", func(f *Func, v []*Value) {
			gradW(f, v).Kernel = KernelVector
		}, "marked first only with kernel gemm"},
		{"two gradients of a parameter marked first", func(f *Func, v []*Value) { gradW(f, v); gradW(f, v) }, "only the first of a parameter's gradients"},
		{"step in a batched function", func(f *Func, v []*Value) { gradW(f, v).Step = true }, "can be marked step"},
		{"prediction beside a loss", func(f *Func, v []*Value) {
			f.Outputs = append(f.Outputs, Output{Kind: Prediction, Value: v[3]})
		}, "cannot write a prediction"},
		{"signature that lacks what the values need", func(f *Func, v []*Value) { f.Sig = &Signature{Loss: true} }, "but its values need"},
	}
	for _, c := range cases {
		p, f, v := small()
		c.break_(f, v)
		err := Check(p, f)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Check = %v, want an error containing %q", c.name, err, c.want)
		}
	}
}

// TestEveryOpHasMath: explain prints each op from its table entry, so every
// op needs a definition, and every differentiated op its Jacobians and why.
func TestEveryOpHasMath(t *testing.T) {
	for _, op := range Ops() {
		m := op.Math()
		if m.Def == nil {
			t.Errorf("op %s has no definition for explain", op)
		}
		if op.Info().VJP != nil && (m.Jacobians == nil || m.Why == "") {
			t.Errorf("op %s has a rule but no Jacobians or explanation", op)
		}
	}
}

func TestFprintDot(t *testing.T) {
	p, f, _ := small()
	var b strings.Builder
	FprintDot(&b, p, f)
	out := b.String()
	for _, want := range []string{`digraph "t.train" {`, `v2 [label="Affine\n[B][3]f32"`, "v0 -> v2;", "shape=doublecircle"} {
		if !strings.Contains(out, want) {
			t.Errorf("dot output lacks %q:\n%s", want, out)
		}
	}
}

// TestDotRenders draws a graph with Graphviz when it is installed (Debian's
// graphviz package); elsewhere it is skipped.
func TestDotRenders(t *testing.T) {
	dot, err := exec.LookPath("dot")
	if err != nil {
		t.Skip("graphviz not installed")
	}
	p, f, _ := small()
	var b strings.Builder
	FprintDot(&b, p, f)
	cmd := exec.Command(dot, "-Tpng")
	cmd.Stdin = strings.NewReader(b.String())
	out, err := cmd.Output()
	if err != nil || !bytes.HasPrefix(out, []byte("\x89PNG")) {
		t.Errorf("dot -Tpng: %v", err)
	}
}
