package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gradgen/gradgen/examples/web/model"
	"github.com/gradgen/gradgen/generated/digits"
	gradgen "github.com/gradgen/gradgen/runtime"
)

// digitsFile is the data the shipped weights were trained on.
var digitsFile = filepath.Join("..", "..", "digits", "digits.csv.gz")

// readData returns the training and test sets of digitsFile.
func readData(t *testing.T) (train, test set) {
	t.Helper()
	b, err := os.ReadFile(digitsFile)
	if err != nil {
		t.Fatal(err)
	}
	train, test, err = readSplit(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(train.xs) != model.TrainImages || len(test.xs) != model.TestImages {
		t.Fatalf("%d training and %d test images, want model.TrainImages = %d and model.TestImages = %d",
			len(train.xs), len(test.xs), model.TrainImages, model.TestImages)
	}
	return train, test
}

// TestShippedAccuracy: the shipped weights classify model.TestCorrect of
// the test images correctly, as the package says.
func TestShippedAccuracy(t *testing.T) {
	_, test := readData(t)
	m := digits.NewModel(0)
	if err := model.LoadShipped(&m.Params); err != nil {
		t.Fatal(err)
	}
	if n := correct(m, test); n != model.TestCorrect {
		t.Errorf("the shipped weights classify %d of %d test images correctly, model.TestCorrect says %d", n, len(test.xs), model.TestCorrect)
	}
}

// TestRetrain: training again reaches the accuracy of the shipped weights,
// give or take retrainSlack images: the kernels of other machines and
// other versions of gradgen sum in other orders, which changes the last
// bits and, after thousands of steps, a few predictions.
func TestRetrain(t *testing.T) {
	train, test := readData(t)
	n := correct(fit(train, model.Epochs), test)
	t.Logf("trained again (%s=%q): %d of %d test images right; the shipped weights: %d",
		gradgen.KernelsEnv, os.Getenv(gradgen.KernelsEnv), n, len(test.xs), model.TestCorrect)
	if n < model.TestCorrect-retrainSlack || n > model.TestCorrect+retrainSlack {
		t.Errorf("training again classifies %d of %d test images correctly, the shipped weights %d", n, len(test.xs), model.TestCorrect)
	}
}

// retrainSlack is how many test images a new training may get right or
// wrong beyond the shipped weights.
const retrainSlack = 3

// TestRun: the command writes a checkpoint of the weights it trained, and
// says whether the file changed. One epoch is enough to see that.
func TestRun(t *testing.T) {
	out := filepath.Join(t.TempDir(), "digits.ckpt")
	var report bytes.Buffer
	for range 2 {
		if err := run(&report, digitsFile, out, 1); err != nil {
			t.Fatal(err)
		}
	}
	if !strings.Contains(report.String(), "changed)\n") || !strings.HasSuffix(report.String(), "unchanged)\n") {
		t.Errorf("the reports of a first and a second run to the same file:\n%s\nwant changed, then unchanged", &report)
	}
	var p digits.Params
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := gradgen.ReadParams(bytes.NewReader(b), &gradgen.CheckpointKey{Layout: digits.Layout, Spec: digits.SpecHash}, p.Slice()); err != nil {
		t.Fatal(err)
	}
	if err := run(io.Discard, filepath.Join(t.TempDir(), "missing.csv"), out, 1); err == nil {
		t.Error("run with a missing data file returned no error")
	}
}
