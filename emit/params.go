package emit

import (
	"fmt"
	"slices"

	. "github.com/dave/jennifer/jen"

	"github.com/gradgen/gradgen/ir"
	"github.com/gradgen/gradgen/runtime"
)

// The declarations of the sizes, of Params and of its methods: the flat
// view, the initialisation, the layout and the checkpoints.

// versionGuard makes the file fail to build against a runtime it was not
// generated for.
func versionGuard(file *File, _ *ir.Program) {
	doc(file, "The generated code fails to build against a runtime it was not made for.")
	file.Const().Defs(
		Id("_").Op("=").Add(rt("EnforceVersion")).Call(Lit(runtime.GenVersion).Op("-").Add(rt("MinVersion"))),
		Id("_").Op("=").Add(rt("EnforceVersion")).Call(rt("MaxVersion").Op("-").Lit(runtime.GenVersion)),
	)
}

// sizes declares the widths, the number of parameters and the tile size.
func sizes(file *File, p *ir.Program) {
	file.Const().Defs(
		Comment("Inputs is the width of one input sample."),
		Id("Inputs").Op("=").Lit(p.Inputs[0].Width),
		Comment("Outputs is the width of one output (and of one target)."),
		Id("Outputs").Op("=").Lit(p.Outputs[0].Width),
		Comment("NumParams is the number of parameter scalars, frozen ones included: the length of Params.Slice()."),
		Id("NumParams").Op("=").Lit(p.NumParams()),
		Comment("tileRows is the most samples Loss and Backward process in one pass of their"),
		Comment("workspace; longer batches are walked in tiles."),
		Id("tileRows").Op("=").Lit(p.Func(ir.RoleTrain).Rows),
	)
}

// paramsType declares Params, in PyTorch's nn.Sequential parameter order.
func paramsType(file *File, p *ir.Program) {
	fields := make([]Code, len(p.Params))
	for i, q := range p.Params {
		t := elem(p)
		for d := len(q.Type.Dims) - 1; d >= 0; d-- {
			t = Index(Lit(q.Type.Dims[d])).Add(t)
		}
		fields[i] = Id(q.Name).Add(t).Comment(q.Doc)
	}
	doc(file, "Params holds every parameter of the network. Weights are [out][in], row-major, as in\n"+
		"PyTorch's nn.Linear, and the fields are in the order of nn.Sequential(...).parameters().")
	file.Type().Id("Params").Struct(fields...)
}

// sliceMethod declares Params.Slice, the parameters as one flat slice.
func sliceMethod(file *File, p *ir.Program) {
	first := Op("&").Id("p").Dot(p.Params[0].Name).Add(zeroIndex(p.Params[0]))
	doc(file, "Slice returns all parameters as one slice that aliases p, in field order.")
	file.Func().Params(Id("p").Op("*").Id("Params")).Id("Slice").Params().Index().Add(elem(p)).Block(
		Return(Qual("unsafe", "Slice").Call(first, Id("NumParams"))),
	)
}

// zeroIndex is [0][0]… for each dimension of q: its first element.
func zeroIndex(q ir.Param) *Statement {
	s := Index(Lit(0))
	for range q.Type.Dims[1:] {
		s.Index(Lit(0))
	}
	return s
}

// layoutGuard declares constant indexes that fail to compile unless Params
// is packed in field order with no padding, as Slice needs.
func layoutGuard(file *File, p *ir.Program) {
	guard := []Code{Var().Id("x").Index(Lit(1)).Struct()}
	size := Lit(p.DType.Size())
	guard = append(guard, Id("_").Op("=").Id("x").Index(Qual("unsafe", "Sizeof").Call(Id("Params").Values()).Op("-").Id("NumParams").Op("*").Add(size)))
	for _, q := range p.Params {
		guard = append(guard, Id("_").Op("=").Id("x").Index(Qual("unsafe", "Offsetof").Call(Id("Params").Values().Dot(q.Name)).Op("-").Lit(q.Offset*p.DType.Size())))
	}
	doc(file, "Params must be packed with no padding, in field order, for Slice to alias it;\nthese constant indexes fail to compile otherwise.")
	file.Func().Id("_").Params().Block(guard...)
}

// initMethod declares Params.Init, layer by layer as
// nn.Linear.reset_parameters.
func initMethod(file *File, p *ir.Program) {
	init := []Code{
		Var().Id("r").Add(rt("Rand")),
		Id("r").Dot("Seed").Call(Id("seed")),
		Id("s").Op(":=").Id("p").Dot("Slice").Call(),
	}
	for i := 0; i < len(p.Params); i++ {
		q := p.Params[i]
		if q.Init == ir.InitLinearWeight && i+1 < len(p.Params) && p.Params[i+1].Init == ir.InitLinearBias {
			i++ // nn.Linear draws its weight, then its bias
			init = append(init, paramInit(q, &p.Params[i]))
			continue
		}
		init = append(init, paramInit(q, nil))
	}
	text := "Init sets p as PyTorch's nn.Linear initialises a layer: every weight and bias drawn from\n" +
		"U(−1/√fan_in, 1/√fan_in), layer by layer, weights before biases, from gradgen's runtime.Rand\n" +
		"seeded with seed. The same seed gives the same parameters in every gradgen version."
	if slices.ContainsFunc(p.Params, func(q ir.Param) bool { return q.Init == ir.InitOnes }) {
		text += "\nA layer_norm's γ is 1 and its β 0, as nn.LayerNorm's; they draw no random numbers."
	}
	doc(file, text)
	file.Func().Params(Id("p").Op("*").Id("Params")).Id("Init").Params(Id("seed").Uint64()).Block(init...)
}

// paramInit is the statement of Init that sets q, and its bias b when q is
// a Linear weight followed by its bias (drawn right after it).
func paramInit(q ir.Param, b *ir.Param) Code {
	span := func(q ir.Param) *Statement { return Id("s").Index(Lit(q.Offset), Lit(q.Offset+q.Type.Elems())) }
	switch q.Init {
	case ir.InitLinearWeight:
		bias := Nil()
		if b != nil {
			bias = span(*b)
		}
		return rt("InitLinear").Call(Op("&").Id("r"), span(q), bias, Lit(q.FanIn))
	case ir.InitLinearBias:
		return rt("InitLinearBias").Call(Op("&").Id("r"), span(q), Lit(q.FanIn))
	case ir.InitZeros:
		return Clear(span(q))
	case ir.InitNormal:
		return Qual(runtimePath, "InitNormal").Call(Op("&").Id("r"), span(q))
	case ir.InitOnes:
		return rt("Fill").Call(span(q), Lit(1))
	}
	panic(fmt.Sprintf("emit: parameter %s has no initialisation", q.Name))
}

// specHash declares SpecHash, which checkpoints carry.
func specHash(file *File, p *ir.Program) {
	doc(file, "SpecHash identifies the spec this package was generated from (the hash of its canonical\n"+
		"form). Checkpoints are keyed on Layout instead, so a change of hyperparameters keeps them; those\n"+
		"of gradgen before checkpoint format 3 carry SpecHash and still load.")
	file.Const().Id("SpecHash").Op("=").Lit(p.SpecHash)
}

// checkpointKeyVar declares checkpointKey, what checkpoints are keyed on.
func checkpointKeyVar(file *File, _ *ir.Program) {
	doc(file, "checkpointKey keys checkpoints on the parameters' names and shapes (and, for older files, the spec).")
	file.Var().Id("checkpointKey").Op("=").Op("&").Add(rt("CheckpointKey")).Values(Dict{
		Id("Layout"): Id("Layout"), Id("Spec"): Id("SpecHash"),
	})
}

// layoutVar declares Layout, which describes each tensor of Params.Slice().
func layoutVar(file *File, p *ir.Program) {
	doc(file, "Layout describes each parameter tensor of Params.Slice(): its field, its PyTorch name in\n"+
		"nn.Sequential's state_dict (for safetensors files), its shape and its offset.")
	file.Var().Id("Layout").Op("=").Index().Add(rt("ParamInfo")).ValuesFunc(func(g *Group) {
		for _, q := range p.Params {
			shape := make([]Code, len(q.Type.Dims))
			for i, d := range q.Type.Dims {
				shape[i] = Lit(d)
			}
			g.Line().Values(
				Id("Name").Op(":").Lit(q.Name),
				Id("Torch").Op(":").Lit(q.Torch),
				Id("Shape").Op(":").Index().Int().Values(shape...),
				Id("Offset").Op(":").Lit(q.Offset),
				transposedField(q),
			)
		}
		g.Line()
	})
}

// transposedField is the Transposed field of a weight kept transposed
// outside gradgen, or nothing.
func transposedField(q ir.Param) Code {
	if !q.Transposed {
		return Null()
	}
	return Id("Transposed").Op(":").True()
}

// paramsMethod declares the method name of Params, with params, that
// returns the error of the runtime's function fn on the args.
func paramsMethod(file *File, text, name string, params []Code, fn string, args ...Code) {
	doc(file, text)
	file.Func().Params(Id("p").Op("*").Id("Params")).Id(name).Params(params...).Error().Block(
		Return(rt(fn).Call(args...)),
	)
}

// paramsCheckFinite declares Params.CheckFinite.
func paramsCheckFinite(file *File, _ *ir.Program) {
	paramsMethod(file, "CheckFinite returns an error naming the first NaN or infinity in p, such as\n"+
		"\"Params.W1[3][0] is NaN\", or nil. It allocates only to report.",
		"CheckFinite", nil, "CheckFinite", Id("Layout"), Id("p").Dot("Slice").Call(), Lit("Params"))
}

// saveMethod declares Params.Save, which writes a checkpoint.
func saveMethod(file *File, _ *ir.Program) {
	paramsMethod(file, "Save writes p to a checkpoint file atomically (a temporary file, then a rename): a\n"+
		"versioned header with the element type and Layout, the parameters, and a checksum.",
		"Save", []Code{Id("path").String()}, "SaveParams", Id("path"), Id("checkpointKey"), Id("p").Dot("Slice").Call())
}

// loadMethod declares Params.Load, which reads a checkpoint.
func loadMethod(file *File, _ *ir.Program) {
	paramsMethod(file, "Load reads the parameters of a checkpoint written by Save or Model.Save into p. A file of\n"+
		"other parameter names or shapes (the error says which differ) or element type, a truncated or\n"+
		"corrupted one is an error, and then p is left unchanged.",
		"Load", []Code{Id("path").String()}, "LoadParams", Id("path"), Id("checkpointKey"), Id("p").Dot("Slice").Call())
}
