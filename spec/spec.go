// Package spec describes a network as a user writes it, in YAML or as a Go value.
//
// Both forms decode into a Network. Every node keeps the source position it came
// from, so that Validate can report each problem as file:line:col: message, all
// problems of a spec at once.
package spec

// DType is the element type of a generated network.
type DType string

// The element types.
const (
	Float32 DType = "float32"
	Float64 DType = "float64"
)

// Activation is the element-wise map applied after a layer's affine function.
type Activation string

// The activations. The zero value means None.
const (
	None      Activation = "none"
	ReLU      Activation = "relu"
	LeakyReLU Activation = "leaky_relu"
	Sigmoid   Activation = "sigmoid"
	Tanh      Activation = "tanh"
)

// Loss is the training objective, always reduced by the mean over the batch as
// in PyTorch's reduction="mean".
type Loss string

// The losses.
const (
	// MSE is PyTorch's MSELoss on the output after the last activation.
	MSE Loss = "mse"
	// SoftmaxCrossEntropy is PyTorch's CrossEntropyLoss with probability
	// targets, on the logits of a last layer with activation none.
	SoftmaxCrossEntropy Loss = "softmax_cross_entropy"
	// BinaryCrossEntropy is PyTorch's BCEWithLogitsLoss, on the logits of a
	// last layer with activation none.
	BinaryCrossEntropy Loss = "binary_cross_entropy"
)

// DefaultSlope is the negative slope of leaky_relu when none is given; it is
// PyTorch's default for nn.LeakyReLU.
const DefaultSlope = 0.01

// Network is a multilayer perceptron: an input width, dense layers in order, a
// loss and an optimizer.
type Network struct {
	Package   string // Go package name of the generated file
	DType     DType  // element type; empty means Float32
	Input     int    // input width
	Layers    []Layer
	Loss      Loss
	Optimizer Optimizer

	// File is the spec's file name as it appears in messages and in the
	// generated file's header.
	File string
	// Ref is the reference a spec written in Go was loaded by, such as
	// ./netspec:Net; it names the spec in the generated file's header.
	Ref string
	// Pos is where the network starts; Fields holds where each key's value
	// starts ("package", "dtype", "input", "layers", "loss", "optimizer").
	Pos    Pos
	Fields Positions
}

// Layer is one dense (affine) layer, y = act(W x + b), with W of shape
// [Dense][fan in] stored row-major as in PyTorch's nn.Linear.
type Layer struct {
	Dense      int        // output width
	Activation Activation // empty means None
	Slope      float64    // leaky_relu's negative slope; 0 means DefaultSlope
	NoBias     bool       // true drops b (YAML: bias: false)

	Pos    Pos       // where the layer's mapping starts
	Fields Positions // "dense", "activation", "slope", "bias"
}

// Optimizer holds exactly one optimizer kind. All nil means SGD with lr 0.01.
type Optimizer struct {
	SGD      *SGD
	Momentum *Momentum
	Adam     *Adam

	Pos    Pos
	Fields Positions // "sgd", "momentum", "adam"
}

// OptimizerSettings is an optimizer as flat settings: its kind, as a spec
// names it, and its hyperparameters, zero where the kind has none. It is the
// one place the kinds are told apart; the canonical form, the memory bound,
// build and the generic engine all read it.
type OptimizerSettings struct {
	Kind                            string // "sgd", "momentum" or "adam"
	LR, Momentum, Beta1, Beta2, Eps float64
	// StateCopies is how many parameter-sized buffers the optimizer keeps:
	// none for sgd, the velocity for momentum, two moments for adam.
	StateCopies int
}

// Settings returns the settings of o's one kind: momentum, else adam, else
// sgd, else SGD with lr 0 when none is set (Normalize sets SGD's default).
func (o Optimizer) Settings() OptimizerSettings {
	switch {
	case o.Momentum != nil:
		return OptimizerSettings{Kind: "momentum", LR: o.Momentum.LR, Momentum: o.Momentum.Momentum, StateCopies: 1}
	case o.Adam != nil:
		a := o.Adam
		return OptimizerSettings{Kind: "adam", LR: a.LR, Beta1: a.Beta1, Beta2: a.Beta2, Eps: a.Eps, StateCopies: 2}
	case o.SGD != nil:
		return OptimizerSettings{Kind: "sgd", LR: o.SGD.LR}
	}
	return OptimizerSettings{Kind: "sgd"}
}

// SGD is torch.optim.SGD without momentum: p -= lr·g.
type SGD struct {
	LR float64

	Pos    Pos
	Fields Positions // "lr"
}

// Momentum is torch.optim.SGD with momentum μ and no dampening:
// v = μ·v + g, p -= lr·v.
type Momentum struct {
	LR       float64
	Momentum float64

	Pos    Pos
	Fields Positions // "lr", "momentum"
}

// Adam is torch.optim.Adam. A field left out of the spec takes PyTorch's
// default (lr 0.001, beta1 0.9, beta2 0.999, eps 1e-8) when the spec is
// normalised: a zero field with no recorded position in Fields counts as left
// out, so an explicit beta1: 0 stays 0.
type Adam struct {
	LR    float64
	Beta1 float64
	Beta2 float64
	Eps   float64

	Pos    Pos
	Fields Positions // "lr", "beta1", "beta2", "eps"
}

// Pos is a position in a spec source. The zero Pos is unknown. A text
// source (YAML, Go) names a line and column; a graph file, such as an ONNX
// model, names the node a layer came from instead.
type Pos struct {
	File      string
	Line, Col int
	Node      string // the node of a graph file, when the source has no lines
}

// Positions maps a field's key to the position of its value.
type Positions map[string]Pos

// At returns the position recorded for key, or def when there is none.
func (ps Positions) At(key string, def Pos) Pos {
	if p, ok := ps[key]; ok {
		return p
	}
	return def
}
