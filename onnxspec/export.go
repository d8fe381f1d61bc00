package onnxspec

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/gradgen/gradgen/ir"
	"github.com/gradgen/gradgen/onnxspec/onnxpb"
	"github.com/gradgen/gradgen/runtime"
)

// The opsets Export writes: DefaultOpset unless ExportOptions says otherwise,
// and any from MinOpset to MaxOpset.
const (
	DefaultOpset = 17
	MinOpset     = 9
	MaxOpset     = 20
)

// ExportOptions tune Export.
type ExportOptions struct {
	// Opset is the version of the default ONNX operator set the model
	// imports, from MinOpset to MaxOpset; 0 means DefaultOpset.
	Opset int
}

// irVersions is the IR version of a model of each opset: that of the ONNX
// release that introduced the opset (onnx.helper.VERSION_TABLE), so that any
// runtime that implements the opset reads the file.
var irVersions = [...]int64{9: 4, 10: 5, 11: 6, 12: 7, 13: 7, 14: 7, 15: 8, 16: 8, 17: 8, 18: 8, 19: 9, 20: 9}

// Export writes the prediction of p as an ONNX inference model, the
// serialized ModelProto, with the parameters params (the flat vector in the
// order and layout of p.Params: each weight [out][in] row-major, then its
// bias). p is a program as build.Program returns it, before the passes: its
// predict function still holds one Dense value per layer.
//
// The graph reads the input x of shape [N, width], with a symbolic batch
// dimension N, and writes y of shape [N, outputs]. Each op of the predict
// function becomes one node, named by the index of its layer in
// nn.Sequential as torch.onnx.export names them (/0/Gemm, /1/Relu, /2/Gemm):
// Dense becomes Gemm with transB=1 (transB=0 for a weight kept transposed
// outside gradgen, written transposed), or, without bias below opset 11,
// where Gemm needs one, MatMul with the weight transposed; the activations
// Relu, LeakyRelu, Sigmoid and Tanh; the output maps Softmax and LogSoftmax
// on axis 1. A graph network (several inputs or heads, Concat, Sum) is
// written as a custom nn.Module exports: a graph input per named input,
// an output per head, Concat on axis 1 and Add, its Gemm nodes named by
// their module (/trunk/Gemm) and the others by type (/Relu, /Relu_1). A
// layer_norm is LayerNormalization from opset 17 and its decomposition
// below (see export_norm.go), its nodes named by its module
// (/norm/LayerNormalization). An embedding is Gather(table, ids), as
// torch.onnx.export writes nn.Embedding, named by the table's module
// (/item_vec/Gather): its integer input is an int64 graph input [N], one id
// per sample, and its table an initializer [categories, dim]. A dropout
// layer is not written: the predict function has none, as
// torch.onnx.export in eval mode writes none.
// LeakyRelu's alpha is a float32 attribute, so the slope of a
// float64 network's leaky_relu that a float32 cannot hold (0.01, 0.2) is
// rounded to one in the model: its negative outputs then differ from
// gradgen's in their 8th digit. (PRelu with a float64 slope would be exact,
// but ONNX Runtime implements it for float64 only from opset 16.)
// Parameters are initializers named by their PyTorch names (ir.Param.Torch),
// FLOAT for a float32 program and DOUBLE for a float64 one, as raw
// little-endian data. The same program, parameters and options give the
// same bytes.
func Export(p *ir.Program, params []float64, opt ExportOptions) ([]byte, error) {
	m, err := exportModel(p, params, opt)
	if err != nil {
		return nil, err
	}
	return proto.MarshalOptions{Deterministic: true}.Marshal(m)
}

// exportModel builds the ModelProto Export serializes.
func exportModel(p *ir.Program, params []float64, opt ExportOptions) (*onnxpb.ModelProto, error) {
	opset := opt.Opset
	if opset == 0 {
		opset = DefaultOpset
	}
	if opset < MinOpset || opset > MaxOpset {
		return nil, fmt.Errorf("onnx export: opset %d; gradgen writes opsets %d to %d", opset, MinOpset, MaxOpset)
	}
	if n := p.NumParams(); len(params) != n {
		return nil, fmt.Errorf("onnx export: %d parameter values, but the network has %d parameters", len(params), n)
	}
	f := p.Func(ir.RolePredict)
	if f == nil || len(f.Outputs) != 1 || f.Outputs[0].Kind != ir.Prediction || f.Outputs[0].Port >= len(p.Outputs) {
		return nil, fmt.Errorf("onnx export: the program has no predict function with one prediction")
	}
	e := &exporter{p: p, params: params, elem: onnxpb.TensorProto_FLOAT, opset: opset,
		names: map[*ir.Value]string{}, taken: map[string]bool{}, transposed: map[*ir.Value]bool{},
		outputs: map[*ir.Value]string{}, ops: map[string]int{}, graph: &onnxpb.GraphProto{Name: proto.String(p.Package)}}
	if p.DType == ir.F64 {
		e.elem = onnxpb.TensorProto_DOUBLE
	}
	outs := []*ir.Value{f.Outputs[0].Value}
	if y := outs[0]; len(p.OutputFields) > 0 && y.Op == ir.OpConcat && len(y.Args) == len(p.OutputFields) {
		outs = y.Args // the heads: an output each
	}
	for i, v := range outs {
		port := p.Outputs[f.Outputs[0].Port]
		if len(outs) > 1 {
			port = p.OutputFields[i]
		}
		e.outputs[v] = port.Name
	}
	live := liveValues(outs...)
	e.sequential = !slices.ContainsFunc(f.Values, func(v *ir.Value) bool {
		return live[v] && (v.Op == ir.OpConcat || v.Op == ir.OpSum || v.Op == ir.OpColumns)
	}) && len(p.InputFields) == 0
	e.readsRow = slices.ContainsFunc(f.Values, func(v *ir.Value) bool {
		return live[v] && v.Op != ir.OpColumns && v.Op != ir.OpEmbed && slices.ContainsFunc(v.Args, func(a *ir.Value) bool { return a.Op == ir.OpInput })
	})
	e.norms = layerNorms(f, live, e.outputs)
	for _, v := range f.Values {
		// A Dense without bias below opset 11 is a MatMul of x and Wᵀ.
		if live[v] && v.Op == ir.OpDense && len(v.Args) == 2 && opset < 11 {
			e.transposed[v.Args[1]] = true
		}
	}
	for _, v := range f.Values {
		if !live[v] {
			continue // the loss and its targets: predict's function holds them until dce
		}
		rule, ok := exportRules[v.Op]
		if !ok {
			return nil, fmt.Errorf("onnx export: %s%s: the op %s has no ONNX form in gradgen's exporter", v.Label(), where(v.Pos), v.Op)
		}
		if err := rule(e, v); err != nil {
			return nil, fmt.Errorf("onnx export: %s%s: %w", v.Label(), where(v.Pos), err)
		}
	}
	for _, v := range outs {
		if e.names[v] != e.outputs[v] {
			return nil, fmt.Errorf("onnx export: the prediction %s is not computed by a node", v.Label())
		}
		e.graph.Output = append(e.graph.Output, e.valueInfo(e.outputs[v], v.Type.Cols()))
	}
	return &onnxpb.ModelProto{
		IrVersion:       proto.Int64(irVersions[opset]),
		OpsetImport:     []*onnxpb.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(int64(opset))}},
		ProducerName:    proto.String("gradgen"),
		ProducerVersion: proto.String(runtime.Version),
		DocString:       proto.String(fmt.Sprintf("%s network exported by gradgen %s from %s (spec %s)", p.LayerWidths(), runtime.Version, p.Source, p.SpecHash)),
		Graph:           e.graph,
	}, nil
}

// where is " (pos)", or nothing for an unknown position.
func where(pos ir.Pos) string {
	if s := pos.String(); s != "" {
		return " (" + s + ")"
	}
	return ""
}

// liveValues returns the values outs depend on, themselves included.
func liveValues(outs ...*ir.Value) map[*ir.Value]bool {
	live := map[*ir.Value]bool{}
	stack := slices.Clone(outs)
	for len(stack) > 0 {
		v := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if live[v] {
			continue
		}
		live[v] = true
		stack = append(stack, v.Args...)
	}
	return live
}

// exporter holds what Export has written so far.
type exporter struct {
	p       *ir.Program
	params  []float64
	outputs map[*ir.Value]string // the graph's outputs: y, or the heads by name
	elem    onnxpb.TensorProto_DataType
	graph   *onnxpb.GraphProto
	// names is the ONNX name of each value written; taken holds every
	// name in the graph, so that two tensors never share one.
	names map[*ir.Value]string
	taken map[string]bool
	// transposed marks the parameter values whose initializer is written
	// transposed for a MatMul, beyond those kept transposed anyway.
	transposed map[*ir.Value]bool
	// fields are the inputs of a network of several, as values named by
	// them, and readsRow says that a layer reads their concatenation, the
	// program's one input row; linear is the module of the last Linear
	// written.
	fields   []*ir.Value
	readsRow bool
	linear   string
	// sequential names the nodes of a chain as nn.Sequential's modules:
	// module is the index of the next one (a Linear and its activation
	// are modules of their own). A graph's nodes are named as those of a
	// custom nn.Module's forward: a Linear's by its module (/trunk/Gemm),
	// the functional ops' by their type, numbered from the second of a
	// type on (/Relu, /Relu_1), as ops counts them.
	sequential bool
	module     int
	ops        map[string]int
	// opset is the opset written; norms maps each value of a layer
	// normalization (Normalize, Mul by γ, Sum with β) to it (norm.go).
	opset int
	norms map[*ir.Value]*normValues
}

// exportRules writes each op's node (or graph input, or initializer) for the
// value v.
var exportRules map[ir.Op]func(e *exporter, v *ir.Value) error

func init() {
	exportRules = map[ir.Op]func(e *exporter, v *ir.Value) error{
		ir.OpInput:      (*exporter).input,
		ir.OpColumns:    (*exporter).columns,
		ir.OpParam:      (*exporter).param,
		ir.OpDense:      (*exporter).dense,
		ir.OpReLU:       unary("Relu"),
		ir.OpLeakyReLU:  (*exporter).leakyReLU,
		ir.OpSigmoid:    unary("Sigmoid"),
		ir.OpTanh:       unary("Tanh"),
		ir.OpSoftmax:    rowMap("Softmax"),
		ir.OpLogSoftmax: rowMap("LogSoftmax"),
		ir.OpConcat:     rowMap("Concat"),
		ir.OpSum:        (*exporter).sum,
		ir.OpNormalize:  (*exporter).normalize,
		ir.OpMul:        (*exporter).mul,
		ir.OpEmbed:      (*exporter).embed,
	}
}

// input declares the graph input x: [N][width]; or, for the flat row of a
// network's several inputs, each of them, and x as their Concat when a
// layer reads them all.
func (e *exporter) input(v *ir.Value) error {
	if v.Port < 0 || v.Port >= len(e.p.Inputs) || len(v.Type.Dims) != 1 {
		return fmt.Errorf("input %d of type %s is not a row per sample of one of the program's inputs", v.Port, v.Type.Format(e.p.DType))
	}
	if len(e.p.InputFields) == 0 {
		name := e.p.Inputs[v.Port].Name
		if err := e.name(v, name); err != nil {
			return err
		}
		e.graph.Input = append(e.graph.Input, e.valueInfo(name, v.Type.Cols()))
		return nil
	}
	fields := make([]*ir.Value, len(e.p.InputFields))
	for i, in := range e.p.InputFields {
		fields[i] = &ir.Value{Op: ir.OpInput, Type: ir.Batch(in.Width)}
		if err := e.name(fields[i], in.Name); err != nil {
			return err
		}
		if in.Categories > 0 {
			e.graph.Input = append(e.graph.Input, idsInfo(in.Name))
		} else {
			e.graph.Input = append(e.graph.Input, e.valueInfo(in.Name, in.Width))
		}
	}
	e.fields = fields
	if !e.readsRow {
		return nil // every layer reads its inputs by name
	}
	if slices.ContainsFunc(e.p.InputFields, func(in ir.Port) bool { return in.Categories > 0 }) {
		return fmt.Errorf("a layer reads the row of every input, ids included; only an embedding reads an integer input")
	}
	return e.node(v, "Concat", fields, intAttr("axis", 1))
}

// columns names an input's columns of the flat row of several inputs by
// that input's name.
func (e *exporter) columns(v *ir.Value) error {
	off := 0
	for i, in := range e.p.InputFields {
		if off == int(v.Aux) && in.Width == v.Type.Cols() && v.Args[0].Op == ir.OpInput {
			e.names[v] = e.names[e.fields[i]]
			return nil
		}
		off += in.Width
	}
	return fmt.Errorf("columns %d to %d of %s are not one of the network's inputs", int(v.Aux), int(v.Aux)+v.Type.Cols(), v.Args[0].Label())
}

// param writes the parameter's initializer, named by its PyTorch name,
// transposed ([in][out]) when it is kept so outside gradgen or a MatMul
// reads it.
func (e *exporter) param(v *ir.Value) error {
	q := e.p.Param(v.Name)
	if q == nil {
		return fmt.Errorf("no parameter is named %s", v.Name)
	}
	if !q.Type.Equal(v.Type) {
		return fmt.Errorf("parameter %s has type %s, the value %s", q.Name, q.Type.Format(e.p.DType), v.Type.Format(e.p.DType))
	}
	data := e.params[q.Offset : q.Offset+q.Type.Elems()]
	dims := q.Type.Dims
	if (q.Transposed || e.transposed[v]) && len(dims) == 2 {
		data, dims = transposed(data, dims[0], dims[1]), []int{dims[1], dims[0]}
	}
	if err := e.name(v, q.Torch); err != nil {
		return err
	}
	e.graph.Initializer = append(e.graph.Initializer, e.tensor(q.Torch, dims, data))
	return nil
}

// dense writes a layer's product: Gemm(x, W, b), or MatMul(x, Wᵀ) without
// bias below opset 11.
func (e *exporter) dense(v *ir.Value) error {
	w := v.Args[1]
	q := e.p.Param(w.Name)
	if w.Op != ir.OpParam || q == nil {
		return fmt.Errorf("the weight of a Dense must be a parameter, is %s", w.Label())
	}
	e.linear = strings.TrimSuffix(q.Torch, ".weight")
	if e.transposed[w] {
		return e.node(v, "MatMul", v.Args)
	}
	if q.Transposed {
		return e.node(v, "Gemm", v.Args)
	}
	return e.node(v, "Gemm", v.Args, intAttr("transB", 1))
}

// leakyReLU writes LeakyRelu with the slope as alpha, a float32.
func (e *exporter) leakyReLU(v *ir.Value) error {
	return e.node(v, "LeakyRelu", v.Args, floatAttr("alpha", float32(v.Aux)))
}

// unary returns the rule of an element-wise op that becomes one node of
// the given type.
func unary(opType string) func(e *exporter, v *ir.Value) error {
	return func(e *exporter, v *ir.Value) error { return e.node(v, opType, v.Args) }
}

// rowMap returns the rule of an op over each row: axis 1, which every
// opset reads the same way for a matrix (Softmax, LogSoftmax, and the
// Concat of torch.cat(dim=1)).
func rowMap(opType string) func(e *exporter, v *ir.Value) error {
	return func(e *exporter, v *ir.Value) error {
		return e.node(v, opType, v.Args, intAttr("axis", 1))
	}
}

// nodeName names the next node of type opType as torch.onnx.export
// would (see exporter.sequential).
func (e *exporter) nodeName(opType string) string {
	if e.sequential {
		e.module++
		return fmt.Sprintf("/%d/%s", e.module-1, opType)
	}
	if opType == "Gemm" || opType == "MatMul" {
		return fmt.Sprintf("/%s/%s", e.linear, opType)
	}
	k := e.ops[opType]
	e.ops[opType]++
	if k == 0 {
		return "/" + opType
	}
	return fmt.Sprintf("/%s_%d", opType, k)
}

// node appends the node computing v from args, each already written, named
// by nodeName: its output is <name>_output_0 as torch.onnx.export names
// them, or the name of the model's output v is.
func (e *exporter) node(v *ir.Value, opType string, args []*ir.Value, attrs ...*onnxpb.AttributeProto) error {
	inputs, err := e.argNames(args)
	if err != nil {
		return err
	}
	return e.valueNode(v, e.nodeName(opType), opType, inputs, attrs...)
}

// argNames returns the ONNX names of args, each already written.
func (e *exporter) argNames(args []*ir.Value) ([]string, error) {
	inputs := make([]string, len(args))
	for i, a := range args {
		in, ok := e.names[a]
		if !ok {
			return nil, fmt.Errorf("its argument %s is not written before it", a.Label())
		}
		inputs[i] = in
	}
	return inputs, nil
}

// valueNode appends the node name computing v from the tensors inputs: its
// output is <name>_output_0, or the name of the model's output v is.
func (e *exporter) valueNode(v *ir.Value, name, opType string, inputs []string, attrs ...*onnxpb.AttributeProto) error {
	output := name + "_output_0"
	if out, ok := e.outputs[v]; ok {
		output = out
	}
	if err := e.name(v, output); err != nil {
		return err
	}
	e.graph.Node = append(e.graph.Node, &onnxpb.NodeProto{Name: proto.String(name), OpType: proto.String(opType),
		Input: inputs, Output: []string{output}, Attribute: attrs})
	return nil
}

// name gives v the ONNX name s, which no other tensor of the graph may have.
func (e *exporter) name(v *ir.Value, s string) error {
	if e.taken[s] {
		return fmt.Errorf("two tensors of the graph would be named %q", s)
	}
	e.taken[s] = true
	e.names[v] = s
	return nil
}

// valueInfo declares a graph input or output of shape [N][cols].
func (e *exporter) valueInfo(name string, cols int) *onnxpb.ValueInfoProto {
	dims := []*onnxpb.TensorShapeProto_Dimension{
		{Value: &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: "N"}},
		{Value: &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: int64(cols)}},
	}
	return &onnxpb.ValueInfoProto{Name: proto.String(name), Type: &onnxpb.TypeProto{
		Value: &onnxpb.TypeProto_TensorType{TensorType: &onnxpb.TypeProto_Tensor{
			ElemType: proto.Int32(int32(e.elem)), Shape: &onnxpb.TensorShapeProto{Dim: dims}}}}}
}

// idsInfo declares the integer graph input name of shape [N]: one id per
// sample, int64 as torch.onnx.export writes nn.Embedding's indices.
func idsInfo(name string) *onnxpb.ValueInfoProto {
	dims := []*onnxpb.TensorShapeProto_Dimension{{Value: &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: "N"}}}
	return &onnxpb.ValueInfoProto{Name: proto.String(name), Type: &onnxpb.TypeProto{
		Value: &onnxpb.TypeProto_TensorType{TensorType: &onnxpb.TypeProto_Tensor{
			ElemType: proto.Int32(int32(onnxpb.TensorProto_INT64)), Shape: &onnxpb.TensorShapeProto{Dim: dims}}}}}
}

// embed writes an embedding, y = E[id] with the id at column Aux of the
// row of inputs, as torch.onnx.export writes nn.Embedding: Gather(E, ids)
// (axis 0) of the table's initializer by the integer input, named by the
// table's module (/item_vec/Gather).
func (e *exporter) embed(v *ir.Value) error {
	x, table := v.Args[0], v.Args[1]
	q := e.p.Param(table.Name)
	if table.Op != ir.OpParam || q == nil {
		return fmt.Errorf("the table of an Embed must be a parameter, is %s", table.Label())
	}
	off := 0
	for i, in := range e.p.InputFields {
		if off == int(v.Aux) && in.Categories > 0 && x.Op == ir.OpInput && e.fields != nil {
			args, err := e.argNames([]*ir.Value{table, e.fields[i]})
			if err != nil {
				return err
			}
			return e.valueNode(v, e.scopedName(strings.TrimSuffix(q.Torch, ".weight"), "Gather"), "Gather", args)
		}
		off += in.Width
	}
	return fmt.Errorf("column %d of %s is not one of the network's integer inputs", int(v.Aux), x.Label())
}

// tensor is an initializer of the program's element type holding data, of
// shape dims, as raw little-endian bytes.
func (e *exporter) tensor(name string, dims []int, data []float64) *onnxpb.TensorProto {
	var raw []byte
	if e.elem == onnxpb.TensorProto_DOUBLE {
		raw = make([]byte, 0, 8*len(data))
		for _, x := range data {
			raw = binary.LittleEndian.AppendUint64(raw, math.Float64bits(x))
		}
	} else {
		raw = make([]byte, 0, 4*len(data))
		for _, x := range data {
			raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(float32(x)))
		}
	}
	shape := make([]int64, len(dims))
	for i, d := range dims {
		shape[i] = int64(d)
	}
	return &onnxpb.TensorProto{Name: proto.String(name), Dims: shape, DataType: proto.Int32(int32(e.elem)), RawData: raw}
}

func intAttr(name string, i int64) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_INT.Enum(), I: proto.Int64(i)}
}

func floatAttr(name string, f float32) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_FLOAT.Enum(), F: proto.Float32(f)}
}
