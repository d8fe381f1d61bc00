// Package model is the network of the browser demo: package
// generated/digits (64 → 128 relu → 10, softmax cross-entropy, Adam) with
// the weights shipped in digits.ckpt, which examples/web/train trains on
// the bundled UCI digits. A Classifier reads drawings made by package ink
// and fine-tunes on the ones it got wrong.
package model

import (
	"bytes"
	_ "embed"
	"fmt"

	"github.com/gradgen/gradgen/examples/web/ink"
	"github.com/gradgen/gradgen/generated/digits"
	gradgen "github.com/gradgen/gradgen/runtime"
)

// shipped is the checkpoint of the trained parameters (Params.Save's format).
//
//go:embed digits.ckpt
var shipped []byte

// The training of the shipped weights (examples/web/train): Epochs epochs of
// shuffled minibatches of Batch images, from the initial weights and
// shuffling of Seed, on TrainImages of the 1797 images, split as
// examples/digits splits them; TestCorrect of the other TestImages are then
// classified correctly.
const (
	Seed        = 1
	Epochs      = 40
	Batch       = 32
	TestShare   = 0.2
	SplitSeed   = 1998
	TrainImages = 1438
	TestImages  = 359
	TestCorrect = 349
)

// MaxCorrectionSteps is the most optimizer steps Correct takes on its image.
const MaxCorrectionSteps = 30

// key keys the checkpoint on the layout of package digits.
var key = &gradgen.CheckpointKey{Layout: digits.Layout, Spec: digits.SpecHash}

// Shipped returns a copy of the bytes of digits.ckpt.
func Shipped() []byte { return bytes.Clone(shipped) }

// Encode returns the checkpoint of p, the bytes of digits.ckpt when p holds
// the shipped weights.
func Encode(p *digits.Params) ([]byte, error) {
	var b bytes.Buffer
	if err := gradgen.WriteParams(&b, key, p.Slice()); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// LoadShipped sets p to the shipped weights.
func LoadShipped(p *digits.Params) error {
	if err := gradgen.ReadParams(bytes.NewReader(shipped), key, p.Slice()); err != nil {
		return fmt.Errorf("shipped weights: %w", err)
	}
	return nil
}

// Input returns the network's input for img: its pixels scaled from
// 0…ink.MaxCount to [0, 1], as the shipped weights were trained.
func Input(img *ink.Image) [digits.Inputs]float32 {
	var x [digits.Inputs]float32
	for i, v := range img {
		x[i] = float32(v) / ink.MaxCount
	}
	return x
}

// Classifier classifies drawings with the digits network and learns from
// corrections. It is not safe for concurrent use.
type Classifier struct {
	m *digits.Model
}

// Result is what the network makes of an image: the most probable digit
// and the probability of each.
type Result struct {
	Digit int
	Proba [digits.Outputs]float32
}

// New returns a Classifier with the shipped weights.
func New() (*Classifier, error) {
	c := &Classifier{}
	if err := c.Reset(); err != nil {
		return nil, err
	}
	return c, nil
}

// Reset restores the shipped weights and forgets the corrections.
func (c *Classifier) Reset() error {
	m := digits.NewModel(Seed)
	if err := LoadShipped(&m.Params); err != nil {
		return err
	}
	c.m = m
	return nil
}

// Classify returns what the network makes of img.
func (c *Classifier) Classify(img *ink.Image) Result {
	x := Input(img)
	var r Result
	c.m.PredictProba(&x, &r.Proba)
	r.Digit = gradgen.Argmax(r.Proba[:])
	return r
}

// Correction is what Correct did: its optimizer steps and the loss on the
// image before and after them.
type Correction struct {
	Steps      int
	LossBefore float32
	LossAfter  float32
}

// Correct teaches the network that img shows digit: Adam steps, at the
// spec's learning rate, on that one image, until the network reads digit
// in it, and at least one, at most MaxCorrectionSteps.
func (c *Classifier) Correct(img *ink.Image, digit int) (Correction, error) {
	if digit < 0 || digit >= digits.Outputs {
		return Correction{}, fmt.Errorf("digit %d, want 0 to %d", digit, digits.Outputs-1)
	}
	xs := [][digits.Inputs]float32{Input(img)}
	labels := []int32{int32(digit)}
	var r Correction
	r.LossBefore = c.m.LossLabels(xs, labels)
	for r.Steps == 0 || r.Steps < MaxCorrectionSteps && c.m.Classify(&xs[0]) != digit {
		c.m.TrainLabels(xs, labels)
		r.Steps++
	}
	r.LossAfter = c.m.LossLabels(xs, labels)
	return r, c.m.Params.CheckFinite()
}

// Steps returns the number of optimizer steps Correct took since the
// shipped weights were loaded.
func (c *Classifier) Steps() int { return c.m.Steps() }
