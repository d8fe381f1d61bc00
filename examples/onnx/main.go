// Command onnx is the Go service's half of a PyTorch → Go → ONNX round trip. train.py
// trained a digit classifier in PyTorch on 300 images and exported it to classifier.onnx;
// gradgen generated package classifier from it (classifier/classifier.yaml). This program
// starts from the PyTorch weights (classifier.NewPretrained) and measures the test accuracy
// PyTorch measured; fine-tunes the model on 1048 images PyTorch never saw, as a service
// learning from its own data would, and measures again; and saves the fine-tuned parameters
// in a checkpoint, which `gradgen export -params FILE -o tuned.onnx classifier/classifier.yaml`
// turns back into an ONNX model for ONNX Runtime, Triton or PyTorch.
//
//	go run ./examples/onnx [-epochs 20] [-batch 10] [-o tuned.ckpt]
//
// digits.csv.gz is scikit-learn's copy of the UCI "Optical Recognition of Handwritten
// Digits" data (E. Alpaydin, C. Kaynak, 1998, https://doi.org/10.24432/C50P49, CC BY 4.0):
// 1797 images of 8×8 pixels valued 0 to 16, then the digit, one image per line.
package main

import (
	"bytes"
	_ "embed"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/gradgen/gradgen/dataset"
	"github.com/gradgen/gradgen/examples/onnx/classifier"
)

//go:embed digits.csv.gz
var digitsCSV []byte

// pretrained is how many images PyTorch trained on: the first of those
// not in the test set, which holds every 4th image (as train.py splits).
const pretrained = 300

// options are the settings of one run.
type options struct {
	Epochs     int    // passes over the new data
	Batch      int    // images per TrainLabels call
	Checkpoint string // where the fine-tuned parameters go
}

// result is what a run measured.
type result struct {
	Pretrained, Tuned float64 // test accuracy before and after fine-tuning
}

func main() {
	o := options{Epochs: 20, Batch: 10, Checkpoint: filepath.Join(os.TempDir(), "tuned.ckpt")}
	flag.IntVar(&o.Epochs, "epochs", o.Epochs, "passes over the new data")
	flag.IntVar(&o.Batch, "batch", o.Batch, "images per training step")
	flag.StringVar(&o.Checkpoint, "o", o.Checkpoint, "checkpoint `FILE` of the fine-tuned parameters")
	flag.Parse()
	if _, err := run(o, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "onnx:", err)
		os.Exit(1)
	}
}

// images are digits as the model reads them: pixels scaled to [0, 1].
type images struct {
	xs     [][classifier.Inputs]float32
	labels []int32
}

// readImages reads digits.csv.gz and splits it as train.py does.
func readImages() (newSet, test images, err error) {
	t, err := dataset.Read(bytes.NewReader(digitsCSV), "digits.csv.gz", dataset.Format{Label: -1})
	if err != nil {
		return images{}, images{}, err
	}
	all, err := dataset.Vectors[[classifier.Inputs]float32](t.Rows)
	if err != nil {
		return images{}, images{}, err
	}
	others := 0 // images not in the test set so far
	for i := range all {
		for j := range all[i] {
			all[i][j] /= 16
		}
		set := &test
		if i%4 != 3 {
			if others++; others <= pretrained {
				continue // one of the images PyTorch trained on
			}
			set = &newSet
		}
		set.xs = append(set.xs, all[i])
		set.labels = append(set.labels, int32(t.Classes[i]))
	}
	return newSet, test, nil
}

// run fine-tunes the pretrained classifier and reports to w.
func run(o options, w io.Writer) (result, error) {
	newSet, test, err := readImages()
	if err != nil {
		return result{}, err
	}
	m := classifier.NewPretrained()
	var r result
	r.Pretrained = accuracy(m, test)
	fmt.Fprintf(w, "PyTorch's weights (classifier.NewPretrained): test accuracy %.4f on %d images\n", r.Pretrained, len(test.xs))
	for epoch := range o.Epochs {
		var sum float32
		steps := 0
		for lo := 0; lo < len(newSet.xs); lo += o.Batch {
			hi := min(lo+o.Batch, len(newSet.xs))
			sum += m.TrainLabels(newSet.xs[lo:hi], newSet.labels[lo:hi])
			steps++
		}
		if epoch == 0 || epoch == o.Epochs-1 {
			fmt.Fprintf(w, "fine-tuning epoch %d: mean loss %.4f\n", epoch+1, sum/float32(steps))
		}
	}
	r.Tuned = accuracy(m, test)
	fmt.Fprintf(w, "fine-tuned on %d new images: test accuracy %.4f\n", len(newSet.xs), r.Tuned)
	if err := m.Params.Save(o.Checkpoint); err != nil {
		return r, err
	}
	fmt.Fprintf(w, "saved %s; to take the model back to ONNX:\n  go tool gradgen export -params %s -o tuned.onnx examples/onnx/classifier/classifier.yaml\n",
		o.Checkpoint, o.Checkpoint)
	return r, nil
}

// accuracy is the fraction of set that m classifies correctly.
func accuracy(m *classifier.Model, set images) float64 {
	right := 0
	for i := range set.xs {
		if m.Classify(&set.xs[i]) == int(set.labels[i]) {
			right++
		}
	}
	return float64(right) / float64(len(set.xs))
}
