// Package passes transforms an ir.Program from the forward graph that build
// makes to the planned graph that emit prints. Each pass is a small named
// function over one function of the program; Pipeline lists them in order and
// Order states the orderings they depend on, which a test checks.
package passes

import (
	"fmt"
	"strings"

	"github.com/gradgen/gradgen/ir"
)

// Pass is one named transformation of a function.
type Pass struct {
	Name string
	Doc  string
	Run  func(p *ir.Program, f *ir.Func) error
}

// Pipeline is every pass, in the order Run applies them.
var Pipeline = []Pass{
	{"lower", "expand layers into primitive ops", Lower},
	{"grad", "derive the backward graph from each op's vector-Jacobian rule", Grad},
	{"dce", "drop values no output needs (such as the input's gradient)", DCE},
	{"layout", "choose the layout of products by shape (transpose W for batched x̄ = Wᵀ ȳ)", Layout},
	{"fuse", "merge element-wise ops into the loop of their producer", Fuse},
	{"plan", "assign workspace buffers by liveness", Plan},
	{"verify", "check the planned graph", Verify},
}

// Order lists pairs {before, after}: the first pass must run before the
// second, because the second relies on what the first produces or removes.
var Order = [][2]string{
	{"lower", "grad"},  // rules exist for primitives only
	{"grad", "dce"},    // grad makes the input's gradient, which dce drops
	{"dce", "fuse"},    // fuse needs exact use counts
	{"dce", "layout"},  // no transposes for gradients nobody needs
	{"layout", "plan"}, // transposes need buffers
	{"grad", "fuse"},   // a fused value has no rule
	{"fuse", "plan"},   // buffers are planned for the fused values
	{"plan", "verify"}, // verify checks the buffer plan
}

// Names lists the passes' names in pipeline order.
func Names() []string {
	names := make([]string, len(Pipeline))
	for i, ps := range Pipeline {
		names[i] = ps.Name
	}
	return names
}

// Run applies the pipeline to every function of p, stopping after the pass
// named after ("" runs them all). With check set it verifies each function
// after every pass, as the tests do.
func Run(p *ir.Program, after string, check bool) error {
	if after != "" && find(after) < 0 {
		return fmt.Errorf("unknown pass %q (passes: %s)", after, strings.Join(Names(), ", "))
	}
	for _, ps := range Pipeline {
		for _, f := range p.Funcs {
			if err := ps.Run(p, f); err != nil {
				return fmt.Errorf("pass %s, func %s: %w", ps.Name, f.Name, err)
			}
			if check {
				if err := ir.Check(p, f); err != nil {
					return fmt.Errorf("after pass %s: %w", ps.Name, err)
				}
			}
		}
		if ps.Name == after {
			break
		}
	}
	return nil
}

func find(name string) int {
	for i, ps := range Pipeline {
		if ps.Name == name {
			return i
		}
	}
	return -1
}

// Verify runs ir.Check.
func Verify(p *ir.Program, f *ir.Func) error { return ir.Check(p, f) }

// remove deletes the values for which drop is true, keeping the order.
func remove(f *ir.Func, drop func(*ir.Value) bool) {
	kept := f.Values[:0]
	for _, v := range f.Values {
		if !drop(v) {
			kept = append(kept, v)
		}
	}
	clear(f.Values[len(kept):])
	f.Values = kept
}
