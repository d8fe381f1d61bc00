package ir

import (
	"fmt"
	"io"
	"strings"
)

// String prints the program as Fprint does.
func (p *Program) String() string {
	var b strings.Builder
	Fprint(&b, p)
	return b.String()
}

// Fprint writes a text dump of p: its parameters, optimizer and every
// function, one value a line:
//
//	v4 = Affine <[B][16]f32> v0 v1 v2 | ReLU  a1 [b0] @7:17  // z1 = W1 x + B1; a1 = max(0, z1)
//
// The dump is deterministic; golden tests of the passes compare it.
func Fprint(w io.Writer, p *Program) {
	fmt.Fprintf(w, "program %s %s: %s → %s, %d parameters, %s\n", p.Package, p.DType, Widths(p.Inputs), Widths(p.Outputs), p.NumParams(), p.Optimizer)
	for _, q := range p.Params {
		frozen := ""
		if q.Frozen {
			frozen = " frozen"
		}
		fmt.Fprintf(w, "param %s <%s> fan_in=%d%s\n", q.Name, q.Type.Format(p.DType), q.FanIn, frozen)
	}
	for _, f := range p.Funcs {
		fmt.Fprintln(w)
		f.fprint(w, p.DType)
	}
}

var optimizerNames = [...]string{"sgd", "momentum", "adam", "adamw"}

// String is the optimizer kind's name as specs and checkpoints write it.
func (k OptimizerKind) String() string {
	if int(k) < len(optimizerNames) {
		return optimizerNames[k]
	}
	return fmt.Sprintf("OptimizerKind(%d)", k)
}

// String names the optimizer with its hyperparameters, the settings left at
// their neutral values (no weight decay, no clipping) left out.
func (o Optimizer) String() string {
	var b strings.Builder
	switch o.Kind {
	case Momentum:
		fmt.Fprintf(&b, "momentum lr=%g momentum=%g", o.LR, o.Momentum)
		if o.Dampening != 0 {
			fmt.Fprintf(&b, " dampening=%g", o.Dampening)
		}
		if o.Nesterov {
			b.WriteString(" nesterov")
		}
	case Adam, AdamW:
		fmt.Fprintf(&b, "%s lr=%g beta1=%g beta2=%g eps=%g", o.Kind, o.LR, o.Beta1, o.Beta2, o.Epsilon)
	default:
		fmt.Fprintf(&b, "sgd lr=%g", o.LR)
	}
	if o.WeightDecay != 0 {
		fmt.Fprintf(&b, " weight_decay=%g", o.WeightDecay)
	}
	if o.ClipGradNorm != 0 {
		fmt.Fprintf(&b, ", clip_grad_norm=%g", o.ClipGradNorm)
	}
	if s := o.Schedule.String(); s != "" {
		b.WriteString(", schedule " + s)
	}
	return b.String()
}

// String describes the schedule, "" for a constant rate without warm-up.
func (s Schedule) String() string {
	var parts []string
	if s.Warmup > 0 {
		parts = append(parts, fmt.Sprintf("warmup steps=%d", s.Warmup))
	}
	switch s.Kind {
	case "cosine":
		parts = append(parts, fmt.Sprintf("cosine t_max=%d eta_min=%g", s.TMax, s.EtaMin))
	case "step":
		parts = append(parts, fmt.Sprintf("step step_size=%d gamma=%g", s.StepSize, s.Gamma))
	}
	return strings.Join(parts, " then ")
}

func (f *Func) fprint(w io.Writer, d DType) {
	fmt.Fprintf(w, "func %s (B ≤ %d", f.Name, f.Rows)
	if f.Grad {
		fmt.Fprint(w, ", grad")
	}
	fmt.Fprintln(w, ")")
	for i, b := range f.Bufs {
		fmt.Fprintf(w, "  buf b%d <%s>\n", i, b.Type.Format(d))
	}
	for _, v := range f.Values {
		fmt.Fprintf(w, "  %s\n", v.LongString(d))
	}
	for _, o := range f.Outputs {
		switch o.Kind {
		case Prediction:
			fmt.Fprintf(w, "  out prediction = %s\n", o.Value.Ref())
		case LossOut:
			fmt.Fprintf(w, "  out loss = %s\n", o.Value.Ref())
		case GradOut:
			fmt.Fprintf(w, "  out grad %s += %s\n", o.Param, o.Value.Ref())
		}
	}
}

// LongString prints v as one line of a dump.
func (v *Value) LongString(d DType) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s = %s <%s>", v.Ref(), v.Op, v.Type.Format(d))
	for _, a := range v.Args {
		b.WriteString(" " + a.Ref())
	}
	if v.Op == OpLeakyReLU || v.Op == OpLeakyReLUGrad {
		fmt.Fprintf(&b, " α=%g", v.Aux)
	}
	switch {
	case v.Op == OpSlice || v.Op == OpColumns || v.Op == OpEmbed || v.Op == OpEmbedGrad:
		fmt.Fprintf(&b, " off=%g", v.Aux)
	case v.Op == OpNormalize || v.Op == OpNormalizeGrad:
		fmt.Fprintf(&b, " ε=%g", v.Aux)
	case v.Op == OpDropout:
		fmt.Fprintf(&b, " p=%g layer=%d", v.Aux, v.Port)
	case v.Op.Info().Class != Elementwise && v.LossWeight() != 1:
		fmt.Fprintf(&b, " weight=%g", v.Aux) // a weighted loss term or its gradient
	}
	if v.Kernel != KernelScalar {
		b.WriteString(" " + v.Kernel.String())
	}
	if v.Step {
		b.WriteString(" step")
	}
	for _, m := range v.Maps {
		b.WriteString(" | " + m.Op.String())
		for _, a := range m.Args {
			b.WriteString(" " + a.Ref())
		}
		if m.Op == OpLeakyReLU || m.Op == OpLeakyReLUGrad {
			fmt.Fprintf(&b, " α=%g", m.Aux)
		}
	}
	if v.Name != "" {
		b.WriteString("  " + v.Name)
	}
	if v.Buf >= 0 {
		fmt.Fprintf(&b, " [b%d]", v.Buf)
	}
	if v.Pos.Line > 0 {
		fmt.Fprintf(&b, " @%d:%d", v.Pos.Line, v.Pos.Col)
	}
	if rules := v.Rules(); len(rules) > 0 {
		b.WriteString("  // " + strings.Join(rules, "; "))
	}
	return b.String()
}

// Rules lists the equations v computes: its own, then those of its maps.
func (v *Value) Rules() []string {
	var rules []string
	if v.Rule != "" {
		rules = append(rules, v.Rule)
	}
	for _, m := range v.Maps {
		if m.Rule != "" {
			rules = append(rules, m.Rule)
		}
	}
	return rules
}
