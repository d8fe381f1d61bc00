package main

import (
	_ "embed"
	"fmt"
	"io"
	"math"
	"strings"
	"time"
	"unsafe"

	"github.com/gradgen/gradgen/dataset"
	"github.com/gradgen/gradgen/examples/digits/digitsnet"
	"github.com/gradgen/gradgen/examples/digits/digitsnet64"
	"github.com/gradgen/gradgen/generic"
	"github.com/gradgen/gradgen/spec"
)

// The specs the two generated packages come from; the generic engine builds
// its network from the same spec.
var (
	//go:embed digitsnet/digitsnet.yaml
	spec32 []byte
	//go:embed digitsnet64/digitsnet64.yaml
	spec64 []byte
)

// testShare and splitSeed fix the train/test split.
const (
	testShare = 0.2
	splitSeed = 1998
)

// kind is one element type's generated network: its spec and its package.
type kind[T generic.Float] struct {
	specFile string
	spec     []byte
	newModel func(seed uint64) network[T] // the generated package's NewModel
}

var (
	float32Net = kind[float32]{"digitsnet/digitsnet.yaml", spec32, func(seed uint64) network[float32] {
		m := digitsnet.NewModel(seed)
		return network[float32]{params: m.Params.Slice(), predict: m.Predict, train: m.Train, save: m.Save, load: m.Load, steps: m.Steps}
	}}
	float64Net = kind[float64]{"digitsnet64/digitsnet64.yaml", spec64, func(seed uint64) network[float64] {
		m := digitsnet64.NewModel(seed)
		return network[float64]{params: m.Params.Slice(), predict: m.Predict, train: m.Train, save: m.Save, load: m.Load, steps: m.Steps}
	}}
)

// compare trains k's generated network and the generic engine's as o says,
// reports on both to w, and checks that training is deterministic.
func compare[T generic.Float](w io.Writer, o options, k kind[T]) (result, error) {
	start := time.Now()
	n, tr, err := prepare(o, k)
	if err != nil {
		return result{}, err
	}
	if o.Progress {
		tr.progress = w
	}
	gen := k.newModel(o.Seed)
	g, err := generic.New[T](n, o.Seed)
	if err != nil {
		return result{}, err
	}
	gnr := fromGeneric(g)
	if i := firstDifference(gen.params, gnr.params); i >= 0 {
		return result{}, fmt.Errorf("the engines start from different parameters, first at index %d", i)
	}

	fmt.Fprintf(w, "digits: %d training and %d test images (split %.0f/%.0f, stratified by class), pixels scaled to [0, 1]\n",
		len(tr.train.xs), len(tr.test.xs), 100*(1-testShare), 100*testShare)
	fmt.Fprintf(w, "network: %s; %s, minibatches of %d, %d epochs, seed %d\n", describe(n), n.DType, o.Batch, o.Epochs, o.Seed)
	fmt.Fprintln(w, "loss: the mean of the minibatch losses Train returned during the epoch; accuracies after the epoch")
	fmt.Fprintf(w, "\ngenerated code (package %s)\n", n.Package)
	genHist, err := tr.fit(gen, epochPrinter(w))
	if err != nil {
		return result{}, err
	}
	if o.stopAfter > 0 && o.stopAfter < o.Epochs {
		fmt.Fprintf(w, "stopped after epoch %d, as if killed; the training state is in %s\n", o.stopAfter, o.Resume)
		return result{}, nil
	}
	if tr.resume != "" && len(genHist) < o.Epochs {
		fmt.Fprintf(w, "resumed from %s after epoch %d\n", tr.resume, o.Epochs-len(genHist))
	}
	fmt.Fprintln(w, "\ngeneric engine (package generic, gonum BLAS), from the same initial parameters")
	whole := *tr
	whole.resume, whole.stopAfter = "", 0 // the generic engine trains every epoch
	gnrHist, err := whole.fit(gnr, epochPrinter(w))
	if err != nil {
		return result{}, err
	}
	fmt.Fprintln(w)

	res := summarize(w, tr.test, gen, gnr)
	genTime, gnrTime := totalTime(genHist), totalTime(gnrHist)
	fmt.Fprintf(w, "training time: generated %s, generic engine %s: %s\n", seconds(genTime), seconds(gnrTime), speedup(genTime, gnrTime))
	if err := checkDeterminism(w, &whole, k, o.Seed, gen.params); err != nil {
		return res, err
	}
	if o.Plot != "" {
		title := fmt.Sprintf("handwritten digits: %s, %s, minibatches of %d, seed %d", describe(n), n.DType, o.Batch, o.Seed)
		if err := writePlot(o.Plot, title, genHist, gnrHist); err != nil {
			return res, err
		}
		fmt.Fprintf(w, "plot: wrote %s\n", o.Plot)
	}
	fmt.Fprintf(w, "total time %s\n", seconds(time.Since(start)))
	return res, nil
}

// prepare reads the spec of k and the data set of o, and returns the spec
// and a trainer with the training and test sets as o says.
func prepare[T generic.Float](o options, k kind[T]) (*spec.Network, *trainer[T], error) {
	n, err := spec.Parse(k.specFile, k.spec)
	if err != nil {
		return nil, nil, err
	}
	name := o.DataName
	if name == "" {
		name = "digits.csv.gz"
	}
	d, err := readDigits(name, o.Data)
	if err != nil {
		return nil, nil, err
	}
	trainIdx, testIdx := dataset.StratifiedSplit(d.Classes, testShare, splitSeed)
	if len(trainIdx) == 0 || len(testIdx) == 0 {
		return nil, nil, fmt.Errorf("%d images are too few to split into a training and a test set", len(d.Rows))
	}
	tr := &trainer[T]{epochs: o.Epochs, batch: o.Batch, seed: o.Seed, resume: o.Resume, stopAfter: o.stopAfter}
	if tr.train, err = newSet[T](d, trainIdx); err != nil {
		return nil, nil, err
	}
	if tr.test, err = newSet[T](d, testIdx); err != nil {
		return nil, nil, err
	}
	return n, tr, nil
}

// summarize prints the test accuracy of both networks and the confusion
// matrix of the generated one, and returns the accuracies.
func summarize[T generic.Float](w io.Writer, test set[T], gen, gnr network[T]) result {
	predicted := predict(gen, test)
	confusion := dataset.NewConfusion(classes)
	confusion.AddAll(test.labels, predicted)
	res := result{
		Generated: dataset.Accuracy(test.labels, predicted),
		Generic:   dataset.Accuracy(test.labels, predict(gnr, test)),
	}
	fmt.Fprintf(w, "test accuracy: generated %s, generic engine %s\n",
		ofTotal(res.Generated, len(test.xs)), ofTotal(res.Generic, len(test.xs)))
	fmt.Fprintln(w, "confusion matrix of the generated network on the test set (rows: true class, columns: predicted):")
	fmt.Fprint(w, confusion)
	return res
}

// checkDeterminism trains k's generated network again as tr says, from
// seed, and fails unless it ends with want, bit for bit.
func checkDeterminism[T generic.Float](w io.Writer, tr *trainer[T], k kind[T], seed uint64, want []T) error {
	again := k.newModel(seed)
	if _, err := tr.fit(again, nil); err != nil {
		return err
	}
	if i := firstDifference(want, again.params); i >= 0 {
		return fmt.Errorf("determinism: the second run with seed %d gave different parameters, first at index %d: %v, then %v",
			seed, i, want[i], again.params[i])
	}
	fmt.Fprintf(w, "determinism: the second run with seed %d gave identical parameters (bit for bit)\n", seed)
	return nil
}

// describe returns a one-line summary of n, such as
// "64 → 128 relu → 10, softmax_cross_entropy, adam lr 0.002".
func describe(n *spec.Network) string {
	var b strings.Builder
	fmt.Fprint(&b, n.Input)
	for _, l := range n.Layers {
		fmt.Fprintf(&b, " → %d", l.Dense)
		if l.Activation != spec.None {
			fmt.Fprintf(&b, " %s", l.Activation)
		}
	}
	fmt.Fprintf(&b, ", %s", n.Loss)
	switch o := n.Optimizer; {
	case o.Adam != nil:
		fmt.Fprintf(&b, ", adam lr %g", o.Adam.LR)
	case o.Momentum != nil:
		fmt.Fprintf(&b, ", momentum lr %g", o.Momentum.LR)
	case o.SGD != nil:
		fmt.Fprintf(&b, ", sgd lr %g", o.SGD.LR)
	}
	return b.String()
}

// epochPrinter prints the column heads and returns a function that prints
// the line of one epoch under them.
func epochPrinter(w io.Writer) func(epoch int, s epochStats) {
	fmt.Fprintln(w, "epoch    loss  train acc  test acc   images/s")
	return func(epoch int, s epochStats) {
		fmt.Fprintf(w, "%5d  %6.4f  %9.4f  %8.4f  %9.0f\n", epoch, s.loss, s.trainAcc, s.testAcc, perSecond(s))
	}
}

// perSecond returns the images per second that Train processed in an epoch.
func perSecond(s epochStats) float64 {
	return float64(s.images) / max(s.time.Seconds(), 1e-9)
}

// ofTotal formats an accuracy over n images with its count of correct ones.
func ofTotal(acc float64, n int) string {
	return fmt.Sprintf("%.4f (%d of %d)", acc, int(math.Round(acc*float64(n))), n)
}

// totalTime returns the time the epochs of h spent in Train.
func totalTime(h []epochStats) time.Duration {
	var t time.Duration
	for _, s := range h {
		t += s.time
	}
	return t
}

// seconds formats d in seconds with three significant digits or more.
func seconds(d time.Duration) string {
	s := d.Seconds()
	switch {
	case s >= 10:
		return fmt.Sprintf("%.1f s", s)
	case s >= 1:
		return fmt.Sprintf("%.2f s", s)
	}
	return fmt.Sprintf("%.3f s", s)
}

// speedup says how much faster the generated code trained than the generic
// engine, or the other way round.
func speedup(gen, gnr time.Duration) string {
	if gen <= gnr {
		return fmt.Sprintf("generated is %.1f× faster", gnr.Seconds()/max(gen.Seconds(), 1e-9))
	}
	return fmt.Sprintf("the generic engine is %.1f× faster", gen.Seconds()/max(gnr.Seconds(), 1e-9))
}

// firstDifference returns the first index at which a and b differ in any
// bit, or -1 if they are identical.
func firstDifference[T generic.Float](a, b []T) int {
	if len(a) != len(b) {
		return min(len(a), len(b))
	}
	for i := range a {
		if bits(a[i]) != bits(b[i]) {
			return i
		}
	}
	return -1
}

// bits returns the IEEE 754 representation of x in its own precision.
func bits[T generic.Float](x T) uint64 {
	if unsafe.Sizeof(x) == 4 {
		return uint64(math.Float32bits(float32(x)))
	}
	return math.Float64bits(float64(x))
}
