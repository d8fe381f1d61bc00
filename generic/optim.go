package generic

import (
	"math"

	"github.com/gradgen/gradgen/spec"
)

// optimizer is one of torch.optim's SGD, SGD with momentum, or Adam, with its
// state.
type optimizer[T Float] struct {
	kind              string // "sgd", "momentum" or "adam"
	lr, mu            float64
	beta1, beta2, eps float64
	t                 int // Adam's steps so far
	m, v              []T // Adam's moments; v is also momentum's buffer
}

// newOptimizer returns the optimizer o describes, with its state sized for
// size parameters. o holds exactly one kind, as after spec.Normalize.
func newOptimizer[T Float](o spec.Optimizer, size int) *optimizer[T] {
	s := o.Settings()
	opt := &optimizer[T]{kind: s.Kind, lr: s.LR, mu: s.Momentum, beta1: s.Beta1, beta2: s.Beta2, eps: s.Eps}
	switch s.StateCopies {
	case 2:
		opt.m = make([]T, size)
		fallthrough
	case 1:
		opt.v = make([]T, size)
	}
	return opt
}

// step updates the parameters p in place from their gradient g.
func (o *optimizer[T]) step(p, g []T) {
	switch o.kind {
	case "sgd":
		sgdStep(p, g, T(o.lr))
	case "momentum":
		momentumStep(p, g, o.v, T(o.lr), T(o.mu))
	case "adam":
		o.t++
		o.adamStep(p, g)
	}
}

// sgdStep is torch.optim.SGD without momentum: p −= lr·g.
func sgdStep[T Float](p, g []T, lr T) {
	for i := range p {
		p[i] -= lr * g[i]
	}
}

// momentumStep is torch.optim.SGD with momentum μ and dampening 0:
// v = μ·v + g, p −= lr·v, with v starting at zero (PyTorch's first v = g is
// the same).
func momentumStep[T Float](p, g, v []T, lr, mu T) {
	for i := range p {
		v[i] = mu*v[i] + g[i]
		p[i] -= lr * v[i]
	}
}

// adamStep is step o.t of torch.optim.Adam with amsgrad off:
//
//	m = β1·m + (1−β1)·g
//	v = β2·v + (1−β2)·g²
//	p −= lr/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + eps)
//
// The scalars are computed in float64 and converted to T once.
func (o *optimizer[T]) adamStep(p, g []T) {
	b1, b2 := T(o.beta1), T(o.beta2)
	c1, c2 := T(1-o.beta1), T(1-o.beta2)
	stepSize := T(o.lr / (1 - math.Pow(o.beta1, float64(o.t))))
	bc2Sqrt := T(math.Sqrt(1 - math.Pow(o.beta2, float64(o.t))))
	eps := T(o.eps)
	m, v := o.m, o.v
	for i := range p {
		m[i] = b1*m[i] + c1*g[i]
		v[i] = b2*v[i] + c2*g[i]*g[i]
		p[i] -= stepSize * m[i] / (T(math.Sqrt(float64(v[i])))/bc2Sqrt + eps)
	}
}
