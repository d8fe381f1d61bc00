package dataset

import (
	"math"
	"reflect"
	"strings"
	"testing"
)

func TestStandardizerUsesTrainingStatistics(t *testing.T) {
	train := [][]float64{{1, 10}, {2, 10}, {3, 10}, {6, 10}}
	test := [][]float64{{3, 10}, {-1, 14}}
	s, err := NewStandardizer(train)
	if err != nil {
		t.Fatal(err)
	}
	// Column 0: mean 3, population variance (4+1+0+9)/4 = 3.5.
	std0 := math.Sqrt(3.5)
	if !reflect.DeepEqual(s.Mean, []float64{3, 10}) || s.Std[0] != std0 || s.Std[1] != 0 {
		t.Errorf("Mean %v, Std %v; want [3 10] and [%v 0]", s.Mean, s.Std, std0)
	}
	got := s.Standardize(test)
	want := [][]float64{{0, 0}, {-4 / std0, 4}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("test split: %v, want %v (standardised with the training split's mean and std)", got, want)
	}
	if test[1][0] != -1 {
		t.Error("Standardize changed its argument")
	}
	tr := s.Standardize(train)
	var sum, sumSq float64
	for _, r := range tr {
		sum += r[0]
		sumSq += r[0] * r[0]
		if r[1] != 0 {
			t.Errorf("the constant column gives %v, want 0", r[1])
		}
	}
	if n := float64(len(tr)); math.Abs(sum/n) > 1e-15 || math.Abs(sumSq/n-1) > 1e-15 {
		t.Errorf("training split: mean %v and mean square %v, want 0 and 1", sum/n, sumSq/n)
	}
}

// TestStandardizerConstantColumn checks a column whose mean a sum would
// round: it must come out as zeros, not as ±1 or NaN.
func TestStandardizerConstantColumn(t *testing.T) {
	rows := [][]float64{{0.1, 7}, {0.1, 7}, {0.1, 7}}
	s, err := NewStandardizer(rows)
	if err != nil {
		t.Fatal(err)
	}
	if s.Mean[0] != 0.1 || s.Std[0] != 0 {
		t.Errorf("mean %v, std %v; want 0.1 and 0", s.Mean[0], s.Std[0])
	}
	for _, r := range s.Standardize(append(rows, []float64{0.3, 9})) {
		for _, v := range r {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("%v is not finite", v)
			}
		}
	}
	for _, r := range s.Standardize(rows) {
		if r[0] != 0 || r[1] != 0 {
			t.Errorf("a constant row gave %v, want zeros", r)
		}
	}
	one, err := NewStandardizer([][]float64{{5}})
	if err != nil || one.Std[0] != 0 || one.Standardize([][]float64{{5}})[0][0] != 0 {
		t.Errorf("one row: %+v, %v", one, err)
	}
}

func TestStandardizerErrors(t *testing.T) {
	if _, err := NewStandardizer(nil); err == nil || err.Error() != "dataset.NewStandardizer: no rows" {
		t.Errorf("no rows: %v", err)
	}
	_, err := NewStandardizer([][]float64{{1, 2}, {3}})
	if err == nil || err.Error() != "dataset.NewStandardizer: row 1 has 1 values, row 0 has 2" {
		t.Errorf("ragged rows: %v", err)
	}
	s, _ := NewStandardizer([][]float64{{1, 2}})
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "row 0 has 3 values, the Standardizer was fitted to rows of 2") {
			t.Errorf("Standardize of wider rows: panic %v", r)
		}
	}()
	s.Standardize([][]float64{{1, 2, 3}})
}
