package emit

import (
	"bytes"

	. "github.com/dave/jennifer/jen"

	"github.com/gradgen/gradgen/ir"
	"github.com/gradgen/gradgen/runtime"
)

// A program imported from a trained model carries its parameters: they go
// into a weights file beside the generated code, a checkpoint in the format
// Params.Save writes (with its checksum and layout), which the code embeds
// and NewPretrained reads. The weights stay out of Go literals.

// WeightsFile is the name of the weights file of p, beside its generated
// file, or "" when p has no pretrained parameters.
func WeightsFile(p *ir.Program) string {
	if p.Pretrained == nil {
		return ""
	}
	return p.Package + "_weights.bin"
}

// Weights returns the contents of p's weights file: p.Pretrained as a
// checkpoint keyed like the generated package's (Layout and SpecHash).
// Nil when p has no pretrained parameters.
func Weights(p *ir.Program) ([]byte, error) {
	if p.Pretrained == nil {
		return nil, nil
	}
	key := &runtime.CheckpointKey{Layout: Layout(p), Spec: p.SpecHash}
	var buf bytes.Buffer
	var err error
	if p.DType == ir.F64 {
		err = runtime.WriteParams(&buf, key, p.Pretrained)
	} else {
		params := make([]float32, len(p.Pretrained))
		for i, x := range p.Pretrained {
			params[i] = float32(x) // exact: imported from float32 tensors
		}
		err = runtime.WriteParams(&buf, key, params)
	}
	return buf.Bytes(), err
}

// Layout describes p's parameter tensors as the generated Layout does.
func Layout(p *ir.Program) []runtime.ParamInfo {
	infos := make([]runtime.ParamInfo, len(p.Params))
	for i, q := range p.Params {
		infos[i] = runtime.ParamInfo{Name: q.Name, Torch: q.Torch, Shape: append([]int(nil), q.Type.Dims...),
			Offset: q.Offset, Transposed: q.Transposed}
	}
	return infos
}

// newPretrained declares NewPretrained, which reads the embedded weights
// file, for a program with pretrained parameters.
func newPretrained(file *File, p *ir.Program) {
	name := WeightsFile(p)
	if name == "" {
		return
	}
	file.Anon("embed")
	file.Comment("pretrained is the weights file " + name + ": the parameters of " + p.Source + ", as a checkpoint.")
	file.Comment("")
	file.Comment("//go:embed " + name)
	file.Var().Id("pretrained").Index().Byte()
	doc(file, "NewPretrained returns a model whose parameters are those of the trained model the package was\n"+
		"generated from ("+p.Source+"), bit for bit, with the spec's optimizer settings. NewModel(seed)\n"+
		"still gives a fresh initialisation.")
	file.Func().Id("NewPretrained").Params().Op("*").Id("Model").Block(
		Id("m").Op(":=").Op("&").Id("Model").Values(Dict{Id("hyper"): Id("DefaultHyperparams").Call()}),
		If(Err().Op(":=").Add(rt("ReadParams")).Call(Qual("bytes", "NewReader").Call(Id("pretrained")), Id("checkpointKey"), Id("m").Dot("Params").Dot("Slice").Call()),
			Err().Op("!=").Nil()).Block(
			Panic(Lit(p.Package+": the embedded "+name+" does not fit the model; regenerate the package: ").Op("+").Err().Dot("Error").Call()),
		),
		Return(Id("m")),
	)
}
