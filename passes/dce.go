package passes

import "github.com/gradgen/gradgen/ir"

// DCE removes every value that no output needs, walking back from the
// outputs through arguments and map operands. In train it drops the
// gradient with respect to the input x, which grad derives like any other;
// in predict it drops the loss and the targets.
func DCE(p *ir.Program, f *ir.Func) error {
	live := make(map[*ir.Value]bool)
	var mark func(v *ir.Value)
	mark = func(v *ir.Value) {
		if live[v] {
			return
		}
		live[v] = true
		for _, a := range v.Args {
			mark(a)
		}
		for _, m := range v.Maps {
			for _, a := range m.Args {
				mark(a)
			}
		}
	}
	for _, o := range f.Outputs {
		mark(o.Value)
	}
	remove(f, func(v *ir.Value) bool { return !live[v] })
	return nil
}
