// Package gradtest checks generated networks against independent references:
// central finite differences for gradients and a plain float64 forward pass
// for outputs and losses. The tests beside each generated package use it
// through closures, since every generated package has its own types.
package gradtest

import (
	"fmt"
	"math"
	"testing"
)

// Float is a network element type.
type Float interface{ ~float32 | ~float64 }

// Gradients compares grad with a fourth-order central difference of loss,
// computed in float64, in each parameter p[i]:
//
//	∂L/∂p ≈ (8(L(p+h) − L(p−h)) − (L(p+2h) − L(p−2h))) / 12h
//
// whose truncation error is O(h⁴). loss may change p but must restore it.
// The relative error |fd − g| / max(|fd|, |g|, floor) must not exceed tol.
//
// A ReLU whose input lies within 2h of 0 puts a kink in the loss near p[i],
// which spoils the difference at h: such a parameter is checked again at h/8,
// and skipped only when the differences at h and h/8 still disagree with
// each other (the loss is not smooth even there). At most 2% of the checked
// parameters may be skipped. When
// every > 1 only every every-th parameter is checked.
func Gradients(t *testing.T, p, grad []float64, loss func(p []float64) float64, h, floor, tol float64, every int) {
	t.Helper()
	if every < 1 {
		every = 1
	}
	diff := func(i int, h float64) float64 {
		p0 := p[i]
		at := func(delta float64) float64 {
			p[i] = p0 + delta
			return loss(p)
		}
		fd := (8*(at(h)-at(-h)) - (at(2*h) - at(-2*h))) / (12 * h)
		p[i] = p0
		return fd
	}
	worst, bad, kinks, refined, checked := 0.0, 0, 0, 0, 0
	for i := 0; i < len(p); i += every {
		checked++
		fd := diff(i, h)
		rel := math.Abs(fd-grad[i]) / math.Max(math.Max(math.Abs(fd), math.Abs(grad[i])), floor)
		if rel <= tol {
			worst = math.Max(worst, rel)
			continue
		}
		// A kink within 2h of p[i] spoils the difference at h; at h/8 the
		// step may clear it, and then the finer difference must agree.
		fine := diff(i, h/8)
		if rel := math.Abs(fine-grad[i]) / math.Max(math.Max(math.Abs(fine), math.Abs(grad[i])), floor); rel <= tol {
			worst = math.Max(worst, rel)
			refined++
			continue
		}
		if math.Abs(fine-fd)/math.Max(math.Max(math.Abs(fd), math.Abs(fine)), floor) > tol {
			kinks++ // still not smooth at h/8: no difference quotient is meaningful
			continue
		}
		bad++
		if bad <= 10 {
			t.Errorf("parameter %d: gradient %.12g, finite difference %.12g (relative error %.3g > %g)", i, grad[i], fd, rel, tol)
		}
	}
	if bad > 10 {
		t.Errorf("... and %d more parameters", bad-10)
	}
	if kinks*50 > checked {
		t.Errorf("%d of %d parameters sit at a kink of the loss; too many to trust the check", kinks, checked)
	}
	t.Logf("checked %d of %d parameters (%d at h/8 near a kink, %d skipped at kinks); worst relative error %.3g", checked, len(p), refined, kinks, worst)
}

// Activation names an element-wise map of the reference network.
type Activation string

// Layer describes one dense layer of the reference network.
type Layer struct {
	In, Out    int
	Activation Activation // "", "none", "relu", "leaky_relu", "sigmoid", "tanh"
	Slope      float64
	Bias       bool
	Frozen     bool // trainable: false: its gradient is zero and no step changes it
}

// Net is an independent float64 implementation of a gradgen network's
// forward pass and losses, written directly from the definitions (PyTorch's
// nn.Linear, activations and mean-reduced losses) with no shared code.
type Net struct {
	Layers []Layer
	Loss   string // "mse", "softmax_cross_entropy", "binary_cross_entropy"
}

// Link applies the link function of loss to the outputs z, in float64: σ
// for binary_cross_entropy, softmax for softmax_cross_entropy, nothing for
// mse. It returns a new slice.
func Link(loss string, z []float64) []float64 {
	p := append([]float64(nil), z...)
	switch loss {
	case "binary_cross_entropy":
		for j, v := range z {
			p[j] = 1 / (1 + math.Exp(-v))
		}
	case "softmax_cross_entropy":
		mx, se := maxSumExp(z)
		for j, v := range z {
			p[j] = math.Exp(v-mx) / se
		}
	}
	return p
}

// NumParams is the number of parameters Forward reads.
func (n Net) NumParams() int {
	total := 0
	for _, l := range n.Layers {
		total += l.In * l.Out
		if l.Bias {
			total += l.Out
		}
	}
	return total
}

// Frozen reports, for each of the flat parameters, whether its layer is
// frozen.
func (n Net) Frozen() []bool {
	var mask []bool
	for _, l := range n.Layers {
		size := l.In * l.Out
		if l.Bias {
			size += l.Out
		}
		for range size {
			mask = append(mask, l.Frozen)
		}
	}
	return mask
}

// Forward computes the output for x with the flat parameters p, laid out as
// W1 ([out][in] row-major), b1, W2, b2, …
func (n Net) Forward(p []float64, x []float64) []float64 {
	a := x
	off := 0
	for _, l := range n.Layers {
		w := p[off : off+l.In*l.Out]
		off += l.In * l.Out
		var b []float64
		if l.Bias {
			b = p[off : off+l.Out]
			off += l.Out
		}
		z := make([]float64, l.Out)
		for i := range z {
			s := 0.0
			for j := 0; j < l.In; j++ {
				s += w[i*l.In+j] * a[j]
			}
			if b != nil {
				s += b[i]
			}
			z[i] = activate(l, s)
		}
		a = z
	}
	return a
}

func activate(l Layer, z float64) float64 {
	switch l.Activation {
	case "relu":
		return math.Max(z, 0)
	case "leaky_relu":
		if z > 0 {
			return z
		}
		return l.Slope * z
	case "sigmoid":
		return 1 / (1 + math.Exp(-z))
	case "tanh":
		return math.Tanh(z)
	case "", "none":
		return z
	}
	panic(fmt.Sprintf("gradtest: unknown activation %q", l.Activation))
}

// MeanLoss is the mean loss of the batch, as PyTorch's MSELoss,
// CrossEntropyLoss (probability targets) and BCEWithLogitsLoss with
// reduction="mean" define it.
func (n Net) MeanLoss(p []float64, xs, ts [][]float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	total, count := 0.0, 0
	for s := range xs {
		y := n.Forward(p, xs[s])
		t := ts[s]
		switch n.Loss {
		case "mse":
			for j := range y {
				total += (y[j] - t[j]) * (y[j] - t[j])
			}
			count += len(y)
		case "softmax_cross_entropy":
			mx, se := maxSumExp(y)
			for j := range y {
				total -= t[j] * (y[j] - mx - math.Log(se))
			}
			count++
		case "binary_cross_entropy":
			for j := range y {
				// −[t log σ(y) + (1 − t) log(1 − σ(y))], in a stable form.
				total += math.Max(y[j], 0) - y[j]*t[j] + math.Log1p(math.Exp(-math.Abs(y[j])))
			}
			count += len(y)
		default:
			panic(fmt.Sprintf("gradtest: unknown loss %q", n.Loss))
		}
	}
	return total / float64(count)
}

// maxSumExp returns the largest of z and Σ e^(zⱼ − max), the shifted sum of
// a stable softmax and log-sum-exp.
func maxSumExp(z []float64) (mx, se float64) {
	mx = math.Inf(-1)
	for _, v := range z {
		mx = math.Max(mx, v)
	}
	for _, v := range z {
		se += math.Exp(v - mx)
	}
	return mx, se
}

// Float64s converts a slice to float64.
func Float64s[T Float](s []T) []float64 {
	out := make([]float64, len(s))
	for i, v := range s {
		out[i] = float64(v)
	}
	return out
}

// Close reports whether got is within relative tolerance tol of want
// (absolute below 1).
func Close(got, want, tol float64) bool {
	return math.Abs(got-want) <= tol*math.Max(1, math.Abs(want))
}
