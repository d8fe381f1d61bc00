package passes

import "github.com/gradgen/gradgen/ir"

// Lower expands each Dense layer, z = x Wᵀ + b, into the primitives
// MatMulT (z = W x per row) and AddBias, so that grad sees ops whose rules
// are in the table.
func Lower(p *ir.Program, f *ir.Func) error {
	var out []*ir.Value
	for _, v := range f.Values {
		if v.Op != ir.OpDense {
			out = append(out, v)
			continue
		}
		// The new values take the places of v in order; v keeps its ID on
		// the last of them so dumps stay easy to follow.
		mm := f.Alloc(ir.OpMatMulT, v.Type, v.Args[0], v.Args[1])
		mm.Pos = v.Pos
		if len(v.Args) == 2 {
			v.Op, v.Args = ir.OpMatMulT, v.Args[:2]
			out = append(out, v)
			continue
		}
		v.Op, v.Args = ir.OpAddBias, []*ir.Value{mm, v.Args[2]}
		out = append(out, mm, v)
	}
	f.Values = out
	return nil
}
