package main

import (
	"encoding/json"
	"io"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/gradgen/gradgen/build"
	"github.com/gradgen/gradgen/examples/onnx/classifier"
	"github.com/gradgen/gradgen/generic"
	"github.com/gradgen/gradgen/onnxspec"
)

// torchRef is torch.json, what train.py measured in PyTorch.
type torchRef struct {
	TestAccuracy float64 `json:"test_accuracy"`
	Proba        [][]float64
}

// TestPretrainedIsPyTorchs: NewPretrained classifies the test set as
// PyTorch did, and gives its probabilities (the model's Softmax) for the
// first test images to float32 rounding.
func TestPretrainedIsPyTorchs(t *testing.T) {
	data, err := os.ReadFile("torch.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref torchRef
	if err := json.Unmarshal(data, &ref); err != nil {
		t.Fatal(err)
	}
	_, test, err := readImages()
	if err != nil {
		t.Fatal(err)
	}
	m := classifier.NewPretrained()
	if got := accuracy(m, test); math.Abs(got-ref.TestAccuracy) > 1e-6 {
		t.Errorf("test accuracy %.6f, PyTorch %.6f", got, ref.TestAccuracy)
	}
	for i, want := range ref.Proba {
		var p [classifier.Outputs]float32
		m.Predict(&test.xs[i], &p)
		for j := range p {
			if d := math.Abs(float64(p[j]) - want[j]); d > math.Max(1e-5*want[j], 1e-9) {
				t.Errorf("image %d class %d: probability %.9g, PyTorch %.9g", i, j, p[j], want[j])
			}
		}
	}
}

// TestRoundTrip: fine-tuning on the new data raises the test accuracy, the
// run is reproducible, and the fine-tuned model exported to ONNX imports
// back with its parameters bit for bit and its predictions.
func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	o := options{Epochs: 3, Batch: 10, Checkpoint: filepath.Join(dir, "tuned.ckpt")}
	r, err := run(o, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if r.Tuned <= r.Pretrained {
		t.Errorf("fine-tuning did not help: test accuracy %.4f before, %.4f after", r.Pretrained, r.Tuned)
	}
	o.Checkpoint = filepath.Join(dir, "again.ckpt")
	if again, err := run(o, io.Discard); err != nil || again != r {
		t.Errorf("a second run gives %+v (%v), the first %+v", again, err, r)
	}

	m := classifier.NewPretrained()
	if err := m.Params.Load(filepath.Join(dir, "tuned.ckpt")); err != nil {
		t.Fatal(err)
	}
	n, err := onnxspec.Load(filepath.Join("classifier", "classifier.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := build.Program(n, build.Options{})
	if err != nil {
		t.Fatal(err)
	}
	params := make([]float64, len(m.Params.Slice()))
	for i, x := range m.Params.Slice() {
		params[i] = float64(x)
	}
	data, err := onnxspec.Export(p, params, onnxspec.ExportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	model, err := onnxspec.Decode("tuned.onnx", data)
	if err != nil {
		t.Fatal(err)
	}
	back, err := onnxspec.Import("tuned.onnx", model)
	if err != nil {
		t.Fatal(err)
	}
	for i, x := range back.Pretrained {
		if x != params[i] {
			t.Fatalf("parameter %d: %v after the round trip, %v before", i, x, params[i])
		}
	}
	back.Package, back.Loss = "tuned", n.Loss
	g, err := generic.NewPretrained[float32](back)
	if err != nil {
		t.Fatal(err)
	}
	_, test, _ := readImages()
	for i := range test.xs[:50] {
		var want [classifier.Outputs]float32
		got := make([]float32, classifier.Outputs)
		m.Predict(&test.xs[i], &want)
		g.Predict(test.xs[i][:], got)
		for j := range want {
			if math.Abs(float64(got[j]-want[j])) > 1e-6 {
				t.Errorf("image %d class %d: %.9g imported back, %.9g generated", i, j, got[j], want[j])
			}
		}
	}
}
