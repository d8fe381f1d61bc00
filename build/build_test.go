package build

import (
	"strings"
	"testing"

	"github.com/gradgen/gradgen/ir"
	"github.com/gradgen/gradgen/spec"
)

func TestProgram(t *testing.T) {
	src := `package: net
dtype: float64
input: 3
layers:
  - dense: 5
    activation: leaky_relu
    bias: false
  - dense: 2
loss: binary_cross_entropy
`
	n, err := spec.Parse("dir/net.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	p, err := Program(n, Options{TileRows: 8})
	if err != nil {
		t.Fatal(err)
	}
	if p.Source != "net.yaml" || p.DType != ir.F64 || ir.Widths(p.Inputs) != "3" || ir.Widths(p.Outputs) != "2" || p.Inputs[0].Name != "x" {
		t.Errorf("program header: source %q dtype %v %v → %v", p.Source, p.DType, p.Inputs, p.Outputs)
	}
	// PyTorch's parameter order; no bias for layer 1.
	var names []string
	for _, q := range p.Params {
		names = append(names, q.Name)
	}
	if got := strings.Join(names, " "); got != "W1 W2 B2" {
		t.Errorf("parameters %s, want W1 W2 B2", got)
	}
	if p.NumParams() != 15+10+2 {
		t.Errorf("NumParams = %d, want 27", p.NumParams())
	}
	if p.Optimizer != (ir.Optimizer{Kind: ir.SGD, LR: 0.01}) {
		t.Errorf("default optimizer %v, want sgd lr=0.01", p.Optimizer)
	}
	if f := p.Func(ir.RoleTrain); f == nil || f.Rows != 8 || !f.Grad {
		t.Errorf("train function %+v", f)
	}
	if f := p.Func(ir.RolePredict); f == nil || f.Rows != 1 || f.Output(ir.Prediction) == nil {
		t.Errorf("predict function %+v", f)
	}
	// Values carry the positions of the spec nodes they came from.
	for _, v := range p.Func(ir.RoleLoss).Values {
		if v.Op == ir.OpLeakyReLU && (v.Pos.Line != 6 || v.Pos.Col != 17 || v.Aux != 0.01) {
			t.Errorf("leaky relu at %v with slope %g, want dir/net.yaml:6:17 and 0.01", v.Pos, v.Aux)
		}
		if v.Op == ir.OpBCELogits && v.Pos.Line != 9 {
			t.Errorf("loss at %v, want line 9", v.Pos)
		}
	}
}

func TestProgramRejectsInvalidNetwork(t *testing.T) {
	_, err := Program(&spec.Network{Package: "x", Input: 0, Loss: spec.MSE}, Options{})
	if err == nil || !strings.Contains(err.Error(), "input must be >= 1") {
		t.Errorf("Program(invalid) = %v", err)
	}
}

// TestTorchNames: parameters are named as in PyTorch's
// nn.Sequential(Linear, activation, Linear, …).state_dict(), where an
// activation is a module of its own and activation none is absent.
func TestTorchNames(t *testing.T) {
	n, err := spec.Load("../generated/mixed64/mixed64.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := Program(n, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, q := range p.Params {
		names = append(names, q.Torch)
	}
	want := "0.weight 0.bias 2.weight 2.bias 4.weight 6.weight 6.bias 8.weight 8.bias"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("torch names %s, want %s", got, want)
	}
}
