package dataset

import (
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// classesOf returns n classes: sample i has class i mod k, except that class
// 0 has extra samples at the end.
func classesOf(n, k, extra int) []int {
	c := make([]int, n+extra)
	for i := range n {
		c[i] = i % k
	}
	return c
}

func TestStratifiedSplit(t *testing.T) {
	classes := classesOf(100, 4, 21) // 46 of class 0, 25 of each other
	train, test := StratifiedSplit(classes, 0.2, 7)
	if !slices.IsSorted(train) || !slices.IsSorted(test) {
		t.Error("the sets are not sorted")
	}
	all := slices.Concat(train, test)
	slices.Sort(all)
	for i, s := range all {
		if s != i {
			t.Fatalf("train and test are not a partition of the samples: %v", all)
		}
	}
	var inTest, total [4]int
	for _, c := range classes {
		total[c]++
	}
	for _, i := range test {
		inTest[classes[i]]++
	}
	// 0.2 × 46 = 9.2 → 9, 0.2 × 25 = 5.
	if want := [4]int{9, 5, 5, 5}; inTest != want {
		t.Errorf("test samples per class %v, want %v (of %v)", inTest, want, total)
	}
	// Halves round up: 0.5 × 3 = 1.5 → 2.
	_, test = StratifiedSplit([]int{1, 1, 1}, 0.5, 1)
	if len(test) != 2 {
		t.Errorf("half of 3 gave %d test samples, want 2", len(test))
	}
}

func TestStratifiedSplitDeterministic(t *testing.T) {
	classes := classesOf(300, 3, 0)
	tr1, te1 := StratifiedSplit(classes, 0.25, 42)
	tr2, te2 := StratifiedSplit(classes, 0.25, 42)
	if !slices.Equal(tr1, tr2) || !slices.Equal(te1, te2) {
		t.Error("the same seed gave different splits")
	}
	_, te3 := StratifiedSplit(classes, 0.25, 43)
	if slices.Equal(te1, te3) {
		t.Error("seeds 42 and 43 gave the same split")
	}
	// A fixed seed gives these samples on every platform and Go release
	// whose math/rand/v2 PCG and Shuffle are the same.
	_, test := StratifiedSplit(classesOf(20, 2, 0), 0.2, 1)
	if want := []int{6, 11, 12, 19}; !slices.Equal(test, want) {
		t.Errorf("seed 1 gave the test set %v, want %v", test, want)
	}
}

func TestStratifiedSplitEdges(t *testing.T) {
	train, test := StratifiedSplit([]int{0, 2, 2}, 0, 1) // class 1 is empty
	if !slices.Equal(train, []int{0, 1, 2}) || len(test) != 0 {
		t.Errorf("share 0: %v, %v", train, test)
	}
	train, test = StratifiedSplit([]int{0, 2, 2}, 1, 1)
	if len(train) != 0 || !slices.Equal(test, []int{0, 1, 2}) {
		t.Errorf("share 1: %v, %v", train, test)
	}
	train, test = StratifiedSplit(nil, 0.5, 1)
	if len(train) != 0 || len(test) != 0 {
		t.Errorf("no samples: %v, %v", train, test)
	}
	for _, tc := range []struct {
		classes []int
		share   float64
		want    string
	}{
		{[]int{0}, 1.5, "testShare is 1.5"},
		{[]int{0}, -0.1, "testShare is -0.1"},
		{[]int{0}, nan(), "testShare is NaN"},
		{[]int{0, -1}, 0.5, "sample 1 has class -1"},
	} {
		func() {
			defer func() {
				if r := recover(); r == nil || !strings.Contains(r.(string), tc.want) {
					t.Errorf("StratifiedSplit(%v, %v): panic %v, want one containing %q", tc.classes, tc.share, r, tc.want)
				}
			}()
			StratifiedSplit(tc.classes, tc.share, 1)
		}()
	}
}

func nan() float64 { z := 0.0; return z / z }

func TestBatches(t *testing.T) {
	const n, size = 10, 4
	xs := make([][2]float32, n)
	ts := make([][1]float64, n)
	for i := range n {
		xs[i] = [2]float32{float32(i), -float32(i)}
		ts[i] = [1]float64{float64(i)}
	}
	b := NewBatches(xs, ts, size, 3)
	if b.Len() != 3 {
		t.Fatalf("Len = %d, want 3", b.Len())
	}
	// Before the first Shuffle, the samples come in order.
	for k, want := range [][]int{{0, 1, 2, 3}, {4, 5, 6, 7}, {8, 9}} {
		x, y := b.Batch(k)
		if got := samples(x, y); !slices.Equal(got, want) {
			t.Errorf("batch %d: %v, want %v", k, got, want)
		}
	}
	for range 5 {
		b.Shuffle()
		var seen []int
		for k := range b.Len() {
			x, y := b.Batch(k)
			if k < b.Len()-1 && len(x) != size {
				t.Errorf("batch %d has %d samples, want %d", k, len(x), size)
			}
			seen = append(seen, samples(x, y)...)
		}
		if !slices.Equal(seen, b.Order()) {
			t.Errorf("the batches gave %v, Order is %v", seen, b.Order())
		}
		slices.Sort(seen)
		for i, s := range seen {
			if s != i {
				t.Fatalf("an epoch gave the samples %v, want each once", seen)
			}
		}
	}
	if xs[3] != [2]float32{3, -3} {
		t.Error("Batches changed xs")
	}
}

// samples returns the sample numbers in a batch, checking that inputs and
// targets belong together.
func samples(xs [][2]float32, ts [][1]float64) []int {
	var s []int
	for i := range xs {
		if float64(xs[i][0]) != ts[i][0] || xs[i][1] != -xs[i][0] {
			return []int{-1}
		}
		s = append(s, int(ts[i][0]))
	}
	return s
}

func TestBatchesDeterministic(t *testing.T) {
	xs := make([]int, 50)
	for i := range xs {
		xs[i] = i
	}
	order := func(seed uint64) [][]int {
		b := NewBatches(xs, xs, 8, seed)
		var epochs [][]int
		for range 3 {
			b.Shuffle()
			epochs = append(epochs, slices.Clone(b.Order()))
		}
		return epochs
	}
	if a, b := order(9), order(9); !reflect.DeepEqual(a, b) {
		t.Error("the same seed gave different orders")
	}
	if a, b := order(9), order(10); reflect.DeepEqual(a, b) {
		t.Error("seeds 9 and 10 gave the same order")
	}
	if a := order(9); reflect.DeepEqual(a[0], a[1]) {
		t.Error("two epochs in the same order")
	}
}

// TestBatchesShuffleInPlace checks the promise of the doc comment: the order
// is that of shuffling the samples themselves in place, epoch after epoch.
func TestBatchesShuffleInPlace(t *testing.T) {
	const n, seed = 37, 5
	xs, ts := make([]int, n), make([]string, n)
	for i := range n {
		xs[i], ts[i] = i, string(rune('A'+i))
	}
	b := NewBatches(slices.Clone(xs), slices.Clone(ts), 6, seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	for range 4 {
		rng.Shuffle(n, func(i, j int) {
			xs[i], xs[j] = xs[j], xs[i]
			ts[i], ts[j] = ts[j], ts[i]
		})
		b.Shuffle()
		var gx []int
		var gt []string
		for k := range b.Len() {
			x, y := b.Batch(k)
			gx, gt = append(gx, x...), append(gt, y...)
		}
		if !slices.Equal(gx, xs) || !slices.Equal(gt, ts) {
			t.Fatalf("Batches gave %v %v, shuffling in place %v %v", gx, gt, xs, ts)
		}
	}
}

func TestBatchesDoNotAllocate(t *testing.T) {
	xs := make([][64]float32, 1000)
	ts := make([][10]float32, 1000)
	b := NewBatches(xs, ts, 32, 1)
	var sink float32
	allocs := testing.AllocsPerRun(20, func() {
		b.Shuffle()
		for k := range b.Len() {
			x, y := b.Batch(k)
			sink += x[0][0] + y[len(y)-1][0]
		}
	})
	if allocs != 0 {
		t.Errorf("an epoch of Shuffle and Batch allocates %v times, want 0", allocs)
	}
	_ = sink
}

func TestBatchesSmall(t *testing.T) {
	b := NewBatches([]int{1, 2}, []int{1, 2}, 100, 1)
	if b.Len() != 1 {
		t.Fatalf("Len = %d, want 1", b.Len())
	}
	if x, _ := b.Batch(0); len(x) != 2 {
		t.Errorf("a batch larger than the data gave %d samples, want 2", len(x))
	}
	if b := NewBatches([]int{}, []int{}, 4, 1); b.Len() != 0 {
		t.Errorf("no samples: Len = %d, want 0", b.Len())
	}
	for _, tc := range []struct {
		xs, ts []int
		size   int
		want   string
	}{
		{[]int{1}, []int{1, 2}, 1, "1 inputs but 2 targets"},
		{[]int{1}, []int{1}, 0, "batch size 0, want ≥ 1"},
	} {
		func() {
			defer func() {
				if r := recover(); r == nil || !strings.Contains(r.(string), tc.want) {
					t.Errorf("panic %v, want one containing %q", r, tc.want)
				}
			}()
			NewBatches(tc.xs, tc.ts, tc.size, 1)
		}()
	}
}
