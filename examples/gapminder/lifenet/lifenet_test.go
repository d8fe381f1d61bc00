package lifenet

//go:generate go tool gradgen gen -o lifenet_gen.go lifenet.yaml

import (
	"fmt"
	"strings"
	"testing"

	"github.com/gradgen/gradgen/gradgentest"
)

// TestGeneratedCodeIsFresh fails when lifenet.yaml changed and nobody ran
// go generate.
func TestGeneratedCodeIsFresh(t *testing.T) {
	gradgentest.Fresh(t, "lifenet.yaml", "lifenet_gen.go")
}

// TestShapes: the inputs are three numbers and a country's id, laid out as a
// row of four float32; the embedding table has a row of 16 per country and
// its parameters are named as PyTorch names an nn.Embedding's.
func TestShapes(t *testing.T) {
	var p Params
	if Inputs != 4 || Outputs != 1 || len(p.E1) != 185 || len(p.E1[0]) != 16 {
		t.Errorf("Inputs %d, Outputs %d, table %d×%d; want 4, 1, 185×16", Inputs, Outputs, len(p.E1), len(p.E1[0]))
	}
	var names []string
	for _, l := range Layout {
		names = append(names, l.Torch)
	}
	want := "country_vec.weight hidden.weight hidden.bias 2.weight 2.bias 3.weight 3.bias"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("parameters %s, want %s", got, want)
	}
}

// batch returns n inputs and targets whose ids repeat.
func batch(n int) ([]Input, [][Outputs]float32) {
	xs := make([]Input, n)
	ts := make([][Outputs]float32, n)
	for i := range xs {
		f := float32(i)
		xs[i] = Input{Features: [3]float32{0.1 * f, -0.02 * f, 0.5}, Country: int32(i*7) % 185}
		ts[i][0] = 0.01*f - 0.3
	}
	return xs, ts
}

// TestTrainDoesNotAllocate: after NewModel, Train, Loss and Predict allocate
// nothing, for a batch shorter than a tile and for one of several tiles
// (examples/gapminder's Loss covers the whole test split at once).
func TestTrainDoesNotAllocate(t *testing.T) {
	m := NewModel(1)
	for _, n := range []int{32, 1500} {
		xs, ts := batch(n)
		if a := testing.AllocsPerRun(20, func() { m.Train(xs, ts) }); a != 0 {
			t.Errorf("Train on %d samples: %v allocations, want 0", n, a)
		}
		if a := testing.AllocsPerRun(20, func() { m.Loss(xs, ts) }); a != 0 {
			t.Errorf("Loss on %d samples: %v allocations, want 0", n, a)
		}
	}
	x := Input{Features: [3]float32{0.1, 0.2, 0.3}, Country: 184}
	var y [Outputs]float32
	if a := testing.AllocsPerRun(20, func() { m.Predict(&x, &y) }); a != 0 {
		t.Errorf("Predict: %v allocations, want 0", a)
	}
}

// TestGradientTouchesOnlyTheBatchsRows: Backward's gradient of the table is
// zero in every row no id of the batch names, and not in the rows it names,
// also after an earlier batch touched other rows.
func TestGradientTouchesOnlyTheBatchsRows(t *testing.T) {
	m := NewModel(2)
	xs, ts := batch(40)
	m.Backward(xs, ts) // other rows first
	xs = xs[:3]
	ids := map[int32]bool{}
	for i := range xs {
		xs[i].Country = []int32{5, 17, 5}[i]
		ids[xs[i].Country] = true
	}
	m.Backward(xs, ts[:3])
	for r := range m.Grad.E1 {
		var nonzero bool
		for _, g := range m.Grad.E1[r] {
			nonzero = nonzero || g != 0
		}
		if nonzero != ids[int32(r)] {
			t.Errorf("row %d of the table's gradient: nonzero %v, want %v (the batch names %v)", r, nonzero, ids[int32(r)], ids)
		}
	}
}

// TestIDOutOfRange: an id outside [0, 185) panics naming the method, the
// sample and the range, before the parameters change.
func TestIDOutOfRange(t *testing.T) {
	m := NewModel(3)
	xs, ts := batch(4)
	before := append([]float32(nil), m.Params.Slice()...)
	for _, id := range []int32{-1, 185} {
		xs[2].Country = id
		msg := func() (msg string) {
			defer func() { msg = fmt.Sprint(recover()) }()
			m.Train(xs, ts)
			return ""
		}()
		if want := fmt.Sprintf("lifenet: Train: sample 2: country is %d, want 0 ≤ country < 185", id); msg != want {
			t.Errorf("Train with id %d: panic %q, want %q", id, msg, want)
		}
	}
	for i, v := range m.Params.Slice() {
		if v != before[i] {
			t.Fatalf("parameter %d changed from %v to %v by a Train that panicked", i, before[i], v)
		}
	}
}
