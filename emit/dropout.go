package emit

import (
	. "github.com/dave/jennifer/jen"

	"github.com/gradgen/gradgen/ir"
)

// The declarations of a network with dropout layers: the generator of its
// masks (Model.dropout, a runtime.DropoutState), SetSeed, and the key each
// training call draws (dropoutKey); and the op that applies a mask.

// dropoutField is Model's field that generates the dropout masks.
func dropoutField(p *ir.Program) Code {
	if !hasDropout(p) {
		return Null()
	}
	return Id("dropout").Add(rt("DropoutState")).Comment("the dropout masks' seed and the training calls so far")
}

// seedDropout seeds the dropout masks in NewModel with its seed.
func seedDropout(p *ir.Program) Code {
	if !hasDropout(p) {
		return Null()
	}
	return Id("m").Dot("dropout").Dot("Seed").Op("=").Id("seed")
}

// dropoutMethods declares SetSeed and dropoutKey.
func dropoutMethods(file *File, p *ir.Program) {
	if !hasDropout(p) {
		return
	}
	doc(file, "SetSeed seeds the dropout layers' masks, as torch.manual_seed does, and restarts their\n"+
		"sequence: each Backward or Train call after it drops the values the call's number, the layer,\n"+
		"the sample's index in the batch and the column decide, the same for any tiling or number of\n"+
		"workers. NewModel(seed) seeds them with seed; Save and Load keep the seed and the calls so far,\n"+
		"so a resumed model drops what one that never stopped would.")
	file.Func().Params(Id("m").Op("*").Id("Model")).Id("SetSeed").Params(Id("seed").Uint64()).Block(
		Id("m").Dot("dropout").Op("=").Add(rt("DropoutState")).Values(Dict{Id("Seed"): Id("seed")}),
	)
	doc(file, "dropoutKey returns the key of the next training call's dropout masks.")
	file.Func().Params(Id("m").Op("*").Id("Model")).Id("dropoutKey").Params().Uint64().Block(
		Id("key").Op(":=").Add(rt("DropoutKey")).Call(Id("m").Dot("dropout").Dot("Seed"), Id("m").Dot("dropout").Dot("Calls")),
		Id("m").Dot("dropout").Dot("Calls").Op("++"),
		Return(Id("key")),
	)
}

// emitDropout writes y = x ⊙ m row by row (runtime.DropRow): the mask of
// the call's key, the layer (v.Port) and the sample, drop.Row plus the row
// of the tile. Its gradient is the same op on ȳ, which draws the same mask.
func emitDropout(c *funcCtx, v *ir.Value) []Code {
	row := Lit(0)
	if c.f.Batched() {
		row = Id("r")
	}
	return c.rowLoop(append([]Code{
		Id("in").Op(":=").Add(c.row(v.Args[0])),
		Id("out").Op(":=").Add(c.row(v)),
		rt("DropRow").Call(all(Id("out")), all(Id("in")), Id("drop"), Lit(v.Port), row, Lit(v.Aux)),
	}, c.mapInPlace(v)...))
}
