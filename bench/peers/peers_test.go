package peers

import (
	"math"
	"testing"
)

// BenchmarkStep times one full Gorgonia training step per iteration
// (machine.RunAll, solver.Step, machine.Reset) for each network at the batch
// in its name. Names: BenchmarkStep/<net>/gorgonia/f32.
func BenchmarkStep(b *testing.B) {
	for _, net := range Nets {
		b.Run(net.Name+"/gorgonia/f32", func(b *testing.B) {
			tr, err := NewTrainer(net)
			if err != nil {
				b.Fatal(err)
			}
			defer tr.Close()
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if _, err := tr.Step(); err != nil {
					b.Fatal(err)
				}
			}
			reportGFLOPs(b, net.StepFLOPs())
		})
	}
}

// BenchmarkPredict times one Gorgonia forward pass per iteration (RunAll,
// Reset) on a graph without gradients. It always runs batch 1, whatever the
// batch suffix in the network's name. Names: BenchmarkPredict/<net>/gorgonia/f32.
func BenchmarkPredict(b *testing.B) {
	for _, net := range Nets {
		b.Run(net.Name+"/gorgonia/f32", func(b *testing.B) {
			p, err := NewPredictor(net, 1)
			if err != nil {
				b.Fatal(err)
			}
			defer p.Close()
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if _, err := p.Predict(); err != nil {
					b.Fatal(err)
				}
			}
			reportGFLOPs(b, net.PredictFLOPs(1))
		})
	}
}

// reportGFLOPs reports the throughput of b.N iterations of flops each.
func reportGFLOPs(b *testing.B, flops float64) {
	b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// netByName returns the network called name.
func netByName(t *testing.T, name string) Net {
	t.Helper()
	for _, n := range Nets {
		if n.Name == name {
			return n
		}
	}
	t.Fatalf("no net %q", name)
	return Net{}
}

// TestTinyLossDecreases trains tiny_b1 for 20 steps on its fixed sample and
// checks that the step-0 loss matches the float64 reference within 1e-4
// relative and that the loss ends lower than it started.
func TestTinyLossDecreases(t *testing.T) {
	net := netByName(t, "tiny_b1")
	tr, err := NewTrainer(net)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()

	x, tgt := net.Data(net.Batch)
	want, _ := refStep(net, net.InitWeights(), x, tgt)

	var losses []float32
	for range 20 {
		l, err := tr.Step()
		if err != nil {
			t.Fatal(err)
		}
		losses = append(losses, l)
	}
	if rel := math.Abs(float64(losses[0])-want) / math.Abs(want); rel > 1e-4 {
		t.Errorf("step-0 loss %v, float64 reference %v (relative error %.3g > 1e-4)", losses[0], want, rel)
	}
	if last := losses[len(losses)-1]; !(last < losses[0]) {
		t.Errorf("loss did not decrease over 20 steps: %v", losses)
	}
	t.Logf("losses: %v", losses)
}

// TestStepMatchesReference checks, for every network, the step-0 loss and
// the parameters after one step against a float64 forward/backward/SGD
// written by hand, so the benchmarked graph is known to be the right one.
func TestStepMatchesReference(t *testing.T) {
	for _, net := range Nets {
		t.Run(net.Name, func(t *testing.T) {
			tr, err := NewTrainer(net)
			if err != nil {
				t.Fatal(err)
			}
			defer tr.Close()

			w0 := net.InitWeights()
			x, tgt := net.Data(net.Batch)
			wantLoss, wantW := refStep(net, w0, x, tgt)

			loss, err := tr.Step()
			if err != nil {
				t.Fatal(err)
			}
			if rel := math.Abs(float64(loss)-wantLoss) / math.Abs(wantLoss); rel > 1e-4 {
				t.Errorf("loss %v, reference %v (relative error %.3g)", loss, wantLoss, rel)
			}

			// Compare the implied gradients (w0 − w1)/lr, relative to the
			// largest reference gradient of each tensor.
			got := tr.Weights()
			check := func(what string, l int, w0, got []float32, want []float64) {
				maxG := 0.0
				for i := range want {
					maxG = math.Max(maxG, math.Abs((float64(w0[i])-want[i])/LearnRate))
				}
				for i := range want {
					g := (float64(w0[i]) - float64(got[i])) / LearnRate
					r := (float64(w0[i]) - want[i]) / LearnRate
					if math.Abs(g-r) > 1e-3*maxG+1e-5 {
						t.Fatalf("%s%d[%d]: gradient %v, reference %v (max |g| %v)", what, l, i, g, r, maxG)
					}
				}
			}
			for l := range net.Layers() {
				check("W", l, w0.W[l], got.W[l], wantW.W[l])
				check("b", l, w0.B[l], got.B[l], wantW.B[l])
			}
		})
	}
}

// TestPredictMatchesReference checks the batch-1 forward pass of every
// network against the float64 reference.
func TestPredictMatchesReference(t *testing.T) {
	for _, net := range Nets {
		t.Run(net.Name, func(t *testing.T) {
			p, err := NewPredictor(net, 1)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			got, err := p.Predict()
			if err != nil {
				t.Fatal(err)
			}
			x, _ := net.Data(1)
			acts := refForward(net, toRef(net.InitWeights()), x, 1)
			want := acts[len(acts)-1]
			for i := range want {
				if math.Abs(float64(got[i])-want[i]) > 1e-4*(1+math.Abs(want[i])) {
					t.Fatalf("output[%d] = %v, reference %v", i, got[i], want[i])
				}
			}
		})
	}
}

// refWeights are Weights in float64.
type refWeights struct {
	W, B [][]float64
}

func toRef(w Weights) refWeights {
	conv := func(s [][]float32) [][]float64 {
		out := make([][]float64, len(s))
		for i, v := range s {
			out[i] = make([]float64, len(v))
			for j, f := range v {
				out[i][j] = float64(f)
			}
		}
		return out
	}
	return refWeights{W: conv(w.W), B: conv(w.B)}
}

// refForward is the float64 forward pass over rows of x (row-major
// [rows][Inputs]). It returns the activations of every layer, the input
// first and the output (pre-loss logits) last.
func refForward(net Net, w refWeights, x []float32, rows int) [][]float64 {
	a := make([]float64, len(x))
	for i, v := range x {
		a[i] = float64(v)
	}
	acts := [][]float64{a}
	for l := range net.Layers() {
		in, out := net.Sizes[l], net.Sizes[l+1]
		z := make([]float64, rows*out)
		for r := range rows {
			for o := range out {
				s := w.B[l][o]
				for i := range in {
					s += a[r*in+i] * w.W[l][i*out+o]
				}
				if l < net.Layers()-1 {
					s = math.Max(s, 0)
				}
				z[r*out+o] = s
			}
		}
		acts = append(acts, z)
		a = z
	}
	return acts
}

// refStep is one float64 training step: forward, the loss (mean over the
// batch, and over outputs for MSE), backpropagation and p −= lr·g. It
// returns the loss before the update and the updated weights.
func refStep(net Net, w32 Weights, x, t []float32) (float64, refWeights) {
	rows, nOut := net.Batch, net.Outputs()
	w := toRef(w32)
	acts := refForward(net, w, x, rows)
	y := acts[len(acts)-1]

	// loss and dL/dy
	loss := 0.0
	dy := make([]float64, len(y))
	switch net.Loss {
	case MSE:
		n := float64(rows * nOut)
		for i := range y {
			d := y[i] - float64(t[i])
			loss += d * d / n
			dy[i] = 2 * d / n
		}
	case SoftmaxCE:
		for r := range rows {
			row := y[r*nOut : (r+1)*nOut]
			m := math.Inf(-1)
			for _, v := range row {
				m = math.Max(m, v)
			}
			sum := 0.0
			for _, v := range row {
				sum += math.Exp(v - m)
			}
			lse := m + math.Log(sum)
			for k, v := range row {
				tk := float64(t[r*nOut+k])
				loss -= tk * (v - lse) / float64(rows)
				dy[r*nOut+k] = (math.Exp(v-lse) - tk) / float64(rows)
			}
		}
	}

	// backward, from the last layer down
	gW := make([][]float64, net.Layers())
	gB := make([][]float64, net.Layers())
	dz := dy
	for l := net.Layers() - 1; l >= 0; l-- {
		in, out := net.Sizes[l], net.Sizes[l+1]
		a := acts[l]
		gW[l] = make([]float64, in*out)
		gB[l] = make([]float64, out)
		da := make([]float64, rows*in)
		for r := range rows {
			for o := range out {
				g := dz[r*out+o]
				gB[l][o] += g
				for i := range in {
					gW[l][i*out+o] += a[r*in+i] * g
					da[r*in+i] += w.W[l][i*out+o] * g
				}
			}
		}
		if l > 0 { // through the ReLU that produced a
			for i := range da {
				if a[i] <= 0 {
					da[i] = 0
				}
			}
		}
		dz = da
	}

	for l := range net.Layers() {
		for i := range w.W[l] {
			w.W[l][i] -= LearnRate * gW[l][i]
		}
		for i := range w.B[l] {
			w.B[l][i] -= LearnRate * gB[l][i]
		}
	}
	return loss, w
}
