// Package ir is gradgen's intermediate representation: a small typed SSA graph.
//
// A Program holds the network's parameters, its optimizer and one function of
// each Role (predict, loss, train, trainSample, lossSample), found by role
// with Program.Func. Each function is a list of values in topological
// order; a value has a sequential ID, an op, a static type, its arguments and
// the spec position it came from. The backward pass is not written here: the
// grad pass derives it from the per-op rules in ops.go.
package ir

import (
	"fmt"
	"strings"
)

// Pos is a position in the spec a value came from: a line and column of a
// text source, or a node of a graph file (an ONNX model). The zero Pos is
// unknown.
type Pos struct {
	File      string
	Line, Col int
	Node      string
}

// String formats p as file:line:col, or file:node for a graph file's node.
func (p Pos) String() string {
	if p.Line == 0 && p.Node != "" {
		return p.File + ":" + p.Node
	}
	if p.Line == 0 {
		return p.File
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// DType is the element type of every value in a Program.
type DType uint8

// The element types.
const (
	F32 DType = iota
	F64
)

// GoName is the Go type of an element: float32 or float64.
func (d DType) GoName() string {
	if d == F64 {
		return "float64"
	}
	return "float32"
}

// String returns f32 or f64.
func (d DType) String() string {
	if d == F64 {
		return "f64"
	}
	return "f32"
}

// Size is the size of one element in bytes.
func (d DType) Size() int {
	if d == F64 {
		return 8
	}
	return 4
}

// Type is the static type of a value. A batched value has one row per sample
// of the function's batch before its Dims: a batched [16] is a B×16 matrix.
// A value with no Dims and no batch is a scalar.
type Type struct {
	Batched bool
	Dims    []int
}

// Equal reports whether t and u are the same type.
func (t Type) Equal(u Type) bool {
	if t.Batched != u.Batched || len(t.Dims) != len(u.Dims) {
		return false
	}
	for i := range t.Dims {
		if t.Dims[i] != u.Dims[i] {
			return false
		}
	}
	return true
}

// Cols is the width of the innermost dimension (1 for a scalar).
func (t Type) Cols() int {
	if len(t.Dims) == 0 {
		return 1
	}
	return t.Dims[len(t.Dims)-1]
}

// Elems is the number of elements per row (per sample if batched).
func (t Type) Elems() int {
	n := 1
	for _, d := range t.Dims {
		n *= d
	}
	return n
}

// Format prints t with element type d, as in <[B][16]f32>.
func (t Type) Format(d DType) string {
	s := ""
	if t.Batched {
		s = "[B]"
	}
	for _, n := range t.Dims {
		s += fmt.Sprintf("[%d]", n)
	}
	return s + d.String()
}

// Batch returns the batched type with the given row width.
func Batch(cols int) Type { return Type{Batched: true, Dims: []int{cols}} }

// Vector returns the unbatched type of a vector of n elements.
func Vector(n int) Type { return Type{Dims: []int{n}} }

// Matrix returns the unbatched type of a rows×cols matrix.
func Matrix(rows, cols int) Type { return Type{Dims: []int{rows, cols}} }

// Scalar is the type of a loss.
var Scalar = Type{}

// Value is one node of a function's graph.
type Value struct {
	ID   int
	Op   Op
	Type Type
	Args []*Value
	Aux  float64 // op parameter: leaky_relu's slope
	// Name is the value's name in the derivation (x, z1, a1, W1, z̄1); it
	// may be empty.
	Name string
	// Rule is the equation the value implements, in the notation of the
	// derivation ("W̄1 += z̄1 xᵀ"); the emitter prints it beside the code.
	Rule string
	// Origin is the forward value whose vector-Jacobian rule made this
	// value (set by the grad pass; nil for forward values).
	Origin *Value
	// Maps are element-wise ops applied to each result element inside
	// this value's loop, in order; the fuse pass moves them here.
	Maps []Map
	Pos  Pos
	// Kernel is how a product (Affine, MatMul, MatMulTN) is computed; the
	// layout pass chooses it by shape, and it is KernelScalar elsewhere.
	Kernel Kernel
	// First marks a gradient output that a call of the function with first
	// set writes instead of adding to (set by the layout pass; see
	// Signature.First).
	First bool
	// Step marks a weight gradient of a per-sample training function after
	// which nothing reads the weight: in Train, the batch's last sample
	// takes the optimizer step on each row of the weight as soon as the
	// row's gradient is final, while it is still in cache (set by the
	// layout pass).
	Step bool
	// Port is, for an Input value, the index of its input in
	// Program.Inputs, and for a Target value that of its output in
	// Program.Outputs.
	Port int
	// Buf is the workspace buffer holding the value after the plan pass,
	// or -1 when the value lives elsewhere (an input, a parameter, an
	// output) or has not been planned.
	Buf int
}

// Kernel is the strategy that computes a product. The emitter prints one
// function per kernel and op.
type Kernel uint8

// The kernels.
const (
	// KernelScalar computes a product with inline loops whose bounds are
	// constants, four rows per block in a batched function.
	KernelScalar Kernel = iota
	// KernelVector calls the runtime's row kernels in the inner loops: dot
	// products for Affine (Dot4x3, Dot4, Dot), scaled row additions for
	// MatMul and MatMulTN (Axpy4, Axpy), one call per weight or result row.
	KernelVector
	// KernelWhole computes a per-sample function's backward product, whose
	// rows are too short for a call each, with one runtime call for the
	// whole matrix: GemvT for MatMul, Ger for MatMulTN.
	KernelWhole
	// KernelGemm computes a batched function's product for the whole tile
	// with one call of the runtime's blocked matrix products: MulNT for
	// Affine, MulNN for MatMul, MulTN for MatMulTN.
	KernelGemm
)

var kernelNames = [...]string{"scalar", "vec", "whole", "gemm"}

// String is the kernel's name in dumps: scalar, vec, whole or gemm.
func (k Kernel) String() string {
	if int(k) < len(kernelNames) {
		return kernelNames[k]
	}
	return fmt.Sprintf("Kernel(%d)", k)
}

// IsProduct reports whether op is a matrix product, the ops whose kernel
// the layout pass chooses.
func (op Op) IsProduct() bool {
	return op == OpAffine || op == OpMatMul || op == OpMatMulTN
}

// Map is an element-wise op fused into its producer's loop. Its first
// operand is the producer's element; Args are the other operands.
type Map struct {
	Op   Op
	Args []*Value
	Aux  float64
	Name string // the name of the value the map computes
	Rule string
}

// LossWeight is the weight of a loss op's value in its function's loss, a
// weighted sum of terms: its Aux, where 0 (the zero value) means 1.
func (v *Value) LossWeight() float64 {
	if v.Aux == 0 {
		return 1
	}
	return v.Aux
}

// Ref is how a value appears as an argument in dumps: v7.
func (v *Value) Ref() string { return fmt.Sprintf("v%d", v.ID) }

// Label is the value's derivation name, or its Ref when it has none.
func (v *Value) Label() string {
	if v.Name != "" {
		return v.Name
	}
	return v.Ref()
}

// OutputKind says what a function output is.
type OutputKind uint8

// The output kinds.
const (
	// Prediction is the network's output, written to the caller's y.
	Prediction OutputKind = iota
	// LossOut is a term of the function's loss, returned to the caller: the
	// function's loss is the sum of its LossOut terms, each a loss op whose
	// value carries its weight (Value.LossWeight), and the grad pass seeds
	// each term. Today's specs make one term of weight 1.
	LossOut
	// GradOut is a parameter's gradient, summed into the gradient of
	// parameter Param; a parameter may have several GradOut outputs.
	GradOut
)

// Output is one result of a function.
type Output struct {
	Kind  OutputKind
	Value *Value
	Param string // for GradOut: the parameter's name
	// Port is, for Prediction, the index of the output in Program.Outputs,
	// and for a LossOut term of a network of several heads, its head's
	// index in Program.OutputFields.
	Port int
}

// Buffer is a workspace array planned for a function: every value assigned
// to it has type Type.
type Buffer struct {
	Type Type
}

// Func is one entry point of a Program: a list of values in topological
// order and its outputs.
type Func struct {
	Name string // its name in dumps and, with the Rows suffix rules of emit, in Go
	Role Role   // what the function is for; the emitter and the tools look it up by role
	// Rows is the most rows a call processes: 1 for per-sample functions,
	// the tile size for batched ones, which loop over tiles of a batch.
	Rows int
	// Grad asks the grad pass to add the backward graph of the loss.
	Grad    bool
	Values  []*Value
	Outputs []Output
	// Sig is the calling convention of the function's generated Go, set by
	// the layout pass; nil before it.
	Sig    *Signature
	Bufs   []Buffer // set by the plan pass
	nextID int
}

// Batched reports whether f processes a tile of up to Rows samples per call,
// row by row, rather than one sample (Rows == 1).
func (f *Func) Batched() bool { return f.Rows > 1 }

// Has reports whether f computes a value with op.
func (f *Func) Has(op Op) bool {
	for _, v := range f.Values {
		if v.Op == op {
			return true
		}
	}
	return false
}

// Signature is what a function's generated Go takes besides the parameters
// p, the workspace s and the input (xs for a batched function, x for one
// sample), and whether it returns the loss. Its declaration and every call
// of it are printed from it.
type Signature struct {
	Grad bool // g *Params: the gradients it adds to (or writes)
	// Targets: the targets (ts, or t for one sample) and batch, the length
	// of the whole batch, by which the loss and its gradient are divided.
	Targets bool
	// Labels: ls []int32 (l int32 for one sample), the class of each
	// sample. A call passes either targets or labels, the other nil (or,
	// for one sample, t nil).
	Labels     bool
	Prediction bool // the caller's output: y for one sample, ys for a tile
	Loss       bool // it returns its share of the batch's mean loss
	// First: first bool. A call with first set writes every parameter's
	// gradient (the values marked First) instead of adding to it, so a
	// caller that sets it on its first call need not clear the gradient.
	First bool
	Step  bool // step *Model: the gradients marked Step take the optimizer step row by row
	// Terms: terms *[Heads]T, which, when not nil, gets each head's
	// unweighted share of the loss added to its element (the loss
	// functions of a network of several heads; see Output.Port).
	Terms bool
	// Fresh: fresh bool, set on a call's first tile, which makes the
	// transposed weights that later tiles read.
	Fresh bool
	// Dropout: drop runtime.Dropout, the call's dropout key and the index
	// in the batch of the function's first sample (a function with a
	// Dropout op).
	Dropout bool
}

// SignatureOf returns the signature f, a function of p, needs for its
// values and outputs.
func SignatureOf(p *Program, f *Func) Signature {
	s := Signature{
		Targets:    f.Has(OpTarget),
		Labels:     f.Has(OpLabel),
		Prediction: f.Output(Prediction) != nil,
		Loss:       f.Output(LossOut) != nil,
		Fresh:      f.Batched() && f.Has(OpTranspose),
		Dropout:    f.Has(OpDropout),
	}
	for _, o := range f.Outputs {
		s.Grad = s.Grad || o.Kind == GradOut
	}
	for _, v := range f.Values {
		s.First = s.First || v.First
		s.Step = s.Step || v.Step
	}
	s.Terms = len(p.OutputFields) > 0 && s.Loss && !s.Grad
	return s
}

// NewValue appends a value to f with the next ID and returns it.
func (f *Func) NewValue(op Op, t Type, args ...*Value) *Value {
	v := f.Alloc(op, t, args...)
	f.Values = append(f.Values, v)
	return v
}

// Alloc returns a value with the next ID without placing it in f; the
// caller inserts it where it belongs.
func (f *Func) Alloc(op Op, t Type, args ...*Value) *Value {
	v := &Value{ID: f.nextID, Op: op, Type: t, Args: args, Buf: -1}
	f.nextID++
	return v
}

// Output returns the first output of kind k, or nil.
func (f *Func) Output(k OutputKind) *Value {
	for _, o := range f.Outputs {
		if o.Kind == k {
			return o.Value
		}
	}
	return nil
}

// Uses counts, for each value ID, the values and maps that read it.
func (f *Func) Uses() map[int]int {
	uses := make(map[int]int)
	for _, v := range f.Values {
		for _, a := range v.Args {
			uses[a.ID]++
		}
		for _, m := range v.Maps {
			for _, a := range m.Args {
				uses[a.ID]++
			}
		}
	}
	for _, o := range f.Outputs {
		uses[o.Value.ID]++
	}
	return uses
}

// Param is a trainable tensor of the network, in PyTorch's parameter order.
type Param struct {
	Name  string // Go field name: W1, B1, ...
	Torch string // PyTorch state_dict name in nn.Sequential: 0.weight, 0.bias, 2.weight, ...
	Type  Type   // its shape: [out][in] for a Linear weight, [out] for a bias
	Init  Init   // how Params.Init sets it
	// FanIn is the input width of the Linear layer the parameter belongs
	// to, for the Linear kinds of Init.
	FanIn int
	// Offset is where the parameter starts in the flat Params.Slice(); AddParam
	// sets it.
	Offset int
	// Frozen keeps the parameter fixed, like requires_grad_(False): the
	// grad pass derives no gradient for it and the optimizer skips it.
	Frozen bool
	// Transposed says that outside gradgen (safetensors files, ONNX) the
	// weight is kept as its transpose, [in][out].
	Transposed bool
	// Sparse marks an embedding table, whose gradient is zero outside the
	// rows of the batch's ids: Backward clears and Step (SGD without weight
	// decay) updates only those rows. IDs names the input of the ids.
	Sparse bool
	IDs    string
	Pos    Pos
	Doc    string // a short description for the generated field's comment
}

// Init is how Params.Init sets a parameter, as PyTorch's module initialises
// it. The kinds that draw numbers draw them from one generator in parameter
// order, so each parameter's values depend on those drawn before it.
type Init uint8

// The kinds of initialisation.
const (
	InitNone Init = iota
	// InitLinearWeight is nn.Linear's weight: kaiming_uniform_(a=√5), that is
	// U(−1/√FanIn, 1/√FanIn), drawn row-major.
	InitLinearWeight
	// InitLinearBias is nn.Linear's bias: U(−1/√FanIn, 1/√FanIn), drawn
	// after its weight.
	InitLinearBias
	InitZeros  // every element 0
	InitOnes   // every element 1, as a LayerNorm's γ
	InitNormal // every element from N(0, 1), as nn.Embedding's table (runtime.Rand.Normal)
)

// AddParam appends q to p's parameters, placed after the others in the flat
// Params.Slice() (it sets q.Offset).
func (p *Program) AddParam(q Param) {
	q.Offset = p.NumParams()
	p.Params = append(p.Params, q)
}

// LayerWidths describes the network's shape for doc comments: the widths
// of a chain's layers from its input on (4 → 8 → 3); a graph's inputs, its
// heads and how many dense layers lie between (obs 4, goal 3 → policy 2,
// value 1, a graph of 3 dense layers), since its layers are not a sequence.
func (p *Program) LayerWidths() string {
	dense := 0
	widths := []string{Widths(p.Inputs)}
	for _, q := range p.Params {
		if q.Init == InitLinearWeight {
			widths = append(widths, fmt.Sprint(q.Type.Dims[0]))
			dense++
		}
	}
	if !p.isGraph() {
		return strings.Join(widths, " → ")
	}
	ports := func(fields, flat []Port) string {
		if len(fields) == 0 {
			fields = flat
		}
		parts := make([]string, len(fields))
		for i, q := range fields {
			parts[i] = fmt.Sprintf("%s %d", q.Name, q.Width)
		}
		return strings.Join(parts, ", ")
	}
	return fmt.Sprintf("%s → %s, a graph of %d dense layers", ports(p.InputFields, p.Inputs), ports(p.OutputFields, p.Outputs), dense)
}

// isGraph reports whether p's network is a graph: several inputs or
// heads, or values with several users (a Concat or a Sum in predict).
func (p *Program) isGraph() bool {
	if len(p.InputFields) > 0 || len(p.OutputFields) > 0 {
		return true
	}
	if f := p.Func(RolePredict); f != nil {
		for _, v := range f.Values {
			if v.Op == OpConcat || v.Op == OpSum || v.Op == OpColumns {
				return true
			}
		}
	}
	return false
}

// OptimizerKind names an optimizer.
type OptimizerKind uint8

// The optimizers, with torch.optim semantics.
const (
	SGD OptimizerKind = iota
	Momentum
	Adam
	AdamW
)

// Optimizer is the update rule Step applies, with the spec's settings. The
// settings are the defaults of the generated model's run-time
// hyperparameters; only Kind shapes the generated code.
type Optimizer struct {
	Kind                  OptimizerKind
	LR, Momentum          float64
	Dampening             float64
	Nesterov              bool
	WeightDecay           float64
	Beta1, Beta2, Epsilon float64
	ClipGradNorm          float64 // 0: no clipping
	Schedule              Schedule
}

// Schedule is a learning-rate schedule: Warmup steps of linear warm-up from
// 0, then Kind ("" for a constant rate, "cosine" or "step").
type Schedule struct {
	Warmup   int
	Kind     string
	TMax     int
	EtaMin   float64
	StepSize int
	Gamma    float64
}

// StateCopies is the number of parameter-sized buffers the optimizer keeps:
// none for sgd, the velocity for momentum, two moments for adam and adamw.
func (k OptimizerKind) StateCopies() int {
	switch k {
	case Momentum:
		return 1
	case Adam, AdamW:
		return 2
	}
	return 0
}

// Port is a named input or output of the network: one row of Width
// elements per sample.
type Port struct {
	Name  string // x, y: the derivation's name, and the Go name emit gives it
	Width int
	// Categories, for an input, makes it an integer id in [0, Categories)
	// (its Width is 1): an int32 field of Input, whose bits the row's slot
	// holds, which only Embed reads.
	Categories int
}

// Widths formats the widths of ports as the package doc and dumps print
// them: "4" for one port, "obs 12 + goal 3" for several.
func Widths(ports []Port) string {
	if len(ports) == 1 {
		return fmt.Sprint(ports[0].Width)
	}
	parts := make([]string, len(ports))
	for i, q := range ports {
		parts[i] = fmt.Sprintf("%s %d", q.Name, q.Width)
	}
	return strings.Join(parts, " + ")
}

// Link is the function that turns a network's outputs into the quantity its
// loss compares with the targets: the identity for a regression loss, σ for
// binary cross-entropy on logits, softmax for softmax cross-entropy. The
// generated PredictProba applies it and Classify decides by it.
type Link uint8

// The links.
const (
	Identity Link = iota // the outputs are the predictions (mse)
	Sigmoid              // each output is the logit of an independent label
	Softmax              // the outputs are the logits of one class among Outputs
)

// Program is a whole network: parameters, optimizer and functions.
type Program struct {
	Package string
	DType   DType
	// Inputs and Outputs are the network's named inputs and outputs, in
	// order; an Input value reads the input Inputs[v.Port], a Target value
	// the target of the output Outputs[v.Port]. Today's specs make one of
	// each, x and y.
	Inputs    []Port
	Outputs   []Port
	Params    []Param
	Optimizer Optimizer
	Link      Link // how PredictProba and Classify read the outputs
	Funcs     []*Func
	// Source names the spec in the generated file's header, and SpecHash
	// is the hash of its canonical form there.
	Source, SpecHash string
	// SmallBatch is the batch length below which Backward runs the
	// per-sample training function once per sample instead of the tiled one.
	SmallBatch int
	// InputFields and OutputFields name the parts of the one flat input
	// and output of a network of several named inputs or heads, in order:
	// the fields of the generated Input, and of Output and Target, whose
	// memory is the flat row. Empty for a network of one input and one
	// output.
	InputFields, OutputFields []Port
	// Pretrained holds the parameters of a trained model the program was
	// imported from, in Params' order and layout, as float64; nil for none.
	Pretrained []float64
}

// Func returns the function with role r, or nil.
func (p *Program) Func(r Role) *Func {
	for _, f := range p.Funcs {
		if f.Role == r {
			return f
		}
	}
	return nil
}

// Role is what a function of the program is for.
type Role uint8

// The roles. Each program has one function of each.
const (
	RoleNone         Role = iota
	RolePredict           // one sample's prediction: Forward, behind Predict
	RoleLoss              // a tile's share of a batch's mean loss: behind Loss
	RoleTrain             // a tile's loss and gradient: behind Backward and Train
	RoleTrainSample       // one sample's loss and gradient: short batches of Backward and Train
	RoleLossSample        // one sample's share of the loss: short batches of Loss
	RolePredictBatch      // a tile's predictions: behind PredictBatch
)

var roleNames = [...]string{"none", "predict", "loss", "train", "trainSample", "lossSample", "predictBatch"}

// Predicts reports whether a function of role r writes the network's
// prediction (one sample's, or a tile's) rather than a loss.
func (r Role) Predicts() bool { return r == RolePredict || r == RolePredictBatch }

// String is the role's name, which is also the name build gives the
// function: predict, loss, train, trainSample, lossSample, predictBatch.
func (r Role) String() string {
	if int(r) < len(roleNames) {
		return roleNames[r]
	}
	return fmt.Sprintf("Role(%d)", r)
}

// NumParams is the total number of trainable scalars.
func (p *Program) NumParams() int {
	n := 0
	for _, q := range p.Params {
		n += q.Type.Elems()
	}
	return n
}

// Param returns the parameter named name, or nil.
func (p *Program) Param(name string) *Param {
	for i := range p.Params {
		if p.Params[i].Name == name {
			return &p.Params[i]
		}
	}
	return nil
}
