package onnxrt

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/gradgen/gradgen/build"
	"github.com/gradgen/gradgen/examples/cancer/cancernet"
	"github.com/gradgen/gradgen/examples/digits/digitsnet"
	"github.com/gradgen/gradgen/examples/digits/digitsnet64"
	"github.com/gradgen/gradgen/examples/iris/irisnet"
	"github.com/gradgen/gradgen/generated/binary64"
	"github.com/gradgen/gradgen/generated/digits"
	"github.com/gradgen/gradgen/generated/finetune"
	"github.com/gradgen/gradgen/generated/mixed64"
	"github.com/gradgen/gradgen/generated/nesterov64"
	"github.com/gradgen/gradgen/generated/softmax64"
	"github.com/gradgen/gradgen/generated/tiny"
	"github.com/gradgen/gradgen/generic"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/bce1dynf32op17"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/bce1f64op11"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/bce3dynf32op13"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/bce3f64op13"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/deepdynf64op17"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/deepf32op13"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/flattendynf32op9"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/flattendynf64op17"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/flattenf32op13"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/flineardynf64op13"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/flinearf32op13"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/linearnobiasdynf32op13"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/linearnobiasf64op9"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/logsoftmaxdynf32op11"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/logsoftmaxf64op17"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/matmulinoutdynf64op9"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/matmulinoutf32op13"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/matmuloutindynf32op13"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/matmuloutinf64op17"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/reshapedynf32op13"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/reshapedynf32op9"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/reshapedynf64op13"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/reshapef32op13"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/seqdropoutdynf32op9"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/seqdropoutdynf64op13"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/seqdropoutf32op13"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/seqidentitydynf64op11"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/seqidentityf32op13"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/seqleakyreludynf32op13"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/seqleakyreluf64op17"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/seqreludynf32op11"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/seqreludynf32op17"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/seqreludynf64op17"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/seqreluf32op13"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/seqreluf32op9"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/seqreluf64op13"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/seqsigmoiddynf64op13"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/seqsigmoidf32op11"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/seqtanhdynf64op13"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/seqtanhf32op17"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/sigheaddynf32op13"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/sigheadf64op17"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/softmaxdynf32op13"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/softmaxdynf64op13"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/softmaxf32op9"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/viewdynf32op13"
	"github.com/gradgen/gradgen/internal/onnxgold/nets/viewf64op9"
	"github.com/gradgen/gradgen/onnxspec"
	"github.com/gradgen/gradgen/spec"
)

// envNodeModules names the node_modules directory that holds
// onnxruntime-node; the test runs ONNX Runtime only when it is set.
const envNodeModules = "GRADGEN_ORT_NODE_MODULES"

// The tolerances, |ORT − gradgen| ≤ tol·max(|gradgen|, 1): some float32
// ulps of an output of magnitude 1 (ONNX Runtime sums its products in
// another order, with FMA, and has its own exp and tanh), and float64's
// rounding of the same.
const (
	tol32 = 1e-6
	tol64 = 1e-12
)

// batches are the numbers of samples each model runs on.
var batches = []int{1, 7}

// allOpsets are the opsets some cases export at, to cover each form of a
// node: MatMul for a layer without bias below 11, Softmax's 2-D form below
// 13, ir_version 9 from 19.
var allOpsets = []int{9, 13, 17, 20}

// A testCase is a network to export and the predictions to compare with
// ONNX Runtime's.
type testCase struct {
	name string
	spec string // the YAML spec, relative to the repository
	// change makes a variant of the spec; nil for the spec as committed.
	change func(n *spec.Network)
	// newModel is the committed package's NewModel, whose NewModel(1)
	// predicts the reference, or for a model imported from ONNX its
	// NewPretrained; nil for a variant whose element type or activations
	// no package has, predicted by the generic engine from the same seed.
	// An output map the reference does not apply is applied in float64.
	newModel any
	opsets   []int
	tol      float64 // 0: tol32 or tol64 by the element type
	why      string  // why tol is looser, when set, for the log
}

func cases() []testCase {
	transposed := func(n *spec.Network) {
		for i := range n.Layers {
			n.Layers[i].Transposed = true
		}
	}
	output := func(m spec.OutputMap) func(n *spec.Network) { return func(n *spec.Network) { n.Output = m } }
	return []testCase{
		{name: "generated/tiny", spec: "generated/tiny/tiny.yaml", newModel: tiny.NewModel, opsets: allOpsets},
		{name: "generated/digits", spec: "generated/digits/digits.yaml", newModel: digits.NewModel, opsets: []int{17}},
		{name: "generated/finetune", spec: "generated/finetune/finetune.yaml", newModel: finetune.NewModel, opsets: []int{17}},
		{name: "generated/nesterov64", spec: "generated/nesterov64/nesterov64.yaml", newModel: nesterov64.NewModel, opsets: allOpsets},
		{name: "generated/softmax64", spec: "generated/softmax64/softmax64.yaml", newModel: softmax64.NewModel, opsets: []int{17}},
		{name: "generated/binary64", spec: "generated/binary64/binary64.yaml", newModel: binary64.NewModel, opsets: allOpsets},
		// ONNX Runtime runs float64 LeakyRelu at opsets 16 to 18 only, and
		// LeakyRelu's alpha is a float32: mixed64's slope 0.2 becomes
		// 0.20000000298023224 in the model. Its second case checks the
		// rest to float64's tolerance.
		{name: "generated/mixed64", spec: "generated/mixed64/mixed64.yaml", newModel: mixed64.NewModel, opsets: []int{17},
			tol: 1e-9, why: "; tolerance 1e-9: the slope 0.2 is a float32 in ONNX"},
		{name: "generated/mixed64, slope rounded to a float32", spec: "generated/mixed64/mixed64.yaml", change: func(n *spec.Network) {
			for i := range n.Layers {
				if l := &n.Layers[i]; l.Activation == spec.LeakyReLU {
					l.Slope = float64(float32(cmp.Or(l.Slope, spec.DefaultSlope)))
				}
			}
		}, opsets: []int{16, 17, 18}},
		{name: "generated/mixed64 in float32", spec: "generated/mixed64/mixed64.yaml", change: func(n *spec.Network) { n.DType = spec.Float32 },
			opsets: allOpsets},
		{name: "generated/mixed64 in float32, log_softmax output", spec: "generated/mixed64/mixed64.yaml", change: func(n *spec.Network) {
			n.DType, n.Output = spec.Float32, spec.LogSoftmax
		}, opsets: []int{11, 17}},
		{name: "generated/tiny, weights transposed", spec: "generated/tiny/tiny.yaml", change: transposed, newModel: tiny.NewModel,
			opsets: []int{9, 17}},
		{name: "generated/binary64, weights transposed", spec: "generated/binary64/binary64.yaml", change: transposed,
			newModel: binary64.NewModel, opsets: []int{9, 17}},
		{name: "generated/digits, softmax output", spec: "generated/digits/digits.yaml", change: output(spec.Softmax),
			newModel: digits.NewModel, opsets: allOpsets},
		{name: "generated/softmax64, log_softmax output", spec: "generated/softmax64/softmax64.yaml", change: output(spec.LogSoftmax),
			newModel: softmax64.NewModel, opsets: allOpsets},
		{name: "examples/cancer/cancernet", spec: "examples/cancer/cancernet/cancernet.yaml", newModel: cancernet.NewModel, opsets: []int{17}},
		{name: "examples/iris/irisnet", spec: "examples/iris/irisnet/irisnet.yaml", newModel: irisnet.NewModel, opsets: []int{17}},
		{name: "examples/digits/digitsnet", spec: "examples/digits/digitsnet/digitsnet.yaml", newModel: digitsnet.NewModel, opsets: []int{17}},
		{name: "examples/digits/digitsnet64", spec: "examples/digits/digitsnet64/digitsnet64.yaml", newModel: digitsnet64.NewModel, opsets: []int{17}},

		// The models PyTorch exported for internal/onnxgold, imported by
		// gradgen and exported again with their pretrained parameters, at
		// their own opset and the default one; the reference is the
		// package's NewPretrained. Add a row when golden.py adds a model.
		gold("bce1dynf32op17", bce1dynf32op17.NewPretrained, 17),
		gold("bce1f64op11", bce1f64op11.NewPretrained, 11),
		gold("bce3dynf32op13", bce3dynf32op13.NewPretrained, 13),
		gold("bce3f64op13", bce3f64op13.NewPretrained, 13),
		gold("deepdynf64op17", deepdynf64op17.NewPretrained, 17),
		gold("deepf32op13", deepf32op13.NewPretrained, 13),
		gold("flattendynf32op9", flattendynf32op9.NewPretrained, 9),
		gold("flattendynf64op17", flattendynf64op17.NewPretrained, 17),
		gold("flattenf32op13", flattenf32op13.NewPretrained, 13),
		gold("flineardynf64op13", flineardynf64op13.NewPretrained, 13),
		gold("flinearf32op13", flinearf32op13.NewPretrained, 13),
		gold("linearnobiasdynf32op13", linearnobiasdynf32op13.NewPretrained, 13),
		gold("linearnobiasf64op9", linearnobiasf64op9.NewPretrained, 9),
		gold("logsoftmaxdynf32op11", logsoftmaxdynf32op11.NewPretrained, 11),
		gold("logsoftmaxf64op17", logsoftmaxf64op17.NewPretrained, 17),
		gold("matmulinoutdynf64op9", matmulinoutdynf64op9.NewPretrained, 9),
		gold("matmulinoutf32op13", matmulinoutf32op13.NewPretrained, 13),
		gold("matmuloutindynf32op13", matmuloutindynf32op13.NewPretrained, 13),
		gold("matmuloutinf64op17", matmuloutinf64op17.NewPretrained, 17),
		gold("reshapedynf32op13", reshapedynf32op13.NewPretrained, 13),
		gold("reshapedynf32op9", reshapedynf32op9.NewPretrained, 9),
		gold("reshapedynf64op13", reshapedynf64op13.NewPretrained, 13),
		gold("reshapef32op13", reshapef32op13.NewPretrained, 13),
		gold("seqdropoutdynf32op9", seqdropoutdynf32op9.NewPretrained, 9),
		gold("seqdropoutdynf64op13", seqdropoutdynf64op13.NewPretrained, 13),
		gold("seqdropoutf32op13", seqdropoutf32op13.NewPretrained, 13),
		gold("seqidentitydynf64op11", seqidentitydynf64op11.NewPretrained, 11),
		gold("seqidentityf32op13", seqidentityf32op13.NewPretrained, 13),
		gold("seqleakyreludynf32op13", seqleakyreludynf32op13.NewPretrained, 13),
		gold("seqleakyreluf64op17", seqleakyreluf64op17.NewPretrained, 17).slope(),
		gold("seqreludynf32op11", seqreludynf32op11.NewPretrained, 11),
		gold("seqreludynf32op17", seqreludynf32op17.NewPretrained, 17),
		gold("seqreludynf64op17", seqreludynf64op17.NewPretrained, 17),
		gold("seqreluf32op13", seqreluf32op13.NewPretrained, 13),
		gold("seqreluf32op9", seqreluf32op9.NewPretrained, 9),
		gold("seqreluf64op13", seqreluf64op13.NewPretrained, 13),
		gold("seqsigmoiddynf64op13", seqsigmoiddynf64op13.NewPretrained, 13),
		gold("seqsigmoidf32op11", seqsigmoidf32op11.NewPretrained, 11),
		gold("seqtanhdynf64op13", seqtanhdynf64op13.NewPretrained, 13),
		gold("seqtanhf32op17", seqtanhf32op17.NewPretrained, 17),
		gold("sigheaddynf32op13", sigheaddynf32op13.NewPretrained, 13),
		gold("sigheadf64op17", sigheadf64op17.NewPretrained, 17),
		gold("softmaxdynf32op13", softmaxdynf32op13.NewPretrained, 13),
		gold("softmaxdynf64op13", softmaxdynf64op13.NewPretrained, 13),
		gold("softmaxf32op9", softmaxf32op9.NewPretrained, 9),
		gold("viewdynf32op13", viewdynf32op13.NewPretrained, 13),
		gold("viewf64op9", viewf64op9.NewPretrained, 9),
	}
}

// slope loosens c's tolerance to 1e-7 for a float64 network with a
// leaky_relu: ONNX keeps its slope as a float32, so ONNX Runtime computes
// with float32(0.2), 1.5e-8 from the 0.2 gradgen (and PyTorch) use, on
// every negative value of the layer, which the next layer sums.
func (c testCase) slope() testCase {
	c.tol, c.why = 1e-7, "; tolerance 1e-7: the slope 0.2 is a float32 in ONNX"
	return c
}

// gold is the case of internal/onnxgold's package pkg, whose model torch
// exported at opset.
func gold(pkg string, newPretrained any, opset int) testCase {
	opsets := []int{opset}
	if opset != onnxspec.DefaultOpset {
		opsets = append(opsets, onnxspec.DefaultOpset)
	}
	return testCase{name: "internal/onnxgold/nets/" + pkg, spec: "internal/onnxgold/nets/" + pkg + "/" + pkg + ".yaml",
		newModel: newPretrained, opsets: opsets}
}

// A check is one run of an exported model and what it must give.
type check struct {
	name string // the case, the opset and the batch
	run  ortRun
	want []float64 // the reference predictions, row-major
	tol  float64
	why  string
	f32  bool
}

// TestExportMatchesRuntime exports each case, runs the models under ONNX
// Runtime (when GRADGEN_ORT_NODE_MODULES is set) and compares. Without it
// the test still exports every model and checks that the parameters it
// exports are the package's, then skips.
func TestExportMatchesRuntime(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	var checks []check
	for ci, c := range cases() {
		n, err := onnxspec.Load(filepath.Join("..", "..", filepath.FromSlash(c.spec)))
		if err != nil {
			t.Fatal(err)
		}
		base := n.Output
		if c.change != nil {
			c.change(n)
		}
		f32 := n.DType != spec.Float64
		params, predict := reference(t, c, n, base)
		p, err := build.Program(n, build.Options{})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		tol := c.tol
		if tol == 0 {
			tol = map[bool]float64{true: tol32, false: tol64}[f32]
		}
		for _, opset := range c.opsets {
			model, err := onnxspec.Export(p, params, onnxspec.ExportOptions{Opset: opset})
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			path := filepath.Join(dir, fmt.Sprintf("%02d_%s_op%d.onnx", ci, p.Package, opset))
			if err := os.WriteFile(path, model, 0o644); err != nil {
				t.Fatal(err)
			}
			for _, rows := range batches {
				xs, want := samples(rng, n, predict, rows, f32)
				typ := map[bool]string{true: "float32", false: "float64"}[f32]
				checks = append(checks, check{name: fmt.Sprintf("%s, opset %d, batch %d", c.name, opset, rows),
					run: ortRun{Model: path, Type: typ, Dims: []int{rows, n.Input}, Data: xs}, want: want, tol: tol, why: c.why, f32: f32})
			}
		}
	}
	runs := make([]ortRun, len(checks))
	for i, c := range checks {
		runs[i] = c.run
	}
	version, results := runOrSkip(t, "models", runs)
	t.Logf("ONNX Runtime %s (onnxruntime-node), %d runs; |Δ| is the largest |ORT − gradgen|, rel the largest |Δ|/max(|gradgen|, 1), also in ulps of 1 in the element type", version, len(runs))
	for i, c := range checks {
		got := results[i]
		if want := []int{c.run.Dims[0], len(c.want) / c.run.Dims[0]}; !slicesEqual(got.Dims, want) {
			t.Errorf("%s: ONNX Runtime's output has shape %v, want %v", c.name, got.Dims, want)
			continue
		}
		abs, rel, worst := compare(got.Data, c.want)
		eps := map[bool]float64{true: 0x1p-23, false: 0x1p-52}[c.f32]
		t.Logf("%-66s |Δ| %-9.3g rel %-9.3g (%.3g ulps of 1)%s", c.name, abs, rel, rel/eps, c.why)
		if rel > c.tol || math.IsNaN(rel) {
			t.Errorf("%s: ONNX Runtime gives %v at output %d, gradgen %v: relative difference %.3g > %.3g",
				c.name, got.Data[worst], worst, c.want[worst], rel, c.tol)
		}
	}
}

// reference returns the parameters gradgen export writes by default for
// the case's spec n (changed by the case from the committed spec, whose
// output map was base): the pretrained ones of a model imported from ONNX,
// else NewModel(1)'s, which are the generic engine's. It checks that the
// committed package has the same, and returns with them a function that
// predicts one sample: the package's Predict, or the generic engine's,
// followed by n's output map where the package's spec has none.
func reference(t *testing.T, c testCase, n *spec.Network, base spec.OutputMap) ([]float64, func(x []float64) []float64) {
	t.Helper()
	var params []float64
	var logits func(x []float64) []float64
	switch {
	case n.Pretrained != nil:
		params = n.Pretrained
	case n.DType == spec.Float64:
		params, logits = genericNet[float64](t, n)
	default:
		params, logits = genericNet[float32](t, n)
	}
	if c.newModel != nil {
		var pkgParams []float64
		pkgParams, logits = openPackage(c.newModel)
		if !slicesEqual(params, pkgParams) {
			t.Fatalf("%s: the parameters gradgen export writes are not the package's %s", c.name, runtime.FuncForPC(reflect.ValueOf(c.newModel).Pointer()).Name())
		}
	} else {
		base = n.Output // the generic engine applies n's output map
	}
	if logits == nil {
		t.Fatalf("%s: no package to predict a pretrained model", c.name)
	}
	switch output := n.Output; {
	case output == base || output == spec.NoMap || output == "":
		return params, logits
	case output == spec.Softmax || output == spec.LogSoftmax:
		return params, func(x []float64) []float64 { return softmax(logits(x), output == spec.LogSoftmax) }
	}
	t.Fatalf("%s: output map %q", c.name, n.Output)
	return nil, nil
}

// genericNet returns the generic engine's network for n from seed 1: its
// parameters and its Predict.
func genericNet[T generic.Float](t *testing.T, n *spec.Network) ([]float64, func(x []float64) []float64) {
	m, err := generic.New[T](n, 1)
	if err != nil {
		t.Fatal(err)
	}
	params := make([]float64, len(m.Params()))
	for i, v := range m.Params() {
		params[i] = float64(v)
	}
	return params, func(x []float64) []float64 {
		xt, yt := make([]T, m.Inputs()), make([]T, m.Outputs())
		for i := range xt {
			xt[i] = T(x[i])
		}
		m.Predict(xt, yt)
		y := make([]float64, len(yt))
		for i := range y {
			y[i] = float64(yt[i])
		}
		return y
	}
}

// openPackage calls a generated package's NewModel(1), or NewPretrained(),
// and returns the model's parameters and its Predict, which takes and gives
// arrays of the package's element type: *[Inputs]T and *[Outputs]T.
func openPackage(newModel any) ([]float64, func(x []float64) []float64) {
	ctor := reflect.ValueOf(newModel)
	var args []reflect.Value
	if ctor.Type().NumIn() == 1 {
		args = []reflect.Value{reflect.ValueOf(uint64(1))}
	}
	m := ctor.Call(args)[0]
	slice := m.Elem().FieldByName("Params").Addr().MethodByName("Slice").Call(nil)[0]
	params := make([]float64, slice.Len())
	for i := range params {
		params[i] = slice.Index(i).Float()
	}
	predict := m.MethodByName("Predict")
	xt, yt := predict.Type().In(0).Elem(), predict.Type().In(1).Elem()
	return params, func(x []float64) []float64 {
		xv, yv := reflect.New(xt), reflect.New(yt)
		for i := range x {
			xv.Elem().Index(i).SetFloat(x[i])
		}
		predict.Call([]reflect.Value{xv, yv})
		y := make([]float64, yt.Len())
		for i := range y {
			y[i] = yv.Elem().Index(i).Float()
		}
		return y
	}
}

// softmax returns the softmax of z, or its logarithm, in float64.
func softmax(z []float64, log bool) []float64 {
	m := math.Inf(-1)
	for _, v := range z {
		m = math.Max(m, v)
	}
	sum := 0.0
	for _, v := range z {
		sum += math.Exp(v - m)
	}
	y := make([]float64, len(z))
	for i, v := range z {
		if log {
			y[i] = v - m - math.Log(sum)
		} else {
			y[i] = math.Exp(v-m) / sum
		}
	}
	return y
}

// samples draws rows inputs for n from N(0, 1) (rounded to float32 for a
// float32 network) and returns them with the reference's predictions, both
// row-major.
func samples(rng *rand.Rand, n *spec.Network, predict func(x []float64) []float64, rows int, f32 bool) (xs, ys []float64) {
	for range rows {
		x := make([]float64, n.Input)
		for i := range x {
			x[i] = rng.NormFloat64()
			if f32 {
				x[i] = float64(float32(x[i]))
			}
		}
		xs = append(xs, x...)
		ys = append(ys, predict(x)...)
	}
	return xs, ys
}

// compare returns the largest |got − want| and the largest |got − want| /
// max(|want|, 1), with the index where it is.
func compare(got, want []float64) (abs, rel float64, worst int) {
	for i := range want {
		d := math.Abs(got[i] - want[i])
		if r := d / math.Max(math.Abs(want[i]), 1); r > rel || math.IsNaN(r) {
			rel, worst = r, i
		}
		abs = math.Max(abs, d)
	}
	return abs, rel, worst
}

func slicesEqual[T comparable](a, b []T) bool { return reflect.DeepEqual(a, b) }

// ortRun is one run of run.mjs's request, and ortResult its result.
type ortRun struct {
	Model  string     `json:"model"`
	Type   string     `json:"type"`
	Dims   []int      `json:"dims,omitempty"`
	Data   []float64  `json:"data,omitempty"`
	Inputs []ortInput `json:"inputs,omitempty"` // a model of several inputs
}

// ortInput is one named input of a run.
type ortInput struct {
	Name string    `json:"name"`
	Type string    `json:"type,omitempty"` // "int64" for an integer input's ids; empty: the run's
	Dims []int     `json:"dims"`
	Data []float64 `json:"data"`
}

type ortResult struct {
	Dims    []int     `json:"dims"`
	Data    []float64 `json:"data"`
	Outputs []struct {
		Dims []int     `json:"dims"`
		Data []float64 `json:"data"`
	} `json:"outputs"` // every output, in the model's order
}

// runOrSkip runs the models under ONNX Runtime when envNodeModules names
// where it is installed, and checks that it is the version package.json
// pins; without it, it skips the test, saying how many models (what) it
// exported.
func runOrSkip(t *testing.T, what string, runs []ortRun) (string, []ortResult) {
	t.Helper()
	modules := os.Getenv(envNodeModules)
	if modules == "" {
		t.Skipf("exported %d %s; set %s to a node_modules directory with onnxruntime-node to run them (make interop does)", len(runs)/len(batches), what, envNodeModules)
	}
	version, results := runORT(t, modules, runs)
	if pin := pinnedVersion(t); version != pin {
		t.Errorf("ONNX Runtime %s ran the models; package.json pins %s (reinstall: make interop)", version, pin)
	}
	return version, results
}

// runORT runs the models under ONNX Runtime with run.mjs, loaded from the
// node_modules directory modules, and returns the runtime's version and the
// results in order.
func runORT(t *testing.T, modules string, runs []ortRun) (string, []ortResult) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(modules, "onnxruntime-node", "package.json")); err != nil {
		t.Fatalf("%s=%s holds no onnxruntime-node: %v", envNodeModules, modules, err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("%s is set, but there is no node to run ONNX Runtime with: %v", envNodeModules, err)
	}
	request, err := json.Marshal(map[string]any{"runs": runs})
	if err != nil {
		t.Fatal(err)
	}
	reqPath := filepath.Join(t.TempDir(), "request.json")
	if err := os.WriteFile(reqPath, request, 0o644); err != nil {
		t.Fatal(err)
	}
	script, err := filepath.Abs("run.mjs")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, script, reqPath)
	cmd.Env = append(os.Environ(), envNodeModules+"="+modules)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node run.mjs: %v\n%s", err, stderr.Bytes())
	}
	var resp struct {
		ORT     string      `json:"ort"`
		Results []ortResult `json:"results"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &resp); err != nil {
		t.Fatalf("node run.mjs printed what is not its JSON: %v\n%.500s", err, stdout.Bytes())
	}
	if len(resp.Results) != len(runs) {
		t.Fatalf("node run.mjs gave %d results for %d runs", len(resp.Results), len(runs))
	}
	return resp.ORT, resp.Results
}

// pinnedVersion is the version of onnxruntime-node package.json pins.
func pinnedVersion(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("package.json")
	if err != nil {
		t.Fatal(err)
	}
	var pkg struct {
		Dependencies map[string]string `json:"dependencies"`
	}
	if err := json.Unmarshal(data, &pkg); err != nil {
		t.Fatalf("package.json: %v", err)
	}
	v := pkg.Dependencies["onnxruntime-node"]
	if v == "" || strings.ContainsAny(v, "^~<>=* ") {
		t.Fatalf("package.json: onnxruntime-node must be pinned to one version, is %q", v)
	}
	return v
}
