package runtime

import (
	"fmt"
	"math"
)

// Float is the constraint on the element type of a network.
type Float interface {
	~float32 | ~float64
}

// The optimizers below are torch.optim's, step for step: the scalars of a
// step are computed in float64, as Python computes them, and converted to
// T once; the element operations are in T, in PyTorch's order, each product
// rounded before it is added (T(a*b): Go may not fuse it into an FMA). On
// amd64 vector kernels (../asm/optim.go: AVX-512, then AVX2) take the
// longest prefix of whole vectors and do the same operations in the same
// order, so they give the same bits as the plain loop, which takes the rest.
//
// Every optimizer is element-wise: steps over disjoint ranges of the
// parameters, one after the other or at the same time, give the bits of one
// step over all of them. lr is the learning rate of this step, after the
// schedule (Hyperparams.LRAt); step is the 1-based number of this optimizer
// step, the same for every range of one step. The fields of h an optimizer
// has no use for are ignored.
//
// Weight decay when WeightDecay is 0 is skipped, as PyTorch skips it, rather
// than computed as g + 0·p. The two differ only in corner cases, but they do
// differ: 0·p has the sign of p, so a gradient -0 of a parameter >= +0
// becomes +0, which changes the sign of a zero buffer (momentum's v, Adam's
// m) though never a finite parameter's bits (p - (±0) is p unless p is -0;
// x - y is -0 only for x = -0, so a parameter is -0 only if it has been
// since it started, and then 0·p = -0 leaves g alone and its buffers are
// PyTorch's); and 0·p is NaN for an infinite parameter,
// which turns p = ±Inf into NaN and a NaN parameter's NaN spreads into the
// buffers. Skipping costs nothing: each option has its own kernel loop.
//
// Where PyTorch's vectorized CPU kernels fuse a multiply into an add
// (Tensor.add with alpha: the weight-decay term, the dampened momentum
// term and Nesterov's d + mu·v are vec::fmadd there), the products here are
// rounded first, as the formulas below say: with weight decay, dampening or
// Nesterov the last bit may differ from PyTorch's on the same numbers.

// The flags of the sgd and momentum kernels (the same bits as ../asm/optim.go).
const (
	optDecay    = 1 << iota // d = g + wd·p
	optFirst                // momentum: the buffer is d itself (step 1)
	optNesterov             // momentum: d = d + mu·v instead of d = v
)

// The flags of the adam kernels (the same bits as ../asm/optim.go).
const (
	adamL2        = 1 << iota // g' = g + wd·p (Adam's weight_decay)
	adamDecoupled             // p = p·(1 − lr·wd) first (AdamW's)
)

// SGD takes one step of torch.optim.SGD with momentum 0:
//
//	d = g + wd·p        (when wd = WeightDecay != 0)
//	p -= lr·d
//
// It panics if p and g differ in length.
func SGD[T Float](p, g []T, lr float64, h *Hyperparams) {
	checkLen("SGD", "p", "g", len(p), len(g))
	g = g[:len(p)]
	a, wd := T(lr), T(h.WeightDecay)
	decay := h.WeightDecay != 0
	z, start := vectorSplit[T](len(p))
	if start > 0 {
		flags := 0
		if decay {
			flags |= optDecay
		}
		if is32[T]() {
			if z > 0 {
				sgdZF32(as32(p[:z]), as32(g[:z]), float32(a), float32(wd), flags)
			}
			if start > z {
				sgdF32(as32(p[z:start]), as32(g[z:start]), float32(a), float32(wd), flags)
			}
		} else {
			if z > 0 {
				sgdZF64(as64(p[:z]), as64(g[:z]), float64(a), float64(wd), flags)
			}
			if start > z {
				sgdF64(as64(p[z:start]), as64(g[z:start]), float64(a), float64(wd), flags)
			}
		}
	}
	if !decay {
		for i := start; i < len(p); i++ {
			p[i] -= T(a * g[i])
		}
		return
	}
	for i := start; i < len(p); i++ {
		d := g[i] + T(wd*p[i])
		p[i] -= T(a * d)
	}
}

// Momentum takes one step of torch.optim.SGD with momentum mu = Momentum,
// dampening, nesterov and weight_decay wd, keeping the momentum buffer in v:
//
//	d = g + wd·p                      (when wd != 0)
//	v = d                             on step 1 (PyTorch clones d: no dampening)
//	v = mu·v + (1 − dampening)·d      after
//	d = d + mu·v if Nesterov, else d = v
//	p -= lr·d
//
// With Momentum 0 it is SGD and leaves v alone, as PyTorch keeps no buffer
// then. v starts as zeros (step 1 does not read it). Momentum panics if p,
// g and v differ in length or step < 1.
//
// The buffer is not flushed to zero when it decays into subnormals, as
// Adam's moments are: BenchmarkMomentumSubnormal finds no slowdown there on
// either path, the step being bound by memory (docs/bench/subnormal.txt).
func Momentum[T Float](p, g, v []T, lr float64, step int, h *Hyperparams) {
	checkLen("Momentum", "p", "g", len(p), len(g))
	checkLen("Momentum", "p", "v", len(p), len(v))
	checkStepNumber("Momentum", step)
	if h.Momentum == 0 {
		SGD(p, g, lr, h)
		return
	}
	g, v = g[:len(p)], v[:len(p)]
	a, mu, c, wd := T(lr), T(h.Momentum), T(1-h.Dampening), T(h.WeightDecay)
	decay, first, nesterov := h.WeightDecay != 0, step == 1, h.Nesterov
	z, start := vectorSplit[T](len(p))
	if start > 0 {
		flags := 0
		if decay {
			flags |= optDecay
		}
		if first {
			flags |= optFirst
		}
		if nesterov {
			flags |= optNesterov
		}
		if is32[T]() {
			if z > 0 {
				momentumZF32(as32(p[:z]), as32(g[:z]), as32(v[:z]), float32(a), float32(mu), float32(c), float32(wd), flags)
			}
			if start > z {
				momentumF32(as32(p[z:start]), as32(g[z:start]), as32(v[z:start]), float32(a), float32(mu), float32(c), float32(wd), flags)
			}
		} else {
			if z > 0 {
				momentumZF64(as64(p[:z]), as64(g[:z]), as64(v[:z]), float64(a), float64(mu), float64(c), float64(wd), flags)
			}
			if start > z {
				momentumF64(as64(p[z:start]), as64(g[z:start]), as64(v[z:start]), float64(a), float64(mu), float64(c), float64(wd), flags)
			}
		}
	}
	if !decay && !first && !nesterov {
		// The common case, in a loop without branches (the plain path is
		// the whole step on other architectures).
		for i := start; i < len(p); i++ {
			b := T(mu*v[i]) + T(c*g[i])
			v[i] = b
			p[i] -= T(a * b)
		}
		return
	}
	for i := start; i < len(p); i++ {
		d := g[i]
		if decay {
			d += T(wd * p[i])
		}
		b := d
		if !first {
			b = T(mu*v[i]) + T(c*d)
		}
		v[i] = b
		if nesterov {
			d += T(mu * b)
		} else {
			d = b
		}
		p[i] -= T(a * d)
	}
}

// Adam takes one step of torch.optim.Adam (amsgrad and maximize off) as its
// single-tensor CPU path computes it, keeping the first and second moments
// in m and v, which start as zeros:
//
//	g' = g + wd·p                        (when wd = WeightDecay != 0: L2, grad.add(p, alpha=wd))
//	m = m + (1-beta1)*(g'-m)             m.lerp_(g', 1-beta1)
//	v = v*beta2 + (1-beta2)*g'*g'        v.mul_(beta2).addcmul_(g', g', value=1-beta2)
//	p -= lr/bc1 * m / (sqrt(v)/sqrt(bc2) + eps)
//
// where bc1 = 1 - beta1^step and bc2 = 1 - beta2^step. (For a weight
// 1-beta1 >= 0.5, PyTorch's lerp uses the equal form g - beta1*(g-m), which
// differs only in rounding.) Adam panics if step < 1 or if p, g, m and v
// differ in length.
//
// Unlike PyTorch, Adam stores m and v as +0 when their magnitude falls below
// the smallest normal number of T, tiny = 2^-126 for float32 (2^-1022 for
// float64), and the step uses the flushed values. In a long run on a fixed
// sample the moments decay into subnormals and stay there (0.9·m rounds
// back to m at the smallest ones), and arithmetic on subnormals made the
// step about 2× slower (docs/bench/subnormal.txt). The exact effect against
// PyTorch, for float32 and eps = 1e-8 (derived in docs/bench/subnormal.txt,
// checked by exhaustive search in TestFlushEffectBounds):
//
//   - A flushed m (|m| < 2^-126) changes its update by less than
//     (lr/bc1)·2^-126/eps ≈ (lr/bc1)·1.18e-30 (plus the rounding of a
//     subnormal product, 2^-150/eps at most), which is below half the
//     spacing of the floats around every parameter with
//     |p| >= 2^26·(lr/bc1)·2^-126/eps ≈ (lr/bc1)·7.9e-23 (exactly: 2^-74 ≈
//     5.3e-23 for lr/bc1 = 1, 2^-84 ≈ 5.2e-26 for lr/bc1 = 1e-3), so such a
//     parameter gets PyTorch's bits in that step. In later steps m differs
//     from PyTorch's by less than 2^-126·beta1^k before rounding: the two
//     round to the same float unless that difference straddles a rounding
//     boundary of m, and then differ by one ulp of m (a relative 2^-24 in
//     one update).
//   - A flushed v (v < 2^-126, so sqrt(v) < 2^-63) leaves the denominator
//     sqrt(v)/sqrt(bc2) + eps unchanged unless sqrt(v)/sqrt(bc2) reaches
//     half an ulp of eps, which needs eps < 2^-38/sqrt(bc2) (exactly: eps
//     < 2^-39 ≈ 1.8e-12 once sqrt(bc2) rounds to 1). With eps = 1e-8 (half
//     an ulp 2^-51 ≈ 4.4e-16) it never changes.
//
// For float64, with 2^-1022 and 53 bits: a flushed m changes no parameter
// with |p| >= 2^55·(lr/bc1)·2^-1022/eps (2^-941 for lr/bc1 = 1 and eps =
// 1e-8), a flushed v no denominator with eps >= 2^-457/sqrt(bc2).
func Adam[T Float](p, g, m, v []T, lr float64, step int, h *Hyperparams) {
	checkAdam("Adam", p, g, m, v, step)
	flags := 0
	if h.WeightDecay != 0 {
		flags = adamL2
	}
	adam(p, g, m, v, lr, step, h, flags, T(h.WeightDecay), 1)
}

// AdamW takes one step of torch.optim.AdamW: the decoupled weight decay
// p ← p·(1 − lr·wd) first, the factor computed in float64 and converted to
// T once, as Python computes it, then Adam's step with g itself. m and v are
// flushed to zero below the smallest normal number, as in Adam (whose
// comment gives the effect). AdamW panics if step < 1 or if p, g, m and v
// differ in length.
func AdamW[T Float](p, g, m, v []T, lr float64, step int, h *Hyperparams) {
	checkAdam("AdamW", p, g, m, v, step)
	flags := 0
	if h.WeightDecay != 0 {
		flags = adamDecoupled
	}
	adam(p, g, m, v, lr, step, h, flags, 0, T(1-lr*h.WeightDecay))
}

// checkAdam panics, naming fn, unless p, g, m and v have one length and
// step >= 1.
func checkAdam[T Float](fn string, p, g, m, v []T, step int) {
	checkLen(fn, "p", "g", len(p), len(g))
	checkLen(fn, "p", "m", len(p), len(m))
	checkLen(fn, "p", "v", len(p), len(v))
	checkStepNumber(fn, step)
}

// adam is the step of Adam and AdamW; flags chooses the weight decay, wd
// the L2 coefficient, keep the decoupled factor. The lengths are checked.
func adam[T Float](p, g, m, v []T, lr float64, step int, h *Hyperparams, flags int, wd, keep T) {
	g, m, v = g[:len(p)], m[:len(p)], v[:len(p)]
	bc1 := 1 - math.Pow(h.Beta1, float64(step))
	bc2 := 1 - math.Pow(h.Beta2, float64(step))
	w := T(1 - h.Beta1) // lerp weight
	b2, c2 := T(h.Beta2), T(1-h.Beta2)
	stepSize := T(lr / bc1)
	bc2Sqrt := T(math.Sqrt(bc2))
	e := T(h.Eps)
	tiny64 := float64(smallestNormal[T]())
	z, start := vectorSplit[T](len(p))
	for _, r := range [2][2]int{{0, z}, {z, start}} { // AVX-512, then AVX2
		lo, hi := r[0], r[1]
		if lo == hi {
			continue
		}
		kernel32, kernel64 := adamF32, adamF64
		if hi == z {
			kernel32, kernel64 = adamZF32, adamZF64
		}
		if is32[T]() {
			kernel32(as32(p[lo:hi]), as32(g[lo:hi]), as32(m[lo:hi]), as32(v[lo:hi]),
				float32(w), float32(b2), float32(c2), float32(stepSize), float32(bc2Sqrt), float32(e),
				float32(wd), float32(keep), flags)
		} else {
			kernel64(as64(p[lo:hi]), as64(g[lo:hi]), as64(m[lo:hi]), as64(v[lo:hi]),
				float64(w), float64(b2), float64(c2), float64(stepSize), float64(bc2Sqrt), float64(e),
				float64(wd), float64(keep), flags)
		}
	}
	l2, decoupled := flags&adamL2 != 0, flags&adamDecoupled != 0
	for i := start; i < len(p); i++ {
		gi := g[i]
		if l2 {
			gi += T(wd * p[i])
		}
		// The flush: |m| < tiny is false for a NaN, which stays. (One
		// compare of the magnitude, not two of the signed value, which a
		// random sign would make unpredictable.)
		mi := m[i] + T(w*(gi-m[i]))
		if math.Abs(float64(mi)) < tiny64 {
			mi = 0
		}
		m[i] = mi
		vi := T(v[i]*b2) + T(T(c2*gi)*gi)
		if math.Abs(float64(vi)) < tiny64 {
			vi = 0
		}
		v[i] = vi
		// sqrt of a float32 via float64 is correctly rounded: 53 >= 2*24+2.
		denom := T(math.Sqrt(float64(vi)))/bc2Sqrt + e
		pi := p[i]
		if decoupled {
			pi = T(pi * keep)
		}
		p[i] = pi - T(stepSize*mi)/denom
	}
}

// vectorSplit is how the vector kernels share n elements: the AVX-512 one
// takes [0, z), a multiple of its 512-bit vectors (z is 0 without AVX-512),
// the AVX2 one [z, start), a multiple of 256 bits, and the plain loop the
// rest. All three give the same bits.
func vectorSplit[T Float](n int) (z, start int) {
	start = vectorLen[T](n)
	if avx512 {
		z = n &^ (2*lanes[T]() - 1)
	}
	return z, start
}

// smallestNormal is the smallest positive normal number of T: 2^-126 for
// float32, 2^-1022 for float64.
func smallestNormal[T Float]() T {
	if is32[T]() {
		return T(math.Float32frombits(0x00800000))
	}
	return T(math.Float64frombits(0x0010000000000000))
}

// checkStepNumber panics unless step >= 1.
func checkStepNumber(fn string, step int) {
	if step < 1 {
		panic(fmt.Sprintf("gradgen: %s: step = %d, want >= 1", fn, step))
	}
}
