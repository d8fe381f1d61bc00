package passes

import "github.com/gradgen/gradgen/ir"

// minRowsForTranspose is the tile size from which a batched function
// transposes a weight once per tile, so that x̄ = Wᵀ ȳ runs as dot
// products over contiguous rows (MatMulT) instead of scaled row additions:
// the copy costs one pass over W, the product one pass per row.
const minRowsForTranspose = 4

// Layout chooses the memory layout of products by shape. In a batched
// function it rewrites each MatMul(ȳ, W), whose rows would be added to the
// result one weight row at a time, into MatMulT(ȳ, Wᵀ) with Wᵀ computed by a
// Transpose just before it. Per-sample functions keep MatMul, where a
// transpose would cost as much as the product.
func Layout(p *ir.Program, f *ir.Func) error {
	if f.Rows < minRowsForTranspose {
		return nil
	}
	var out []*ir.Value
	for _, v := range f.Values {
		if v.Op == ir.OpMatMul {
			w := v.Args[1]
			wt := f.Alloc(ir.OpTranspose, ir.Matrix(w.Type.Dims[1], w.Type.Dims[0]), w)
			wt.Name, wt.Pos = w.Name+"ᵀ", v.Pos
			v.Op, v.Args = ir.OpMatMulT, []*ir.Value{v.Args[0], wt}
			out = append(out, wt)
		}
		out = append(out, v)
	}
	f.Values = out
	return nil
}
