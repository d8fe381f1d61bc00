package generic

import (
	"math"

	"github.com/gradgen/gradgen/spec"
)

// lossAndGrad returns the mean loss of the outputs a against the targets t,
// both [rows][n] row-major, and, when g is not nil, sets g to ∂loss/∂a. The
// sums are accumulated in float64.
//
//	mse                    loss = Σ (a−t)² / (rows·n)
//	                       g    = 2(a−t) / (rows·n)
//	softmax_cross_entropy  loss = −Σ t·log_softmax(a) / rows
//	                       g    = (softmax(a)·Σⱼ tⱼ − t) / rows     (per row)
//	binary_cross_entropy   loss = Σ [max(a,0) − a·t + log1p(e^−|a|)] / (rows·n)
//	                       g    = (σ(a) − t) / (rows·n)
//
// The cross-entropy losses take logits; log_softmax is computed with the
// row's maximum subtracted first.
func lossAndGrad[T Float](loss spec.Loss, a, t []T, rows, n int, g []T) T {
	var sum float64
	switch loss {
	case spec.MSE:
		for i, v := range a {
			d := float64(v) - float64(t[i])
			sum += d * d
			if g != nil {
				g[i] = T(2 * d / float64(rows*n))
			}
		}
		return T(sum / float64(rows*n))

	case spec.BinaryCrossEntropy:
		for i, v := range a {
			z, y := float64(v), float64(t[i])
			sum += max(z, 0) - z*y + math.Log1p(math.Exp(-math.Abs(z)))
			if g != nil {
				g[i] = T((sigmoid(z) - y) / float64(rows*n))
			}
		}
		return T(sum / float64(rows*n))

	case spec.SoftmaxCrossEntropy:
		for r := range rows {
			z, y := a[r*n:(r+1)*n], t[r*n:(r+1)*n]
			hi := float64(z[0])
			for _, v := range z {
				hi = max(hi, float64(v))
			}
			var s float64
			for _, v := range z {
				s += math.Exp(float64(v) - hi)
			}
			lse := hi + math.Log(s) // log Σ e^z
			var ysum float64
			for j, v := range z {
				sum -= float64(y[j]) * (float64(v) - lse)
				ysum += float64(y[j])
			}
			if g != nil {
				gr := g[r*n : (r+1)*n]
				for j, v := range z {
					gr[j] = T((math.Exp(float64(v)-lse)*ysum - float64(y[j])) / float64(rows))
				}
			}
		}
		return T(sum / float64(rows))
	}
	panic("generic: unknown loss " + string(loss))
}
