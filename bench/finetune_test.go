package bench

import (
	"fmt"
	"testing"

	"github.com/gradgen/gradgen/bench/nets/finetune32"
	"github.com/gradgen/gradgen/bench/nets/wide32"
)

// BenchmarkFineTune compares a training step of wide32 with one of
// finetune32, the same network with its two hidden layers frozen: the grad
// pass makes no gradient for them and nothing that only they needed, so a
// step costs the forward pass and the last layer's gradient. Both start from
// the same parameters (seed 1) on the same batch of 128; loss_only, wide32's
// Loss, is the forward pass alone, the floor of any training step.
func BenchmarkFineTune(b *testing.B) {
	const batch = 128
	n := load(b, specPath("wide", "f32"))
	flat, flatT := data[float32](n, batch)
	xs := make([][wide32.Inputs]float32, batch)
	ts := make([][wide32.Outputs]float32, batch)
	for i := range xs {
		xs[i] = [wide32.Inputs]float32(flat[i*wide32.Inputs:])
		ts[i] = [wide32.Outputs]float32(flatT[i*wide32.Outputs:])
	}
	full, tuned := wide32.NewModel(1), finetune32.NewModel(1)
	for _, c := range []struct {
		name  string
		train func() float32
	}{
		{"all_layers", func() float32 { return full.Train(xs, ts) }},
		{"last_layer", func() float32 { return tuned.Train(xs, ts) }},
		{"loss_only", func() float32 { return full.Loss(xs, ts) }}, // the forward pass: the floor
	} {
		b.Run(fmt.Sprintf("%s_b%d", c.name, batch), func(b *testing.B) {
			for b.Loop() {
				c.train()
			}
		})
	}
}

// TestFineTuneTrainsOnlyTheLastLayer: a step of finetune32 leaves its
// frozen layers' parameters as they were and their gradient zero.
func TestFineTuneTrainsOnlyTheLastLayer(t *testing.T) {
	m := finetune32.NewModel(1)
	before := m.Params
	xs := make([][finetune32.Inputs]float32, 3)
	ts := make([][finetune32.Outputs]float32, 3)
	for i := range xs {
		xs[i][i] = 1
		ts[i][i] = 1
	}
	m.Train(xs, ts)
	if m.Params.W1 != before.W1 || m.Params.B2 != before.B2 || m.Params.W3 == before.W3 {
		t.Error("a step of finetune32 changed a frozen layer or left the last layer unchanged")
	}
	if m.Grad.W1 != ([512][784]float32{}) || m.Grad.W2 != ([512][512]float32{}) {
		t.Error("a frozen layer of finetune32 has a gradient")
	}
}
