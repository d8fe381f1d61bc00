package dataset

import (
	"fmt"
	"math/rand/v2"
	"slices"
)

// StratifiedSplit divides the samples 0 to len(classes) − 1 into a training
// and a test set, such that the test set holds testShare of each class,
// rounded to the nearest sample (halves up). It shuffles the samples of each
// class, class 0 first, with one PCG seeded with (seed, 0), and takes the
// first ones of each into the test set. Both sets are sorted, in the order
// of the samples, and the same seed gives the same sets on every platform.
//
// StratifiedSplit panics if testShare is not in [0, 1] or a class is
// negative.
func StratifiedSplit(classes []int, testShare float64, seed uint64) (train, test []int) {
	if !(testShare >= 0 && testShare <= 1) {
		panic(fmt.Sprintf("dataset: StratifiedSplit: testShare is %v, want a number in [0, 1]", testShare))
	}
	var byClass [][]int
	for i, c := range classes {
		if c < 0 {
			panic(fmt.Sprintf("dataset: StratifiedSplit: sample %d has class %d, want ≥ 0", i, c))
		}
		for c >= len(byClass) {
			byClass = append(byClass, nil)
		}
		byClass[c] = append(byClass[c], i)
	}
	rng := rand.New(rand.NewPCG(seed, 0))
	train = make([]int, 0, len(classes))
	test = make([]int, 0, len(classes))
	for _, idx := range byClass {
		rng.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
		n := int(testShare*float64(len(idx)) + 0.5)
		test = append(test, idx[:n]...)
		train = append(train, idx[n:]...)
	}
	slices.Sort(train)
	slices.Sort(test)
	return train, test
}

// Batches serves the minibatches of an epoch: the samples of xs and ts in a
// shuffled order, size at a time, the last batch of an epoch holding the
// rest. It copies each batch into buffers it owns, so that a batch is a
// contiguous slice as a generated Model's Train takes it; neither Shuffle nor
// Batch allocates. A Batches is not safe for concurrent use.
//
// The order is a permutation of the samples that Shuffle permutes again,
// with a PCG seeded with (seed, 0), so that the same seed gives the same
// batches on every platform. Shuffling the permutation, rather than xs and
// ts themselves, gives the batches in the same order as shuffling xs and ts
// in place with rand.New(rand.NewPCG(seed, 0)).Shuffle would, and leaves
// them untouched.
type Batches[X, Y any] struct {
	xs   []X
	ts   []Y
	size int
	perm []int
	rng  *rand.Rand
	xb   []X
	tb   []Y
}

// NewBatches returns the minibatches of size samples of xs and their
// targets ts, in the order of the samples until the first Shuffle. It panics
// if xs and ts differ in length or size is less than 1.
func NewBatches[X, Y any](xs []X, ts []Y, size int, seed uint64) *Batches[X, Y] {
	if len(xs) != len(ts) {
		panic(fmt.Sprintf("dataset: NewBatches: %d inputs but %d targets", len(xs), len(ts)))
	}
	if size < 1 {
		panic(fmt.Sprintf("dataset: NewBatches: batch size %d, want ≥ 1", size))
	}
	b := &Batches[X, Y]{
		xs: xs, ts: ts, size: size,
		perm: make([]int, len(xs)),
		rng:  rand.New(rand.NewPCG(seed, 0)),
		xb:   make([]X, min(size, len(xs))),
		tb:   make([]Y, min(size, len(xs))),
	}
	for i := range b.perm {
		b.perm[i] = i
	}
	return b
}

// Shuffle permutes the order of the samples, for the next epoch.
func (b *Batches[X, Y]) Shuffle() {
	perm := b.perm
	b.rng.Shuffle(len(perm), func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
}

// Len returns the number of batches in an epoch.
func (b *Batches[X, Y]) Len() int { return (len(b.perm) + b.size - 1) / b.size }

// Batch returns batch k of the epoch, 0 ≤ k < Len(): the inputs and targets
// of the samples at positions k·size to (k+1)·size − 1 of the order. The
// slices are valid until the next call of Batch, which reuses them.
func (b *Batches[X, Y]) Batch(k int) (xs []X, ts []Y) {
	idx := b.perm[k*b.size : min((k+1)*b.size, len(b.perm))]
	xs, ts = b.xb[:len(idx)], b.tb[:len(idx)]
	for i, s := range idx {
		xs[i] = b.xs[s]
		ts[i] = b.ts[s]
	}
	return xs, ts
}

// Order returns the current order of the samples: batch k holds the samples
// Order()[k·size:(k+1)·size]. The slice is the Batches' own; do not modify it.
func (b *Batches[X, Y]) Order() []int { return b.perm }
