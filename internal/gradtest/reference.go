package gradtest

import (
	"math"
	"testing"

	"github.com/gradgen/gradgen/spec"
)

// referenceOptimizer is torch.optim's update rules in float64, written from
// PyTorch's documentation: SGD with momentum, dampening, Nesterov and weight
// decay, Adam (L2 weight decay), AdamW (decoupled decay), with
// clip_grad_norm_ before the step and the schedule's learning rate.
type referenceOptimizer struct {
	o      spec.OptimizerSettings
	frozen []bool
	t      int       // steps taken
	m, v   []float64 // Adam's moments; v is also momentum's buffer
}

func newReferenceOptimizer(o spec.OptimizerSettings, frozen []bool) *referenceOptimizer {
	return &referenceOptimizer{o: o, frozen: frozen, m: make([]float64, len(frozen)), v: make([]float64, len(frozen))}
}

// lr is the schedule's learning rate for step t (from 0).
func (r *referenceOptimizer) lr(t int) float64 {
	s := r.o.Schedule
	if t < s.Warmup {
		return r.o.LR * float64(t) / float64(s.Warmup)
	}
	t -= s.Warmup
	switch s.Kind {
	case "cosine":
		return s.EtaMin + (r.o.LR-s.EtaMin)*(1+math.Cos(math.Pi*float64(t)/float64(s.TMax)))/2
	case "step":
		return r.o.LR * math.Pow(s.Gamma, math.Floor(float64(t)/float64(s.StepSize)))
	}
	return r.o.LR
}

// step updates p from the gradient g (which it may scale, as clipping does).
func (r *referenceOptimizer) step(p, g []float64) {
	o := r.o
	if o.ClipGradNorm > 0 {
		norm := 0.0
		for _, x := range g {
			norm += x * x
		}
		if c := o.ClipGradNorm / (math.Sqrt(norm) + 1e-6); !(c >= 1) {
			for i := range g {
				g[i] *= c
			}
		}
	}
	lr := r.lr(r.t)
	r.t++
	for i := range p {
		if r.frozen[i] {
			continue
		}
		d := g[i]
		if o.Kind != "adamw" {
			d += o.WeightDecay * p[i]
		}
		switch o.Kind {
		case "sgd":
			p[i] -= lr * d
		case "momentum":
			if r.t == 1 {
				r.v[i] = d
			} else {
				r.v[i] = o.Momentum*r.v[i] + (1-o.Dampening)*d
			}
			if o.Nesterov {
				d += o.Momentum * r.v[i]
			} else {
				d = r.v[i]
			}
			p[i] -= lr * d
		case "adam", "adamw":
			if o.Kind == "adamw" {
				p[i] *= 1 - lr*o.WeightDecay
			}
			r.m[i] = o.Beta1*r.m[i] + (1-o.Beta1)*d
			r.v[i] = o.Beta2*r.v[i] + (1-o.Beta2)*d*d
			mh := r.m[i] / (1 - math.Pow(o.Beta1, float64(r.t)))
			vh := r.v[i] / (1 - math.Pow(o.Beta2, float64(r.t)))
			p[i] -= lr * mh / (math.Sqrt(vh) + o.Eps)
		}
	}
}

// trainableOnly checks that the gradient of every frozen parameter is zero
// and returns the parameters, gradient and loss restricted to the others,
// for the finite-difference check.
func trainableOnly(t *testing.T, frozen []bool, p, g []float64, loss func([]float64) float64) ([]float64, []float64, func([]float64) float64) {
	t.Helper()
	var idx []int
	for i, f := range frozen {
		if !f {
			idx = append(idx, i)
		} else if g[i] != 0 {
			t.Errorf("frozen parameter %d has gradient %g, want 0", i, g[i])
		}
	}
	if len(idx) == len(p) {
		return p, g, loss
	}
	pick := func(xs []float64) []float64 {
		out := make([]float64, len(idx))
		for k, i := range idx {
			out[k] = xs[i]
		}
		return out
	}
	full := append([]float64(nil), p...)
	return pick(p), pick(g), func(q []float64) float64 {
		for k, i := range idx {
			full[i] = q[k]
		}
		return loss(full)
	}
}
