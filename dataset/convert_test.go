package dataset

import (
	"math"
	"reflect"
	"strings"
	"testing"
)

func TestVectors(t *testing.T) {
	rows := [][]float64{{1, 0.1}, {-2.5, 1e30}}
	x32, err := Vectors[[2]float32](rows)
	if err != nil {
		t.Fatal(err)
	}
	if want := [][2]float32{{1, 0.1}, {-2.5, 1e30}}; !reflect.DeepEqual(x32, want) {
		t.Errorf("float32: %v, want %v", x32, want)
	}
	x64, err := Vectors[[2]float64](rows)
	if err != nil {
		t.Fatal(err)
	}
	if want := [][2]float64{{1, 0.1}, {-2.5, 1e30}}; !reflect.DeepEqual(x64, want) {
		t.Errorf("float64: %v, want %v", x64, want)
	}
	type myFloat float32
	xm, err := Vectors[[2]myFloat](rows[:1])
	if err != nil || xm[0] != [2]myFloat{1, 0.1} {
		t.Errorf("a defined float type: %v, %v", xm, err)
	}
	empty, err := Vectors[[3]float32](nil)
	if err != nil || len(empty) != 0 {
		t.Errorf("no rows: %v, %v", empty, err)
	}
}

func TestVectorsErrors(t *testing.T) {
	for _, tc := range []struct {
		got  func() error
		want string
	}{
		{func() error { _, err := Vectors[[3]float32]([][]float64{{1, 2, 3}, {1, 2}}); return err },
			"dataset.Vectors: row 1 has 2 values, but [3]float32 holds 3"},
		{func() error { _, err := Vectors[[2]float32]([][]float64{{1, 2}, {3, 1e39}}); return err },
			"dataset.Vectors: row 1, value 1: 1e+39 is not finite in float32"},
		{func() error { _, err := Vectors[[1]float64]([][]float64{{math.NaN()}}); return err },
			"dataset.Vectors: row 0, value 0: NaN is not finite in float64"},
		{func() error { _, err := Targets[[1]float32]([]float64{0, -1e39}); return err },
			"dataset.Targets: value 1: -1e+39 is not finite in float32"},
		{func() error { _, err := Vectors[[]float32]([][]float64{{1}}); return err },
			"dataset.Vectors: []float32 is not an array of float32 or float64"},
		{func() error { _, err := Vectors[[2]int]([][]float64{{1, 2}}); return err },
			"dataset.Vectors: [2]int is not an array"},
		{func() error { _, err := OneHot[[3]float64]([]int{0, 3}); return err },
			"dataset.OneHot: sample 1 has class 3, but [3]float64 holds classes 0 to 2"},
		{func() error { _, err := OneHot[[3]float64]([]int{-1}); return err },
			"dataset.OneHot: sample 0 has class -1"},
		{func() error { _, err := OneHot[float64]([]int{0}); return err },
			"dataset.OneHot: float64 is not an array"},
		{func() error { _, err := Targets[[2]float32]([]float64{1}); return err },
			"dataset.Targets: [2]float32 holds 2 values, want 1 (use Vectors for several)"},
		{func() error { _, err := Targets[*[1]float32]([]float64{1}); return err },
			"dataset.Targets: *[1]float32 is not an array"},
	} {
		if err := tc.got(); err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("got %v, want %q", err, tc.want)
		}
	}
}

func TestOneHot(t *testing.T) {
	ts, err := OneHot[[3]float32]([]int{2, 0, 1, 2})
	if err != nil {
		t.Fatal(err)
	}
	want := [][3]float32{{0, 0, 1}, {1, 0, 0}, {0, 1, 0}, {0, 0, 1}}
	if !reflect.DeepEqual(ts, want) {
		t.Errorf("%v, want %v", ts, want)
	}
}

func TestTargets(t *testing.T) {
	ts, err := Targets[[1]float64]([]float64{0.5, -3})
	if err != nil {
		t.Fatal(err)
	}
	if want := [][1]float64{{0.5}, {-3}}; !reflect.DeepEqual(ts, want) {
		t.Errorf("%v, want %v", ts, want)
	}
}

func TestSubset(t *testing.T) {
	s := []string{"a", "b", "c", "d"}
	if got := Subset(s, []int{3, 1, 1}); !reflect.DeepEqual(got, []string{"d", "b", "b"}) {
		t.Errorf("Subset = %q", got)
	}
	if got := Subset(s, nil); got == nil || len(got) != 0 {
		t.Errorf("Subset of no indices = %#v, want an empty slice", got)
	}
	type labels []int
	var l labels = Subset(labels{5, 6}, []int{1}) // keeps the slice type
	if l[0] != 6 {
		t.Errorf("Subset = %v", l)
	}
}
