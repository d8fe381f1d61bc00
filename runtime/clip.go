package runtime

import "math"

// ClipGradNorm is torch.nn.utils.clip_grad_norm_(max_norm=maxNorm,
// norm_type=2) over the whole gradient g: it returns the 2-norm of g, and
// when coef = maxNorm/(norm + 1e-6) is below 1 it multiplies every g[i] by
// T(coef). The squares are summed in float64 in index order, so the norm is
// deterministic and the same on every platform (PyTorch sums in T). With
// maxNorm <= 0 it returns the norm and changes nothing. A NaN in g makes the
// norm and coef NaN, and g is left alone (PyTorch multiplies it all by NaN);
// an infinite norm gives coef 0 (as in PyTorch).
func ClipGradNorm[T Float](g []T, maxNorm float64) float64 {
	s := 0.0
	for _, x := range g {
		f := float64(x)
		s += float64(f * f) // the conversion forbids fusing the product into the sum
	}
	norm := math.Sqrt(s)
	if maxNorm <= 0 {
		return norm
	}
	if coef := maxNorm / (norm + 1e-6); coef < 1 {
		Scale(g, T(coef), g)
	}
	return norm
}
