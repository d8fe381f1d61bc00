package passes

import (
	"fmt"
	"strings"

	"github.com/gradgen/gradgen/ir"
)

// Grad derives the backward graph of a function marked Grad. Reverse mode
// applies the vector chain rule from the loss back to the parameters: values
// are visited in reverse order, and each one's gradient ȳ (the sum of what its
// users contributed) is passed through its op's vector-Jacobian rule to give
// the contributions to its arguments. No Jacobian is ever built. The gradient
// of each parameter becomes a GradOut output of the function. The loss may be
// a weighted sum of terms (several LossOut outputs): each term is a seed.
// A frozen parameter gets no GradOut, so the dead-code pass removes its
// gradient and every value only it needed.
func Grad(p *ir.Program, f *ir.Func) error {
	if !f.Grad {
		return nil
	}
	terms := make(map[*ir.Value]bool) // the loss is the weighted sum of these
	for _, o := range f.Outputs {
		if o.Kind == ir.LossOut {
			terms[o.Value] = true
		}
	}
	if len(terms) == 0 {
		return fmt.Errorf("no loss to differentiate")
	}
	forward := append([]*ir.Value(nil), f.Values...)
	contrib := make(map[*ir.Value][]*ir.Value)
	for i := len(forward) - 1; i >= 0; i-- {
		v := forward[i]
		var gy *ir.Value
		switch {
		case terms[v]:
			// The seed: ∂L/∂Lᵢ is the term's weight, which loss rules
			// take as given.
		case len(contrib[v]) == 0:
			continue // the loss does not depend on v
		default:
			gy = sum(f, v, contrib[v])
		}
		if v.Op == ir.OpParam {
			if q := p.Param(v.Name); q != nil && q.Frozen {
				continue // requires_grad_(False): DCE drops what only it needed
			}
			for _, g := range contrib[v] {
				f.Outputs = append(f.Outputs, ir.Output{Kind: ir.GradOut, Value: g, Param: v.Name})
			}
			continue
		}
		info := v.Op.Info()
		if info.Class == ir.Leaf {
			continue // inputs and targets take no gradient out of the function
		}
		if info.VJP == nil {
			return fmt.Errorf("%s: op %s has no vector-Jacobian rule (lower layers before grad)", v.Ref(), v.Op)
		}
		made := len(f.Values)
		grads := info.VJP(f, v, gy)
		for _, g := range f.Values[made:] {
			g.Origin = v
		}
		for j, g := range grads {
			if g != nil {
				a := v.Args[j]
				contrib[a] = append(contrib[a], g)
			}
		}
	}
	return nil
}

// sum adds the gradient contributions to v when it has several users (the
// multivariate chain rule sums over paths); a single one is used as it is.
// A parameter's contributions stay separate: each sums into its gradient.
func sum(f *ir.Func, v *ir.Value, gs []*ir.Value) *ir.Value {
	if v.Op == ir.OpParam || len(gs) == 1 {
		return gs[0]
	}
	total := gs[0]
	terms := []string{term(gs[0], ir.Bar(v.Label()))}
	for _, g := range gs[1:] {
		total = f.NewValue(ir.OpAdd, v.Type, total, g)
		total.Origin = v
		total.Name = ir.Bar(v.Label())
		terms = append(terms, term(g, total.Name))
		total.Rule = total.Name + " = " + strings.Join(terms, " + ")
		total.Pos = v.Pos
	}
	return total
}

// term is how a path's contribution g to the gradient named name appears
// in the sum's rule: its name, or, where it has that same name (each path
// names its part of v̄ as v̄ itself), the expression that computes it.
func term(g *ir.Value, name string) string {
	if g.Label() != name {
		return g.Label()
	}
	if _, rhs, ok := strings.Cut(g.Rule, " = "); ok {
		return rhs
	}
	return g.Label()
}
