// Command train trains the weights the browser demo ships,
// examples/web/model/digits.ckpt: package generated/digits, from the
// initial weights of model.Seed, for model.Epochs epochs of shuffled
// minibatches (also seeded) on 80% of the bundled UCI digits, split as
// examples/digits splits them, then prints the accuracy on the other 20%.
// Run it from the repository's root:
//
//	GRADGEN_KERNELS=portable go run ./examples/web/train [-data examples/digits/digits.csv.gz] [-o examples/web/model/digits.ckpt]
//
// Every run on the same kernels writes the same bytes, and says whether the
// file changed. The committed file was made with the portable kernels on
// amd64, which give the same bits on every amd64 machine; other kernels, or
// a later gradgen whose kernels sum in another order, give weights that
// differ in the last bits. The tests check that the committed weights get
// model.TestCorrect of the test images right, and that training again
// does, give or take a few images.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"

	"github.com/gradgen/gradgen/dataset"
	"github.com/gradgen/gradgen/examples/web/ink"
	"github.com/gradgen/gradgen/examples/web/model"
	"github.com/gradgen/gradgen/generated/digits"
	gradgen "github.com/gradgen/gradgen/runtime"
)

func main() {
	data := flag.String("data", "examples/digits/digits.csv.gz", "the digits, a CSV `file` like examples/digits/digits.csv.gz")
	out := flag.String("o", "examples/web/model/digits.ckpt", "the checkpoint `file` to write")
	flag.Parse()
	if err := run(os.Stdout, *data, *out, model.Epochs); err != nil {
		fmt.Fprintln(os.Stderr, "train:", err)
		os.Exit(1)
	}
}

// run trains for epochs epochs on the digits in the file data, writes the
// weights to out and reports to w.
func run(w io.Writer, data, out string, epochs int) error {
	b, err := os.ReadFile(data)
	if err != nil {
		return err
	}
	train, test, err := readSplit(b)
	if err != nil {
		return err
	}
	m := fit(train, epochs)
	n := correct(m, test)
	fmt.Fprintf(w, "trained on %d images for %d epochs (%s=%q); test accuracy %.4f (%d of %d)\n",
		len(train.xs), epochs, gradgen.KernelsEnv, os.Getenv(gradgen.KernelsEnv), float64(n)/float64(len(test.xs)), n, len(test.xs))
	ckpt, err := model.Encode(&m.Params)
	if err != nil {
		return err
	}
	old, _ := os.ReadFile(out)
	if err := os.WriteFile(out, ckpt, 0o644); err != nil {
		return err
	}
	change := "changed"
	if bytes.Equal(old, ckpt) {
		change = "unchanged"
	}
	fmt.Fprintf(w, "wrote %s (%d bytes, %s)\n", out, len(ckpt), change)
	return nil
}

// set is a set of images: the network's inputs and their digits.
type set struct {
	xs     [][digits.Inputs]float32
	labels []int32
}

// readSplit reads the digits of a CSV file like examples/digits/digits.csv.gz,
// gzip-compressed or not, and splits them into a training and a test set.
func readSplit(data []byte) (train, test set, err error) {
	f := dataset.Format{Label: -1, ClassNames: digitNames()}
	t, err := dataset.Read(bytes.NewReader(data), "digits", f)
	if err != nil {
		return set{}, set{}, err
	}
	trainIdx, testIdx := dataset.StratifiedSplit(t.Classes, model.TestShare, model.SplitSeed)
	if train, err = newSet(t, trainIdx); err != nil {
		return set{}, set{}, err
	}
	test, err = newSet(t, testIdx)
	return train, test, err
}

// digitNames returns the class names "0" to "9".
func digitNames() []string {
	names := make([]string, digits.Outputs)
	for c := range names {
		names[c] = strconv.Itoa(c)
	}
	return names
}

// newSet returns the images of t at the indices idx as the network's
// inputs, made by model.Input as the page makes them.
func newSet(t *dataset.Table, idx []int) (set, error) {
	var s set
	for _, i := range idx {
		img, err := image(t.Rows[i])
		if err != nil {
			return set{}, fmt.Errorf("image %d: %w", i+1, err)
		}
		s.xs = append(s.xs, model.Input(&img))
		s.labels = append(s.labels, int32(t.Classes[i]))
	}
	return s, nil
}

// image returns the ink.Image of the pixel values row.
func image(row []float64) (ink.Image, error) {
	var img ink.Image
	if len(row) != len(img) {
		return img, fmt.Errorf("%d pixels, want %d", len(row), len(img))
	}
	for j, v := range row {
		if v != math.Trunc(v) || v < 0 || v > ink.MaxCount {
			return img, fmt.Errorf("pixel %d is %v, want an integer from 0 to %d", j+1, v, ink.MaxCount)
		}
		img[j] = uint8(v)
	}
	return img, nil
}

// fit trains a network from model.Seed on s for epochs epochs.
func fit(s set, epochs int) *digits.Model {
	m := digits.NewModel(model.Seed)
	batches := dataset.NewBatches(s.xs, s.labels, model.Batch, model.Seed)
	for range epochs {
		batches.Shuffle()
		for k := range batches.Len() {
			m.TrainLabels(batches.Batch(k))
		}
	}
	return m
}

// correct returns the number of images of s that m classifies correctly.
func correct(m *digits.Model, s set) int {
	n := 0
	for i := range s.xs {
		if m.Classify(&s.xs[i]) == int(s.labels[i]) {
			n++
		}
	}
	return n
}
