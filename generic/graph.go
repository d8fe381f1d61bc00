package generic

import (
	"github.com/gradgen/gradgen/runtime"
	"github.com/gradgen/gradgen/spec"
)

// graph is the network of a graph spec (spec.Network.IsGraph): its values
// are the inputs, then one node per layer and per head, in spec order. A
// sample is the row of its inputs in order, and its target (and its
// prediction) the row of its heads' in order, as the generated code's.
type graph[T Float] struct {
	inputs  []column // each input's columns of the input row
	names   []string // each input's name, for messages
	ins     [][]T    // [batch][width]: each input's columns, copied
	nodes   []gnode[T]
	heads   []ghead // the nodes that are heads, with their losses
	outputs int     // the width of the output row
	t       []T     // [batch][width]: a head's targets, copied
	// categories is each input's number of ids, 0 for an input of values;
	// hasIDs says whether any input is an integer one.
	categories []int
	hasIDs     bool
}

// column is a part of a row: its offset and width.
type column struct{ off, width int }

// gnode is a layer or head: a dense layer over the concatenation of its
// sources, the sum of its sources, a layer_norm or a dropout over the
// concatenation of its sources, or an embedding of its one source, an
// integer input; then its activation. A layer_norm keeps its γ in layer.w
// and its β in layer.b (their gradients in dw and db), and has in = out. An
// embedding keeps its table, [categories][out], in layer.w (its gradient in
// dw), and has in = 1.
type gnode[T Float] struct {
	layer[T]
	kind  nodeKind
	srcs  []int // the values it reads: an input's index, or len(inputs) + a node's
	x, dx []T   // [batch][in]: the concatenated sources and their gradient, when several
	eps   float64
	norm  []T       // layer_norm: [batch][out], the normalised input (z − μ)/σ
	rstd  []float64 // layer_norm: [batch], each row's 1/σ = 1/sqrt(var + eps)
}

// nodeKind is what a node computes before its activation.
type nodeKind int

const (
	denseNode     nodeKind = iota // x·Wᵀ + b
	addNode                       // the sum of the sources
	layerNormNode                 // γ ⊙ (x − mean)/sqrt(var + eps) + β, per row
	dropoutNode                   // x: a dropout with p = 0 (New refuses p > 0)
	embedNode                     // E[id], per row: the table's row of the sample's id
)

// kindOf is the kind of node a layer or head is.
func kindOf(l *spec.Layer) nodeKind {
	switch l.Kind() {
	case "add":
		return addNode
	case "layer_norm":
		return layerNormNode
	case "dropout":
		return dropoutNode
	case "embedding":
		return embedNode
	}
	return denseNode
}

// ghead is a head: its node, its columns of the output row, its loss.
type ghead struct {
	node   int
	col    column
	loss   spec.Loss
	weight float64
}

// newGraph sets up m, of the valid graph network n, with its parameters
// initialised from seed as NewModel(seed) initialises them, in spec order:
// the layers, then the heads. A dense layer's W and b are drawn from the
// generator in turn; a layer_norm's γ is 1 and its β 0, and they draw
// nothing, so the dense layers after one draw what they would without it;
// an embedding's table is drawn from N(0, 1) (runtime.InitNormal, two
// draws of the generator per element, row-major), so the dense layers
// after one draw later numbers. An integer input takes one slot of the
// input row.
func newGraph[T Float](m *Net[T], n *spec.Network, seed uint64) {
	g := &graph[T]{}
	names := map[string]int{}
	off := 0
	for i, in := range inputs(n) {
		w := in.Width
		if in.Categories > 0 {
			w = 1 // the id
			g.hasIDs = true
		}
		g.inputs = append(g.inputs, column{off, w})
		g.names = append(g.names, in.Name)
		g.categories = append(g.categories, in.Categories)
		names[in.Name] = i
		off += w
	}
	m.inputs = off
	layerIn, layerOut, headIn := n.Fans()
	var r runtime.Rand
	r.Seed(seed)
	p := 0 // the next parameter's offset
	last := len(g.inputs) - 1
	if len(g.inputs) > 1 {
		last = -1 // a first layer names what it reads
	}
	newNode := func(l *spec.Layer, in, out int, srcs []string) int {
		nd := gnode[T]{layer: layer[T]{in: in, out: out, act: l.Activation, slope: T(l.Slope), frozen: l.Frozen}, kind: kindOf(l)}
		for _, name := range append(append([]string(nil), srcs...), l.Add...) {
			nd.srcs = append(nd.srcs, names[name])
		}
		if len(nd.srcs) == 0 {
			nd.srcs = []int{last}
		}
		start := p
		switch nd.kind {
		case addNode:
			nd.out, nd.in = g.width(nd.srcs[0]), 0
		case layerNormNode:
			nd.eps = l.LayerNorm.Eps
			nd.w, nd.dw = m.params[p:p+out], m.grad[p:p+out] // γ
			p += out
			nd.b, nd.db = m.params[p:p+out], m.grad[p:p+out] // β, 0 as allocated
			p += out
			for j := range nd.w {
				nd.w[j] = 1
			}
		case dropoutNode:
		case embedNode:
			rows := n.Categories(*l)
			nd.in = 1
			nd.w, nd.dw = m.params[p:p+rows*out], m.grad[p:p+rows*out]
			p += rows * out
			runtime.InitNormal(&r, nd.w)
		default:
			nd.w, nd.dw = m.params[p:p+nd.out*in], m.grad[p:p+nd.out*in]
			p += nd.out * in
			if !l.NoBias {
				nd.b, nd.db = m.params[p:p+nd.out], m.grad[p:p+nd.out]
				p += nd.out
			}
			runtime.InitLinear(&r, nd.w, nd.b, in)
		}
		for j := start; j < p; j++ {
			m.opt.frozen[j] = l.Frozen // requires_grad_(False): Step skips them
		}
		g.nodes = append(g.nodes, nd)
		return len(g.inputs) + len(g.nodes) - 1
	}
	for i := range n.Layers {
		l := &n.Layers[i]
		out := l.Dense
		if k := kindOf(l); k == layerNormNode || k == dropoutNode || k == embedNode {
			out = layerOut[i] // the width of what it reads; an embedding's dim
		}
		last = newNode(l, layerIn[i], out, l.From)
		if l.Name != "" {
			names[l.Name] = last
		}
	}
	if len(n.Outputs) == 0 {
		g.heads = []ghead{{node: last, col: column{0, g.width(last)}, loss: n.Loss, weight: 1}}
	}
	for i := range n.Outputs {
		h := &n.Outputs[i]
		k := newNode(&h.Layer, headIn[i], h.Layer.Dense, h.Layer.From)
		g.heads = append(g.heads, ghead{node: k, col: column{g.outputs, h.Layer.Dense}, loss: h.Loss, weight: h.Weight})
		g.outputs += h.Layer.Dense
	}
	if len(n.Outputs) == 0 {
		g.outputs = g.heads[0].col.width
	}
	m.g = g
}

// inputs returns n's inputs: its named ones, or its one input x.
func inputs(n *spec.Network) []spec.Port {
	if len(n.Inputs) > 0 {
		return n.Inputs
	}
	return []spec.Port{{Name: "x", Width: n.Input}}
}

// width is the width of value k.
func (g *graph[T]) width(k int) int {
	if k < len(g.inputs) {
		return g.inputs[k].width
	}
	return g.nodes[k-len(g.inputs)].out
}

// value returns value k's [rows][width] activations and, for a node, its
// gradient (nil for an input, which takes none).
func (g *graph[T]) value(k, rows int) (a, da []T) {
	if k < len(g.inputs) {
		return g.ins[k][:rows*g.inputs[k].width], nil
	}
	nd := &g.nodes[k-len(g.inputs)]
	return nd.a[:rows*nd.out], nd.da[:rows*nd.out]
}

// reserve makes room for batches of rows samples.
func (g *graph[T]) reserve(rows int) {
	g.ins = make([][]T, len(g.inputs))
	for i, c := range g.inputs {
		g.ins[i] = make([]T, rows*c.width)
	}
	for i := range g.nodes {
		nd := &g.nodes[i]
		nd.a, nd.da = make([]T, rows*nd.out), make([]T, rows*nd.out)
		if len(nd.srcs) > 1 && nd.kind != addNode {
			nd.x, nd.dx = make([]T, rows*nd.in), make([]T, rows*nd.in)
		}
		if nd.kind == layerNormNode {
			nd.norm, nd.rstd = make([]T, rows*nd.out), make([]float64, rows)
		}
	}
	g.t = make([]T, rows*g.outputs)
}

// cols copies the columns c of each of rows rows of width w from src to
// dst ([rows][c.width]), or back when back is set.
func cols[T Float](dst, src []T, rows, w int, c column, back bool) {
	for r := range rows {
		part, row := dst[r*c.width:(r+1)*c.width], src[r*w+c.off:r*w+c.off+c.width]
		if back {
			copy(row, part)
		} else {
			copy(part, row)
		}
	}
}

// forward computes every node's activations for the rows samples of xs,
// whose ids checkIDs has checked.
func (g *graph[T]) forward(m *Net[T], xs []T, rows int) {
	for i, c := range g.inputs {
		cols(g.ins[i], xs, rows, m.inputs, c, false)
	}
	for i := range g.nodes {
		nd := &g.nodes[i]
		a := nd.a[:rows*nd.out]
		switch nd.kind {
		case addNode:
			clear(a)
			for _, k := range nd.srcs {
				v, _ := g.value(k, rows)
				for j, x := range v {
					a[j] += x
				}
			}
		case layerNormNode:
			nd.layerNorm(g.input(nd, rows), rows)
		case dropoutNode:
			copy(a, g.input(nd, rows))
		case embedNode:
			ids, _ := g.value(nd.srcs[0], rows)
			nd.embed(ids, rows)
		default:
			nd.layer.forward(g.input(nd, rows), rows) // activates a itself
			continue
		}
		activate(nd.act, nd.slope, a)
	}
}

// input returns a dense, layer_norm or dropout node's input: its one
// source, or the concatenation of its sources in order (torch.cat(dim=1)).
func (g *graph[T]) input(nd *gnode[T], rows int) []T {
	if len(nd.srcs) == 1 {
		v, _ := g.value(nd.srcs[0], rows)
		return v
	}
	off := 0
	for _, k := range nd.srcs {
		v, _ := g.value(k, rows)
		w := g.width(k)
		cols(v, nd.x, rows, nd.in, column{off, w}, true)
		off += w
	}
	return nd.x[:rows*nd.in]
}

// loss returns the weighted sum of the heads' mean losses against ts and,
// when grad is set, sets each head's ∂loss/∂a.
func (g *graph[T]) loss(ts []T, rows int, grad bool) T {
	var total T
	for _, h := range g.heads {
		nd := &g.nodes[h.node-len(g.inputs)]
		if h.loss == spec.NoLoss || h.weight == 0 {
			continue
		}
		t := g.t[:rows*h.col.width]
		cols(t, ts, rows, g.outputs, h.col, false)
		var da []T
		if grad {
			da = nd.da[:rows*nd.out]
		}
		total += T(h.weight) * lossAndGrad(h.loss, nd.a[:rows*nd.out], t, rows, nd.out, da)
		for j := range da {
			da[j] *= T(h.weight)
		}
	}
	return total
}

// backward propagates the heads' gradients, which loss has set, back
// through the nodes, summing a value's gradient over its users.
func (g *graph[T]) backward(rows int) {
	for i := len(g.nodes) - 1; i >= 0; i-- {
		nd := &g.nodes[i]
		dz := nd.da[:rows*nd.out]
		derive(nd.act, nd.slope, dz, nd.a[:rows*nd.out]) // dZ = dA ⊙ f'(Z)
		switch nd.kind {
		case addNode:
			for _, k := range nd.srcs {
				if _, da := g.value(k, rows); da != nil {
					for j, d := range dz {
						da[j] += d
					}
				}
			}
		case layerNormNode:
			dx := make([]T, rows*nd.in)
			nd.layerNormBackward(dz, dx, rows)
			g.backwardInput(nd, dx, rows)
		case dropoutNode:
			g.backwardInput(nd, dz, rows) // the identity's
		case embedNode:
			ids, _ := g.value(nd.srcs[0], rows)
			nd.embedBackward(dz, ids, rows) // the ids take no gradient
		default:
			nd.layer.paramGrads(dz, g.input(nd, rows), rows)
			dx := make([]T, rows*nd.in)
			gemm(false, false, rows, nd.in, nd.out, dz, nd.w, 0, dx) // dX = dZ·W
			g.backwardInput(nd, dx, rows)
		}
		if nd.frozen {
			clear(nd.dw)
			clear(nd.db)
		}
	}
}

// backwardInput adds dx, ∂loss/∂ a node's input ([rows][in]), to the
// gradients of its sources, each its columns of dx.
func (g *graph[T]) backwardInput(nd *gnode[T], dx []T, rows int) {
	off := 0
	for _, k := range nd.srcs {
		w := g.width(k)
		if _, da := g.value(k, rows); da != nil {
			part := make([]T, rows*w)
			cols(part, dx, rows, nd.in, column{off, w}, false)
			for j, d := range part {
				da[j] += d
			}
		}
		off += w
	}
}

// run computes the loss of the batch and, with grad, the gradient; it
// panics, naming method, on an id out of range before anything changes.
func (g *graph[T]) run(m *Net[T], method string, xs, ts []T, rows int, grad bool) T {
	g.checkIDs(method, xs, m.inputs, rows)
	g.reserve(rows)
	g.forward(m, xs, rows)
	loss := g.loss(ts, rows, grad)
	if grad {
		g.backward(rows)
	}
	return loss
}

// predict writes each head's output for the sample x to its columns of y.
func (g *graph[T]) predict(m *Net[T], x, y []T) {
	g.checkIDs("Predict", x, m.inputs, 1)
	g.reserve(1)
	g.forward(m, x, 1)
	for _, h := range g.heads {
		nd := &g.nodes[h.node-len(g.inputs)]
		copy(y[h.col.off:h.col.off+h.col.width], nd.a[:nd.out])
	}
	m.outputMap(y) // a network of one output only (Validate): it maps the whole row
}
