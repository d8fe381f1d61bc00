package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
)

// TestWalkThrough runs the example as the README shows it: it must reach a
// test accuracy of at least 0.95, print each step, restore the checkpoint,
// and give the same output twice for one seed.
func TestWalkThrough(t *testing.T) {
	var outs [2]string
	for i := range outs {
		var b bytes.Buffer
		o := options{Seed: 1, Epochs: 60, Batch: 32, Checkpoint: filepath.Join(t.TempDir(), "cancer.ckpt")}
		m, err := run(&b, o)
		if err != nil {
			t.Fatal(err)
		}
		_, test, _, err := load(o.Seed)
		if err != nil {
			t.Fatal(err)
		}
		if acc := accuracy(m, test, make([]int, len(test.xs))); acc < 0.95 {
			t.Errorf("test accuracy %.4f, want ≥ 0.95\n%s", acc, b.String())
		}
		outs[i] = strings.ReplaceAll(b.String(), o.Checkpoint, "CHECKPOINT")
	}
	if outs[0] != outs[1] {
		t.Errorf("two runs with seed 1 differ:\n%s\n----\n%s", outs[0], outs[1])
	}
	for _, want := range []string{
		"456 training and 113 test samples",
		"confusion matrix",
		"P(benign)",
		"a fresh model loaded from it classifies the test set the same",
	} {
		if !strings.Contains(outs[0], want) {
			t.Errorf("the output lacks %q:\n%s", want, outs[0])
		}
	}
}

// TestBadOptions: nonsense settings are refused, not trained on.
func TestBadOptions(t *testing.T) {
	if _, err := run(&bytes.Buffer{}, options{Seed: 1, Epochs: 1, Batch: 0}); err == nil {
		t.Error("batch 0 was accepted")
	}
}
