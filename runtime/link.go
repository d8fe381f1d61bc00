package runtime

import "math"

// The link functions below turn a classifier's logits into what its loss
// compares with the targets; generated PredictProba and Classify call them.

// Softmax replaces the logits z by softmax(z)ᵢ = e^(zᵢ − m) / Σⱼ e^(zⱼ − m),
// with m = max z so that no exponential overflows, as torch.softmax. It
// computes in float64 and rounds once per element. An empty z is left as it
// is; a NaN among the logits makes every probability NaN, as in PyTorch.
func Softmax[T Float](z []T) {
	if len(z) == 0 {
		return
	}
	m := float64(z[0])
	for _, v := range z[1:] {
		m = math.Max(m, float64(v))
	}
	var sum float64
	for _, v := range z {
		sum += math.Exp(float64(v) - m)
	}
	for i, v := range z {
		z[i] = T(math.Exp(float64(v)-m) / sum)
	}
}

// LogSoftmax replaces z by log softmax(z) = z − m − log Σ e^(zᵢ − m), with m
// the largest zᵢ, computed in float64 as Softmax is: torch.log_softmax(z,
// dim=0).
func LogSoftmax[T Float](z []T) {
	if len(z) == 0 {
		return
	}
	m := float64(z[0])
	for _, v := range z[1:] {
		m = math.Max(m, float64(v))
	}
	var sum float64
	for _, v := range z {
		sum += math.Exp(float64(v) - m)
	}
	lse := m + math.Log(sum)
	for i, v := range z {
		z[i] = T(float64(v) - lse)
	}
}

// SigmoidAll replaces each logit zᵢ by σ(zᵢ), the probability that label i
// is 1, as torch.sigmoid.
func SigmoidAll[T Float](z []T) {
	for i, v := range z {
		z[i] = Sigmoid(v)
	}
}

// Argmax returns the index of the largest element of y, the first one on a
// tie, as torch.argmax; a NaN counts as larger than every number, so the
// first NaN's index is returned. It returns −1 for an empty y.
func Argmax[T Float](y []T) int {
	best := -1
	for i, v := range y {
		if v != v {
			return i
		}
		if best < 0 || v > y[best] {
			best = i
		}
	}
	return best
}
