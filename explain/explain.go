// Package explain writes the derivation of a network's backward pass in the
// notation of Parr & Howard, "The Matrix Calculus You Need For Deep
// Learning": the forward equations with their shapes, then, for each op from
// the loss back to the parameters, its Jacobian, the vector chain rule that
// links it to the next, the vector-Jacobian product actually computed and
// why it takes that form, and the generated function and variable that
// compute it.
//
// Everything comes from the IR and the op table (ir.Op.Math): an op added
// with its rule and its Math entry appears here with no change to this
// package.
package explain

import (
	"fmt"
	"io"
	"strings"

	"github.com/gradgen/gradgen/emit"
	"github.com/gradgen/gradgen/ir"
)

// Format is an output format.
type Format int

// The formats.
const (
	Markdown Format = iota // GitHub Markdown with $…$ and $$…$$ math
	TeX                    // a LaTeX document (amsmath, amssymb)
)

// ParseFormat parses md or tex.
func ParseFormat(s string) (Format, error) {
	switch s {
	case "md", "markdown":
		return Markdown, nil
	case "tex", "latex":
		return TeX, nil
	}
	return 0, fmt.Errorf("unknown format %q (allowed: md, tex)", s)
}

// Write writes the derivation. derived is the program after the grad pass
// (every op separate, the input's gradient still there); final is the same
// program after every pass, as emitted, which locates each step in the code.
func Write(w io.Writer, derived, final *ir.Program, format Format) error {
	train := derived.Func(ir.RoleTrain)
	if train == nil {
		return fmt.Errorf("explain: the program has no train function")
	}
	d := newDoc(w, format)
	d.begin(fmt.Sprintf("How gradgen differentiates %s", derived.Package))
	intro(d, derived)
	forward(d, derived, train)
	backward(d, derived, final, train)
	optimizerStep(d, derived)
	d.end()
	return d.err
}

func intro(d *doc, p *ir.Program) {
	d.para(fmt.Sprintf("Generated from %s: a network %s, %s, trained with %s. "+
		"The notation is that of Parr and Howard, The Matrix Calculus You Need For Deep Learning: "+
		"vectors are columns, $\\bar{u}$ stands for $\\partial L / \\partial u$, the gradient of the loss "+
		"with respect to $u$, and a batch of $N$ samples repeats every equation once per sample, row by row.",
		d.code(p.Source), p.LayerWidths(), p.DType.GoName(), d.code(p.Optimizer.String())))
}

// forward lists the forward equations with the shapes of their operands.
func forward(d *doc, p *ir.Program, f *ir.Func) {
	d.heading("Forward pass")
	var items []string
	for _, v := range f.Values {
		info := v.Op.Info()
		if info.Class == ir.Leaf || v.Origin != nil || info.Backward {
			continue
		}
		eq := math(v)
		var shapes []string
		for _, u := range append(append([]*ir.Value{}, v.Args...), v) {
			if s := shape(u); s != "" && !contains(shapes, s) {
				shapes = append(shapes, s)
			}
		}
		items = append(items, fmt.Sprintf("$%s$ (%s), with $%s$", eq, v.Op, strings.Join(shapes, ",\\ ")))
	}
	d.list(items)
}

// backward walks the forward ops from the loss back to the parameters.
func backward(d *doc, p, final *ir.Program, f *ir.Func) {
	d.heading("Backward pass")
	d.para("Reverse mode applies the vector chain rule from the loss back to the parameters. " +
		"For each op $y = f(u)$ it turns the gradient $\\bar{y}$ into $\\bar{u}$ by the vector-Jacobian product")
	d.display(`\bar{u} = \left(\frac{\partial y}{\partial u}\right)^{\top} \bar{y}`)
	d.para("and sums the contributions when $u$ feeds several ops. The Jacobian itself is never formed: " +
		"each op's rule computes the product directly. The seed is $\\bar{L} = \\partial L / \\partial L = 1$.")
	made := make(map[*ir.Value][]*ir.Value)
	for _, v := range f.Values {
		if v.Origin != nil {
			made[v.Origin] = append(made[v.Origin], v)
		}
	}
	step := 0
	for i := len(f.Values) - 1; i >= 0; i-- {
		v := f.Values[i]
		grads := made[v]
		if len(grads) == 0 || v.Op.Info().VJP == nil {
			continue
		}
		step++
		m := v.Op.Math()
		d.subheading(fmt.Sprintf("Step %d: through $%s$", step, math(v)))
		var js []string
		jacobians := m.Jacobians(name(v), names(v.Args), v.Aux)
		for _, j := range jacobians {
			if j != "" {
				js = append(js, "$"+j+"$")
			}
		}
		d.para("Jacobians: " + strings.Join(js, "; ") + ".")
		if v.Op.Info().Class == ir.Reduction {
			d.para("Chain rule: this is the loss, so $\\bar{L} = 1$ and the gradient of its input is its Jacobian, transposed.")
		} else {
			// The chain rule for each operand that is not a parameter and
			// has a Jacobian (the data flowing in, whichever argument it is).
			var rules []string
			for k, u := range v.Args {
				if u.Op != ir.OpParam && k < len(jacobians) && jacobians[k] != "" {
					rules = append(rules, fmt.Sprintf("$%s = \\left(\\frac{\\partial %s}{\\partial %s}\\right)^{\\top} %s$",
						bar(u), name(v), name(u), bar(v)))
				}
			}
			d.para(fmt.Sprintf("Chain rule: %s, and the parameters' gradients are products with the same $%s$.",
				strings.Join(rules, "; "), bar(v)))
		}
		if users := paths(v, grads); users > 1 {
			d.para(fmt.Sprintf("Total derivative: $%s$ feeds %d ops, so the loss depends on it along %d paths, and its gradient "+
				"is the sum of what each path gives, the multivariate chain rule: "+
				"$%s = \\sum_k \\left(\\frac{\\partial y_k}{\\partial %s}\\right)^{\\top} \\bar{y}_k$ over the ops $y_k$ it feeds.",
				name(v), users, users, bar(v), name(v)))
		}
		d.para("Computed:")
		var items []string
		for _, g := range grads {
			items = append(items, "$"+sumMath(g, v)+"$"+where(d, final, g))
		}
		d.list(items)
		d.para("Why: " + m.Why)
	}
}

// where says where the generated code computes g, from its rule comment.
func where(d *doc, final *ir.Program, g *ir.Value) string {
	var places []string
	for _, f := range final.Funcs {
		if !f.Grad {
			continue
		}
		for _, v := range f.Values {
			if !contains(v.Rules(), g.Rule) {
				continue
			}
			at := d.code(emit.FuncName(f))
			if s := emit.StorageName(final, f, v); s != "" {
				at += " (" + d.code(s) + ")"
			}
			places = append(places, at)
		}
	}
	if len(places) == 0 {
		return " — not computed: no output needs it, so the dce pass removed it."
	}
	return fmt.Sprintf(" — in %s, under the comment %s.", strings.Join(places, " and "), d.code("// "+g.Rule))
}

// paths is how many ops' contributions the grad pass summed into v's
// gradient: one more than the additions among grads that it made for v.
func paths(v *ir.Value, grads []*ir.Value) int {
	n := 1
	for _, g := range grads {
		if g.Op == ir.OpAdd && g.Origin == v {
			n++
		}
	}
	return n
}

// sumMath is g's equation; for a sum the grad pass made for v's gradient,
// the contributions it adds are written out as the expressions that compute
// them, since each path names its part of v̄ as v̄ itself.
func sumMath(g, v *ir.Value) string {
	if g.Op != ir.OpAdd || g.Origin != v {
		return math(g)
	}
	return bar(v) + " = " + strings.Join(terms(g, v), " + ")
}

// terms lists the contributions a sum for v's gradient adds, in order.
func terms(g, v *ir.Value) []string {
	var ts []string
	for _, a := range g.Args {
		switch {
		case a.Op == ir.OpAdd && a.Origin == v:
			ts = append(ts, terms(a, v)...)
		default:
			eq := math(a)
			if _, rhs, ok := strings.Cut(eq, " = "); ok && a.Name == g.Name {
				eq = rhs
			} else {
				eq = name(a)
			}
			ts = append(ts, eq)
		}
	}
	return ts
}

func math(v *ir.Value) string {
	return v.Op.Math().Def(name(v), names(v.Args), v.Aux)
}

func names(vs []*ir.Value) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = name(v)
	}
	return out
}

// name renders a value's derivation name in LaTeX: W1 → W_{1}, B1 → b_{1},
// z̄1 → \bar{z}_{1}, W3ᵀ → W_{3}^{\top}.
func name(v *ir.Value) string {
	if v.Name == "" {
		return fmt.Sprintf("v_{%d}", v.ID)
	}
	return texName(v.Name)
}

// bar names the gradient of v: \bar{z}_{1} for z1.
func bar(v *ir.Value) string { return texName(ir.Bar(v.Name)) }

func texName(s string) string {
	bar := strings.Contains(s, "\u0304")
	s = strings.ReplaceAll(s, "\u0304", "")
	transpose := strings.HasSuffix(s, "ᵀ")
	s = strings.TrimSuffix(s, "ᵀ")
	i := strings.IndexAny(s, "0123456789")
	base, sub := s, ""
	if i > 0 {
		base, sub = s[:i], s[i:]
	}
	if base == "B" {
		base = "b" // the paper's bias
	}
	if bar {
		base = `\bar{` + base + `}`
	}
	if sub != "" {
		base += "_{" + sub + "}"
	}
	if transpose {
		base += `^{\top}`
	}
	return base
}

// shape is "u \in \mathbb{R}^{…}" for a value, per sample.
func shape(v *ir.Value) string {
	if v.Op == ir.OpLabel {
		// A class index, whose one-hot row stands for t when labels are
		// given (TrainLabels).
		return fmt.Sprintf(`%s \in \{0, \ldots, \text{classes}-1\}\ \text{(or } t = e_{%s}\text{)}`, name(v), name(v))
	}
	if len(v.Type.Dims) == 0 {
		return name(v) + ` \in \mathbb{R}`
	}
	dims := make([]string, len(v.Type.Dims))
	for i, n := range v.Type.Dims {
		dims[i] = fmt.Sprint(n)
	}
	return fmt.Sprintf(`%s \in \mathbb{R}^{%s}`, name(v), strings.Join(dims, ` \times `))
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
