package runtime

import "math"

// Layer normalization's two row kernels: the generated code calls them for
// each sample of a layer_norm layer (nn.LayerNorm), whose γ and β are then
// applied as element-wise maps.

// Normalize writes y = (z − μ)/σ: μ is the mean of z and σ = √(v + eps),
// with v the biased variance of z (the mean of (z − μ)²), as PyTorch's
// layer_norm computes them. The sums run in float64, in order, and each
// result is rounded once. y and z may be the same slice; a row of one value,
// or of equal values, gives zeros.
func Normalize[T Float](y, z []T, eps float64) {
	if len(z) == 0 {
		return
	}
	mu, sigma := moments(z, eps)
	for i, v := range z {
		y[i] = T((float64(v) - mu) / sigma)
	}
}

// NormalizeGrad writes the gradient of the loss with respect to z of y =
// Normalize(z, eps), given its gradient dy with respect to y: z̄ = (ȳ −
// mean ȳ − y·mean(ȳ ⊙ y)) / σ, the product of ȳ with the full Jacobian of
// the normalization, with σ recomputed from z. dz may be dy.
func NormalizeGrad[T Float](dz, dy, y, z []T, eps float64) {
	if len(z) == 0 {
		return
	}
	_, sigma := moments(z, eps)
	n := float64(len(z))
	var sumDy, sumDyY float64
	for i, g := range dy {
		sumDy += float64(g)
		sumDyY += float64(g) * float64(y[i])
	}
	meanDy, meanDyY := sumDy/n, sumDyY/n
	for i, g := range dy {
		dz[i] = T((float64(g) - meanDy - float64(y[i])*meanDyY) / sigma)
	}
}

// moments returns the mean of z and √(its biased variance + eps), in
// float64, the variance from the deviations from the mean (two passes, so a
// row of large equal values has variance 0 exactly).
func moments[T Float](z []T, eps float64) (mu, sigma float64) {
	n := float64(len(z))
	var sum float64
	for _, v := range z {
		sum += float64(v)
	}
	mu = sum / n
	var sq float64
	for _, v := range z {
		d := float64(v) - mu
		sq += d * d
	}
	return mu, math.Sqrt(sq/n + eps)
}
