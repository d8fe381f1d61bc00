// Command scale serves in Go a network that PyTorch trained with
// DistributedDataParallel: the weights of train.py (trained.safetensors) go
// into the generated package cancernet (../cancer/cancernet), which
// classifies the held-out breast masses, and the command checks that its
// logits and accuracy are those torch reported (trained.json).
//
//	go run . [-weights trained.safetensors] [-report trained.json] [-data breast_cancer.csv]
//
// The network was designed and tested in Go (examples/cancer), exported with
// gradgen export -format torch -o net.py, and trained by train.py under
// torchrun or on two local processes; see README.md. The held-out rows are
// every fifth row of the CSV (row i with i % 5 == 4), standardised with the
// mean and standard deviation train.py computed on the training rows and
// wrote to the report, with the same float64 arithmetic.
//
// It exits with status 1 when a logit differs from torch's by more than
// 3e-4 relative or the accuracy differs.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/gradgen/gradgen/dataset"
	"github.com/gradgen/gradgen/examples/cancer/cancernet"
	"github.com/gradgen/gradgen/safetensors"
)

// report is what train.py's rank 0 writes next to the weights.
type report struct {
	Spec      string  `json:"spec"`
	SpecHash  string  `json:"spec_hash"`
	Torch     string  `json:"torch"`
	WorldSize int     `json:"world_size"`
	Steps     int     `json:"steps"`
	HeldOut   int     `json:"held_out"`
	Correct   int     `json:"correct"`
	Accuracy  float64 `json:"accuracy"`
	Mean      []float64
	Std       []float64
	Logits    []float64
}

// result is the Go model's evaluation of the held-out rows.
type result struct {
	Correct, HeldOut int
	Accuracy         float64
	Worst            float64 // the largest relative difference from torch's logits
	Logits           []float32
}

// tolerance is the largest relative difference from torch's logits allowed
// (float32), with a floor of 1e-6 for logits near 0.
const tolerance, floor = 3e-4, 1e-6

func main() {
	weights := flag.String("weights", "trained.safetensors", "the trained parameters (safetensors, Layout's names)")
	rep := flag.String("report", "trained.json", "train.py's report: the standardisation, torch's logits and accuracy")
	data := flag.String("data", "breast_cancer.csv", "the data set train.py trained on")
	flag.Parse()
	if err := run(os.Stdout, *weights, *rep, *data); err != nil {
		fmt.Fprintln(os.Stderr, "scale:", err)
		os.Exit(1)
	}
}

func run(w io.Writer, weights, rep, data string) error {
	var r report
	raw, err := os.ReadFile(rep)
	if err == nil {
		err = json.Unmarshal(raw, &r)
	}
	if err != nil {
		return err
	}
	csv, err := os.ReadFile(data)
	if err != nil {
		return err
	}
	m := cancernet.NewModel(1)
	if err := safetensors.LoadParams(weights, cancernet.Layout, m.Params.Slice()); err != nil {
		return err
	}
	res, err := evaluate(m, r, csv)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "scale: %s (spec %s), trained by torch %s with DDP on %d processes for %d steps\n",
		r.Spec, r.SpecHash, r.Torch, r.WorldSize, r.Steps)
	fmt.Fprintf(w, "torch: held-out accuracy %d/%d = %.4f\n", r.Correct, r.HeldOut, r.Accuracy)
	fmt.Fprintf(w, "go:    held-out accuracy %d/%d = %.4f (package cancernet, %s)\n", res.Correct, res.HeldOut, res.Accuracy, weights)
	fmt.Fprintf(w, "logits: largest relative difference from torch's %.2g (tolerance %g)\n", res.Worst, tolerance)
	if res.Correct != r.Correct || res.HeldOut != r.HeldOut {
		return fmt.Errorf("the Go model classifies %d of %d held-out rows right, torch %d of %d", res.Correct, res.HeldOut, r.Correct, r.HeldOut)
	}
	if res.Worst > tolerance {
		return fmt.Errorf("the Go model's logits differ from torch's by %.3g relative, more than %g", res.Worst, tolerance)
	}
	return nil
}

// heldOut reports whether row i of the CSV is held out from training, as train.py holds it out.
func heldOut(i int) bool { return i%5 == 4 }

// evaluate classifies the held-out rows of csv with m, standardised with
// r's statistics, and compares its logits with r's.
func evaluate(m *cancernet.Model, r report, csv []byte) (result, error) {
	t, err := dataset.Read(bytes.NewReader(csv), "breast_cancer.csv", dataset.Format{Header: dataset.SklearnHeader, Label: -1})
	if err != nil {
		return result{}, err
	}
	if len(r.Mean) != cancernet.Inputs || len(r.Std) != cancernet.Inputs {
		return result{}, fmt.Errorf("the report standardises %d and %d features, the network takes %d", len(r.Mean), len(r.Std), cancernet.Inputs)
	}
	var res result
	for i, row := range t.Rows {
		if !heldOut(i) {
			continue
		}
		var x [cancernet.Inputs]float32
		for j, v := range row {
			x[j] = float32((v - r.Mean[j]) / r.Std[j])
		}
		var y [cancernet.Outputs]float32
		m.Predict(&x, &y)
		if m.Classify(&x) == t.Classes[i] {
			res.Correct++
		}
		res.Logits = append(res.Logits, y[0])
		res.HeldOut++
	}
	if len(r.Logits) != res.HeldOut {
		return res, fmt.Errorf("the report holds %d logits, the data %d held-out rows", len(r.Logits), res.HeldOut)
	}
	for k, want := range r.Logits {
		res.Worst = max(res.Worst, math.Abs(float64(res.Logits[k])-want)/max(math.Abs(want), floor/tolerance))
	}
	res.Accuracy = float64(res.Correct) / float64(res.HeldOut)
	return res, nil
}
