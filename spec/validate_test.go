package spec_test

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/gradgen/gradgen/spec"
)

// goodNetwork returns a valid network built in Go, without positions and
// without normalisation.
func goodNetwork() *spec.Network {
	return &spec.Network{
		Package: "tiny",
		Input:   4,
		Layers: []spec.Layer{
			{Dense: 16, Activation: spec.LeakyReLU},
			{Dense: 3},
		},
		Loss: spec.SoftmaxCrossEntropy,
	}
}

func TestValidateGoBuilt(t *testing.T) {
	tests := []struct {
		name   string
		modify func(n *spec.Network)
		want   []string
	}{
		{"valid", func(n *spec.Network) {}, nil},
		{"valid after Normalize", func(n *spec.Network) { n.Normalize() }, nil},
		{"valid with adam left to defaults", func(n *spec.Network) {
			n.Optimizer.Adam = &spec.Adam{LR: 0.1}
		}, nil},
		{"zero network", func(n *spec.Network) { *n = spec.Network{} }, []string{
			"package must not be empty; it is the Go package name of the generated file",
			"input must be >= 1, got 0",
			"layers must have at least one layer",
			`loss must be one of mse, softmax_cross_entropy, binary_cross_entropy, got ""`,
		}},
		{"widths", func(n *spec.Network) {
			n.Input = 1 << 30
			n.Layers[0].Dense = 0
			n.Layers[1].Dense = -3
		}, []string{
			"input must be <= 16777216, got 1073741824",
			"layer 1: dense must be >= 1, got 0",
			"layer 2: dense must be >= 1, got -3",
		}},
		{"names", func(n *spec.Network) {
			n.Package = "type"
			n.DType = "Float64"
			n.Layers[0].Activation = "softmax"
			n.Loss = "msee"
		}, []string{
			`package "type" is a Go keyword; choose another name`,
			`dtype must be one of float32, float64, got "Float64" (did you mean "float64"?)`,
			`layer 1: activation must be one of none, relu, leaky_relu, sigmoid, tanh, got "softmax"`,
			`loss must be one of mse, softmax_cross_entropy, binary_cross_entropy, got "msee" (did you mean "mse"?)`,
		}},
		{"slopes and logits", func(n *spec.Network) {
			n.Layers[0].Slope = math.Inf(1)
			n.Layers[1].Activation = spec.ReLU
			n.Layers[1].Slope = 0.1
		}, []string{
			"layer 1: slope must be a finite number > 0, got +Inf",
			"layer 2: slope is only allowed with activation leaky_relu, not relu",
			"loss softmax_cross_entropy takes logits, so the last layer's activation must be none, but layer 2 has relu",
		}},
		{"softmax over one output", func(n *spec.Network) {
			n.Layers[1].Dense = 1
		}, []string{
			"loss softmax_cross_entropy needs at least 2 outputs, but the last layer (layer 2) has dense: 1: " +
				"softmax over one class is always 1, so the loss is 0 and nothing learns; " +
				"for two classes use binary_cross_entropy with dense: 1",
		}},
		{"softmax over one output after an activation", func(n *spec.Network) {
			n.Layers = n.Layers[:1]
			n.Layers[0].Dense = 1
		}, []string{
			"loss softmax_cross_entropy takes logits, so the last layer's activation must be none, but layer 1 has leaky_relu",
			"loss softmax_cross_entropy needs at least 2 outputs, but the last layer (layer 1) has dense: 1: " +
				"softmax over one class is always 1, so the loss is 0 and nothing learns; " +
				"for two classes use binary_cross_entropy with dense: 1",
		}},
		{"softmax over an invalid width", func(n *spec.Network) {
			n.Layers[1].Dense = 0
		}, []string{
			"layer 2: dense must be >= 1, got 0",
		}},
		{"binary cross-entropy over one output", func(n *spec.Network) {
			n.Layers[1].Dense = 1
			n.Loss = spec.BinaryCrossEntropy
		}, nil},
		{"mse over one output", func(n *spec.Network) {
			n.Layers[1].Dense = 1
			n.Loss = spec.MSE
		}, nil},
		{"optimizers", func(n *spec.Network) {
			n.Optimizer.SGD = &spec.SGD{LR: math.NaN()}
			n.Optimizer.Momentum = &spec.Momentum{LR: 0.1, Momentum: -0.5}
			n.Optimizer.Adam = &spec.Adam{LR: 0.1, Beta1: 1, Beta2: 0.5, Eps: -1}
		}, []string{
			"optimizer must have exactly one of sgd, momentum, adam, adamw, got sgd, momentum and adam",
			"optimizer sgd: lr must be a finite number > 0, got NaN",
			"optimizer momentum: momentum must be in [0, 1), got -0.5",
			"optimizer adam: beta1 must be in [0, 1), got 1",
			"optimizer adam: eps must be a finite number > 0, got -1",
		}},
		{"too many bytes", func(n *spec.Network) {
			n.Input = spec.MaxWidth
			n.Layers[0].Dense = spec.MaxWidth
		}, []string{
			"network needs 2251835247168584 bytes for parameters, gradients, optimizer state and workspace; the limit is 2147483648 bytes",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := goodNetwork()
			tt.modify(n)
			err := n.Validate()
			if got := messages(t, err); strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("Validate:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// messages returns the messages of err, which must be nil or a spec.ErrorList
// without positions.
func messages(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	var list spec.ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("error is %T, want spec.ErrorList", err)
	}
	var msgs []string
	for _, e := range list {
		if e.Pos != (spec.Pos{}) {
			t.Errorf("error %q has position %+v in a network without positions", e.Msg, e.Pos)
		}
		if e.Error() != e.Msg {
			t.Errorf("Error() = %q, want the bare message %q", e.Error(), e.Msg)
		}
		msgs = append(msgs, e.Msg)
	}
	return msgs
}

func TestValidateUsesFileAndPositions(t *testing.T) {
	n := goodNetwork()
	n.File = "net.yaml"
	n.Input = 0
	n.Layers[1].Pos = spec.Pos{File: "net.yaml", Line: 7, Col: 5}
	n.Layers[1].Dense = 0
	n.Layers[0].Fields = spec.Positions{"activation": {File: "net.yaml", Line: 5, Col: 17}}
	n.Layers[0].Activation = "rleu"
	want := "net.yaml: input must be >= 1, got 0\n" +
		`net.yaml:5:17: layer 1: activation must be one of none, relu, leaky_relu, sigmoid, tanh, got "rleu" (did you mean "relu"?)` + "\n" +
		"net.yaml:7:5: layer 2: dense must be >= 1, got 0"
	if err := n.Validate(); err == nil || err.Error() != want {
		t.Errorf("Validate:\n%v\nwant:\n%s", err, want)
	}
}

func TestValidateNil(t *testing.T) {
	var n *spec.Network
	if err := n.Validate(); err == nil {
		t.Error("Validate of a nil network succeeded")
	}
	n.Normalize() // must not panic
	if n.NumParams() != 0 || n.Widths() != nil {
		t.Error("NumParams or Widths of a nil network not empty")
	}
}

func TestNormalize(t *testing.T) {
	n := &spec.Network{
		Layers: []spec.Layer{
			{Dense: 2, Activation: spec.LeakyReLU},
			{Dense: 2, Activation: spec.LeakyReLU, Fields: spec.Positions{"slope": {Line: 3}}},
			{Dense: 2, Activation: spec.LeakyReLU, Slope: 0.3},
			{Dense: 1},
		},
		Optimizer: spec.Optimizer{Adam: &spec.Adam{Beta2: 0.5, Fields: spec.Positions{"beta1": {Line: 9}}}},
	}
	n.Normalize()
	n.Normalize() // idempotent
	if n.DType != spec.Float32 {
		t.Errorf("DType = %q, want float32", n.DType)
	}
	wantSlopes := []float64{spec.DefaultSlope, 0, 0.3, 0}
	for i, l := range n.Layers {
		if l.Slope != wantSlopes[i] {
			t.Errorf("layer %d slope = %v, want %v", i+1, l.Slope, wantSlopes[i])
		}
	}
	if n.Layers[3].Activation != spec.None {
		t.Errorf("layer 4 activation = %q, want none", n.Layers[3].Activation)
	}
	a := *n.Optimizer.Adam
	if a.LR != 0.001 || a.Beta1 != 0 || a.Beta2 != 0.5 || a.Eps != 1e-8 {
		t.Errorf("Adam = %+v, want lr 0.001, beta1 0 (given), beta2 0.5, eps 1e-8", a)
	}
	if n.Optimizer.SGD != nil {
		t.Error("Normalize added SGD next to Adam")
	}

	var empty spec.Network
	empty.Normalize()
	if s := empty.Optimizer.SGD; s == nil || s.LR != 0.01 {
		t.Errorf("default optimizer = %+v, want SGD lr 0.01", s)
	}
}

func TestNumParamsAndWidths(t *testing.T) {
	n := &spec.Network{Input: 4, Layers: []spec.Layer{{Dense: 16}, {Dense: 8, NoBias: true}, {Dense: 3}}}
	if got, want := n.NumParams(), int64(16*4+16+8*16+3*8+3); got != want {
		t.Errorf("NumParams = %d, want %d", got, want)
	}
	if got, want := fmt.Sprint(n.Widths()), "[4 16 8 3]"; got != want {
		t.Errorf("Widths = %s, want %s", got, want)
	}
	huge := &spec.Network{Input: math.MaxInt, Layers: []spec.Layer{{Dense: math.MaxInt}, {Dense: -5}}}
	if got := huge.NumParams(); got != math.MaxInt64 {
		t.Errorf("NumParams of absurd widths = %d, want saturation at MaxInt64", got)
	}
	sum := &spec.Network{Input: math.MaxInt32, Layers: []spec.Layer{{Dense: math.MaxInt32}, {Dense: math.MaxInt32}, {Dense: math.MaxInt32}}}
	if got := sum.NumParams(); got != math.MaxInt64 {
		t.Errorf("NumParams of overflowing sum = %d, want saturation at MaxInt64", got)
	}
	if err := huge.Validate(); err == nil {
		t.Error("Validate accepted absurd widths")
	}
}

func TestErrorFormat(t *testing.T) {
	tests := []struct {
		err  spec.Error
		want string
	}{
		{spec.Error{Pos: spec.Pos{File: "a.yaml", Line: 3, Col: 5}, Msg: "bad"}, "a.yaml:3:5: bad"},
		{spec.Error{Pos: spec.Pos{Line: 3, Col: 5}, Msg: "bad"}, "3:5: bad"},
		{spec.Error{Pos: spec.Pos{File: "a.yaml"}, Msg: "bad"}, "a.yaml: bad"},
		{spec.Error{Pos: spec.Pos{File: "a.yaml", Line: 3}, Msg: "bad"}, "a.yaml:3: bad"},
		{spec.Error{Msg: "bad"}, "bad"},
		{spec.Error{Pos: spec.Pos{File: "m.onnx", Node: `3 "/fc1/Gemm" (Gemm)`}, Msg: "bad"}, `m.onnx: node 3 "/fc1/Gemm" (Gemm): bad`},
		{spec.Error{Pos: spec.Pos{Node: "3 (Gemm)"}, Msg: "bad"}, `node 3 (Gemm): bad`},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

func TestErrorList(t *testing.T) {
	var empty spec.ErrorList
	if empty.Err() != nil {
		t.Error("Err of an empty list is not nil")
	}
	at := func(file string, line, col int, msg string) *spec.Error {
		return &spec.Error{Pos: spec.Pos{File: file, Line: line, Col: col}, Msg: msg}
	}
	list := spec.ErrorList{
		at("b", 1, 1, "b1"),
		at("a", 2, 1, "a2 first"),
		at("a", 1, 9, "a1:9"),
		at("a", 2, 1, "a2 second"),
		at("a", 1, 10, "a1:10"),
	}
	list.Sort()
	want := "a:1:9: a1:9\na:1:10: a1:10\na:2:1: a2 first\na:2:1: a2 second\nb:1:1: b1"
	if got := list.Err().Error(); got != want {
		t.Errorf("sorted list:\n%s\nwant:\n%s", got, want)
	}
}

// dump formats n with its optimizer's fields for failure messages.
func dump(n *spec.Network) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%+v", *n)
	o := n.Optimizer
	if o.SGD != nil {
		fmt.Fprintf(&b, "\n  sgd %+v", *o.SGD)
	}
	if o.Momentum != nil {
		fmt.Fprintf(&b, "\n  momentum %+v", *o.Momentum)
	}
	if o.Adam != nil {
		fmt.Fprintf(&b, "\n  adam %+v", *o.Adam)
	}
	return b.String()
}
