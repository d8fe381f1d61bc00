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
	// NoLoss is a head's loss when the head is predicted but not trained.
	NoLoss Loss = "none"
)

// DefaultSlope is the negative slope of leaky_relu when none is given; it is
// PyTorch's default for nn.LeakyReLU.
const DefaultSlope = 0.01

// OutputMap is a map Predict applies to the last layer's output, as a model
// imported from ONNX may end in one. The losses read the output before it.
type OutputMap string

// The output maps. The zero value means NoMap.
const (
	NoMap      OutputMap = "none"
	Softmax    OutputMap = "softmax"     // torch.softmax(y, dim=1)
	LogSoftmax OutputMap = "log_softmax" // torch.log_softmax(y, dim=1)
)

// Network is a multilayer perceptron: an input width, dense layers in order, a
// loss and an optimizer.
type Network struct {
	Package   string // Go package name of the generated file
	DType     DType  // element type; empty means Float32
	Input     int    // input width
	Layers    []Layer
	Loss      Loss
	Optimizer Optimizer

	// Inputs names the inputs of a graph network, in order (YAML:
	// inputs:, instead of input:); empty for a network of one input of
	// width Input.
	Inputs []Port
	// Outputs names the heads of a graph network, in order (YAML:
	// outputs:, instead of loss:): each a dense layer with its own loss;
	// empty for a network whose last layer is its one output, trained with
	// Loss.
	Outputs []Head

	// ONNX names the model file the network is imported from (YAML: onnx:),
	// as the spec gives it, relative to the spec's directory. Parse keeps
	// the network empty; onnxspec.Load fills Input, Layers, Output and
	// Pretrained from the file.
	ONNX string
	// Output is what Predict applies after the last layer; empty means
	// NoMap. A loss reads the last layer's output before it: a model that
	// ends in a softmax trains with softmax_cross_entropy on the logits
	// under it, as PyTorch's CrossEntropyLoss expects.
	Output OutputMap
	// Pretrained holds the parameters NewPretrained starts from, in the
	// order and layout of Params.Slice() (a weight [out][in] row-major),
	// as float64 (exact for a float32 network); nil means none.
	Pretrained []float64

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
	// Frozen keeps the layer's parameters fixed (YAML: trainable: false),
	// like requires_grad_(False): no gradient is derived for them and the
	// optimizer skips them.
	Frozen bool
	// Name names the layer for From and Add and in messages (YAML: name:);
	// empty for an unnamed layer.
	Name string
	// From lists what the layer reads (YAML: from:), inputs or earlier
	// layers by name, concatenated in order as torch.cat(dim=1) does;
	// empty means the layer above (or the one input).
	From []string
	// Add makes the layer the element-wise sum of the named values, of one
	// width (YAML: add:), instead of a dense layer: it has no parameters
	// and may take an activation.
	Add []string
	// LayerNorm makes the layer nn.LayerNorm over what it reads (YAML:
	// layer_norm: {eps: 1e-5}) instead of a dense layer: each sample's
	// values are normalised to mean 0 and variance 1, then scaled by a
	// learnable γ (initially 1) and shifted by β (0). It may take an
	// activation.
	LayerNorm *LayerNorm
	// Embedding makes the layer nn.Embedding(categories, Embedding) over an
	// integer input (YAML: embedding: 16, from: item): each sample's id
	// selects a row of a learnable table, initialised from N(0, 1).
	Embedding int
	// Dropout makes the layer nn.Dropout(p) (YAML: dropout: p) instead of
	// a dense layer: in Backward and Train each value is zeroed with
	// probability p and the others scaled by 1/(1−p); Predict and Loss
	// pass the values through.
	Dropout *Dropout

	// WeightName and BiasName name the layer's tensors outside gradgen
	// (Layout's Torch names, used by safetensors files and the ONNX
	// exporter); empty means nn.Sequential's "<module>.weight" and
	// "<module>.bias".
	WeightName, BiasName string
	// Transposed says that the weight is kept as [in][out] outside gradgen,
	// as the weight of ONNX's MatMul(x, W): gradgen computes with Wᵀ, and
	// safetensors files and the ONNX exporter hold W.
	Transposed bool

	Pos    Pos       // where the layer's mapping starts
	Fields Positions // "dense", "activation", "slope", "bias", "trainable", "name", "from", "add", "layer_norm", "dropout", "embedding"
}

// MaxCategories is the most ids an integer input may have: an id is an
// int32.
const MaxCategories = 1<<31 - 1

// DefaultEps is layer_norm's ε when the spec leaves it out, nn.LayerNorm's.
const DefaultEps = 1e-5

// LayerNorm holds a layer_norm layer's settings.
type LayerNorm struct {
	// Eps is added to the variance before its square root; 0 with no
	// position in Fields (left out) means DefaultEps.
	Eps    float64
	Pos    Pos
	Fields Positions // "eps"
}

// Dropout holds a dropout layer's settings.
type Dropout struct {
	P   float64 // the probability that a value is zeroed, in [0, 1)
	Pos Pos
}

// Kind names what a layer computes, for messages: "dense", "add",
// "layer_norm" or "dropout".
func (l *Layer) Kind() string {
	switch {
	case len(l.Add) > 0:
		return "add"
	case l.LayerNorm != nil:
		return "layer_norm"
	case l.Dropout != nil:
		return "dropout"
	case l.Embedding != 0 || l.Fields.has("embedding"):
		return "embedding"
	}
	return "dense"
}

// HasWeights reports whether the layer has a weight matrix: a dense layer.
func (l *Layer) HasWeights() bool { return l.Kind() == "dense" }

// Port is a named input of a graph network: a vector of Width values per
// sample (YAML: inputs: {obs: 12}), or, with Categories, one integer id per
// sample in [0, Categories) (YAML: inputs: {item: {categories: 5000}}),
// which only embedding layers read; its Width is then 1.
type Port struct {
	Name       string
	Width      int
	Categories int
	Pos        Pos // where the name is
}

// Head is a named output of a graph network (YAML: outputs: {value:
// {...}}): a dense layer, read from the last layer unless its From says
// otherwise, with its own loss and that loss's weight in the total loss.
type Head struct {
	Name  string
	Layer Layer // the head's dense layer: Dense, Activation, Slope, NoBias, Frozen, From
	// Loss is the head's loss; NoLoss makes it an output that is predicted
	// but not trained.
	Loss Loss
	// Weight is the loss's weight in the total loss, Σ weight·loss; 0 with
	// no position in Fields (left out) means 1.
	Weight float64

	Pos    Pos       // where the head's mapping starts
	Fields Positions // "loss", "weight" (the layer's keys are in Layer.Fields)
}

// Optimizer holds exactly one optimizer kind, and optionally gradient
// clipping and a learning-rate schedule. All kinds nil means SGD with lr 0.01.
type Optimizer struct {
	SGD      *SGD
	Momentum *Momentum
	Adam     *Adam
	AdamW    *Adam // torch.optim.AdamW: Adam with decoupled weight decay
	// ClipGradNorm is the max_norm of torch.nn.utils.clip_grad_norm_
	// applied before each step; 0 means no clipping.
	ClipGradNorm float64
	Schedule     *Schedule

	Pos    Pos
	Fields Positions // "sgd", "momentum", "adam", "adamw", "clip_grad_norm", "schedule"
}

// OptimizerSettings is an optimizer as flat settings: its kind, as a spec
// names it, and its hyperparameters, zero where the kind has none. It is the
// one place the kinds are told apart; the canonical form, the memory bound,
// build and the generic engine all read it.
type OptimizerSettings struct {
	Kind                            string // "sgd", "momentum", "adam" or "adamw"
	LR, Momentum, Beta1, Beta2, Eps float64
	Dampening, WeightDecay          float64
	Nesterov                        bool
	ClipGradNorm                    float64 // 0: none
	Schedule                        ScheduleSettings
	// StateCopies is how many parameter-sized buffers the optimizer keeps:
	// none for sgd, the velocity for momentum, two moments for adam(w).
	StateCopies int
}

// ScheduleSettings is a learning-rate schedule as flat settings: the
// warm-up's steps (0 for none) and the kind that follows it ("" for a
// constant rate, "cosine" or "step") with its settings.
type ScheduleSettings struct {
	Warmup   int     `json:"warmup,omitempty"`
	Kind     string  `json:"kind,omitempty"`
	TMax     int     `json:"t_max,omitempty"`
	EtaMin   float64 `json:"eta_min,omitempty"`
	StepSize int     `json:"step_size,omitempty"`
	Gamma    float64 `json:"gamma,omitempty"`
}

// Settings returns the settings of o's one kind: momentum, else adam, else
// adamw, else sgd, else SGD with lr 0 when none is set (Normalize sets SGD's
// default); with o's clipping and schedule.
func (o Optimizer) Settings() OptimizerSettings {
	var s OptimizerSettings
	switch {
	case o.Momentum != nil:
		m := o.Momentum
		s = OptimizerSettings{Kind: "momentum", LR: m.LR, Momentum: m.Momentum, Dampening: m.Dampening,
			Nesterov: m.Nesterov, WeightDecay: m.WeightDecay, StateCopies: 1}
	case o.Adam != nil:
		a := o.Adam
		s = OptimizerSettings{Kind: "adam", LR: a.LR, Beta1: a.Beta1, Beta2: a.Beta2, Eps: a.Eps, WeightDecay: a.WeightDecay, StateCopies: 2}
	case o.AdamW != nil:
		a := o.AdamW
		s = OptimizerSettings{Kind: "adamw", LR: a.LR, Beta1: a.Beta1, Beta2: a.Beta2, Eps: a.Eps, WeightDecay: a.WeightDecay, StateCopies: 2}
	case o.SGD != nil:
		s = OptimizerSettings{Kind: "sgd", LR: o.SGD.LR, WeightDecay: o.SGD.WeightDecay}
	default:
		s = OptimizerSettings{Kind: "sgd"}
	}
	s.ClipGradNorm = o.ClipGradNorm
	if sc := o.Schedule; sc != nil {
		if sc.Warmup != nil {
			s.Schedule.Warmup = sc.Warmup.Steps
		}
		switch {
		case sc.Cosine != nil:
			s.Schedule.Kind, s.Schedule.TMax, s.Schedule.EtaMin = "cosine", sc.Cosine.TMax, sc.Cosine.EtaMin
		case sc.Step != nil:
			s.Schedule.Kind, s.Schedule.StepSize, s.Schedule.Gamma = "step", sc.Step.StepSize, sc.Step.Gamma
		}
	}
	return s
}

// SGD is torch.optim.SGD without momentum: p -= lr·(g + weight_decay·p).
type SGD struct {
	LR          float64
	WeightDecay float64

	Pos    Pos
	Fields Positions // "lr", "weight_decay"
}

// Momentum is torch.optim.SGD with momentum μ, dampening τ, weight decay λ
// and optionally Nesterov's form: d = g + λp; v = μ·v + (1−τ)·d (v = d on
// the first step); p -= lr·(nesterov ? d + μv : v).
type Momentum struct {
	LR          float64
	Momentum    float64
	Dampening   float64
	Nesterov    bool
	WeightDecay float64

	Pos    Pos
	Fields Positions // "lr", "momentum", "dampening", "nesterov", "weight_decay"
}

// Adam is torch.optim.Adam, or torch.optim.AdamW as Optimizer.AdamW. A field
// left out of the spec takes PyTorch's default (lr 0.001, beta1 0.9, beta2
// 0.999, eps 1e-8, weight_decay 0 for Adam and 0.01 for AdamW) when the spec
// is normalised: a zero field with no recorded position in Fields counts as
// left out, so an explicit beta1: 0 stays 0. Adam adds the weight decay to
// the gradient (L2); AdamW decays the parameters, p ← p·(1 − lr·λ).
type Adam struct {
	LR          float64
	Beta1       float64
	Beta2       float64
	Eps         float64
	WeightDecay float64

	Pos    Pos
	Fields Positions // "lr", "beta1", "beta2", "eps", "weight_decay"
}

// Schedule is a learning-rate schedule: a warm-up, then cosine annealing or
// step decay, or either alone. It advances once per optimizer step.
type Schedule struct {
	Warmup *Warmup
	Cosine *Cosine
	Step   *StepDecay

	Pos    Pos
	Fields Positions // "warmup", "cosine", "step"
}

// Warmup raises the learning rate linearly from 0: step t < Steps uses
// lr·t/Steps (PyTorch's LambdaLR); the schedule after it starts at its own
// step 0 (SequentialLR with the milestone Steps).
type Warmup struct {
	Steps int

	Pos    Pos
	Fields Positions // "steps"
}

// Cosine is PyTorch's CosineAnnealingLR(T_max, eta_min).
type Cosine struct {
	TMax   int
	EtaMin float64

	Pos    Pos
	Fields Positions // "t_max", "eta_min"
}

// StepDecay is PyTorch's StepLR(step_size, gamma); gamma defaults to 0.1.
type StepDecay struct {
	StepSize int
	Gamma    float64

	Pos    Pos
	Fields Positions // "step_size", "gamma"
}

// Pos is a position in a spec source. The zero Pos is unknown. A text
// source (YAML, Go) names a line and column; a graph file, such as an ONNX
// model, names the node a layer came from instead.
type Pos struct {
	File      string
	Line, Col int
	Node      string // the node of a graph file, when the source has no lines, as messages name it: 7 "/fc1/Gemm" (Gemm)
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
