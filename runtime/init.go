package runtime

import (
	"fmt"
	"math"
)

// InitLinear fills the weight w and bias b of a dense layer with fan-in fanIn
// as PyTorch's nn.Linear.reset_parameters does. w is [out][fanIn] flattened
// row-major and b has length out; b may be nil for a layer without bias.
//
// kaiming_uniform_(w, a=sqrt(5)) draws from U(-bound, bound) with
// bound = sqrt(3) * sqrt(2/(1+a^2)) / sqrt(fanIn) = 1/sqrt(fanIn), and the
// bias is drawn from U(-1/sqrt(fanIn), 1/sqrt(fanIn)) too. The elements of w
// are drawn from r in row-major order, then those of b; each value is
// computed in float64 by r.Uniform and converted to T.
//
// InitLinear panics if fanIn < 1, if len(w) is not a multiple of fanIn, or if
// b is not nil and len(w) != len(b)*fanIn.
func InitLinear[T Float](r *Rand, w, b []T, fanIn int) {
	switch {
	case fanIn < 1:
		panic(fmt.Sprintf("gradgen: InitLinear: fanIn = %d, want >= 1", fanIn))
	case len(w)%fanIn != 0:
		panic(fmt.Sprintf("gradgen: InitLinear: len(w) = %d is not a multiple of fanIn = %d", len(w), fanIn))
	case b != nil && len(w) != len(b)*fanIn:
		panic(fmt.Sprintf("gradgen: InitLinear: len(w) = %d but len(b)*fanIn = %d*%d", len(w), len(b), fanIn))
	}
	bound := 1 / math.Sqrt(float64(fanIn))
	for i := range w {
		w[i] = T(r.Uniform(-bound, bound))
	}
	for i := range b {
		b[i] = T(r.Uniform(-bound, bound))
	}
}

// InitLinearBias fills the bias b of a dense layer with fan-in fanIn from
// U(−1/√fanIn, 1/√fanIn), as nn.Linear.reset_parameters does, for a bias
// that is not drawn right after its weight (InitLinear draws both). It
// panics if fanIn < 1.
func InitLinearBias[T Float](r *Rand, b []T, fanIn int) {
	if fanIn < 1 {
		panic(fmt.Sprintf("gradgen: InitLinearBias: fanIn = %d, want >= 1", fanIn))
	}
	bound := 1 / math.Sqrt(float64(fanIn))
	for i := range b {
		b[i] = T(r.Uniform(-bound, bound))
	}
}

// Fill sets every element of s to x, as torch.nn.init.constant_; Init sets
// a LayerNorm's γ with it.
func Fill[T Float](s []T, x T) {
	for i := range s {
		s[i] = x
	}
}

// InitNormal fills s with draws from N(0, 1) by r.Normal, in order, each
// rounded once to T: nn.Embedding's initialisation (normal_), with gradgen's
// own generator.
func InitNormal[T Float](r *Rand, s []T) {
	for i := range s {
		s[i] = T(r.Normal())
	}
}
