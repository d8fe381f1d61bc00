package runtime

import "math"

// The element-wise functions below are what generated code calls inside its
// loops. Each computes in float64 and rounds once to T, so a float32 network
// gets correctly rounded results; the compiler inlines them.

// Exp returns e^x.
func Exp[T Float](x T) T { return T(math.Exp(float64(x))) }

// Log returns the natural logarithm of x.
func Log[T Float](x T) T { return T(math.Log(float64(x))) }

// Log1p returns log(1 + x), accurate for x near 0.
func Log1p[T Float](x T) T { return T(math.Log1p(float64(x))) }

// Abs returns |x|.
func Abs[T Float](x T) T { return T(math.Abs(float64(x))) }

// Tanh returns the hyperbolic tangent of x.
func Tanh[T Float](x T) T { return T(math.Tanh(float64(x))) }

// Sigmoid returns σ(x) = 1 / (1 + e^−x) without overflow: for x < 0 it uses
// the equal form e^x / (1 + e^x), so e^−x is never evaluated for a large −x.
func Sigmoid[T Float](x T) T {
	z := float64(x)
	if z >= 0 {
		return T(1 / (1 + math.Exp(-z)))
	}
	e := math.Exp(z)
	return T(e / (1 + e))
}
