package explain

import (
	"fmt"
	"strings"

	"github.com/gradgen/gradgen/ir"
)

// optimizerStep explains the optimizer step that turns the gradients into new
// parameters: which parameters it skips, clipping, the schedule's learning
// rate $\eta_t$ and the update rule of the optimizer's kind, in torch.optim's
// form. The settings are the spec's, which a program may change at run time.
func optimizerStep(d *doc, p *ir.Program) {
	o := p.Optimizer
	d.heading("Optimizer step")
	var frozen []string
	for _, q := range p.Params {
		if q.Frozen {
			frozen = append(frozen, d.code(q.Name))
		}
	}
	if len(frozen) > 0 {
		d.para(fmt.Sprintf("Frozen (trainable: false): %s. The grad pass makes no gradient for them, so every value "+
			"only they needed is dropped, and the step leaves them as they are.", strings.Join(frozen, ", ")))
	}
	which := "every parameter"
	if len(frozen) > 0 {
		which = "every other parameter"
	}
	d.para(fmt.Sprintf("Each step $t = 1, 2, \\ldots$ updates %s $\\theta$ from its gradient $g = \\bar{\\theta}$ "+
		"with %s (the spec's settings, which the program may change with SetHyperparams).", which, d.code(o.String())))
	if o.ClipGradNorm > 0 {
		d.para(fmt.Sprintf("First the whole gradient is clipped (clip_grad_norm_ with $c = %g$): when $\\lVert g \\rVert_2 > c$, "+
			"every element is scaled by $c / (\\lVert g \\rVert_2 + 10^{-6})$.", o.ClipGradNorm))
	}
	schedule(d, o)
	decay := ""
	if o.WeightDecay != 0 && o.Kind != ir.AdamW {
		decay = fmt.Sprintf(" + %g\\,\\theta", o.WeightDecay)
		d.para(fmt.Sprintf("Weight decay adds $%g\\,\\theta$ to the gradient (L2): $d = g%s$.", o.WeightDecay, decay))
	}
	d.list(rule(o, decay != ""))
}

// schedule explains the learning rate $\eta_t$ of step t.
func schedule(d *doc, o ir.Optimizer) {
	s := o.Schedule
	switch {
	case s.Warmup == 0 && s.Kind == "":
		d.para(fmt.Sprintf("The learning rate is constant: $\\eta_t = %g$.", o.LR))
		return
	case s.Warmup > 0:
		d.para(fmt.Sprintf("The learning rate warms up linearly from 0: $\\eta_t = %g \\cdot (t-1)/%d$ for $t \\le %d$; "+
			"after that $k = t - 1 - %d$ counts the steps of the rest of the schedule.", o.LR, s.Warmup, s.Warmup, s.Warmup))
	default:
		d.para("The learning rate follows the schedule with $k = t - 1$.")
	}
	switch s.Kind {
	case "cosine":
		d.display(fmt.Sprintf(`\eta_t = %g + (%g - %g)\,\frac{1 + \cos(\pi k / %d)}{2}`, s.EtaMin, o.LR, s.EtaMin, s.TMax))
	case "step":
		d.display(fmt.Sprintf(`\eta_t = %g \cdot %g^{\lfloor k / %d \rfloor}`, o.LR, s.Gamma, s.StepSize))
	default:
		d.display(fmt.Sprintf(`\eta_t = %g`, o.LR))
	}
}

// rule is the update of o's kind, with d the decayed gradient when decayed.
func rule(o ir.Optimizer, decayed bool) []string {
	g := "g"
	if decayed {
		g = "d"
	}
	switch o.Kind {
	case ir.Momentum:
		buf := fmt.Sprintf("$v \\leftarrow %g\\,v + (1 - %g)\\,%s$, and $v = %s$ on the first step", o.Momentum, o.Dampening, g, g)
		if o.Nesterov {
			return []string{buf, fmt.Sprintf("$\\theta \\leftarrow \\theta - \\eta_t\\,(%s + %g\\,v)$ (Nesterov)", g, o.Momentum)}
		}
		return []string{buf, "$\\theta \\leftarrow \\theta - \\eta_t\\,v$"}
	case ir.Adam, ir.AdamW:
		var items []string
		if o.Kind == ir.AdamW && o.WeightDecay != 0 {
			items = append(items, fmt.Sprintf("$\\theta \\leftarrow \\theta\\,(1 - %g\\,\\eta_t)$ (decoupled weight decay)", o.WeightDecay))
		}
		return append(items,
			fmt.Sprintf("$m \\leftarrow %g\\,m + (1 - %g)\\,%s$", o.Beta1, o.Beta1, g),
			fmt.Sprintf("$v \\leftarrow %g\\,v + (1 - %g)\\,%s^2$", o.Beta2, o.Beta2, g),
			fmt.Sprintf("$\\theta \\leftarrow \\theta - \\frac{\\eta_t}{1 - %g^t}\\, m \\big/ \\left(\\sqrt{v / (1 - %g^t)} + %g\\right)$",
				o.Beta1, o.Beta2, o.Epsilon))
	}
	return []string{fmt.Sprintf("$\\theta \\leftarrow \\theta - \\eta_t\\,%s$", g)}
}
