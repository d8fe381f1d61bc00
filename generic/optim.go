package generic

import (
	"math"

	"github.com/gradgen/gradgen/spec"
)

// optimizer is torch.optim's SGD (with momentum, dampening, Nesterov and
// weight decay), Adam or AdamW with its state, the gradient clipping of
// clip_grad_norm_ and a learning-rate schedule. It is written from PyTorch's
// documented update rules, independently of the runtime's kernels, so the
// generated code can be checked against it.
type optimizer[T Float] struct {
	s      spec.OptimizerSettings
	t      int    // steps taken
	m, v   []T    // Adam's moments; v is also momentum's buffer
	frozen []bool // parameters the step leaves alone
}

// newOptimizer returns the optimizer o describes, with its state sized for
// size parameters. o holds exactly one kind, as after spec.Normalize.
func newOptimizer[T Float](o spec.Optimizer, size int) *optimizer[T] {
	opt := &optimizer[T]{s: o.Settings(), frozen: make([]bool, size)}
	switch opt.s.StateCopies {
	case 2:
		opt.m = make([]T, size)
		fallthrough
	case 1:
		opt.v = make([]T, size)
	}
	return opt
}

// lr is the learning rate of step t (from 0) under the schedule: a linear
// warm-up from 0 over Warmup steps, then CosineAnnealingLR or StepLR
// counted from the warm-up's end.
func (o *optimizer[T]) lr(t int) float64 {
	s := o.s.Schedule
	if t < s.Warmup {
		return o.s.LR * float64(t) / float64(s.Warmup)
	}
	t -= s.Warmup
	switch s.Kind {
	case "cosine":
		return s.EtaMin + (o.s.LR-s.EtaMin)*(1+math.Cos(math.Pi*float64(t)/float64(s.TMax)))/2
	case "step":
		return o.s.LR * math.Pow(s.Gamma, float64(t/s.StepSize))
	}
	return o.s.LR
}

// step clips g when the settings say so, then updates the parameters p that
// are not frozen in place from their gradient g.
func (o *optimizer[T]) step(p, g []T) {
	if o.s.ClipGradNorm > 0 {
		clipGradNorm(g, o.s.ClipGradNorm)
	}
	lr := o.lr(o.t)
	o.t++
	wd := T(o.s.WeightDecay)
	for i := range p {
		if o.frozen[i] {
			continue
		}
		d := g[i]
		if o.s.Kind != "adamw" && wd != 0 {
			d += wd * p[i] // L2: torch.optim adds weight_decay·p to the gradient
		}
		switch o.s.Kind {
		case "sgd":
			p[i] -= T(lr) * d
		case "momentum":
			p[i] -= T(lr) * o.momentum(i, d)
		case "adam", "adamw":
			if o.s.Kind == "adamw" {
				p[i] *= T(1 - lr*o.s.WeightDecay) // decoupled decay
			}
			p[i] -= o.adam(i, d, lr)
		}
	}
}

// momentum updates the buffer of parameter i with the step's gradient d and
// returns the direction of the step: v = d on the first step, μv + (1−τ)d
// after; d + μv for Nesterov, v otherwise.
func (o *optimizer[T]) momentum(i int, d T) T {
	mu := T(o.s.Momentum)
	if o.t == 1 {
		o.v[i] = d
	} else {
		o.v[i] = mu*o.v[i] + T(1-o.s.Dampening)*d
	}
	if o.s.Nesterov {
		return d + mu*o.v[i]
	}
	return o.v[i]
}

// adam updates the moments of parameter i with the gradient d and returns
// the step's change of the parameter, at step t = o.t:
//
//	m = β1·m + (1−β1)·d
//	v = β2·v + (1−β2)·d²
//	Δ = lr/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + eps)
func (o *optimizer[T]) adam(i int, d T, lr float64) T {
	s := &o.s
	o.m[i] = T(s.Beta1)*o.m[i] + T(1-s.Beta1)*d
	o.v[i] = T(s.Beta2)*o.v[i] + T(1-s.Beta2)*d*d
	stepSize := T(lr / (1 - math.Pow(s.Beta1, float64(o.t))))
	bc2Sqrt := T(math.Sqrt(1 - math.Pow(s.Beta2, float64(o.t))))
	return stepSize * o.m[i] / (T(math.Sqrt(float64(o.v[i])))/bc2Sqrt + T(s.Eps))
}

// clipGradNorm is torch.nn.utils.clip_grad_norm_ over g: when its 2-norm
// exceeds maxNorm, g is scaled by maxNorm/(norm + 1e-6) (by NaN for a NaN norm).
func clipGradNorm[T Float](g []T, maxNorm float64) {
	var sq float64
	for _, x := range g {
		sq += float64(x) * float64(x)
	}
	if c := maxNorm / (math.Sqrt(sq) + 1e-6); !(c >= 1) { // a NaN norm makes g NaN, as in PyTorch
		for i := range g {
			g[i] *= T(c)
		}
	}
}
