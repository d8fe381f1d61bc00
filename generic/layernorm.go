package generic

import "math"

// layerNorm sets the node's a, before its activation, to nn.LayerNorm(in,
// eps) of the rows samples of x ([rows][in]), each row on its own:
//
//	μ = mean(x), var = mean((x − μ)²)   (biased, as PyTorch's)
//	n = (x − μ) / sqrt(var + eps)
//	a = γ ⊙ n + β
//
// It keeps n and 1/sqrt(var + eps) for layerNormBackward. The mean and the
// variance are accumulated in float64, the variance in a second pass over
// x − μ, so a constant row has var 0 exactly.
func (nd *gnode[T]) layerNorm(x []T, rows int) {
	w := nd.out
	gamma, beta := nd.w, nd.b
	for r := range rows {
		xr, nr, ar := x[r*w:(r+1)*w], nd.norm[r*w:(r+1)*w], nd.a[r*w:(r+1)*w]
		var mean float64
		for _, v := range xr {
			mean += float64(v)
		}
		mean /= float64(w)
		var variance float64
		for _, v := range xr {
			d := float64(v) - mean
			variance += d * d
		}
		variance /= float64(w)
		rstd := 1 / math.Sqrt(variance+nd.eps)
		nd.rstd[r] = rstd
		for j, v := range xr {
			n := (float64(v) - mean) * rstd
			nr[j] = T(n)
			ar[j] = T(float64(gamma[j])*n + float64(beta[j]))
		}
	}
}

// layerNormBackward sets γ's and β's gradients and dx ([rows][in]), ∂loss/∂
// the layer's input, from dz ([rows][out]), ∂loss/∂ its output before the
// activation, by the vector-Jacobian product of layerNorm: with the n and
// 1/σ it kept and g = dz ⊙ γ, per row
//
//	dx = (g − mean(g) − n ⊙ mean(g ⊙ n)) / σ
//
// and dγ = Σ_rows dz ⊙ n, dβ = Σ_rows dz. The means are accumulated in
// float64.
func (nd *gnode[T]) layerNormBackward(dz, dx []T, rows int) {
	w := nd.out
	gamma, dgamma, dbeta := nd.w, nd.dw, nd.db
	clear(dgamma)
	clear(dbeta)
	for r := range rows {
		dzr, nr, dxr := dz[r*w:(r+1)*w], nd.norm[r*w:(r+1)*w], dx[r*w:(r+1)*w]
		var mg, mgn float64
		for j, d := range dzr {
			gj := float64(d) * float64(gamma[j])
			mg += gj
			mgn += gj * float64(nr[j])
			dgamma[j] += d * nr[j]
			dbeta[j] += d
		}
		mg /= float64(w)
		mgn /= float64(w)
		rstd := nd.rstd[r]
		for j, d := range dzr {
			gj := float64(d) * float64(gamma[j])
			dxr[j] = T((gj - mg - float64(nr[j])*mgn) * rstd)
		}
	}
}
