package passes

import "github.com/gradgen/gradgen/ir"

// Fuse merges each element-wise op into the loop of the value it maps when
// that value has no other reader: z = W x + b followed by a = max(0, z)
// becomes one loop that computes a, and z is never stored. The fused value
// keeps the ID and name of the element-wise op it absorbs, carries the
// producer's op, arguments, parameters (Aux, Port), kernel and marks, and
// lists the absorbed ops as maps.
func Fuse(p *ir.Program, f *ir.Func) error {
	uses := f.Uses()
	fused := make(map[*ir.Value]bool)
	for _, v := range f.Values {
		if v.Op.Info().Class != ir.Elementwise || len(v.Args) == 0 {
			continue
		}
		u := v.Args[0]
		c := u.Op.Info().Class
		if uses[u.ID] != 1 || (c != ir.Producer && c != ir.Elementwise) {
			continue
		}
		m := ir.Map{Op: v.Op, Args: v.Args[1:], Aux: v.Aux, Name: v.Name, Rule: v.Rule}
		v.Op, v.Args, v.Aux, v.Port, v.Rule, v.Kernel, v.First, v.Step = u.Op, u.Args, u.Aux, u.Port, u.Rule, u.Kernel, u.First, u.Step
		if v.Origin == nil {
			v.Origin = u.Origin
		}
		v.Maps = append(append([]ir.Map(nil), u.Maps...), m)
		fused[u] = true
	}
	remove(f, func(v *ir.Value) bool { return fused[v] })
	return nil
}
