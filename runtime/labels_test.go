package runtime

import (
	"strings"
	"testing"
)

func TestCheckLabels(t *testing.T) {
	CheckLabels("p", "TrainLabels", 3, []int32{0, 9, 4}, 10) // in range: no panic
	for _, c := range []struct {
		nx   int
		ls   []int32
		want string
	}{
		{3, []int32{0, 10, 4}, "p: TrainLabels: label of sample 1 is 10, want 0 ≤ label < 10"},
		{2, []int32{-1, 0}, "p: TrainLabels: label of sample 0 is -1, want 0 ≤ label < 10"},
		{2, []int32{1}, "p: TrainLabels: len(xs) = 2 but len(labels) = 1"},
	} {
		func() {
			defer func() {
				if r := recover(); r == nil || !strings.Contains(r.(string), c.want) {
					t.Errorf("CheckLabels(%d, %v): panic %v, want %q", c.nx, c.ls, r, c.want)
				}
			}()
			CheckLabels("p", "TrainLabels", c.nx, c.ls, 10)
		}()
	}
}

func TestRowsOfNil(t *testing.T) {
	var ts [][3]float32
	if Rows(ts, 0, 5) != nil || Row(ts, 2) != nil || Label(nil, 4) != -1 {
		t.Error("Rows, Row or Label of nil is not nil (or -1)")
	}
	full := make([][3]float32, 4)
	if got := Rows(full, 1, 3); len(got) != 2 || &got[0] != &full[1] || Row(full, 2) != &full[2] || Label([]int32{5, 6}, 1) != 6 {
		t.Error("Rows, Row or Label of a slice is not the slice's")
	}
}
