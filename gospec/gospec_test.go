package gospec

import (
	"strings"
	"testing"

	"github.com/gradgen/gradgen/spec"
)

func TestParseRef(t *testing.T) {
	cases := []struct {
		arg, pattern, name string
	}{
		{"./netspec:Net", "./netspec", "Net"},
		{".:Net", ".", "Net"},
		{"netspec.go:Net", "file=netspec.go", "Net"},
		{"example.com/app/netspec.Net", "example.com/app/netspec", "Net"},
		{"./netspec.Net", "./netspec", "Net"},
	}
	for _, c := range cases {
		r, err := ParseRef(c.arg)
		if err != nil || r.Pattern != c.pattern || r.Var != c.name || r.Raw != c.arg {
			t.Errorf("ParseRef(%q) = %+v, %v", c.arg, r, err)
		}
		if !IsRef(c.arg) {
			t.Errorf("IsRef(%q) = false", c.arg)
		}
	}
	for _, bad := range []string{"net.yaml", "net", "./netspec:", ":Net", "./netspec:net", "example.com/x", "./netspec:1x"} {
		if IsRef(bad) {
			t.Errorf("IsRef(%q) = true", bad)
		}
	}
}

func TestLoadComputedSpec(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	n, err := Load(".", "./testdata/good:Net")
	if err != nil {
		t.Fatal(err)
	}
	if n.Package != "policy" || n.Input != 6 || len(n.Layers) != 3 || n.Layers[1].Activation != spec.Tanh || n.Layers[2].Dense != 2 {
		t.Errorf("loaded %+v", n)
	}
	if n.Ref != "./testdata/good:Net" || n.DType != spec.Float32 || n.Optimizer.SGD == nil {
		t.Errorf("Ref %q, dtype %q, optimizer %+v: not normalised", n.Ref, n.DType, n.Optimizer)
	}
	if p := n.Fields["input"]; p.File != "testdata/good/good.go" || p.Line != 15 || p.Col != 11 {
		t.Errorf("position of input: %+v", p)
	}
}

func TestLoadByFileAndImportPath(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	for _, ref := range []string{"testdata/good/good.go:Net", "github.com/gradgen/gradgen/gospec/testdata/good.Net"} {
		n, err := Load(".", ref)
		if err != nil || n.Package != "policy" || n.Ref != ref {
			t.Errorf("Load(%s) = %+v, %v", ref, n, err)
		}
	}
}

func TestLoadPointerAndDefaults(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	n, err := Load(".", "./testdata/good:Ptr")
	if err != nil {
		t.Fatal(err)
	}
	a := n.Optimizer.Adam
	// beta1 is written (as 0), the rest are left out and take PyTorch's defaults.
	if a == nil || a.Beta1 != 0 || a.LR != 0.001 || a.Beta2 != 0.999 || a.Eps != 1e-8 {
		t.Errorf("Adam %+v", a)
	}
	if n.Layers[0].Slope != spec.DefaultSlope || !n.Layers[1].NoBias {
		t.Errorf("layers %+v", n.Layers)
	}
}

// TestLoadErrors: every problem names the Go source.
func TestLoadErrors(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	cases := []struct{ ref, want string }{
		{"./testdata/good:Bad", "testdata/good/good.go:42:26: layer 1: activation must be one of none, relu, leaky_relu, sigmoid, tanh, got \"swish\""},
		{"./testdata/good:Bad", "testdata/good/good.go:43:11: layer 2: dense must be >= 1, got 0"},
		{"./testdata/good:NaN", "testdata/good/good.go:35:47: optimizer sgd: lr must be a finite number > 0, got NaN"},
		{"./testdata/good:Missing", "package github.com/gradgen/gradgen/gospec/testdata/good has no variable Missing (variables of type spec.Network: Bad, NaN, Net, Ptr)"},
		{"./testdata/good:NotANetwork", "testdata/good/good.go:49:5: NotANetwork has type int, want spec.Network or *spec.Network"},
		{"./testdata/broken:Net", "testdata/broken/broken.go:7:93: undefined: spec.Hinge"},
		{"./testdata/nosuch:Net", "nosuch"},
	}
	for _, c := range cases {
		_, err := Load(".", c.ref)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Load(%s) = %v\nwant an error containing %q", c.ref, err, c.want)
		}
	}
}
