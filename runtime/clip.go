package runtime

import "math"

// ClipGradNorm is torch.nn.utils.clip_grad_norm_(max_norm=maxNorm,
// norm_type=2) over the whole gradient g: it returns the 2-norm of g and,
// unless coef = maxNorm/(norm + 1e-6) is at least 1, multiplies every g[i]
// by T(coef). As in PyTorch, a NaN in g makes every element NaN and an
// infinite norm makes coef 0. With maxNorm <= 0 it returns the norm and
// changes nothing.
//
// The squares are summed in float64 (PyTorch sums in T), into eight
// accumulators, element i into accumulator i mod 8, which are added in a
// fixed order at the end: the norm does not depend on how the caller's
// goroutines or the vector width split g, so it is the same on every run
// and every platform, and the independent sums run about eight times as
// fast as one chain.
func ClipGradNorm[T Float](g []T, maxNorm float64) float64 {
	norm := math.Sqrt(sumSquares(g))
	if maxNorm <= 0 {
		return norm
	}
	if coef := maxNorm / (norm + 1e-6); !(coef >= 1) {
		Scale(g, T(coef), g)
	}
	return norm
}

// sumSquares returns Σ g[i]² in float64, summed as ClipGradNorm says. The
// conversions of the products forbid fusing them into the sums, so no
// platform rounds differently.
func sumSquares[T Float](g []T) float64 {
	sq := func(x T) float64 { f := float64(x); return float64(f * f) }
	var s0, s1, s2, s3, s4, s5, s6, s7 float64
	i := 0
	for ; i+8 <= len(g); i += 8 {
		h := g[i : i+8 : i+8]
		s0 += sq(h[0])
		s1 += sq(h[1])
		s2 += sq(h[2])
		s3 += sq(h[3])
		s4 += sq(h[4])
		s5 += sq(h[5])
		s6 += sq(h[6])
		s7 += sq(h[7])
	}
	s := [8]float64{s0, s1, s2, s3, s4, s5, s6, s7}
	for k := 0; i < len(g); i, k = i+1, k+1 {
		s[k] += sq(g[i])
	}
	return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]))
}
