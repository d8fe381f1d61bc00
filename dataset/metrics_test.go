package dataset

import (
	"math"
	"strings"
	"testing"
)

func TestArgmax(t *testing.T) {
	nan := float32(math.NaN())
	for _, tc := range []struct {
		y    []float32
		want int
	}{
		{[]float32{0.1, 0.7, 0.2}, 1},
		{[]float32{3, 1, 3}, 0}, // the first on ties
		{[]float32{-5}, 0},
		{[]float32{1, nan, 2}, 1}, // NaN wins, as in torch.argmax
		{nil, -1},
	} {
		if got := Argmax(tc.y); got != tc.want {
			t.Errorf("Argmax(%v) = %d, want %d", tc.y, got, tc.want)
		}
	}
	if got := Argmax([]float64{0, 0, 1e-300}); got != 2 {
		t.Errorf("float64: %d, want 2", got)
	}
}

func TestAccuracy(t *testing.T) {
	if got := Accuracy([]int{0, 1, 2, 2}, []int{0, 2, 2, 2}); got != 0.75 {
		t.Errorf("Accuracy = %v, want 0.75", got)
	}
	if got := Accuracy(nil, nil); !math.IsNaN(got) {
		t.Errorf("Accuracy of nothing = %v, want NaN", got)
	}
	defer func() {
		if r := recover(); r == nil {
			t.Error("Accuracy of slices of different lengths did not panic")
		}
	}()
	Accuracy([]int{1}, nil)
}

func TestMeanSquaredError(t *testing.T) {
	if got := MeanSquaredError([]float32{1, 2, 3, 4}, []float32{1, 0, 3, 5}); got != 1.25 {
		t.Errorf("MeanSquaredError = %v, want 1.25", got)
	}
	// float64 arithmetic: 1e20² overflows float32.
	if got := MeanSquaredError([]float32{1e20}, []float32{0}); got != float64(float32(1e20))*float64(float32(1e20)) {
		t.Errorf("MeanSquaredError = %v, want 1e40", got)
	}
	if got := MeanSquaredError[float64](nil, nil); !math.IsNaN(got) {
		t.Errorf("MeanSquaredError of nothing = %v, want NaN", got)
	}
	defer func() {
		if r := recover(); r == nil {
			t.Error("MeanSquaredError of slices of different lengths did not panic")
		}
	}()
	MeanSquaredError([]float64{1}, nil)
}

func TestConfusion(t *testing.T) {
	c := NewConfusion(3)
	c.AddAll([]int{0, 0, 1, 2, 2, 2}, []int{0, 1, 1, 2, 0, 2})
	c.Add(1, 1)
	want := [][]int{{1, 1, 0}, {0, 2, 0}, {1, 0, 2}}
	for a := range want {
		for p := range want[a] {
			if c.Counts[a][p] != want[a][p] {
				t.Fatalf("Counts = %v, want %v", c.Counts, want)
			}
		}
	}
	if got := c.Accuracy(); got != 5.0/7 {
		t.Errorf("Accuracy = %v, want 5/7", got)
	}
	if got := NewConfusion(2).Accuracy(); !math.IsNaN(got) {
		t.Errorf("Accuracy of an empty matrix = %v, want NaN", got)
	}
}

// TestConfusionString checks the layout examples/digits prints.
func TestConfusionString(t *testing.T) {
	c := NewConfusion(10)
	for k := range 10 {
		c.Counts[k][k] = 30 + k
	}
	c.Counts[1][8] = 1
	const want = `        0   1   2   3   4   5   6   7   8   9
  0    30   0   0   0   0   0   0   0   0   0
  1     0  31   0   0   0   0   0   0   1   0
  2     0   0  32   0   0   0   0   0   0   0
  3     0   0   0  33   0   0   0   0   0   0
  4     0   0   0   0  34   0   0   0   0   0
  5     0   0   0   0   0  35   0   0   0   0
  6     0   0   0   0   0   0  36   0   0   0
  7     0   0   0   0   0   0   0  37   0   0
  8     0   0   0   0   0   0   0   0  38   0
  9     0   0   0   0   0   0   0   0   0  39
`
	if got := c.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}

	// Names, and a count wider than three digits, widen the columns.
	c = NewConfusion(2)
	c.Names = []string{"benign", "malignant"}
	c.Counts[0][0] = 12345
	const named = `                 benign malignant
  benign          12345         0
  malignant           0         0
`
	if got := c.String(); got != named {
		t.Errorf("got\n%s\nwant\n%s", got, named)
	}
	for line := range strings.Lines(c.String()) {
		if len(line) != len(strings.SplitAfter(named, "\n")[0]) {
			t.Errorf("line %q is not as long as the header", line)
		}
	}
}
