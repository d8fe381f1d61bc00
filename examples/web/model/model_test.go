package model_test

import (
	"testing"

	"github.com/gradgen/gradgen/examples/web/ink"
	"github.com/gradgen/gradgen/examples/web/ink/inktest"
	"github.com/gradgen/gradgen/examples/web/model"
	"github.com/gradgen/gradgen/generated/digits"
)

// TestShippedRoundTrip: the shipped checkpoint loads, and encoding what it
// holds gives its bytes back.
func TestShippedRoundTrip(t *testing.T) {
	var p digits.Params
	if err := model.LoadShipped(&p); err != nil {
		t.Fatal(err)
	}
	b, err := model.Encode(&p)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != string(model.Shipped()) {
		t.Error("encoding the shipped weights does not give digits.ckpt back")
	}
}

// TestDrawnDigits: the shipped network reads digits drawn with a mouse, at
// any size, as the page shows them.
func TestDrawnDigits(t *testing.T) {
	c, err := model.New()
	if err != nil {
		t.Fatal(err)
	}
	for d, strokes := range inktest.Digits() {
		for _, f := range []float64{1, 0.3} {
			img, _ := ink.Digitize(inktest.Scale(strokes, f, ink.Point{X: 40, Y: 10}))
			if r := c.Classify(&img); r.Digit != d || r.Proba[d] < 0.5 {
				t.Errorf("drew a %d (scale %v): classified as %d, probabilities %.3f", d, f, r.Digit, r.Proba)
			}
		}
	}
}

// TestCorrect: a correction makes the network read the label given in the
// image, and Reset forgets it.
func TestCorrect(t *testing.T) {
	c, err := model.New()
	if err != nil {
		t.Fatal(err)
	}
	img, _ := ink.Digitize(inktest.Digits()[7])
	before := c.Classify(&img)
	const label = 1
	r, err := c.Correct(&img, label)
	if err != nil {
		t.Fatal(err)
	}
	after := c.Classify(&img)
	t.Logf("P(%d): %.4f before, %.4f after %d steps (loss %.3f, then %.3f)",
		label, before.Proba[label], after.Proba[label], r.Steps, r.LossBefore, r.LossAfter)
	if after.Digit != label || r.LossAfter >= r.LossBefore {
		t.Errorf("after the correction: %+v, classified as %d; want %d and a lower loss", r, after.Digit, label)
	}
	if c.Steps() != r.Steps || r.Steps < 1 || r.Steps > model.MaxCorrectionSteps {
		t.Errorf("Steps = %d after a correction of %d steps, want 1 to %d", c.Steps(), r.Steps, model.MaxCorrectionSteps)
	}
	// Confirming what the network reads still takes a step.
	if r, err := c.Correct(&img, label); err != nil || r.Steps != 1 {
		t.Errorf("confirming: %+v, %v; want 1 step", r, err)
	}
	if err := c.Reset(); err != nil {
		t.Fatal(err)
	}
	if got := c.Classify(&img); got != before || c.Steps() != 0 {
		t.Errorf("after Reset: %v and %d steps, want %v and 0", got, c.Steps(), before)
	}
	for _, bad := range []int{-1, digits.Outputs} {
		if _, err := c.Correct(&img, bad); err == nil {
			t.Errorf("Correct(img, %d) returned no error", bad)
		}
	}
}
