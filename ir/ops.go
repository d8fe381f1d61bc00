package ir

import (
	"fmt"
	"unicode/utf8"
)

// Op is an IR operation. Its definition, type rule and vector-Jacobian rule
// live together in the table below.
type Op uint8

// The ops. ȳ is the gradient of the loss with respect to y; B is the number
// of rows of a batched value and N the length of the whole batch, a run-time
// scalar of every batched function.
const (
	OpInvalid Op = iota

	// Leaves.
	OpInput  // x, one row per sample
	OpTarget // t, one row per sample
	OpLabel  // l, one class index per sample: the target is its one-hot row
	OpParam  // a trainable parameter, by name

	// Layers, before the lower pass.
	OpDense // y = W x + b on each row: a layer, before lowering

	// Forward primitives.
	OpAffine     // y = W x + b on each row (b optional): nn.Linear
	OpReLU       // y = max(0, z)
	OpLeakyReLU  // y = z > 0 ? z : α z
	OpSigmoid    // y = 1 / (1 + e^−z)
	OpTanh       // y = tanh z
	OpMSE        // L = Σ (a − t)² / (N n)
	OpSoftmaxCE  // L = −Σ t · log softmax(z) / N
	OpBCELogits  // L = Σ max(z,0) − z t + log(1 + e^−|z|) / (N n)
	OpSoftmax    // y = e^z / Σ e^z on each row: an output map of Predict
	OpLogSoftmax // y = z − log Σ e^z on each row: an output map of Predict
	OpConcat     // y = [a; b; …] on each row: torch.cat(dim=1)
	OpSum        // y = a + b: a residual connection
	OpColumns    // y = x[off : off+n] on each row: a named input (or target) in the flat row of several

	// Backward primitives, made by the grad pass.
	OpMatMul         // y = g W: per row y = Wᵀ g
	OpMatMulTN       // y += gᵀ x: per row y += g xᵀ, summed over rows and tiles
	OpSumRows        // y += Σ_rows g, summed over tiles
	OpAdd            // y = a + b
	OpReLUGrad       // y = g ⊙ 1[a > 0]
	OpLeakyReLUGrad  // y = g ⊙ (a > 0 ? 1 : α)
	OpSigmoidGrad    // y = g ⊙ a ⊙ (1 − a)
	OpTanhGrad       // y = g ⊙ (1 − a²)
	OpMSEGrad        // y = 2 (a − t) / (N n)
	OpSoftmaxCEGrad  // y = (softmax(z) Σt − t) / N
	OpBCELogitsGrad  // y = (σ(z) − t) / (N n)
	OpSoftmaxGrad    // z̄ = y ⊙ (ȳ − ȳ·y), of y = softmax(z)
	OpLogSoftmaxGrad // z̄ = ȳ − e^y Σ ȳ, of y = log_softmax(z)
	OpSlice          // y = g[off : off+n] on each row: a concatenated operand's part of ȳ

	// Layout.
	OpTranspose // y = Wᵀ, so that a product with Wᵀ runs over rows of memory

	// Layer normalization: n = Normalize(z), then y = n ⊙ γ + β (Mul, Sum).
	OpNormalize     // y = (z − mean z) / √(var z + ε) on each row, ε = Aux
	OpMul           // y = a ⊙ b (b batched, or a vector: the same column of every row)
	OpNormalizeGrad // z̄ = (ȳ − mean ȳ − y · mean(ȳ ⊙ y)) / √(var z + ε), of y = Normalize(z)

	// Dropout: y = z ⊙ m with the mask m of the call, layer Port and sample
	// (runtime.DropRow), p = Aux; its gradient is the same op on ȳ.
	OpDropout

	// Embeddings: y = E[id] on each row, with id the integer at column Aux
	// of the input row x; Ē[id] += ȳ, row by row in order.
	OpEmbed
	OpEmbedGrad

	numOps
)

// Class groups ops by how they compute their result.
type Class uint8

// The op classes.
const (
	// Leaf values are given, not computed.
	Leaf Class = iota
	// Layer ops stand for several primitives; lower expands them.
	Layer
	// Producer ops write a batched result one element at a time, so
	// element-wise maps can be fused into their loop.
	Producer
	// Elementwise ops map their first operand element by element; the
	// other operands are read at the same index (or the same column, for a
	// vector beside a batched operand). They can fuse into a producer.
	Elementwise
	// Reduction ops sum into their result across rows and tiles (losses,
	// parameter gradients).
	Reduction
)

// OpInfo describes an op.
type OpInfo struct {
	Name  string
	Class Class
	// Type checks the arguments and returns the result type.
	Type func(v *Value) (Type, error)
	// VJP is the op's vector-Jacobian rule: given the value v and the
	// gradient gy of the loss with respect to v (nil for a loss, whose
	// gradient is the seed ∂L/∂L = 1), it adds the values that compute the
	// gradient with respect to each argument to f and returns them, nil
	// for an argument that takes no gradient. Nil for ops that are not
	// differentiated (leaves, layers that must be lowered first, and the
	// backward ops themselves).
	VJP func(f *Func, v, gy *Value) []*Value
	// Backward marks the ops that VJP rules make; they are not
	// differentiated again.
	Backward bool
}

// Info returns op's table entry.
func (op Op) Info() *OpInfo {
	if op <= OpInvalid || int(op) >= len(opTable) {
		return &opTable[OpInvalid]
	}
	return &opTable[op]
}

// Register adds an op defined outside this package to the table, with its
// part in the derivation, and returns it: a test's, or a front end's. Its
// info needs what a built-in op's has: a name, a class, a type rule (such
// as UnaryType), and a vector-Jacobian rule unless it is a backward op
// (ActivationVJP makes one for an element-wise activation). The emitter then
// needs a function that prints it. Register panics on a name already in the
// table. It is not safe for concurrent use: call it before building programs,
// from an init function or at the start of a test.
func Register(info OpInfo, m Math) Op {
	for _, known := range opTable {
		if known.Name == info.Name {
			panic("ir: Register: an op named " + info.Name + " exists")
		}
	}
	if len(opTable) > 255 {
		panic("ir: Register: the op table is full")
	}
	op := Op(len(opTable))
	opTable = append(opTable, info)
	opMath[op] = m
	return op
}

// UnaryType is the type rule of an element-wise op of one batched operand:
// the result has the operand's type.
func UnaryType(v *Value) (Type, error) { return unaryType(v) }

// SameType is the type rule of an element-wise op of two batched operands
// of one type, such as an activation's gradient (ȳ and the saved output).
func SameType(v *Value) (Type, error) { return sameType(v) }

// ActivationVJP makes the vector-Jacobian rule of an element-wise activation
// op whose derivative is written in terms of its output (see activationVJP):
// the rule adds a value of the backward op grad with arguments (ȳ, y) and
// the given derivation rule, whose three %s are z̄, ȳ and y.
func ActivationVJP(op, grad Op, rule string) func(f *Func, v, gy *Value) []*Value {
	return activationVJP(op, grad, rule)
}

// String is the op's name as dumps print it.
func (op Op) String() string { return op.Info().Name }

// Ops returns every valid op, in table order: the built-in ones, then those
// added by Register.
func Ops() []Op {
	ops := make([]Op, 0, len(opTable)-1)
	for op := OpInvalid + 1; int(op) < len(opTable); op++ {
		ops = append(ops, op)
	}
	return ops
}

// opTable holds the built-in ops at their constants' indexes, then the
// registered ones.
var opTable []OpInfo

func init() {
	opTable = []OpInfo{
		OpInvalid: {Name: "Invalid", Class: Leaf, Type: func(*Value) (Type, error) { return Type{}, fmt.Errorf("invalid op") }},

		OpInput:  {Name: "Input", Class: Leaf, Type: leafType},
		OpTarget: {Name: "Target", Class: Leaf, Type: leafType},
		OpLabel:  {Name: "Label", Class: Leaf, Type: leafType},
		OpParam:  {Name: "Param", Class: Leaf, Type: leafType},

		OpDense: {Name: "Dense", Class: Layer, Type: affineType},

		OpAffine: {Name: "Affine", Class: Producer, Type: affineType, VJP: affineVJP},
		OpReLU: {Name: "ReLU", Class: Elementwise, Type: unaryType,
			VJP: activationVJP(OpReLU, OpReLUGrad, "%s = %s ⊙ 1[%s > 0]")},
		OpLeakyReLU: {Name: "LeakyReLU", Class: Elementwise, Type: unaryType,
			VJP: activationVJP(OpLeakyReLU, OpLeakyReLUGrad, "%s = %s ⊙ (%s > 0 ? 1 : α)")},
		OpSigmoid: {Name: "Sigmoid", Class: Elementwise, Type: unaryType,
			VJP: activationVJP(OpSigmoid, OpSigmoidGrad, "%s = %s ⊙ %[3]s ⊙ (1 − %[3]s)")},
		OpTanh: {Name: "Tanh", Class: Elementwise, Type: unaryType,
			VJP: activationVJP(OpTanh, OpTanhGrad, "%s = %s ⊙ (1 − %s²)")},
		OpMSE: {Name: "MSE", Class: Reduction, Type: lossType,
			VJP: lossVJP(OpMSEGrad, "%s = 2(%s − %s) / (N·n)")},
		OpSoftmaxCE: {Name: "SoftmaxCE", Class: Reduction, Type: labeledLossType,
			VJP: lossVJP(OpSoftmaxCEGrad, "%s = (softmax(%s)·Σ%[3]s − %[3]s) / N")},
		OpBCELogits: {Name: "BCELogits", Class: Reduction, Type: lossType,
			VJP: lossVJP(OpBCELogitsGrad, "%s = (σ(%s) − %s) / (N·n)")},

		OpSoftmax: {Name: "Softmax", Class: Producer, Type: unaryType,
			VJP: rowMapVJP(OpSoftmaxGrad, "%s = %[3]s ⊙ (%[2]s − %[2]s·%[3]s)")},
		OpLogSoftmax: {Name: "LogSoftmax", Class: Producer, Type: unaryType,
			VJP: rowMapVJP(OpLogSoftmaxGrad, "%s = %s − e^%s Σ%[2]s")},

		OpConcat:  {Name: "Concat", Class: Producer, Type: concatType, VJP: concatVJP},
		OpSum:     {Name: "Sum", Class: Elementwise, Type: broadcastType, VJP: sumVJP},
		OpColumns: {Name: "Columns", Class: Producer, Type: sliceType, VJP: columnsVJP},

		OpMatMul:         {Name: "MatMul", Class: Producer, Type: matMulType, Backward: true},
		OpMatMulTN:       {Name: "MatMulTN", Class: Reduction, Type: matMulTNType, Backward: true},
		OpSumRows:        {Name: "SumRows", Class: Reduction, Type: sumRowsType, Backward: true},
		OpAdd:            {Name: "Add", Class: Elementwise, Type: sameType, Backward: true},
		OpReLUGrad:       {Name: "ReLUGrad", Class: Elementwise, Type: sameType, Backward: true},
		OpLeakyReLUGrad:  {Name: "LeakyReLUGrad", Class: Elementwise, Type: sameType, Backward: true},
		OpSigmoidGrad:    {Name: "SigmoidGrad", Class: Elementwise, Type: sameType, Backward: true},
		OpTanhGrad:       {Name: "TanhGrad", Class: Elementwise, Type: sameType, Backward: true},
		OpMSEGrad:        {Name: "MSEGrad", Class: Producer, Type: sameType, Backward: true},
		OpSoftmaxCEGrad:  {Name: "SoftmaxCEGrad", Class: Producer, Type: labeledGradType, Backward: true},
		OpBCELogitsGrad:  {Name: "BCELogitsGrad", Class: Producer, Type: sameType, Backward: true},
		OpSoftmaxGrad:    {Name: "SoftmaxGrad", Class: Producer, Type: sameType, Backward: true},
		OpLogSoftmaxGrad: {Name: "LogSoftmaxGrad", Class: Producer, Type: sameType, Backward: true},
		OpSlice:          {Name: "Slice", Class: Producer, Type: sliceType, Backward: true},

		OpTranspose: {Name: "Transpose", Class: Producer, Type: transposeType, Backward: true},

		OpNormalize:     {Name: "Normalize", Class: Producer, Type: unaryType, VJP: normalizeVJP},
		OpMul:           {Name: "Mul", Class: Elementwise, Type: broadcastType, VJP: mulVJP},
		OpNormalizeGrad: {Name: "NormalizeGrad", Class: Producer, Type: sameType3, Backward: true},
		OpDropout:       {Name: "Dropout", Class: Producer, Type: unaryType, VJP: dropoutVJP},
		OpEmbed:         {Name: "Embed", Class: Producer, Type: embedType, VJP: embedVJP},
		OpEmbedGrad:     {Name: "EmbedGrad", Class: Reduction, Type: embedGradType, Backward: true},
	}
	if len(opTable) != int(numOps) {
		panic("ir: the op table ends before the last built-in op") // every op needs a row
	}
}

// Bar returns the name of the gradient of a value named name: x̄ for x, W̄1
// for W1 (a combining macron after the first letter).
func Bar(name string) string {
	_, n := utf8.DecodeRuneInString(name)
	return name[:n] + "\u0304" + name[n:]
}

// gradName names the gradient of v.
func gradName(v *Value) string {
	if v.Name == "" {
		return ""
	}
	return Bar(v.Name)
}

// affineVJP: for y = W x + b (per row), ∂y/∂x = W, ∂yᵢ/∂Wᵢⱼ = xⱼ and
// ∂y/∂b = I, so the vector-Jacobian products are x̄ = Wᵀ ȳ, W̄ = ȳ xᵀ and
// b̄ = ȳ, the last two summed over the batch.
func affineVJP(f *Func, v, gy *Value) []*Value {
	x, w := v.Args[0], v.Args[1]
	gx := f.NewValue(OpMatMul, x.Type, gy, w)
	gx.Name = gradName(x)
	gx.Rule = fmt.Sprintf("%s = %sᵀ %s", gx.Label(), w.Label(), gy.Label())
	gw := f.NewValue(OpMatMulTN, w.Type, gy, x)
	gw.Name = gradName(w)
	gw.Rule = fmt.Sprintf("%s += %s %sᵀ", gw.Label(), gy.Label(), x.Label())
	gx.Pos, gw.Pos = v.Pos, v.Pos
	grads := []*Value{gx, gw}
	if len(v.Args) == 3 {
		b := v.Args[2]
		gb := f.NewValue(OpSumRows, b.Type, gy)
		gb.Name = gradName(b)
		gb.Rule = fmt.Sprintf("%s += %s", gb.Label(), gy.Label())
		gb.Pos = v.Pos
		grads = append(grads, gb)
	}
	return grads
}

// activationVJP makes the rule of an element-wise activation y = f(z). Its
// Jacobian is diagonal, diag(f′(z)), so the product ȳᵀ diag(f′(z)) is the
// element-wise ȳ ⊙ f′(z). Every activation here writes f′ in terms of the
// saved output y (relu and leaky relu with α > 0: z > 0 exactly when y > 0;
// σ′ = y(1 − y); tanh′ = 1 − y²), so z itself need not be kept.
func activationVJP(op, grad Op, rule string) func(f *Func, v, gy *Value) []*Value {
	return func(f *Func, v, gy *Value) []*Value {
		if v.Op != op {
			panic("ir: rule of " + op.String() + " applied to " + v.Op.String())
		}
		z := v.Args[0]
		gz := f.NewValue(grad, z.Type, gy, v)
		gz.Aux = v.Aux
		gz.Name = gradName(z)
		gz.Rule = fmt.Sprintf(rule, gz.Label(), gy.Label(), v.Label())
		gz.Pos = v.Pos
		return []*Value{gz}
	}
}

// rowMapVJP makes the rule of a map of each row as a whole, y = f(z),
// whose Jacobian is not diagonal but is written in terms of the output y:
// softmax's is diag(y) − y yᵀ, so z̄ = y ⊙ (ȳ − ȳ·y); log_softmax's is
// I − 1 softmax(z)ᵀ with softmax(z) = e^y, so z̄ = ȳ − e^y Σ ȳ. The
// backward op takes (ȳ, y) and sums over the row once.
func rowMapVJP(grad Op, rule string) func(f *Func, v, gy *Value) []*Value {
	return func(f *Func, v, gy *Value) []*Value {
		z := v.Args[0]
		gz := f.NewValue(grad, z.Type, gy, v)
		gz.Name = gradName(z)
		gz.Rule = fmt.Sprintf(rule, gz.Label(), gy.Label(), v.Label())
		gz.Pos = v.Pos
		return []*Value{gz}
	}
}

// concatVJP: y = [a; b; …] has the Jacobian [I 0 …] with respect to a,
// [0 I …] to b, and so on, so each operand's gradient is its part of ȳ: the
// columns of ȳ at the operand's offset (Aux).
func concatVJP(f *Func, v, gy *Value) []*Value {
	grads := make([]*Value, len(v.Args))
	off := 0
	for i, a := range v.Args {
		g := f.NewValue(OpSlice, a.Type, gy)
		g.Aux = float64(off)
		g.Name = gradName(a)
		g.Rule = fmt.Sprintf("%s = %s[%d:%d]", g.Label(), gy.Label(), off, off+a.Type.Cols())
		g.Pos = v.Pos
		grads[i] = g
		off += a.Type.Cols()
	}
	return grads
}

// sumVJP: y = a + b has the identity as its Jacobian with respect to each
// operand, so each gets ȳ itself; where an operand has other users, the
// grad pass sums what each path gives (the total derivative). A vector b,
// added to every row (layer norm's β), gets ȳ summed over the rows.
func sumVJP(f *Func, v, gy *Value) []*Value {
	b := v.Args[1]
	if b.Type.Batched {
		return []*Value{gy, gy}
	}
	gb := f.NewValue(OpSumRows, b.Type, gy)
	gb.Name, gb.Pos = gradName(b), v.Pos
	gb.Rule = fmt.Sprintf("%s += %s", gb.Label(), gy.Label())
	return []*Value{gy, gb}
}

// mulVJP: y = a ⊙ b has the diagonal Jacobian diag(b) with respect to a
// and diag(a) with respect to b, so ā = ȳ ⊙ b and b̄ = ȳ ⊙ a; a vector b,
// which scales every row (layer norm's γ), gets ȳ ⊙ a summed over the rows.
func mulVJP(f *Func, v, gy *Value) []*Value {
	a, b := v.Args[0], v.Args[1]
	ga := f.NewValue(OpMul, a.Type, gy, b)
	ga.Name, ga.Pos = gradName(a), v.Pos
	ga.Rule = fmt.Sprintf("%s = %s ⊙ %s", ga.Label(), gy.Label(), b.Label())
	gb := f.NewValue(OpMul, a.Type, gy, a)
	gb.Pos = v.Pos
	if b.Type.Batched {
		gb.Name = gradName(b)
		gb.Rule = fmt.Sprintf("%s = %s ⊙ %s", gb.Label(), gy.Label(), a.Label())
		return []*Value{ga, gb}
	}
	gb.Name = gradName(b) + "_rows"
	gb.Rule = fmt.Sprintf("%s = %s ⊙ %s", gb.Label(), gy.Label(), a.Label())
	sum := f.NewValue(OpSumRows, b.Type, gb)
	sum.Name, sum.Pos = gradName(b), v.Pos
	sum.Rule = fmt.Sprintf("%s += Σ_rows %s ⊙ %s", sum.Label(), gy.Label(), a.Label())
	return []*Value{ga, sum}
}

// embedVJP: y = E[id] = Eᵀ onehot(id) is linear in E, with ∂yⱼ/∂E_kj =
// 1[k = id], so Ē = onehot(id) ȳᵀ: ȳ added to the id's row, summed over the
// batch (a scatter-add over the rows the batch touches). The ids take no
// gradient.
func embedVJP(f *Func, v, gy *Value) []*Value {
	x, e := v.Args[0], v.Args[1]
	ge := f.NewValue(OpEmbedGrad, e.Type, gy, x)
	ge.Aux, ge.Name, ge.Pos = v.Aux, gradName(e), v.Pos
	ge.Rule = fmt.Sprintf("%s[id] += %s, id = %s[%d]", ge.Label(), gy.Label(), x.Label(), int(v.Aux))
	return []*Value{nil, ge}
}

// dropoutVJP: y = z ⊙ m, with the mask m a constant of the call, has the
// diagonal Jacobian diag(m), so z̄ = ȳ ⊙ m: the same op on ȳ, which draws
// the same mask (the mask is a function of the call, the layer, the sample
// and the column, not stored).
func dropoutVJP(f *Func, v, gy *Value) []*Value {
	z := v.Args[0]
	gz := f.NewValue(OpDropout, z.Type, gy)
	gz.Aux, gz.Port, gz.Name, gz.Pos = v.Aux, v.Port, gradName(z), v.Pos
	gz.Rule = fmt.Sprintf("%s = %s ⊙ m%d", gz.Label(), gy.Label(), v.Port)
	return []*Value{gz}
}

// normalizeVJP: for y = (z − μ)/σ on a row of n values, with μ its mean and
// σ² = var z + ε its biased variance plus ε, ∂y_i/∂z_j = (δ_ij − 1/n −
// y_i y_j / n) / σ, a full (symmetric) Jacobian, so z̄ = Jᵀ ȳ = (ȳ − mean ȳ −
// y · mean(ȳ ⊙ y)) / σ: the backward op takes ȳ, y and z (for σ) and sums
// over the row twice.
func normalizeVJP(f *Func, v, gy *Value) []*Value {
	z := v.Args[0]
	gz := f.NewValue(OpNormalizeGrad, z.Type, gy, v, z)
	gz.Aux, gz.Name, gz.Pos = v.Aux, gradName(z), v.Pos
	gz.Rule = fmt.Sprintf("%s = (%s − mean %[2]s − %[3]s·mean(%[2]s ⊙ %[3]s)) / σ(%[4]s)", gz.Label(), gy.Label(), v.Label(), z.Label())
	return []*Value{gz}
}

// columnsVJP: the columns of an input or a target, which take no gradient
// out of the function.
func columnsVJP(f *Func, v, gy *Value) []*Value { return []*Value{nil} }

// lossVJP makes the rule of a loss L(z, t): the seed ∂L/∂L is 1, so z̄ is
// the loss's gradient itself, times the term's weight in a function whose
// loss is a weighted sum of terms; targets take no gradient.
func lossVJP(grad Op, rule string) func(f *Func, v, gy *Value) []*Value {
	return func(f *Func, v, gy *Value) []*Value {
		z, t := v.Args[0], v.Args[1]
		gz := f.NewValue(grad, z.Type, v.Args...) // with the labels, if any
		gz.Aux = v.Aux                            // the term's weight scales its gradient
		gz.Name = gradName(z)
		gz.Rule = fmt.Sprintf(rule, gz.Label(), z.Label(), t.Label())
		gz.Pos = v.Pos
		grads := make([]*Value, len(v.Args)) // targets and labels take none
		grads[0] = gz
		return grads
	}
}

func argc(v *Value, n int) error {
	if len(v.Args) != n {
		return fmt.Errorf("%s takes %d arguments, has %d", v.Op, n, len(v.Args))
	}
	return nil
}

func leafType(v *Value) (Type, error) {
	if err := argc(v, 0); err != nil {
		return Type{}, err
	}
	if v.Name == "" {
		return Type{}, fmt.Errorf("%s needs a name", v.Op)
	}
	return v.Type, nil
}

func isBatchVec(t Type) bool { return t.Batched && len(t.Dims) == 1 }

// affineType: x [B][in], W [out][in], optional b [out] → [B][out]. Dense
// layers have the same shape.
func affineType(v *Value) (Type, error) {
	if len(v.Args) != 2 && len(v.Args) != 3 {
		return Type{}, fmt.Errorf("%s takes 2 or 3 arguments, has %d", v.Op, len(v.Args))
	}
	x, w := v.Args[0].Type, v.Args[1].Type
	if !isBatchVec(x) || w.Batched || len(w.Dims) != 2 || w.Dims[1] != x.Dims[0] {
		return Type{}, fmt.Errorf("%s of %s and %s: want [B][in] and [out][in]", v.Op, x.Format(F32), w.Format(F32))
	}
	if len(v.Args) == 3 {
		if b := v.Args[2].Type; b.Batched || len(b.Dims) != 1 || b.Dims[0] != w.Dims[0] {
			return Type{}, fmt.Errorf("%s bias %s does not fit the weight %s", v.Op, b.Format(F32), w.Format(F32))
		}
	}
	return Batch(w.Dims[0]), nil
}

// matMulType: g [B][out], W [out][in] → [B][in].
func matMulType(v *Value) (Type, error) {
	if err := argc(v, 2); err != nil {
		return Type{}, err
	}
	g, w := v.Args[0].Type, v.Args[1].Type
	if !isBatchVec(g) || w.Batched || len(w.Dims) != 2 || w.Dims[0] != g.Dims[0] {
		return Type{}, fmt.Errorf("%s of %s and %s: want [B][out] and [out][in]", v.Op, g.Format(F32), w.Format(F32))
	}
	return Batch(w.Dims[1]), nil
}

// matMulTNType: g [B][out], x [B][in] → [out][in].
func matMulTNType(v *Value) (Type, error) {
	if err := argc(v, 2); err != nil {
		return Type{}, err
	}
	g, x := v.Args[0].Type, v.Args[1].Type
	if !isBatchVec(g) || !isBatchVec(x) {
		return Type{}, fmt.Errorf("%s of %s and %s: want [B][out] and [B][in]", v.Op, g.Format(F32), x.Format(F32))
	}
	return Matrix(g.Dims[0], x.Dims[0]), nil
}

func sumRowsType(v *Value) (Type, error) {
	if err := argc(v, 1); err != nil {
		return Type{}, err
	}
	g := v.Args[0].Type
	if !isBatchVec(g) {
		return Type{}, fmt.Errorf("%s of %s: want [B][n]", v.Op, g.Format(F32))
	}
	return Vector(g.Dims[0]), nil
}

func unaryType(v *Value) (Type, error) {
	if err := argc(v, 1); err != nil {
		return Type{}, err
	}
	if !isBatchVec(v.Args[0].Type) {
		return Type{}, fmt.Errorf("%s of %s: want [B][n]", v.Op, v.Args[0].Type.Format(F32))
	}
	return v.Args[0].Type, nil
}

// sameType: two batched operands of one type → that type.
func sameType(v *Value) (Type, error) {
	if err := argc(v, 2); err != nil {
		return Type{}, err
	}
	a, b := v.Args[0].Type, v.Args[1].Type
	if !isBatchVec(a) || !a.Equal(b) {
		return Type{}, fmt.Errorf("%s of %s and %s: want two equal [B][n]", v.Op, a.Format(F32), b.Format(F32))
	}
	return a, nil
}

// broadcastType: a [B][n] with b [B][n], or with a vector b [n] that
// applies to every row → [B][n].
func broadcastType(v *Value) (Type, error) {
	if err := argc(v, 2); err != nil {
		return Type{}, err
	}
	a, b := v.Args[0].Type, v.Args[1].Type
	if !isBatchVec(a) || !(a.Equal(b) || !b.Batched && len(b.Dims) == 1 && b.Dims[0] == a.Cols()) {
		return Type{}, fmt.Errorf("%s of %s and %s: want [B][n] and [B][n] or [n]", v.Op, a.Format(F32), b.Format(F32))
	}
	return a, nil
}

// embedType: the input row x [B][n] (whose column Aux holds the id) and the
// table E [C][D] → [B][D].
func embedType(v *Value) (Type, error) {
	if err := argc(v, 2); err != nil {
		return Type{}, err
	}
	x, e := v.Args[0].Type, v.Args[1].Type
	if !isBatchVec(x) || e.Batched || len(e.Dims) != 2 || v.Aux < 0 || int(v.Aux) >= x.Cols() {
		return Type{}, fmt.Errorf("%s of %s at column %v and %s: want a row with the id and [C][D]", v.Op, x.Format(F32), v.Aux, e.Format(F32))
	}
	return Batch(e.Dims[1]), nil
}

// embedGradType: ȳ [B][D] and the input row x → the table's [C][D], the
// value's own type.
func embedGradType(v *Value) (Type, error) {
	if err := argc(v, 2); err != nil {
		return Type{}, err
	}
	g, x := v.Args[0].Type, v.Args[1].Type
	if !isBatchVec(g) || !isBatchVec(x) || v.Type.Batched || len(v.Type.Dims) != 2 || v.Type.Dims[1] != g.Cols() {
		return Type{}, fmt.Errorf("%s of %s into %s: want [B][D] into [C][D]", v.Op, g.Format(F32), v.Type.Format(F32))
	}
	return v.Type, nil
}

// sameType3: three batched operands of one type → that type.
func sameType3(v *Value) (Type, error) {
	if err := argc(v, 3); err != nil {
		return Type{}, err
	}
	a := v.Args[0].Type
	for _, b := range v.Args {
		if !isBatchVec(b.Type) || !a.Equal(b.Type) {
			return Type{}, fmt.Errorf("%s of %s and %s: want equal [B][n]", v.Op, a.Format(F32), b.Type.Format(F32))
		}
	}
	return a, nil
}

// concatType: batched vectors [B][n₁], [B][n₂], … → [B][n₁+n₂+…].
func concatType(v *Value) (Type, error) {
	if len(v.Args) < 2 {
		return Type{}, fmt.Errorf("%s takes at least 2 arguments, has %d", v.Op, len(v.Args))
	}
	n := 0
	for _, a := range v.Args {
		if !isBatchVec(a.Type) {
			return Type{}, fmt.Errorf("%s of %s: want [B][n]", v.Op, a.Type.Format(F32))
		}
		n += a.Type.Cols()
	}
	return Batch(n), nil
}

// sliceType: g [B][n] → [B][w] with w the value's own width, at offset Aux.
func sliceType(v *Value) (Type, error) {
	if err := argc(v, 1); err != nil {
		return Type{}, err
	}
	g := v.Args[0].Type
	off := int(v.Aux)
	if !isBatchVec(g) || !isBatchVec(v.Type) || float64(off) != v.Aux || off < 0 || off+v.Type.Cols() > g.Cols() {
		return Type{}, fmt.Errorf("%s [%v:+%s] of %s: out of range", v.Op, v.Aux, v.Type.Format(F32), g.Format(F32))
	}
	return v.Type, nil
}

// labeledGradType is sameType of the first two arguments, z and t, with an
// optional third, the class labels l: [B][n], [B][n] (, [B][1]) → [B][n]. A
// call with labels reads t as the one-hot rows of l.
func labeledGradType(v *Value) (Type, error) {
	if len(v.Args) != 3 {
		return sameType(v)
	}
	if l := v.Args[2]; l.Op != OpLabel || !l.Type.Equal(Batch(1)) {
		return Type{}, fmt.Errorf("%s: the third argument must be the labels, a Label [B][1]", v.Op)
	}
	return sameType(&Value{Op: v.Op, Args: v.Args[:2]})
}

// labeledLossType is lossType with the optional labels of labeledGradType.
func labeledLossType(v *Value) (Type, error) {
	if _, err := labeledGradType(v); err != nil {
		return Type{}, err
	}
	return Scalar, nil
}

func lossType(v *Value) (Type, error) {
	if _, err := sameType(v); err != nil {
		return Type{}, err
	}
	return Scalar, nil
}

// transposeType: W [a][b] → [b][a].
func transposeType(v *Value) (Type, error) {
	if err := argc(v, 1); err != nil {
		return Type{}, err
	}
	w := v.Args[0].Type
	if w.Batched || len(w.Dims) != 2 {
		return Type{}, fmt.Errorf("%s of %s: want a matrix", v.Op, w.Format(F32))
	}
	return Matrix(w.Dims[1], w.Dims[0]), nil
}
