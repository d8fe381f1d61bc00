package onnxgold

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unsafe"

	"github.com/gradgen/gradgen/generic"
	"github.com/gradgen/gradgen/onnxspec"
	gradgen "github.com/gradgen/gradgen/runtime"
	"github.com/gradgen/gradgen/spec"
)

// The tolerances against PyTorch, |got − want| ≤ max(rel·|want|, abs): for
// float32 the 1e-5 relative for the predictions of the pretrained
// weights and 2e-4 after three SGD steps, with a floor of 1e-6 (some ulps
// of the parameters, of order 0.1 to 1) for values that end near zero;
// for float64 1e-9 relative throughout. The pretrained parameters
// themselves must be PyTorch's bit for bit.
var tolerance = map[string]struct{ predict, train, abs float64 }{
	"float32": {1e-5, 2e-4, 1e-6},
	"float64": {1e-9, 1e-9, 1e-14},
}

// golden is testdata/golden.json as golden.py writes it.
type golden struct {
	Torch  string  `json:"torch"`
	Models []model `json:"models"`
}

// model is one model's goldens: see golden.py's docstring.
type model struct {
	Name, File, DType, Loss string
	X, T                    [][]float64
	Predict                 [][]float64
	Losses                  []float64
	LossAfter               float64           `json:"loss_after"`
	PredictAfter            [][]float64       `json:"predict_after"`
	Params                  map[string]tensor `json:"params"`
	ParamsAfter             map[string]tensor `json:"params_after"`
}

// tensor is a parameter as the ONNX initializer holds it.
type tensor struct {
	Shape []int
	Data  []float64
}

// driver is what the test drives of a generated model, on flat rows.
type driver[T float32 | float64] struct {
	predict func(x, y []T)
	train   func(xs, ts []T) T
	loss    func(xs, ts []T) T
	params  []T
}

// harness makes a driver of NewPretrained's model; layout is the package's.
type harness[T float32 | float64] struct {
	pretrained func() driver[T]
	layout     []gradgen.ParamInfo
}

// model is the API of a generated package the test uses, with its sample
// array types X and Y.
type api[T float32 | float64, X, Y any] interface {
	Predict(x *X, y *Y)
	Train(xs []X, ts []Y) T
	Loss(xs []X, ts []Y) T
}

// adapt wraps a generated package: its NewPretrained, a function returning
// a model's Params.Slice(), and its Layout.
func adapt[T float32 | float64, X, Y any, M api[T, X, Y]](newPretrained func() M, params func(M) []T, layout []gradgen.ParamInfo) harness[T] {
	return harness[T]{layout: layout, pretrained: func() driver[T] {
		m := newPretrained()
		return driver[T]{
			predict: func(x, y []T) { m.Predict(&asRows[T, X](x)[0], &asRows[T, Y](y)[0]) },
			train:   func(xs, ts []T) T { return m.Train(asRows[T, X](xs), asRows[T, Y](ts)) },
			loss:    func(xs, ts []T) T { return m.Loss(asRows[T, X](xs), asRows[T, Y](ts)) },
			params:  params(m),
		}
	}}
}

// asRows views flat as rows of the array type R of Ts.
func asRows[T float32 | float64, R any](flat []T) []R {
	var r R
	var e T
	n := int(unsafe.Sizeof(r) / unsafe.Sizeof(e))
	if len(flat)%n != 0 {
		panic(fmt.Sprintf("%d values are not rows of %d", len(flat), n))
	}
	return unsafe.Slice((*R)(unsafe.Pointer(unsafe.SliceData(flat))), len(flat)/n)
}

func readGolden(t *testing.T) *golden {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	var g golden
	if err := json.Unmarshal(data, &g); err != nil {
		t.Fatal(err)
	}
	return &g
}

// TestEveryModelHasAPackage: every model of testdata has goldens and a
// generated package under nets/.
func TestEveryModelHasAPackage(t *testing.T) {
	g := readGolden(t)
	files, _ := filepath.Glob(filepath.Join("testdata", "*.onnx"))
	have := map[string]bool{}
	for _, m := range g.Models {
		have[m.File] = true
		if nets[m.Name] == nil {
			t.Errorf("model %s has no package in nets/ (and no row in nets_test.go)", m.Name)
		}
	}
	for _, f := range files {
		if !have[filepath.Base(f)] {
			t.Errorf("%s has no goldens in golden.json", f)
		}
	}
	if len(g.Models) != len(nets) {
		t.Errorf("%d models in golden.json, %d packages in nets_test.go", len(g.Models), len(nets))
	}
}

// TestPyTorchParity: each generated package starts from the model's
// weights bit for bit, predicts what PyTorch predicts, and three SGD steps
// give PyTorch's losses, predictions and parameters.
func TestPyTorchParity(t *testing.T) {
	usedTolerance = 0
	defer func() { t.Logf("the closest comparison used %.3g of its tolerance", usedTolerance) }()
	for _, m := range readGolden(t).Models {
		t.Run(m.Name, func(t *testing.T) {
			switch h := nets[m.Name].(type) {
			case harness[float32]:
				parity(t, m, h)
			case harness[float64]:
				parity(t, m, h)
			default:
				t.Fatalf("no package for %s", m.Name)
			}
		})
	}
}

func parity[T float32 | float64](t *testing.T, m model, h harness[T]) {
	tol := tolerance[m.DType]
	d := h.pretrained()
	checkParams(t, "pretrained", h.layout, d.params, m.Params, 0, 0)
	xs, ts := flat[T](m.X), flat[T](m.T)
	checkPredict(t, "pretrained", d, m.X, m.Predict, tol.predict, tol.abs)
	for k, want := range m.Losses {
		if got := float64(d.train(xs, ts)); !close(got, want, tol.train, tol.abs) {
			t.Errorf("step %d: loss %.9g, PyTorch %.9g", k+1, got, want)
		}
	}
	if got := float64(d.loss(xs, ts)); !close(got, m.LossAfter, tol.train, tol.abs) {
		t.Errorf("after %d steps: loss %.9g, PyTorch %.9g", len(m.Losses), got, m.LossAfter)
	}
	checkPredict(t, "trained", d, m.X, m.PredictAfter, tol.train, tol.abs)
	checkParams(t, "trained", h.layout, d.params, m.ParamsAfter, tol.train, tol.abs)
}

// checkPredict compares d's prediction for each row of xs with want's.
func checkPredict[T float32 | float64](t *testing.T, when string, d driver[T], xs, want [][]float64, rel, abs float64) {
	t.Helper()
	for i, x := range xs {
		y := make([]T, len(want[i]))
		d.predict(flat[T]([][]float64{x}), y)
		for j, w := range want[i] {
			if got := float64(y[j]); !close(got, w, rel, abs) {
				t.Errorf("%s: sample %d output %d: %.9g, PyTorch %.9g", when, i, j, got, w)
			}
		}
	}
}

// checkParams compares the parameters with PyTorch's, by each tensor's
// name in layout; a weight kept transposed is compared with its transpose.
func checkParams[T float32 | float64](t *testing.T, when string, layout []gradgen.ParamInfo, params []T, want map[string]tensor, rel, abs float64) {
	t.Helper()
	if len(want) != len(layout) {
		t.Errorf("%s: %d tensors, PyTorch has %d", when, len(layout), len(want))
	}
	for _, p := range layout {
		w, ok := want[p.Torch]
		if !ok {
			t.Errorf("%s: PyTorch has no tensor %q", when, p.Torch)
			continue
		}
		got := params[p.Offset : p.Offset+p.Size()]
		data := w.Data
		if p.Transposed {
			data = transpose(w.Data, w.Shape[0], w.Shape[1])
		}
		if len(data) != len(got) {
			t.Errorf("%s: %s has %d values, PyTorch's %d", when, p.Torch, len(got), len(data))
			continue
		}
		bad := 0
		for i, x := range data {
			exact := rel == 0 && T(x) == got[i]
			if !exact && (rel == 0 || !close(float64(got[i]), x, rel, abs)) {
				if bad++; bad <= 3 {
					t.Errorf("%s: %s[%d] = %.9g, PyTorch %.9g", when, p.Torch, i, got[i], x)
				}
			}
		}
	}
}

// transpose returns the [cols][rows] transpose of the row-major m.
func transpose(m []float64, rows, cols int) []float64 {
	out := make([]float64, len(m))
	for i := range rows {
		for j := range cols {
			out[j*rows+i] = m[i*cols+j]
		}
	}
	return out
}

// flat returns the rows of xs one after another, as T.
func flat[T float32 | float64](xs [][]float64) []T {
	var out []T
	for _, r := range xs {
		for _, x := range r {
			out = append(out, T(x))
		}
	}
	return out
}

// close reports |got − want| ≤ max(rel·|want|, abs), and records the
// largest share of its tolerance a comparison used (see TestPyTorchParity).
func close(got, want, rel, abs float64) bool {
	allowed := math.Max(rel*math.Abs(want), abs)
	usedTolerance = max(usedTolerance, math.Abs(got-want)/allowed)
	return math.Abs(got-want) <= allowed
}

// usedTolerance is the largest share of its tolerance a comparison used.
var usedTolerance float64

// TestGenericEngine: the generic engine, the independent reference, agrees
// with PyTorch on every imported model too: NewPretrained's predictions
// and three SGD steps, from the spec onnxspec imports.
func TestGenericEngine(t *testing.T) {
	for _, m := range readGolden(t).Models {
		t.Run(m.Name, func(t *testing.T) {
			pkg := strings.ReplaceAll(m.Name, "_", "")
			n, err := onnxspec.Load(filepath.Join("nets", pkg, pkg+".yaml"))
			if err != nil {
				t.Fatal(err)
			}
			if m.DType == "float32" {
				genericParity[float32](t, m, n)
			} else {
				genericParity[float64](t, m, n)
			}
		})
	}
}

func genericParity[T float32 | float64](t *testing.T, m model, n *spec.Network) {
	g, err := generic.NewPretrained[T](n)
	if err != nil {
		t.Fatal(err)
	}
	tol := tolerance[m.DType]
	d := driver[T]{predict: g.Predict, train: g.Train, loss: g.Loss, params: g.Params()}
	checkPredict(t, "pretrained", d, m.X, m.Predict, tol.predict, tol.abs)
	xs, ts := flat[T](m.X), flat[T](m.T)
	for k, want := range m.Losses {
		if got := float64(d.train(xs, ts)); !close(got, want, tol.train, tol.abs) {
			t.Errorf("step %d: loss %.9g, PyTorch %.9g", k+1, got, want)
		}
	}
	checkPredict(t, "trained", d, m.X, m.PredictAfter, tol.train, tol.abs)
}
