package spec_test

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gradgen/gradgen/spec"
)

// tinySpec is the example of the spec format.
const tinySpec = `package: tiny            # Go package of the generated file
dtype: float32
input: 4
layers:
  - dense: 16
    activation: relu
  - dense: 8
    activation: leaky_relu
    slope: 0.2
    bias: false
  - dense: 3
loss: mse
optimizer:
  adam: {lr: 0.002, beta1: 0.8, beta2: 0.99, eps: 1e-6}
`

func TestParseGood(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want spec.Network
	}{{
		name: "example",
		src:  tinySpec,
		want: spec.Network{
			Package: "tiny", DType: spec.Float32, Input: 4,
			Layers: []spec.Layer{
				{Dense: 16, Activation: spec.ReLU},
				{Dense: 8, Activation: spec.LeakyReLU, Slope: 0.2, NoBias: true},
				{Dense: 3, Activation: spec.None},
			},
			Loss:      spec.MSE,
			Optimizer: spec.Optimizer{Adam: &spec.Adam{LR: 0.002, Beta1: 0.8, Beta2: 0.99, Eps: 1e-6}},
		},
	}, {
		name: "minimal with defaults",
		src:  "package: p\ninput: 2\nlayers:\n  - dense: 1\nloss: mse\n",
		want: spec.Network{
			Package: "p", DType: spec.Float32, Input: 2,
			Layers:    []spec.Layer{{Dense: 1, Activation: spec.None}},
			Loss:      spec.MSE,
			Optimizer: spec.Optimizer{SGD: &spec.SGD{LR: 0.01}},
		},
	}, {
		name: "leaky_relu default slope",
		src:  "package: p\ninput: 2\nlayers:\n  - {dense: 5, activation: leaky_relu, bias: true}\n  - {dense: 1}\nloss: mse\n",
		want: spec.Network{
			Package: "p", DType: spec.Float32, Input: 2,
			Layers: []spec.Layer{
				{Dense: 5, Activation: spec.LeakyReLU, Slope: spec.DefaultSlope},
				{Dense: 1, Activation: spec.None},
			},
			Loss:      spec.MSE,
			Optimizer: spec.Optimizer{SGD: &spec.SGD{LR: 0.01}},
		},
	}, {
		name: "adam defaults",
		src:  "package: p\ninput: 2\nlayers: [{dense: 1}]\nloss: mse\noptimizer: {adam: {}}\n",
		want: spec.Network{
			Package: "p", DType: spec.Float32, Input: 2,
			Layers:    []spec.Layer{{Dense: 1, Activation: spec.None}},
			Loss:      spec.MSE,
			Optimizer: spec.Optimizer{Adam: &spec.Adam{LR: 0.001, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}},
		},
	}, {
		name: "adam explicit zero beta1 stays zero",
		src:  "package: p\ninput: 2\nlayers: [{dense: 1}]\nloss: mse\noptimizer:\n  adam:\n    beta1: 0\n    lr: 1\n",
		want: spec.Network{
			Package: "p", DType: spec.Float32, Input: 2,
			Layers:    []spec.Layer{{Dense: 1, Activation: spec.None}},
			Loss:      spec.MSE,
			Optimizer: spec.Optimizer{Adam: &spec.Adam{LR: 1, Beta1: 0, Beta2: 0.999, Eps: 1e-8}},
		},
	}, {
		name: "momentum, float64, cross-entropy on logits",
		src: `package: classify
dtype: float64
input: 0x10
layers:
  - dense: 1_000
    activation: tanh
  - dense: 10
    activation: none
loss: softmax_cross_entropy
optimizer:
  momentum:
    lr: 0.05
    momentum: 0.9
`,
		want: spec.Network{
			Package: "classify", DType: spec.Float64, Input: 16,
			Layers: []spec.Layer{
				{Dense: 1000, Activation: spec.Tanh},
				{Dense: 10, Activation: spec.None},
			},
			Loss:      spec.SoftmaxCrossEntropy,
			Optimizer: spec.Optimizer{Momentum: &spec.Momentum{LR: 0.05, Momentum: 0.9}},
		},
	}, {
		name: "sgd with integer lr, sigmoid before bce is not allowed but before mse is",
		src:  "package: p\ninput: 3\nlayers:\n  - dense: 1\n    activation: sigmoid\nloss: mse\noptimizer:\n  sgd: {lr: 1}\n",
		want: spec.Network{
			Package: "p", DType: spec.Float32, Input: 3,
			Layers:    []spec.Layer{{Dense: 1, Activation: spec.Sigmoid}},
			Loss:      spec.MSE,
			Optimizer: spec.Optimizer{SGD: &spec.SGD{LR: 1}},
		},
	}, {
		name: "flow style, document markers, anchors and aliases",
		src:  "---\n{package: p, input: 2, layers: [&h {dense: 8, activation: tanh}, *h, {dense: 1}], loss: binary_cross_entropy}\n...\n",
		want: spec.Network{
			Package: "p", DType: spec.Float32, Input: 2,
			Layers: []spec.Layer{
				{Dense: 8, Activation: spec.Tanh},
				{Dense: 8, Activation: spec.Tanh},
				{Dense: 1, Activation: spec.None},
			},
			Loss:      spec.BinaryCrossEntropy,
			Optimizer: spec.Optimizer{SGD: &spec.SGD{LR: 0.01}},
		},
	}, {
		name: "CRLF line endings and quoted strings",
		src:  "package: \"p\"\r\ninput: 2\r\nlayers:\r\n  - dense: 1\r\n    activation: 'sigmoid'\r\nloss: mse\r\n",
		want: spec.Network{
			Package: "p", DType: spec.Float32, Input: 2,
			Layers:    []spec.Layer{{Dense: 1, Activation: spec.Sigmoid}},
			Loss:      spec.MSE,
			Optimizer: spec.Optimizer{SGD: &spec.SGD{LR: 0.01}},
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := spec.Parse("test.yaml", []byte(tt.src))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if n.File != "test.yaml" {
				t.Errorf("File = %q, want test.yaml", n.File)
			}
			if err := n.Validate(); err != nil {
				t.Errorf("Validate of a parsed network: %v", err)
			}
			got := withoutPositions(n)
			if !reflect.DeepEqual(got, &tt.want) {
				t.Errorf("Parse =\n%s\nwant\n%s", dump(got), dump(&tt.want))
			}
		})
	}
}

func TestParsePositions(t *testing.T) {
	n, err := spec.Parse("tiny.yaml", []byte(tinySpec))
	if err != nil {
		t.Fatal(err)
	}
	at := func(line, col int) spec.Pos { return spec.Pos{File: "tiny.yaml", Line: line, Col: col} }
	checks := []struct {
		what      string
		got, want spec.Pos
	}{
		{"network", n.Pos, at(1, 1)},
		{"package", n.Fields["package"], at(1, 10)},
		{"input", n.Fields["input"], at(3, 8)},
		{"layers", n.Fields["layers"], at(5, 3)},
		{"loss", n.Fields["loss"], at(12, 7)},
		{"optimizer", n.Fields["optimizer"], at(14, 3)},
		{"layer 1", n.Layers[0].Pos, at(5, 5)},
		{"layer 1 dense", n.Layers[0].Fields["dense"], at(5, 12)},
		{"layer 2 activation", n.Layers[1].Fields["activation"], at(8, 17)},
		{"layer 2 slope", n.Layers[1].Fields["slope"], at(9, 12)},
		{"layer 2 bias", n.Layers[1].Fields["bias"], at(10, 11)},
		{"optimizer", n.Optimizer.Pos, at(14, 3)},
		{"optimizer adam", n.Optimizer.Fields["adam"], at(14, 9)},
		{"adam", n.Optimizer.Adam.Pos, at(14, 9)},
		{"adam lr", n.Optimizer.Adam.Fields["lr"], at(14, 14)},
		{"adam eps", n.Optimizer.Adam.Fields["eps"], at(14, 51)},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("position of %s = %+v, want %+v", c.what, c.got, c.want)
		}
	}
	if _, ok := n.Fields["dtype"]; !ok {
		t.Errorf("no position for dtype")
	}
	if _, ok := n.Layers[0].Fields["slope"]; ok {
		t.Errorf("position for a slope left out")
	}
}

func TestLoad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tiny.yaml")
	if err := os.WriteFile(path, []byte(tinySpec), 0o644); err != nil {
		t.Fatal(err)
	}
	n, err := spec.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if n.File != path || n.Pos.File != path || n.Fields["input"].File != path {
		t.Errorf("Load(%q): File %q, Pos %+v, input at %+v; want the path everywhere", path, n.File, n.Pos, n.Fields["input"])
	}

	_, err = spec.Load(filepath.Join(t.TempDir(), "missing.yaml"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load of a missing file: %v, want fs.ErrNotExist", err)
	}
}

// TestParseErrorList checks the shape of Parse's errors; their text is
// checked by TestErrorsGolden.
func TestParseErrorList(t *testing.T) {
	n, err := spec.Parse("bad.yaml", []byte("package: 1x\ninput: 0\nlayers: []\nloss: l2\n"))
	if n != nil {
		t.Errorf("Parse returned a network with errors")
	}
	var list spec.ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("Parse error is %T, want spec.ErrorList", err)
	}
	want := []spec.Pos{
		{File: "bad.yaml", Line: 1, Col: 10},
		{File: "bad.yaml", Line: 2, Col: 8},
		{File: "bad.yaml", Line: 3, Col: 9},
		{File: "bad.yaml", Line: 4, Col: 7},
	}
	if len(list) != len(want) {
		t.Fatalf("Parse gave %d errors, want %d:\n%v", len(list), len(want), err)
	}
	for i, e := range list {
		if e.Pos != want[i] {
			t.Errorf("error %d at %+v, want %+v", i, e.Pos, want[i])
		}
	}
}

// withoutPositions returns a copy of n without file names and positions.
func withoutPositions(n *spec.Network) *spec.Network {
	c := *n
	c.File, c.Pos, c.Fields = "", spec.Pos{}, nil
	c.Layers = append([]spec.Layer(nil), n.Layers...)
	for i := range c.Layers {
		c.Layers[i].Pos, c.Layers[i].Fields = spec.Pos{}, nil
	}
	o := &c.Optimizer
	o.Pos, o.Fields = spec.Pos{}, nil
	if o.SGD != nil {
		s := *o.SGD
		s.Pos, s.Fields = spec.Pos{}, nil
		o.SGD = &s
	}
	if o.Momentum != nil {
		m := *o.Momentum
		m.Pos, m.Fields = spec.Pos{}, nil
		o.Momentum = &m
	}
	if o.Adam != nil {
		a := *o.Adam
		a.Pos, a.Fields = spec.Pos{}, nil
		o.Adam = &a
	}
	return &c
}

// standInCases are specs with unknown keys that stand in for the keys they
// suggest, and the errors Parse gives for each.
var standInCases = []struct {
	name, src string
	want      []string
}{{
	name: "misspelt optimizer: the problems inside are reported too",
	src:  "package: p\ninput: 2\nlayers: [{dense: 1}]\nloss: mse\noptimiser:\n  adam: {learning_rate: 0.1, beta1: 2}\n",
	want: []string{
		`x.yaml:5:1: unknown key "optimiser" (allowed: package, dtype, input, inputs, layers, loss, outputs, optimizer, onnx) (did you mean "optimizer"?)`,
		`x.yaml:6:10: unknown key "learning_rate" in optimizer adam (allowed: lr, beta1, beta2, eps, weight_decay) (did you mean "lr"?)`,
		`x.yaml:6:37: optimizer adam: beta1 must be in [0, 1), got 2`,
	},
}, {
	name: "misspelt layers: not also missing",
	src:  "package: p\ninput: 2\nlayer:\n  - dense: 0\nloss: mse\n",
	want: []string{
		`x.yaml:3:1: unknown key "layer" (allowed: package, dtype, input, inputs, layers, loss, outputs, optimizer, onnx) (did you mean "layers"?)`,
		`x.yaml:4:12: layer 1: dense must be >= 1, got 0`,
	},
}, {
	name: "a valid value under a misspelt key still makes the spec invalid",
	src:  "package: p\ninput: 2\nlayers: [{units: 1}]\nloss: mse\n",
	want: []string{
		`x.yaml:3:11: unknown key "units" in layer 1 (allowed: dense, activation, slope, bias, trainable, name, from, add, layer_norm, dropout, embedding) (did you mean "dense"?)`,
	},
}, {
	name: "the key given as well: the misspelt one stands in for nothing",
	src:  "package: p\ninput: 2\nlayers: [{dense: 1}]\nlos: cross\nloss: mse\n",
	want: []string{
		`x.yaml:4:1: unknown key "los" (allowed: package, dtype, input, inputs, layers, loss, outputs, optimizer, onnx) (did you mean "loss"?)`,
	},
}, {
	name: "two keys for one: the first stands in",
	src:  "package: p\ninput: 2\nlayers: [{dense: 1}]\nloss: mse\noptimizer:\n  sgd: {learning_rate: -1, lr_rate: -2}\n",
	want: []string{
		`x.yaml:6:9: unknown key "learning_rate" in optimizer sgd (allowed: lr, weight_decay) (did you mean "lr"?)`,
		`x.yaml:6:24: optimizer sgd: lr must be a finite number > 0, got -1`,
		`x.yaml:6:28: unknown key "lr_rate" in optimizer sgd (allowed: lr, weight_decay) (did you mean "lr"?)`,
	},
}, {
	name: "a misspelt required key that stands in is not missing",
	src:  "package: p\ninput: 2\nlayers: [{dense: 1}]\nloss: mse\noptimizer:\n  sgd: {learning_rate: 0.1}\n",
	want: []string{
		`x.yaml:6:9: unknown key "learning_rate" in optimizer sgd (allowed: lr, weight_decay) (did you mean "lr"?)`,
	},
}, {
	name: "no suggestion, no stand-in",
	src:  "package: p\ninput: 2\nlayers: [{dense: 1}]\nloss: mse\noptimizer:\n  rmsprop: {lr: -1}\n",
	want: []string{
		`x.yaml:6:3: unknown key "rmsprop" in optimizer (allowed: sgd, momentum, adam, adamw, clip_grad_norm, schedule)`,
	},
}, {
	name: "settings at the indentation of their optimizer",
	src:  "package: p\ninput: 2\nlayers: [{dense: 1}]\nloss: mse\noptimizer:\n  adam:\n  lr: 0.1\n",
	want: []string{
		`x.yaml:6:8: optimizer adam must be a mapping with optional keys lr, beta1, beta2, eps, weight_decay ({} for PyTorch's defaults), got null`,
		`x.yaml:7:3: unknown key "lr" in optimizer (allowed: sgd, momentum, adam, adamw, clip_grad_norm, schedule) (to make it a key of adam, indent it more than adam)`,
	},
}}

func TestParseStandIns(t *testing.T) {
	for _, tt := range standInCases {
		t.Run(tt.name, func(t *testing.T) {
			n, err := spec.Parse("x.yaml", []byte(tt.src))
			if n != nil {
				t.Errorf("Parse returned a network for a spec with an unknown key")
			}
			if got, want := fmt.Sprint(err), strings.Join(tt.want, "\n"); got != want {
				t.Errorf("Parse:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}
