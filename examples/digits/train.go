package main

import (
	"fmt"
	"io"
	"math/rand/v2"
	"time"
	"unsafe"

	"github.com/gradgen/gradgen/generic"
	"github.com/schollz/progressbar/v3"
)

// network is a model of the digits network, generated or generic, seen
// through flat row-major slices as the generic engine takes them.
type network[T generic.Float] struct {
	params  []T                // all parameters, aliasing the model's
	predict func(x, y []T)     // the logits y of one image x
	train   func(xs, ts []T) T // one optimizer step on a minibatch; the loss before it
}

// generatedModel is the part of a generated package's Model that training
// uses, with X = [Inputs]T and Y = [Outputs]T of that package.
type generatedModel[T generic.Float, X, Y any] interface {
	Predict(x *X, y *Y)
	Train(xs []X, ts []Y) T
}

// adapt returns a generated model as a network. Its slices are viewed as the
// package's slices of arrays without copying.
func adapt[T generic.Float, X, Y any](m generatedModel[T, X, Y], params []T) network[T] {
	return network[T]{
		params:  params,
		predict: func(x, y []T) { m.Predict(&rows[X](x)[0], &rows[Y](y)[0]) },
		train:   func(xs, ts []T) T { return m.Train(rows[X](xs), rows[Y](ts)) },
	}
}

// rows views flat as a slice of R, an array type with elements of type T,
// sharing its memory.
func rows[R any, T generic.Float](flat []T) []R {
	var r R
	var t T
	n := len(flat) * int(unsafe.Sizeof(t)) / int(unsafe.Sizeof(r))
	return unsafe.Slice((*R)(unsafe.Pointer(unsafe.SliceData(flat))), n)
}

// fromGeneric returns a net of the generic engine as a network.
func fromGeneric[T generic.Float](g *generic.Net[T]) network[T] {
	return network[T]{params: g.Params(), predict: g.Predict, train: g.Train}
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
	train, test dataset[T]
	epochs      int
	batch       int
	seed        uint64    // seeds the shuffling
	progress    io.Writer // where a progress bar is drawn during each epoch, or nil for none
}

// fit trains net for tr.epochs epochs of shuffled minibatches and returns the
// numbers of each epoch. When report is not nil, it is called after each
// epoch; only then are the accuracies measured.
func (tr *trainer[T]) fit(net network[T], report func(epoch int, s epochStats)) []epochStats {
	n := tr.train.len()
	perm := make([]int, n)
	for i := range perm {
		perm[i] = i
	}
	xb, tb := make([]T, tr.batch*pixels), make([]T, tr.batch*classes)
	rng := rand.New(rand.NewPCG(tr.seed, 0))
	var history []epochStats
	for epoch := 1; epoch <= tr.epochs; epoch++ {
		rng.Shuffle(n, func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
		bar := tr.newBar(epoch, n)
		s := epochStats{images: n}
		for lo := 0; lo < n; lo += tr.batch {
			b := min(tr.batch, n-lo)
			tr.gather(perm[lo:lo+b], xb, tb)
			start := time.Now()
			loss := net.train(xb[:b*pixels], tb[:b*classes])
			s.time += time.Since(start)
			s.loss += float64(loss) * float64(b) / float64(n)
			if bar != nil {
				bar.Add(b)
			}
		}
		if report != nil {
			s.trainAcc = accuracy(net, tr.train, nil)
			s.testAcc = accuracy(net, tr.test, nil)
			report(epoch, s)
		}
		history = append(history, s)
	}
	return history
}

// gather copies the training images at the indices idx and their targets to
// the start of xb and tb.
func (tr *trainer[T]) gather(idx []int, xb, tb []T) {
	for k, i := range idx {
		copy(xb[k*pixels:(k+1)*pixels], tr.train.xs[i*pixels:(i+1)*pixels])
		copy(tb[k*classes:(k+1)*classes], tr.train.ts[i*classes:(i+1)*classes])
	}
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

// accuracy returns the share of the images of s that net assigns to their
// class. If confusion is not nil, it counts each image in
// confusion[class][predicted].
func accuracy[T generic.Float](net network[T], s dataset[T], confusion *[classes][classes]int) float64 {
	var y [classes]T
	correct := 0
	for k, label := range s.labels {
		net.predict(s.x(k), y[:])
		p := argmax(y[:])
		if p == label {
			correct++
		}
		if confusion != nil {
			confusion[label][p]++
		}
	}
	return float64(correct) / float64(s.len())
}

// argmax returns the index of the largest element of y, the first on ties.
func argmax[T generic.Float](y []T) int {
	best := 0
	for i, v := range y {
		if v > y[best] {
			best = i
		}
	}
	return best
}
