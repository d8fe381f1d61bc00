package runtime

import (
	"fmt"
	"math"
)

// Float is the constraint on the element type of a network.
type Float interface {
	~float32 | ~float64
}

// SGD takes one step of torch.optim.SGD without momentum, weight decay or
// dampening: p[i] -= lr*g[i], with lr converted to T first. It panics if p
// and g differ in length.
func SGD[T Float](p, g []T, lr float64) {
	checkLen("SGD", "p", "g", len(p), len(g))
	g = g[:len(p)]
	a := T(lr)
	// The vector kernel does the same multiply and subtraction: same bits.
	start := vectorLen[T](len(p))
	if start > 0 {
		if is32[T]() {
			sgdF32(as32(p[:start]), as32(g[:start]), float32(a))
		} else {
			sgdF64(as64(p[:start]), as64(g[:start]), float64(a))
		}
	}
	for i := start; i < len(p); i++ {
		// T(...) rounds the product, which forbids fusing it into an FMA.
		p[i] -= T(a * g[i])
	}
}

// Momentum takes one step of torch.optim.SGD with momentum mu, dampening 0
// and nesterov false, keeping the momentum buffer in v:
//
//	v = mu*v + g
//	p -= lr*v
//
// PyTorch sets the buffer to g on the first step, which is what mu*0 + g
// gives, so v starts as zeros. Momentum panics if p, g and v differ in length.
func Momentum[T Float](p, g, v []T, lr, mu float64) {
	checkLen("Momentum", "p", "g", len(p), len(g))
	checkLen("Momentum", "p", "v", len(p), len(v))
	g, v = g[:len(p)], v[:len(p)]
	a, b := T(lr), T(mu)
	start := vectorLen[T](len(p))
	if start > 0 {
		if is32[T]() {
			momentumF32(as32(p[:start]), as32(g[:start]), as32(v[:start]), float32(a), float32(b))
		} else {
			momentumF64(as64(p[:start]), as64(g[:start]), as64(v[:start]), float64(a), float64(b))
		}
	}
	for i := start; i < len(p); i++ {
		v[i] = T(b*v[i]) + g[i]
		p[i] -= T(a * v[i])
	}
}

// Adam takes one step of torch.optim.Adam (amsgrad, maximize and weight decay
// off) as its single-tensor CPU path computes it, keeping the first and second
// moments in m and v, which start as zeros. step is the 1-based number of this
// step; the caller increments it before the call.
//
//	m = m + (1-beta1)*(g-m)             m.lerp_(g, 1-beta1)
//	v = v*beta2 + (1-beta2)*g*g         v.mul_(beta2).addcmul_(g, g, value=1-beta2)
//	p -= lr/bc1 * m / (sqrt(v)/sqrt(bc2) + eps)
//
// where bc1 = 1 - beta1^step and bc2 = 1 - beta2^step. (For a weight
// 1-beta1 >= 0.5, PyTorch's lerp uses the equal form g - beta1*(g-m), which
// differs only in rounding.) The scalars are
// computed in float64, as Python computes them, and converted to T once; the
// element operations are in T. Adam panics if step < 1 or if p, g, m and v
// differ in length.
func Adam[T Float](p, g, m, v []T, step int, lr, beta1, beta2, eps float64) {
	checkLen("Adam", "p", "g", len(p), len(g))
	checkLen("Adam", "p", "m", len(p), len(m))
	checkLen("Adam", "p", "v", len(p), len(v))
	if step < 1 {
		panic(fmt.Sprintf("gradgen: Adam: step = %d, want >= 1", step))
	}
	g, m, v = g[:len(p)], m[:len(p)], v[:len(p)]

	bc1 := 1 - math.Pow(beta1, float64(step))
	bc2 := 1 - math.Pow(beta2, float64(step))
	w := T(1 - beta1) // lerp weight
	b2, c2 := T(beta2), T(1-beta2)
	stepSize := T(lr / bc1)
	bc2Sqrt := T(math.Sqrt(bc2))
	e := T(eps)
	// The vector kernel computes the same operations in the same order, so
	// it gives the same bits; the loop below takes the rest.
	start := vectorLen[T](len(p))
	if start > 0 {
		if is32[T]() {
			adamF32(as32(p[:start]), as32(g[:start]), as32(m[:start]), as32(v[:start]),
				float32(w), float32(b2), float32(c2), float32(stepSize), float32(bc2Sqrt), float32(e))
		} else {
			adamF64(as64(p[:start]), as64(g[:start]), as64(m[:start]), as64(v[:start]),
				float64(w), float64(b2), float64(c2), float64(stepSize), float64(bc2Sqrt), float64(e))
		}
	}
	for i := start; i < len(p); i++ {
		gi := g[i]
		m[i] += T(w * (gi - m[i]))
		v[i] = T(v[i]*b2) + T(T(c2*gi)*gi)
		// sqrt of a float32 via float64 is correctly rounded: 53 >= 2*24+2.
		denom := T(math.Sqrt(float64(v[i])))/bc2Sqrt + e
		p[i] -= T(stepSize*m[i]) / denom
	}
}
