package tiny

import (
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/gradgen/gradgen/internal/gradtest"
	gradgen "github.com/gradgen/gradgen/runtime"
)

// TestAgainstReferences runs the shared suite: finite differences, the
// float64 reference network and optimizer, batches, numerics, allocations.
func TestAgainstReferences(t *testing.T) {
	gradtest.Run(t, "tiny.yaml", func(seed uint64) gradtest.Model[float32] {
		m := NewModel(seed)
		return gradtest.Adapt[float32, [Inputs]float32, [Outputs]float32](m, m.Params.Slice(), m.Grad.Slice())
	})
}

// TestInitPinned pins the first parameters of seed 1, so that a change of
// generator or draw order, which would change every user's weights, fails.
func TestInitPinned(t *testing.T) {
	m := NewModel(1)
	got := m.Params.Slice()[:4]
	want := []float32{0.43069464, 0.22921444, 0.4018874, 0.38707048}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("NewModel(1).Params.Slice()[:4] = %v, want %v", got, want)
		}
	}
}

// TestForwardConcurrently runs Forward from several goroutines, each with
// its own Scratch, on shared parameters; run with -race to check sharing.
func TestForwardConcurrently(t *testing.T) {
	m := NewModel(2)
	x := [Inputs]float32{0.5, -1, 0.25, 2}
	var want [Outputs]float32
	m.Predict(&x, &want)
	errs := make(chan string, 4)
	for range 4 {
		go func() {
			var s Scratch
			var y [Outputs]float32
			for range 100 {
				Forward(&m.Params, &s, &x, &y)
				if y != want {
					errs <- "Forward with its own Scratch differs from Predict"
					return
				}
			}
			errs <- ""
		}()
	}
	for range 4 {
		if e := <-errs; e != "" {
			t.Error(e)
		}
	}
}

func BenchmarkTrainB1(b *testing.B) {
	m := NewModel(1)
	xs := [][Inputs]float32{{0.1, -0.2, 0.3, 0.4}}
	ts := [][Outputs]float32{{1, 0, 0}}
	b.ReportAllocs()
	for b.Loop() {
		m.Train(xs, ts)
	}
}

func BenchmarkPredict(b *testing.B) {
	m := NewModel(1)
	x := [Inputs]float32{0.1, -0.2, 0.3, 0.4}
	var y [Outputs]float32
	b.ReportAllocs()
	for b.Loop() {
		m.Predict(&x, &y)
	}
}

// TestCheckpointRoundTrip saves and loads the parameters, and checks that a
// corrupted file or one of another network leaves the model unchanged.
func TestCheckpointRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/tiny.ckpt"
	a, b := NewModel(1), NewModel(2)
	if err := a.Params.Save(path); err != nil {
		t.Fatal(err)
	}
	if err := b.Params.Load(path); err != nil {
		t.Fatal(err)
	}
	if a.Params != b.Params {
		t.Fatal("loaded parameters differ from the saved ones")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	c := NewModel(3)
	before := c.Params
	data[len(data)/2] ^= 1
	os.WriteFile(path, data, 0o644)
	if err := c.Params.Load(path); err == nil || !strings.Contains(err.Error(), "checksum") {
		t.Errorf("loading a corrupted checkpoint: %v", err)
	}
	// Another network of as many parameters: W1 transposed.
	other := slices.Clone(Layout)
	other[0].Shape = []int{Layout[0].Shape[1], Layout[0].Shape[0]}
	if err := gradgen.SaveParams(path, &gradgen.CheckpointKey{Layout: other, Spec: SpecHash}, a.Params.Slice()); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("W1 (0.weight): shape %v in the file, %v in the model", other[0].Shape, Layout[0].Shape)
	if err := c.Params.Load(path); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("loading another network's checkpoint: %v", err)
	}
	if c.Params != before {
		t.Error("a failed Load changed the parameters")
	}
}

func TestCheckFinite(t *testing.T) {
	m := NewModel(1)
	if err := m.CheckFinite(); err != nil {
		t.Fatal(err)
	}
	m.Grad.W2[1][3] = float32(math.NaN())
	if err := m.CheckFinite(); err == nil || err.Error() != "Grad.W2[1][3] is NaN" {
		t.Errorf("CheckFinite = %v, want Grad.W2[1][3] is NaN", err)
	}
	m.Params.B3[2] = float32(math.Inf(-1))
	if err := m.Params.CheckFinite(); err == nil || err.Error() != "Params.B3[2] is -Inf" {
		t.Errorf("Params.CheckFinite = %v, want Params.B3[2] is -Inf", err)
	}
}
