// Package peers benchmarks the training steps that gradgen generates against
// the same steps written in Gorgonia (gorgonia.org/gorgonia v0.9.18), the Go
// library a user would otherwise pick.
//
// It is a separate module so that Gorgonia and its (old) dependencies never
// reach gradgen's own go.mod. The benchmarks live in peers_test.go; this file
// holds the network definitions, the deterministic data and the Gorgonia graph
// builders they share with the correctness tests.
//
// Layers are y = x·W + b with W stored [in][out], the natural Gorgonia layout;
// it is the transpose of PyTorch's [out][in] and costs the same FLOPs.
package peers

import (
	"fmt"
	"math"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// LearnRate is the SGD learning rate of every training step.
const LearnRate = 0.01

// Loss names a training loss.
type Loss int

const (
	// MSE is the mean squared error, averaged over the batch and the outputs
	// (PyTorch's MSELoss with reduction="mean").
	MSE Loss = iota
	// SoftmaxCE is softmax cross-entropy against one-hot targets, averaged over
	// the batch (PyTorch's CrossEntropyLoss with reduction="mean").
	SoftmaxCE
)

// Net describes one benchmarked network: a stack of dense layers, ReLU after
// every hidden layer and none after the last.
type Net struct {
	Name  string // benchmark name, e.g. "mnist_b32"
	Sizes []int  // layer widths, input first: 784, 128, 10 is one hidden layer
	Loss  Loss
	Batch int // rows per training step
}

// Nets are the four benchmarked networks, in report order.
var Nets = []Net{
	{Name: "tiny_b1", Sizes: []int{4, 16, 16, 3}, Loss: MSE, Batch: 1},
	{Name: "mnist_b1", Sizes: []int{784, 128, 10}, Loss: SoftmaxCE, Batch: 1},
	{Name: "mnist_b32", Sizes: []int{784, 128, 10}, Loss: SoftmaxCE, Batch: 32},
	{Name: "wide_b128", Sizes: []int{784, 512, 512, 10}, Loss: SoftmaxCE, Batch: 128},
}

// Inputs is the width of the network's input.
func (n Net) Inputs() int { return n.Sizes[0] }

// Outputs is the width of the network's output.
func (n Net) Outputs() int { return n.Sizes[len(n.Sizes)-1] }

// Layers is the number of dense layers.
func (n Net) Layers() int { return len(n.Sizes) - 1 }

// Params is the number of learnable scalars (weights and biases).
func (n Net) Params() int {
	p := 0
	for l := range n.Layers() {
		p += n.Sizes[l]*n.Sizes[l+1] + n.Sizes[l+1]
	}
	return p
}

// StepFLOPs is the nominal cost of one training step: per layer 2·in·out
// multiply-adds forward and 4·in·out backward (input and weight gradients),
// times the batch, plus 2 per parameter for the SGD update.
func (n Net) StepFLOPs() float64 {
	f := 0.0
	for l := range n.Layers() {
		f += 6 * float64(n.Sizes[l]) * float64(n.Sizes[l+1]) * float64(n.Batch)
	}
	return f + 2*float64(n.Params())
}

// PredictFLOPs is the nominal cost of a forward pass over batch rows:
// 2·in·out per layer per row.
func (n Net) PredictFLOPs(batch int) float64 {
	f := 0.0
	for l := range n.Layers() {
		f += 2 * float64(n.Sizes[l]) * float64(n.Sizes[l+1]) * float64(batch)
	}
	return f
}

// Seeds of the deterministic data.
const (
	weightSeed = 1
	inputSeed  = 2
	targetSeed = 3
)

// Weights are a network's initial parameters, W[l] row-major [in][out] and
// B[l] of length out, drawn from U(−1/√in, 1/√in) like PyTorch's nn.Linear.
type Weights struct {
	W, B [][]float32
}

// InitWeights returns the network's initial parameters from a fixed seed.
func (n Net) InitWeights() Weights {
	r := rand.New(rand.NewPCG(weightSeed, 0))
	var w Weights
	for l := range n.Layers() {
		in, out := n.Sizes[l], n.Sizes[l+1]
		bound := 1 / math.Sqrt(float64(in))
		uniform := func() float32 { return float32((2*r.Float64() - 1) * bound) }
		wl := make([]float32, in*out)
		for i := range wl {
			wl[i] = uniform()
		}
		bl := make([]float32, out)
		for i := range bl {
			bl[i] = uniform()
		}
		w.W = append(w.W, wl)
		w.B = append(w.B, bl)
	}
	return w
}

// Data returns rows inputs, row-major [rows][Inputs] uniform in [0,1), and
// their targets, row-major [rows][Outputs]: one-hot of class row%Outputs for
// SoftmaxCE, uniform in [0,1) for MSE. Both come from fixed seeds.
func (n Net) Data(rows int) (x, t []float32) {
	rx := rand.New(rand.NewPCG(inputSeed, 0))
	x = make([]float32, rows*n.Inputs())
	for i := range x {
		x[i] = rx.Float32()
	}
	t = make([]float32, rows*n.Outputs())
	switch n.Loss {
	case SoftmaxCE:
		for i := range rows {
			t[i*n.Outputs()+i%n.Outputs()] = 1
		}
	default:
		rt := rand.New(rand.NewPCG(targetSeed, 0))
		for i := range t {
			t[i] = rt.Float32()
		}
	}
	return x, t
}

// model is the part shared by Trainer and Predictor: a graph with an input
// node, the learnable weights and biases, and the network's output (logits).
type model struct {
	g          *G.ExprGraph
	x          *G.Node
	out        *G.Node
	learnables G.Nodes // W0, b0, W1, b1, ...
}

// build makes the forward graph of net over batch rows with weights w.
func build(net Net, batch int, w Weights) (*model, error) {
	m := &model{g: G.NewGraph()}
	m.x = G.NewMatrix(m.g, tensor.Float32, G.WithShape(batch, net.Inputs()), G.WithName("x"))
	h := m.x
	for l := range net.Layers() {
		in, out := net.Sizes[l], net.Sizes[l+1]
		wl := G.NewMatrix(m.g, tensor.Float32, G.WithShape(in, out), G.WithName(fmt.Sprintf("W%d", l)),
			G.WithValue(tensor.New(tensor.WithShape(in, out), tensor.WithBacking(clone(w.W[l])))))
		bl := G.NewMatrix(m.g, tensor.Float32, G.WithShape(1, out), G.WithName(fmt.Sprintf("b%d", l)),
			G.WithValue(tensor.New(tensor.WithShape(1, out), tensor.WithBacking(clone(w.B[l])))))
		m.learnables = append(m.learnables, wl, bl)

		xw, err := G.Mul(h, wl)
		if err != nil {
			return nil, fmt.Errorf("layer %d x·W: %w", l, err)
		}
		// Broadcast the [1][out] bias down the batch axis (axis 0).
		if h, err = G.BroadcastAdd(xw, bl, nil, []byte{0}); err != nil {
			return nil, fmt.Errorf("layer %d +b: %w", l, err)
		}
		if l < net.Layers()-1 {
			if h, err = G.Rectify(h); err != nil {
				return nil, fmt.Errorf("layer %d relu: %w", l, err)
			}
		}
	}
	m.out = h
	return m, nil
}

// Trainer is one network's training step in Gorgonia: forward, symbolic
// backward (G.Grad), and a plain SGD update (G.VanillaSolver), run by a
// TapeMachine with dual values bound to the learnables.
type Trainer struct {
	Net     Net
	model   *model
	t       *G.Node // targets
	loss    *G.Node // scalar mean loss of the batch
	vm      G.VM
	solver  G.Solver
	valGrad []G.ValueGrad
}

// NewTrainer builds the training graph of net with its initial weights and
// binds its fixed batch of inputs and targets.
func NewTrainer(net Net) (*Trainer, error) {
	return NewTrainerWith(net, net.InitWeights())
}

// NewTrainerWith is NewTrainer with the given initial weights.
func NewTrainerWith(net Net, w Weights) (*Trainer, error) {
	m, err := build(net, net.Batch, w)
	if err != nil {
		return nil, err
	}
	tr := &Trainer{Net: net, model: m}
	tr.t = G.NewMatrix(m.g, tensor.Float32, G.WithShape(net.Batch, net.Outputs()), G.WithName("t"))

	switch net.Loss {
	case MSE:
		// mean((out − t)²) over batch and outputs.
		d, err := G.Sub(m.out, tr.t)
		if err != nil {
			return nil, err
		}
		sq, err := G.Square(d)
		if err != nil {
			return nil, err
		}
		if tr.loss, err = G.Mean(sq); err != nil {
			return nil, err
		}
	case SoftmaxCE:
		// −mean over rows of Σ_k t_k·log softmax(out)_k. LogSoftMax (present in
		// v0.9.18) subtracts the row max, so it is numerically stable.
		logp, err := G.LogSoftMax(m.out, 1)
		if err != nil {
			return nil, err
		}
		tl, err := G.HadamardProd(logp, tr.t)
		if err != nil {
			return nil, err
		}
		rows, err := G.Sum(tl, 1)
		if err != nil {
			return nil, err
		}
		mean, err := G.Mean(rows)
		if err != nil {
			return nil, err
		}
		if tr.loss, err = G.Neg(mean); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("unknown loss %d", net.Loss)
	}

	if _, err := G.Grad(tr.loss, m.learnables...); err != nil {
		return nil, fmt.Errorf("grad: %w", err)
	}

	x, t := net.Data(net.Batch)
	if err := G.Let(m.x, tensor.New(tensor.WithShape(net.Batch, net.Inputs()), tensor.WithBacking(x))); err != nil {
		return nil, err
	}
	if err := G.Let(tr.t, tensor.New(tensor.WithShape(net.Batch, net.Outputs()), tensor.WithBacking(t))); err != nil {
		return nil, err
	}

	tr.vm = G.NewTapeMachine(m.g, G.BindDualValues(m.learnables...))
	// The loss is already the batch mean, so the solver's batch stays 1 and
	// the update is exactly p −= lr·g.
	tr.solver = G.NewVanillaSolver(G.WithLearnRate(LearnRate))
	tr.valGrad = G.NodesToValueGrads(m.learnables)
	return tr, nil
}

// Step runs one training step: the forward and backward pass over the bound
// batch, then the SGD update. It returns the loss before the update.
func (tr *Trainer) Step() (float32, error) {
	if err := tr.vm.RunAll(); err != nil {
		return 0, err
	}
	loss := tr.loss.Value().Data().(float32)
	if err := tr.solver.Step(tr.valGrad); err != nil {
		return 0, err
	}
	tr.vm.Reset()
	return loss, nil
}

// Weights returns a copy of the current parameters.
func (tr *Trainer) Weights() Weights {
	var w Weights
	for i, n := range tr.model.learnables {
		v := clone(n.Value().Data().([]float32))
		if i%2 == 0 {
			w.W = append(w.W, v)
		} else {
			w.B = append(w.B, v)
		}
	}
	return w
}

// Close releases the machine.
func (tr *Trainer) Close() error { return tr.vm.Close() }

// Predictor is one network's forward pass in Gorgonia: a graph without Grad,
// run by its own TapeMachine.
type Predictor struct {
	Net   Net
	Batch int
	model *model
	vm    G.VM
}

// NewPredictor builds the forward graph of net over batch rows with its
// initial weights and binds the first batch rows of its fixed inputs.
func NewPredictor(net Net, batch int) (*Predictor, error) {
	m, err := build(net, batch, net.InitWeights())
	if err != nil {
		return nil, err
	}
	x, _ := net.Data(batch)
	if err := G.Let(m.x, tensor.New(tensor.WithShape(batch, net.Inputs()), tensor.WithBacking(x))); err != nil {
		return nil, err
	}
	return &Predictor{Net: net, Batch: batch, model: m, vm: G.NewTapeMachine(m.g)}, nil
}

// Predict runs the forward pass and returns the output (logits for
// SoftmaxCE), row-major [batch][Outputs]. The slice is the machine's own and
// is valid until the next call.
func (p *Predictor) Predict() ([]float32, error) {
	if err := p.vm.RunAll(); err != nil {
		return nil, err
	}
	out := p.model.out.Value().Data().([]float32)
	p.vm.Reset()
	return out, nil
}

// Close releases the machine.
func (p *Predictor) Close() error { return p.vm.Close() }

func clone(s []float32) []float32 { return append([]float32(nil), s...) }
