package passes

import "github.com/gradgen/gradgen/ir"

// Lower turns each Dense layer into the primitive it computes, Affine
// (z = W x + b per row), whose vector-Jacobian rule is in the op table; a
// layer op carries no rule, so grad needs this first. Layers with more to
// them (dropout, normalisation) would expand into several primitives here.
func Lower(p *ir.Program, f *ir.Func) error {
	for _, v := range f.Values {
		if v.Op == ir.OpDense {
			v.Op = ir.OpAffine
		}
	}
	return nil
}
