package generic

import (
	"math"

	"github.com/gradgen/gradgen/spec"
)

// activate applies the activation act to z in place.
func activate[T Float](act spec.Activation, slope T, z []T) {
	switch act {
	case spec.ReLU:
		for i, v := range z {
			if v < 0 {
				z[i] = 0
			}
		}
	case spec.LeakyReLU:
		for i, v := range z {
			if v < 0 {
				z[i] = slope * v
			}
		}
	case spec.Sigmoid:
		for i, v := range z {
			z[i] = T(sigmoid(float64(v)))
		}
	case spec.Tanh:
		for i, v := range z {
			z[i] = T(math.Tanh(float64(v)))
		}
	}
}

// derive multiplies d = ∂loss/∂a in place by f'(z), the derivative of the
// activation act, which it reads from the activations a = f(z). a > 0 exactly
// when z > 0 for relu and leaky_relu (whose slope is positive), so the
// derivative at 0 is 0 for relu and slope for leaky_relu, as in PyTorch.
func derive[T Float](act spec.Activation, slope T, d, a []T) {
	switch act {
	case spec.ReLU:
		for i, v := range a {
			if v <= 0 {
				d[i] = 0
			}
		}
	case spec.LeakyReLU:
		for i, v := range a {
			if v <= 0 {
				d[i] *= slope
			}
		}
	case spec.Sigmoid:
		for i, v := range a {
			d[i] *= v * (1 - v)
		}
	case spec.Tanh:
		for i, v := range a {
			d[i] *= 1 - v*v
		}
	}
}

// sigmoid returns 1/(1+e^−x) without overflow: for x < 0 it uses the equal
// form e^x/(1+e^x).
func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}
