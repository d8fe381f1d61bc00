package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"
	"unsafe"

	"github.com/gradgen/gradgen/dataset"
	"github.com/gradgen/gradgen/generic"
	"github.com/schollz/progressbar/v3"
)

// network is a model of the digits network, generated or generic, seen
// through the array types of the generated packages.
type network[T generic.Float] struct {
	params  []T                                     // all parameters, aliasing the model's
	predict func(x *[pixels]T, y *[classes]T)       // the logits y of one image x
	train   func(xs [][pixels]T, ts [][classes]T) T // one optimizer step on a minibatch; the loss before it
	// save, load and steps keep and restore the whole training state (the
	// generated Model's Save, Load and Steps); nil for the generic engine.
	save, load func(path string) error
	steps      func() int
}

// fromGeneric returns a net of the generic engine as a network. The engine
// takes flat row-major slices; they are views of the arrays, not copies.
func fromGeneric[T generic.Float](g *generic.Net[T]) network[T] {
	return network[T]{
		params:  g.Params(),
		predict: func(x *[pixels]T, y *[classes]T) { g.Predict(x[:], y[:]) },
		train:   func(xs [][pixels]T, ts [][classes]T) T { return g.Train(flat[T](xs), flat[T](ts)) },
	}
}

// flat views rows, a slice of arrays with elements of type T, as one slice
// of their elements, sharing its memory.
func flat[T generic.Float, A any](rows []A) []T {
	var a A
	var t T
	n := len(rows) * int(unsafe.Sizeof(a)/unsafe.Sizeof(t))
	return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(rows))), n)
}

// epochStats are the numbers of one epoch.
type epochStats struct {
	loss     float64       // mean over the epoch's images of the loss of their minibatch, as Train returned it
	trainAcc float64       // accuracy on the training set after the epoch
	testAcc  float64       // accuracy on the test set after the epoch
	time     time.Duration // time spent in Train
	images   int           // images trained on
}

// trainer trains networks on a training set and measures them on a test set.
type trainer[T generic.Float] struct {
	train, test set[T]
	epochs      int
	batch       int
	seed        uint64    // seeds the shuffling
	progress    io.Writer // where a progress bar is drawn during each epoch, or nil for none
	// resume names the training checkpoint of a network that can keep one:
	// fit resumes from it when it exists and rewrites it after each epoch.
	resume string
	// stopAfter > 0 stops fit after that epoch, as if the program were
	// killed then (for the tests of resume).
	stopAfter int
}

// fit trains net for tr.epochs epochs of shuffled minibatches and returns the
// numbers of each epoch. When report is not nil, it is called after each
// epoch; only then are the accuracies measured.
func (tr *trainer[T]) fit(net network[T], report func(epoch int, s epochStats)) ([]epochStats, error) {
	n := len(tr.train.xs)
	batches := dataset.NewBatches(tr.train.xs, tr.train.ts, tr.batch, tr.seed)
	done, err := tr.restore(net, batches)
	if err != nil {
		return nil, err
	}
	var history []epochStats
	for epoch := done + 1; epoch <= tr.epochs; epoch++ {
		batches.Shuffle()
		bar := tr.newBar(epoch, n)
		s := epochStats{images: n}
		for k := range batches.Len() {
			xs, ts := batches.Batch(k)
			start := time.Now()
			loss := net.train(xs, ts)
			s.time += time.Since(start)
			s.loss += float64(loss) * float64(len(xs)) / float64(n)
			if bar != nil {
				bar.Add(len(xs))
			}
		}
		if report != nil {
			s.trainAcc = dataset.Accuracy(tr.train.labels, predict(net, tr.train))
			s.testAcc = dataset.Accuracy(tr.test.labels, predict(net, tr.test))
			report(epoch, s)
		}
		history = append(history, s)
		if tr.resume != "" && net.save != nil {
			if err := net.save(tr.resume); err != nil {
				return history, err
			}
		}
		if epoch == tr.stopAfter {
			break
		}
	}
	return history, nil
}

// restore loads net's training state from tr.resume, when there is one to
// resume, and replays the shuffles of the epochs it completed, so the next
// epoch sees the minibatches an uninterrupted run would. It returns the
// number of epochs done.
func (tr *trainer[T]) restore(net network[T], batches *dataset.Batches[[pixels]T, [classes]T]) (int, error) {
	if tr.resume == "" || net.load == nil {
		return 0, nil
	}
	if _, err := os.Stat(tr.resume); errors.Is(err, fs.ErrNotExist) {
		return 0, nil // a new run
	}
	if err := net.load(tr.resume); err != nil {
		return 0, err
	}
	steps := net.steps()
	if steps%batches.Len() != 0 {
		return 0, fmt.Errorf("%s holds %d steps, not whole epochs of %d minibatches: was it saved by another -batch?", tr.resume, steps, batches.Len())
	}
	done := steps / batches.Len()
	for range done {
		batches.Shuffle()
	}
	return done, nil
}

// newBar returns the progress bar of an epoch over n images, which clears
// itself when full, or nil when tr draws none.
func (tr *trainer[T]) newBar(epoch, n int) *progressbar.ProgressBar {
	if tr.progress == nil {
		return nil
	}
	return progressbar.NewOptions(n,
		progressbar.OptionSetWriter(tr.progress),
		progressbar.OptionSetDescription(fmt.Sprintf("epoch %d", epoch)),
		progressbar.OptionShowCount(),
		progressbar.OptionSetPredictTime(false),
		progressbar.OptionSetWidth(30),
		progressbar.OptionSetRenderBlankState(true),
		progressbar.OptionThrottle(15*time.Millisecond),
		progressbar.OptionClearOnFinish())
}

// predict returns the class net assigns to each image of s.
func predict[T generic.Float](net network[T], s set[T]) []int {
	var y [classes]T
	predicted := make([]int, len(s.xs))
	for i := range s.xs {
		net.predict(&s.xs[i], &y)
		predicted[i] = dataset.Argmax(y[:])
	}
	return predicted
}
