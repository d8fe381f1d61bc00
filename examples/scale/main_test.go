package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gradgen/gradgen/build"
	"github.com/gradgen/gradgen/examples/cancer/cancernet"
	"github.com/gradgen/gradgen/safetensors"
	"github.com/gradgen/gradgen/spec"
	"github.com/gradgen/gradgen/torchspec"
)

// TestServeCommitted loads the committed weights of a 2-process DDP run
// (trained.safetensors) and requires torch's accuracy and logits
// (trained.json) from the Go model.
func TestServeCommitted(t *testing.T) {
	var out bytes.Buffer
	if err := run(&out, "trained.safetensors", "trained.json", "breast_cancer.csv"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"torch: held-out accuracy 111/113 = 0.9823", "go:    held-out accuracy 111/113 = 0.9823", "DDP on 2 processes"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the output lacks %q:\n%s", want, out.String())
		}
	}
	t.Log("\n" + out.String())
}

// TestServeFails checks that the comparison can fail: one weight moved,
// torch's accuracy misreported, or the weights of the untrained model.
func TestServeFails(t *testing.T) {
	r := readReport(t)
	csv, err := os.ReadFile("breast_cancer.csv")
	if err != nil {
		t.Fatal(err)
	}
	m := cancernet.NewModel(1)
	if err := safetensors.LoadParams("trained.safetensors", cancernet.Layout, m.Params.Slice()); err != nil {
		t.Fatal(err)
	}
	m.Params.Slice()[100] += 0.01
	if res, err := evaluate(m, r, csv); err != nil || res.Worst <= tolerance {
		t.Errorf("with one weight moved by 0.01: worst relative difference %.3g, %v; want > %g", res.Worst, err, tolerance)
	}

	dir := t.TempDir()
	bad := r
	bad.Correct--
	js, _ := json.Marshal(bad)
	path := filepath.Join(dir, "trained.json")
	if err := os.WriteFile(path, js, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := run(&bytes.Buffer{}, "trained.safetensors", path, "breast_cancer.csv"); err == nil {
		t.Error("run accepted a report whose accuracy is not the Go model's")
	}

	untrained := filepath.Join(dir, "untrained.safetensors")
	if err := safetensors.SaveParams(untrained, cancernet.Layout, cancernet.NewModel(1).Params.Slice()); err != nil {
		t.Fatal(err)
	}
	if err := run(&bytes.Buffer{}, untrained, "trained.json", "breast_cancer.csv"); err == nil {
		t.Error("run accepted NewModel(1)'s weights for the trained ones")
	}
}

// TestNetPyUpToDate requires net.py to be what gradgen export -format torch
// writes for ../cancer/cancernet/cancernet.yaml, and trained.json to name
// that spec's hash.
func TestNetPyUpToDate(t *testing.T) {
	n, err := spec.Load("../cancer/cancernet/cancernet.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := build.Program(n, build.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want, err := torchspec.Export(p, n)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("net.py")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("net.py is stale: go run ./cmd/gradgen export -format torch -o examples/scale/net.py examples/cancer/cancernet/cancernet.yaml")
	}
	if r := readReport(t); !strings.Contains(string(want), "(spec "+r.SpecHash+")") {
		t.Errorf("trained.json names spec hash %s, net.py another: retrain with train.py", r.SpecHash)
	}
}

func readReport(t *testing.T) report {
	t.Helper()
	var r report
	raw, err := os.ReadFile("trained.json")
	if err == nil {
		err = json.Unmarshal(raw, &r)
	}
	if err != nil {
		t.Fatal(err)
	}
	return r
}
