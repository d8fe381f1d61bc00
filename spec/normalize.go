package spec

import (
	"math"
	"math/bits"
)

// PyTorch's defaults for torch.optim.SGD in this package and torch.optim.Adam.
const (
	defaultSGDLR   = 0.01
	defaultAdamLR  = 0.001
	defaultAdamB1  = 0.9
	defaultAdamB2  = 0.999
	defaultAdamEps = 1e-8
	// defaultAdamWDecay is torch.optim.AdamW's weight_decay; Adam's is 0.
	defaultAdamWDecay = 0.01
	// defaultStepGamma is StepLR's gamma.
	defaultStepGamma = 0.1
)

// Normalize fills in the defaults of n in place: dtype float32, activation none,
// DefaultSlope for a leaky_relu layer whose slope was left out, SGD with lr 0.01
// when no optimizer is given, and PyTorch's defaults for the Adam and AdamW
// fields and StepLR's gamma left out. A zero field counts as left out only when Fields has no position for
// it, so an explicit zero from a spec stays zero (and Validate reports it where
// zero is not allowed). Normalize is idempotent.
func (n *Network) Normalize() {
	if n == nil {
		return
	}
	if n.DType == "" {
		n.DType = Float32
	}
	for i := range n.Layers {
		n.Layers[i].normalize()
	}
	for i := range n.Inputs {
		if p := &n.Inputs[i]; p.Categories != 0 && p.Width == 0 {
			p.Width = 1 // an id takes one slot of the row
		}
	}
	for i := range n.Outputs {
		h := &n.Outputs[i]
		h.Layer.normalize()
		setDefault(&h.Weight, h.Fields, "weight", 1)
	}
	o := &n.Optimizer
	// The default is for a spec without an optimizer; one that clips or
	// schedules names its kind (Validate says so).
	if o.SGD == nil && o.Momentum == nil && o.Adam == nil && o.AdamW == nil && o.ClipGradNorm == 0 && o.Schedule == nil {
		o.SGD = &SGD{LR: defaultSGDLR}
	}
	for _, a := range []*Adam{o.Adam, o.AdamW} {
		if a != nil {
			setDefault(&a.LR, a.Fields, "lr", defaultAdamLR)
			setDefault(&a.Beta1, a.Fields, "beta1", defaultAdamB1)
			setDefault(&a.Beta2, a.Fields, "beta2", defaultAdamB2)
			setDefault(&a.Eps, a.Fields, "eps", defaultAdamEps)
		}
	}
	if a := o.AdamW; a != nil {
		setDefault(&a.WeightDecay, a.Fields, "weight_decay", defaultAdamWDecay)
	}
	if sc := o.Schedule; sc != nil && sc.Step != nil {
		setDefault(&sc.Step.Gamma, sc.Step.Fields, "gamma", defaultStepGamma)
	}
}

// normalize fills in a layer's defaults: activation none, and the default
// slope of a leaky_relu whose slope was left out.
func (l *Layer) normalize() {
	if l.Activation == "" {
		l.Activation = None
	}
	if l.Activation == LeakyReLU && l.Slope == 0 && !l.Fields.has("slope") {
		l.Slope = DefaultSlope
	}
	if ln := l.LayerNorm; ln != nil {
		c := *ln // a copy: the spec's own stays as written
		setDefault(&c.Eps, c.Fields, "eps", DefaultEps)
		l.LayerNorm = &c
	}
}

// setDefault sets *f to def when *f is zero and fields has no position for key.
func setDefault(f *float64, fields Positions, key string, def float64) {
	if *f == 0 && !fields.has(key) {
		*f = def
	}
}

// has reports whether ps holds a position for key.
func (ps Positions) has(key string) bool {
	_, ok := ps[key]
	return ok
}

// Widths returns the input width followed by each layer's output width.
func (n *Network) Widths() []int {
	if n == nil {
		return nil
	}
	w := make([]int, 0, 1+len(n.Layers))
	w = append(w, n.Input)
	for _, l := range n.Layers {
		w = append(w, l.Dense)
	}
	return w
}

// paramShape returns the number of parameters of layer l, reading in
// values and giving out, as a·b + c: a dense layer's weight out×in and its
// bias out; a layer_norm's γ and β, 2·out; an embedding's table,
// categories×out. Negative widths count as zero.
func (n *Network) paramShape(l Layer, in, out int) (a, b, c int) {
	in, out = max(in, 0), max(out, 0)
	switch l.Kind() {
	case "dense":
		if !l.NoBias {
			c = out
		}
		return out, in, c
	case "layer_norm":
		return 0, 0, 2 * out
	case "embedding":
		return n.Categories(l), out, 0
	}
	return 0, 0, 0
}

// Categories is the number of ids of the integer input an embedding layer
// reads, 0 when it reads none.
func (n *Network) Categories(l Layer) int {
	for _, p := range n.Inputs {
		if len(l.From) == 1 && p.Name == l.From[0] {
			return max(p.Categories, 0)
		}
	}
	return 0
}

// NumParams returns the number of trainable parameters: for each dense
// layer and head Dense×fan-in weights plus Dense biases unless NoBias, for
// each layer_norm γ and β of its width, for each embedding its table (add
// and dropout layers have none; see paramShape), with the widths of Fans. Negative widths count
// as zero, and a count beyond math.MaxInt64 saturates at math.MaxInt64, so the
// result is meaningful only for a Network that validates.
func (n *Network) NumParams() int64 {
	if n == nil {
		return 0
	}
	var total uint64
	layerIn, layerOut, headIn := n.Fans()
	count := func(l Layer, in, out int) bool {
		a, b, c := n.paramShape(l, in, out)
		hi, p := bits.Mul64(uint64(a), uint64(b))
		if hi != 0 {
			return false
		}
		var carry uint64
		if p, carry = bits.Add64(p, uint64(c), 0); carry != 0 {
			return false
		}
		total, carry = bits.Add64(total, p, 0)
		return carry == 0 && total <= math.MaxInt64
	}
	for i, l := range n.Layers {
		if !count(l, layerIn[i], layerOut[i]) {
			return math.MaxInt64
		}
	}
	for i, h := range n.Outputs {
		if !count(h.Layer, headIn[i], h.Layer.Dense) {
			return math.MaxInt64
		}
	}
	return int64(total)
}
