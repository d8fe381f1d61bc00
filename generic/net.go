package generic

import (
	"errors"
	"fmt"

	"github.com/gradgen/gradgen/runtime"
	"github.com/gradgen/gradgen/spec"
)

// Float is the constraint on the element type of a Net.
type Float interface{ ~float32 | ~float64 }

// Net is a multilayer perceptron built from a spec.Network at run time, with
// its parameters, gradients, optimizer state and work matrices.
type Net[T Float] struct {
	inputs int
	layers []layer[T]
	loss   spec.Loss
	opt    *optimizer[T]
	params []T            // all parameters in nn.Sequential's order: W1, b1, W2, b2, …
	grad   []T            // ∂loss/∂params, same layout
	batch  int            // the number of rows the work matrices have room for
	output spec.OutputMap // the map Predict applies after the last layer
	g      *graph[T]      // the network of a graph spec; nil for a chain
}

// layer is one dense layer a = f(x·Wᵀ + b) with views of its parameters and
// gradients and its work matrices, all row-major.
type layer[T Float] struct {
	in, out int
	act     spec.Activation
	slope   T    // leaky_relu's negative slope
	w, b    []T  // [out][in] and [out] in Net.params; b is nil without bias
	dw, db  []T  // the same in Net.grad
	a       []T  // [batch][out]: the activations
	da      []T  // [batch][out]: ∂loss/∂a, turned into ∂loss/∂z in place
	frozen  bool // trainable: false: its gradient stays zero, Step skips it
}

// New returns a Net for n whose parameters are initialised from seed exactly
// as the code gradgen generates for n does in NewModel(seed). T decides the
// precision; n.DType is ignored. The input row of a sample is its inputs'
// values in order; an integer input (categories) takes one slot, which
// holds the sample's id as a T value, such as 3.0 for id 3, and an id that
// is not an integer in [0, categories) makes Predict, Loss, Backward and
// Train panic, naming the sample, the input, the id and the range. New normalises a copy of n, leaving n
// unchanged, and returns an error if it does not validate, or if a layer is
// a dropout with p > 0: its masks are drawn by the generated code's
// generator, which the generic engine does not reproduce.
func New[T Float](n *spec.Network, seed uint64) (*Net[T], error) {
	if n == nil {
		return nil, errors.New("generic: New: nil network")
	}
	n = n.Normalized()
	if err := n.Validate(); err != nil {
		return nil, fmt.Errorf("generic: New: invalid network: %w", err)
	}
	for i, l := range n.Layers {
		if l.Dropout != nil && l.Dropout.P > 0 {
			return nil, fmt.Errorf("generic: layer %d: dropout with p > 0 is not supported by the generic engine: its masks are drawn by the generated code's generator", i+1)
		}
	}

	size := int(n.NumParams())
	m := &Net[T]{
		inputs: n.Input,
		layers: make([]layer[T], len(n.Layers)),
		loss:   n.Loss,
		opt:    newOptimizer[T](n.Optimizer, size),
		params: make([]T, size),
		grad:   make([]T, size),
		output: n.Output,
	}
	if n.IsGraph() {
		newGraph(m, n, seed)
		return m, nil
	}
	var r runtime.Rand
	r.Seed(seed)
	off, in := 0, n.Input
	for i, s := range n.Layers {
		start := off
		l := &m.layers[i]
		*l = layer[T]{in: in, out: s.Dense, act: s.Activation, slope: T(s.Slope)}
		l.w, l.dw = m.params[off:off+s.Dense*in], m.grad[off:off+s.Dense*in]
		off += s.Dense * in
		if !s.NoBias {
			l.b, l.db = m.params[off:off+s.Dense], m.grad[off:off+s.Dense]
			off += s.Dense
		}
		runtime.InitLinear(&r, l.w, l.b, in)
		if s.Frozen {
			l.frozen = true
			for i := start; i < off; i++ {
				m.opt.frozen[i] = true
			}
		}
		in = s.Dense
	}
	return m, nil
}

// NewPretrained returns a Net for n, an imported network, that starts from
// its pretrained parameters, as the generated NewPretrained does. It is an
// error when n has none.
func NewPretrained[T Float](n *spec.Network) (*Net[T], error) {
	if n == nil || n.Pretrained == nil {
		return nil, errors.New("generic: NewPretrained: the network has no pretrained parameters")
	}
	m, err := New[T](n, 0)
	if err != nil {
		return nil, err
	}
	for i, x := range n.Pretrained {
		m.params[i] = T(x)
	}
	return m, nil
}

// Inputs returns the input width.
func (m *Net[T]) Inputs() int { return m.inputs }

// Outputs returns the output width, that of the last layer (of the heads'
// row, for a graph).
func (m *Net[T]) Outputs() int {
	if m.g != nil {
		return m.g.outputs
	}
	return m.layers[len(m.layers)-1].out
}

// Params returns all parameters as one slice in PyTorch's nn.Sequential order:
// W1 ([out][in] row-major), b1 (absent for a layer without bias), W2, b2, ….
// The layers use this slice, so writing to it changes the network.
func (m *Net[T]) Params() []T { return m.params }

// Grad returns the gradient of the mean loss with respect to Params, in the
// same layout, as the last Backward or Train set it. Step reads it, so writing
// to it changes the next step.
func (m *Net[T]) Grad() []T { return m.grad }

// Predict sets y to the network's output for the sample x: the activations of
// the last layer, which are logits for the cross-entropy losses, then the
// network's output map (softmax, log_softmax), if any. It panics
// unless len(x) == Inputs and len(y) == Outputs.
func (m *Net[T]) Predict(x, y []T) {
	if len(x) != m.Inputs() || len(y) != m.Outputs() {
		panic(fmt.Sprintf("generic: Predict: len(x) = %d and len(y) = %d, want Inputs = %d and Outputs = %d",
			len(x), len(y), m.Inputs(), m.Outputs()))
	}
	if m.g != nil {
		m.g.predict(m, x, y)
		return
	}
	m.reserve(1)
	m.forward(x, 1)
	copy(y, m.layers[len(m.layers)-1].a)
	m.outputMap(y)
}

// outputMap applies the network's output map, if any, to the output y.
func (m *Net[T]) outputMap(y []T) {
	switch m.output {
	case spec.Softmax:
		runtime.Softmax(y)
	case spec.LogSoftmax:
		runtime.LogSoftmax(y)
	}
}

// Loss returns the mean loss over a batch: xs holds the samples and ts the
// targets, each flat and row-major. An empty batch gives 0. Loss panics if
// len(xs) is not a multiple of Inputs, len(ts) not a multiple of Outputs, or
// the two hold different numbers of samples.
func (m *Net[T]) Loss(xs, ts []T) T {
	rows := m.rows("Loss", xs, ts)
	if rows == 0 {
		return 0
	}
	if m.g != nil {
		return m.g.run(m, "Loss", xs, ts, rows, false)
	}
	m.reserve(rows)
	m.forward(xs, rows)
	last := &m.layers[len(m.layers)-1]
	return lossAndGrad(m.loss, last.a[:rows*last.out], ts, rows, last.out, nil)
}

// Backward sets Grad to the gradient of the mean loss over the batch (xs, ts)
// with respect to Params and returns the loss. An empty batch gives 0 and a
// zero gradient. Backward panics on lengths as Loss does.
func (m *Net[T]) Backward(xs, ts []T) T {
	rows := m.rows("Backward", xs, ts)
	if rows == 0 {
		clear(m.grad)
		return 0
	}
	return m.backwardBatch("Backward", xs, ts, rows)
}

// backwardBatch is Backward of a batch of rows > 0 samples, whose lengths
// rows has checked; a panic on an id names method.
func (m *Net[T]) backwardBatch(method string, xs, ts []T, rows int) T {
	if m.g != nil {
		return m.g.run(m, method, xs, ts, rows, true)
	}
	m.reserve(rows)
	m.forward(xs, rows)
	last := &m.layers[len(m.layers)-1]
	loss := lossAndGrad(m.loss, last.a[:rows*last.out], ts, rows, last.out, last.da[:rows*last.out])
	m.backward(xs, rows)
	for _, l := range m.layers {
		if l.frozen { // requires_grad_(False): no gradient at all
			clear(l.dw)
			clear(l.db)
		}
	}
	return loss
}

// Step takes one step of the optimizer with the current Grad.
func (m *Net[T]) Step() { m.opt.step(m.params, m.grad) }

// Train runs Backward and then Step on the batch (xs, ts) and returns the loss
// before the step. An empty batch does nothing and gives 0. Train panics on
// lengths as Loss does.
func (m *Net[T]) Train(xs, ts []T) T {
	rows := m.rows("Train", xs, ts)
	if rows == 0 {
		return 0
	}
	loss := m.backwardBatch("Train", xs, ts, rows)
	m.Step()
	return loss
}

// rows returns the number of samples in the batch (xs, ts) and panics on
// mismatched lengths, naming method.
func (m *Net[T]) rows(method string, xs, ts []T) int {
	in, out := m.Inputs(), m.Outputs()
	switch {
	case len(xs)%in != 0:
		panic(fmt.Sprintf("generic: %s: len(xs) = %d is not a multiple of Inputs = %d", method, len(xs), in))
	case len(ts)%out != 0:
		panic(fmt.Sprintf("generic: %s: len(ts) = %d is not a multiple of Outputs = %d", method, len(ts), out))
	case len(xs)/in != len(ts)/out:
		panic(fmt.Sprintf("generic: %s: xs holds %d samples (len %d) but ts holds %d (len %d)",
			method, len(xs)/in, len(xs), len(ts)/out, len(ts)))
	}
	return len(xs) / in
}

// reserve makes room in the work matrices for batches of the given number of
// rows. It allocates only when rows exceeds every batch seen before.
func (m *Net[T]) reserve(rows int) {
	if rows <= m.batch {
		return
	}
	for i := range m.layers {
		l := &m.layers[i]
		l.a = make([]T, rows*l.out)
		l.da = make([]T, rows*l.out)
	}
	m.batch = rows
}

// forward computes every layer's activations for the rows samples in xs.
func (m *Net[T]) forward(xs []T, rows int) {
	x := xs[:rows*m.inputs]
	for i := range m.layers {
		l := &m.layers[i]
		l.forward(x, rows)
		x = l.a[:rows*l.out]
	}
}

// forward sets l's activations for the rows samples of x: a = f(X·Wᵀ + b).
func (l *layer[T]) forward(x []T, rows int) {
	a := l.a[:rows*l.out]
	var beta T
	if l.b != nil {
		for r := range rows {
			copy(a[r*l.out:(r+1)*l.out], l.b)
		}
		beta = 1
	}
	gemm(false, true, rows, l.out, l.in, x, l.w, beta, a) // Z = X·Wᵀ + b
	activate(l.act, l.slope, a)
}

// paramGrads sets l's weight and bias gradients from dZ and its input X:
// dW = dZᵀ·X, db = the column sums of dZ.
func (l *layer[T]) paramGrads(dz, x []T, rows int) {
	gemm(true, false, l.out, l.in, rows, dz, x, 0, l.dw)
	if l.db != nil {
		clear(l.db)
		for r := range rows {
			for j, d := range dz[r*l.out : (r+1)*l.out] {
				l.db[j] += d
			}
		}
	}
}

// backward propagates ∂loss/∂a of the last layer, which the loss has set,
// back through the layers, setting the gradients of all parameters.
func (m *Net[T]) backward(xs []T, rows int) {
	for i := len(m.layers) - 1; i >= 0; i-- {
		l := &m.layers[i]
		dz := l.da[:rows*l.out]
		derive(l.act, l.slope, dz, l.a[:rows*l.out]) // dZ = dA ⊙ f'(Z)
		x := xs[:rows*m.inputs]
		if i > 0 {
			x = m.layers[i-1].a[:rows*l.in]
		}
		l.paramGrads(dz, x, rows)
		if i > 0 {
			gemm(false, false, rows, l.in, l.out, dz, l.w, 0, m.layers[i-1].da[:rows*l.in]) // dX = dZ·W
		}
	}
}
