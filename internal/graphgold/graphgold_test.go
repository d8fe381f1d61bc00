package graphgold

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"unsafe"
)

// The tolerances against PyTorch, |got − want| ≤ max(rel·|want|, abs), as
// internal/torchgold's: float32 3e-4 relative with a floor of 1e-6, float64
// 1e-9 relative with a floor of 1e-14.
var tolerance = map[string]struct{ rel, abs float64 }{
	"float32": {3e-4, 1e-6},
	"float64": {1e-9, 1e-14},
}

// golden is testdata/golden.json, as golden.py writes it.
type golden struct {
	Torch string  `json:"torch"`
	Specs []gspec `json:"specs"`
}

// gspec is one spec's goldens: see golden.py's docstring.
type gspec struct {
	Name, DType     string
	Inputs, Outputs int
	InputFields     []inputField `json:"input_fields"`
	LR              float64
	X, T, Predict   [][]float64
	Params          []float64
	Losses          []float64
	Grads           []float64
	ParamsAfter     []float64 `json:"params_after"`
}

// inputField is an entry of a spec's input_fields, [name, width] or, for an
// integer input, [name, 1, categories]: its slot of the x rows holds the id
// as a number.
type inputField struct {
	Name              string
	Width, Categories int
}

func (f *inputField) UnmarshalJSON(data []byte) error {
	var v []json.RawMessage
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	if len(v) != 2 && len(v) != 3 {
		return fmt.Errorf("input field %s: want [name, width] or [name, 1, categories]", data)
	}
	f.Categories = 0
	if len(v) == 3 {
		if err := json.Unmarshal(v[2], &f.Categories); err != nil {
			return err
		}
	}
	if err := json.Unmarshal(v[0], &f.Name); err != nil {
		return err
	}
	return json.Unmarshal(v[1], &f.Width)
}

// idSlots returns the columns of s's x rows that hold an integer input's id,
// and that input's number of ids.
func idSlots(s gspec) map[int]int {
	slots, off := map[int]int{}, 0
	for _, f := range s.InputFields {
		if f.Categories > 0 {
			slots[off] = f.Categories
		}
		off += f.Width
	}
	return slots
}

// withIDs returns a copy of the flat input rows xs of s in which every id
// slot holds, instead of the id as a number (golden.json's), the id as the
// int32 that the API's Input field is: its bits in the slot's first 4 bytes,
// the rest of a float64 slot (the field's padding) zero.
func withIDs[T float32 | float64](t *testing.T, s gspec, xs []T) []T {
	t.Helper()
	slots := idSlots(s)
	if len(slots) == 0 {
		return xs
	}
	out := append([]T(nil), xs...)
	for i := 0; i < len(out); i += s.Inputs {
		for k, n := range slots {
			v := float64(out[i+k])
			if v != math.Trunc(v) || v < 0 || v >= float64(n) {
				t.Fatalf("sample %d: id %v of the slot %d is not an integer in [0, %d)", i/s.Inputs, v, k, n)
			}
			out[i+k] = 0
			*(*int32)(unsafe.Pointer(&out[i+k])) = int32(v)
		}
	}
	return out
}

// driver is what the test drives of a generated model, on flat rows.
type driver[T float32 | float64] struct {
	predict  func(x, y []T)
	backward func(xs, ts []T) T
	train    func(xs, ts []T) T
	params   []T
	grad     []T
}

// harness makes a driver of a fresh model of a generated package.
type harness[T float32 | float64] func() driver[T]

// api is the API of a generated package the test uses, with its sample
// types: X an input (Input, or [Inputs]T), Y a prediction (Output, or
// [Outputs]T), Z a target (Target, or [Outputs]T).
type api[T float32 | float64, X, Y, Z any] interface {
	Predict(x *X, y *Y)
	Backward(xs []X, ts []Z) T
	Train(xs []X, ts []Z) T
}

// adapt wraps a generated package: its NewModel, and functions returning a
// model's Params.Slice() and Grad.Slice().
func adapt[T float32 | float64, X, Y, Z any, M api[T, X, Y, Z]](newModel func(uint64) M, params, grad func(M) []T) harness[T] {
	return func() driver[T] {
		m := newModel(1)
		return driver[T]{
			predict:  func(x, y []T) { m.Predict(&asRows[T, X](x)[0], &asRows[T, Y](y)[0]) },
			backward: func(xs, ts []T) T { return m.Backward(asRows[T, X](xs), asRows[T, Z](ts)) },
			train:    func(xs, ts []T) T { return m.Train(asRows[T, X](xs), asRows[T, Z](ts)) },
			params:   params(m),
			grad:     grad(m),
		}
	}
}

// asRows views flat as rows of R, the API's array or struct type, whose
// memory is a row of Ts.
func asRows[T float32 | float64, R any](flat []T) []R {
	var r R
	var e T
	n := int(unsafe.Sizeof(r) / unsafe.Sizeof(e))
	return unsafe.Slice((*R)(unsafe.Pointer(unsafe.SliceData(flat))), len(flat)/n)
}

// TestEverySpecHasAPackage: every spec of golden.json has a package.
func TestEverySpecHasAPackage(t *testing.T) {
	g := readGolden(t)
	if len(g.Specs) < 8 {
		t.Errorf("%d specs in golden.json, want at least 8", len(g.Specs))
	}
	for _, s := range g.Specs {
		if nets[s.Name] == nil {
			t.Errorf("spec %s has no package in nets_test.go", s.Name)
		}
		w := 0
		for _, f := range s.InputFields {
			w += f.Width
			if f.Categories > 0 && f.Width != 1 {
				t.Errorf("spec %s: the integer input %s has width %d, want one slot", s.Name, f.Name, f.Width)
			}
		}
		if w != s.Inputs {
			t.Errorf("spec %s: input_fields of widths summing to %d, inputs %d", s.Name, w, s.Inputs)
		}
	}
	dirs, _ := filepath.Glob(filepath.Join("nets", "*"))
	if len(dirs) != len(g.Specs) {
		t.Errorf("%d directories in nets/, %d specs in golden.json", len(dirs), len(g.Specs))
	}
}

// TestPyTorchParity: from PyTorch's initial parameters, each generated
// package predicts what the equivalent nn.Module predicts, its first
// gradient is PyTorch's, and three SGD steps give PyTorch's losses and
// parameters.
func TestPyTorchParity(t *testing.T) {
	for _, s := range readGolden(t).Specs {
		t.Run(s.Name, func(t *testing.T) {
			switch h := nets[s.Name].(type) {
			case harness[float32]:
				parity(t, s, h)
			case harness[float64]:
				parity(t, s, h)
			default:
				t.Fatalf("no package for %s", s.Name)
			}
		})
	}
}

func parity[T float32 | float64](t *testing.T, s gspec, h harness[T]) {
	tol := tolerance[s.DType]
	d := h()
	if len(d.params) != len(s.Params) {
		t.Fatalf("%d parameters, PyTorch's module has %d", len(d.params), len(s.Params))
	}
	for i, x := range s.Params {
		d.params[i] = T(x)
	}
	xs, ts := withIDs(t, s, flat[T](s.X)), flat[T](s.T)
	for i, x := range s.X {
		y := make([]T, s.Outputs)
		d.predict(withIDs(t, s, flat[T]([][]float64{x})), y)
		compare(t, "prediction of sample "+strconv.Itoa(i), y, s.Predict[i], tol.rel, tol.abs)
	}
	loss := d.backward(xs, ts)
	if !close(float64(loss), s.Losses[0], tol.rel, tol.abs) {
		t.Errorf("loss %.9g, PyTorch %.9g", loss, s.Losses[0])
	}
	compare(t, "gradient", d.grad, s.Grads, tol.rel, tol.abs)
	for k, want := range s.Losses {
		if got := float64(d.train(xs, ts)); !close(got, want, tol.rel, tol.abs) {
			t.Errorf("step %d: loss %.9g, PyTorch %.9g", k+1, got, want)
		}
	}
	compare(t, "parameters after training", d.params, s.ParamsAfter, tol.rel, tol.abs)
}

func compare[T float32 | float64](t *testing.T, what string, got []T, want []float64, rel, abs float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d values, PyTorch %d", what, len(got), len(want))
		return
	}
	bad := 0
	for i, w := range want {
		if !close(float64(got[i]), w, rel, abs) {
			if bad++; bad <= 3 {
				t.Errorf("%s [%d]: %.9g, PyTorch %.9g", what, i, got[i], w)
			}
		}
	}
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

// close reports |got − want| ≤ max(rel·|want|, abs).
func close(got, want, rel, abs float64) bool {
	return math.Abs(got-want) <= math.Max(rel*math.Abs(want), abs)
}
