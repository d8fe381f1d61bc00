package ir

import (
	"fmt"
	"strings"
)

// Math is an op's part in the derivation, in LaTeX, as gradgen explain
// prints it. Each function receives the LaTeX names of the result y and of
// the arguments, and the op's parameter (leaky_relu's α).
type Math struct {
	// Def is the op's definition: what it computes, per sample.
	Def func(y string, args []string, aux float64) string
	// Jacobians, for an op the grad pass differentiates, gives for each
	// argument that takes a gradient its Jacobian in the paper's form (""
	// for an argument without one, such as a target).
	Jacobians func(y string, args []string, aux float64) []string
	// Why says how the vector-Jacobian product the rule computes follows
	// from the Jacobians.
	Why string
}

// Math returns op's entry in the derivation table; every op has one.
func (op Op) Math() Math { return opMath[op] }

func def(format string) func(y string, a []string, aux float64) string {
	return func(y string, a []string, aux float64) string {
		args := []any{y}
		for _, s := range a {
			args = append(args, s)
		}
		return fmt.Sprintf(format, args...)
	}
}

// diagonal is the Jacobian of an element-wise map y = f(z).
func diagonal(entry string) func(y string, a []string, aux float64) []string {
	return func(y string, a []string, aux float64) []string {
		return []string{fmt.Sprintf(`\frac{\partial %s}{\partial %s} = \operatorname{diag}\left(%s\right)`, y, a[0], fmt.Sprintf(entry, a[0], y, aux))}
	}
}

const elementwiseWhy = `An element-wise op has a diagonal Jacobian, so the vector-Jacobian product ` +
	`$\bar{y}^\top \operatorname{diag}(d)$ is the element-wise product $\bar{y} \odot d$: no matrix is ever formed.`

const lossWhy = `The loss is the root of reverse mode, so its own gradient is the seed $\bar{L} = 1$; ` +
	`the product is the loss's gradient itself. Targets take no gradient. The mean over the batch enters here, ` +
	`once, as the factor $1/N$ (and $1/n$ for a mean over outputs): every gradient after it is a sum over samples.`

const rowMapWhy = `The map reads its whole row, so its Jacobian is full, but it has a rank-one form: ` +
	`the product with $\bar{y}$ costs one sum over the row, and the Jacobian is never formed.`

var opMath = map[Op]Math{
	OpInvalid: {Def: def(`%s = \text{invalid}`)},
	OpInput:   {Def: def(`%s \text{ is an input sample}`)},
	OpTarget:  {Def: def(`%s \text{ is the sample's target}`)},
	OpLabel:   {Def: def(`%s \text{ is the sample's class, whose one-hot row is the target}`)},
	OpParam:   {Def: def(`%s \text{ is a trainable parameter}`)},
	OpDense: {Def: func(y string, a []string, _ float64) string {
		return affineDef(y, a)
	}},
	OpAffine: {
		Def: func(y string, a []string, _ float64) string { return affineDef(y, a) },
		Jacobians: func(y string, a []string, _ float64) []string {
			j := []string{
				fmt.Sprintf(`\frac{\partial %s}{\partial %s} = %s`, y, a[0], a[1]),
				fmt.Sprintf(`\frac{\partial (%s)_i}{\partial (%s)_{ij}} = (%s)_j`, y, a[1], a[0]),
			}
			if len(a) == 3 {
				j = append(j, fmt.Sprintf(`\frac{\partial %s}{\partial %s} = I`, y, a[2]))
			}
			return j
		},
		Why: `The product with $\partial y/\partial x = W$ is $\bar{x} = W^\top \bar{y}$. Each $y_i$ depends ` +
			`on row $i$ of $W$ only, through $x$, so $\bar{W}_{ij} = \bar{y}_i x_j$: the outer product ` +
			`$\bar{W} = \bar{y}\,x^\top$. The bias has the identity Jacobian, so $\bar{b} = \bar{y}$. Over a batch, ` +
			`$\bar{W}$ and $\bar{b}$ are sums over the samples (the rows).`,
	},
	OpReLU: {
		Def:       def(`%s = \max(0, %s)`),
		Jacobians: diagonal(`\mathbb{1}[%[1]s > 0]`),
		Why: elementwiseWhy + ` Since $y = \max(0, z)$, $z > 0$ exactly when $y > 0$, so the saved output ` +
			`serves; the derivative at 0 is 0, as in PyTorch.`,
	},
	OpLeakyReLU: {
		Def: func(y string, a []string, aux float64) string {
			return fmt.Sprintf(`%s = \max(%s, %g\,%s)`, y, a[0], aux, a[0])
		},
		Jacobians: diagonal(`\mathbb{1}[%[1]s > 0] + %[3]g\,\mathbb{1}[%[1]s \le 0]`),
		Why:       elementwiseWhy + ` With $\alpha > 0$, $z > 0$ exactly when $y > 0$, so the saved output serves.`,
	},
	OpSigmoid: {
		Def:       def(`%s = \sigma(%s) = \frac{1}{1 + e^{-%[2]s}}`),
		Jacobians: diagonal(`\sigma(%[1]s) \odot (1 - \sigma(%[1]s)) = %[2]s \odot (1 - %[2]s)`),
		Why:       elementwiseWhy + ` $\sigma' = \sigma(1 - \sigma)$ is written with the saved output $y$.`,
	},
	OpSoftmax: {
		Def: def(`%s = \frac{e^{%s}}{\sum_j e^{%[2]s_j}}`),
		Jacobians: func(y string, a []string, _ float64) []string {
			return []string{fmt.Sprintf(`\frac{\partial %s}{\partial %s} = \operatorname{diag}(%[1]s) - %[1]s %[1]s^\top`, y, a[0])}
		},
		Why: rowMapWhy,
	},
	OpLogSoftmax: {
		Def: def(`%s = %s - \log \sum_j e^{%[2]s_j}`),
		Jacobians: func(y string, a []string, _ float64) []string {
			return []string{fmt.Sprintf(`\frac{\partial %s}{\partial %s} = I - \mathbf{1}\, (e^{%[1]s})^\top`, y, a[0])}
		},
		Why: rowMapWhy,
	},
	OpConcat: {
		Def: func(y string, a []string, _ float64) string {
			return fmt.Sprintf(`%s = \begin{bmatrix} %s \end{bmatrix}`, y, strings.Join(a, ` \\ `))
		},
		Jacobians: func(y string, a []string, _ float64) []string {
			js := make([]string, len(a))
			for i, x := range a {
				js[i] = fmt.Sprintf(`\frac{\partial %s}{\partial %s} = \begin{bmatrix} 0 \\ I \\ 0 \end{bmatrix}`, y, x)
			}
			return js
		},
		Why: `Each operand's Jacobian is the identity at the operand's rows of the result and zero elsewhere, so its gradient is its part of $\bar{y}$: no product is computed.`,
	},
	OpSum: {
		Def: def(`%s = %s + %s`),
		Jacobians: func(y string, a []string, _ float64) []string {
			return []string{fmt.Sprintf(`\frac{\partial %s}{\partial %s} = I`, y, a[0]), fmt.Sprintf(`\frac{\partial %s}{\partial %s} = I`, y, a[1])}
		},
		Why: `Both Jacobians are the identity, so each operand receives $\bar{y}$ as it is; an operand with other users sums what every path gives (the total derivative). ` +
			`A vector added to every row (a layer norm's β) receives $\bar{y}$ summed over the batch.`,
	},
	OpColumns: {
		Def: func(y string, a []string, aux float64) string {
			return fmt.Sprintf(`%s = (%s)_{%d\,:}`, y, a[0], int(aux))
		},
		Jacobians: func(string, []string, float64) []string { return []string{""} }, // of an input: no gradient
		Why:       `A named input is its columns of the sample's row; it takes no gradient.`,
	},
	OpSlice: {Def: func(y string, a []string, aux float64) string {
		return fmt.Sprintf(`%s = (%s)_{%d\,:}`, y, a[0], int(aux)) // the rows of a from aux on, as many as y has
	}},
	OpSoftmaxGrad:    {Def: def(`%s = %[3]s \odot (%[2]s - %[2]s^\top %[3]s)`)},
	OpLogSoftmaxGrad: {Def: def(`%s = %s - e^{%s} \textstyle\sum_j %[2]s_j`)},
	OpTanh: {
		Def:       def(`%s = \tanh(%s)`),
		Jacobians: diagonal(`1 - \tanh^2(%[1]s) = 1 - %[2]s^2`),
		Why:       elementwiseWhy + ` $\tanh' = 1 - \tanh^2$ is written with the saved output $y$.`,
	},
	OpMSE: {
		Def: def(`%s = \frac{1}{N n} \sum_{\text{batch}} \lVert %s - %s \rVert^2`),
		Jacobians: func(y string, a []string, _ float64) []string {
			return []string{fmt.Sprintf(`\frac{\partial %s}{\partial %s} = \frac{2}{N n} (%s - %s)^\top`, y, a[0], a[0], a[1]), ""}
		},
		Why: lossWhy,
	},
	OpSoftmaxCE: {
		Def: def(`%s = -\frac{1}{N} \sum_{\text{batch}} %[3]s^\top \log \operatorname{softmax}(%[2]s)`),
		Jacobians: func(y string, a []string, _ float64) []string {
			return []string{fmt.Sprintf(`\frac{\partial %s}{\partial %s} = \frac{1}{N} \left(\operatorname{softmax}(%s)\,\mathbf{1}^\top %s - %s\right)^\top`, y, a[0], a[0], a[1], a[1]), ""}
		},
		Why: lossWhy + ` The log-sum-exp is computed shifted by $\max_i z_i$, so logits of $\pm 10^4$ stay finite.`,
	},
	OpBCELogits: {
		Def: def(`%s = \frac{1}{N n} \sum_{\text{batch}} \mathbf{1}^\top \left(\max(%[2]s, 0) - %[2]s \odot %[3]s + \log(1 + e^{-|%[2]s|})\right)`),
		Jacobians: func(y string, a []string, _ float64) []string {
			return []string{fmt.Sprintf(`\frac{\partial %s}{\partial %s} = \frac{1}{N n} (\sigma(%s) - %s)^\top`, y, a[0], a[0], a[1]), ""}
		},
		Why: lossWhy + ` The stable form never evaluates $e^{z}$ for a large positive $z$.`,
	},
	OpMatMul:   {Def: def(`%s = %[3]s^\top %[2]s`)},
	OpMatMulTN: {Def: def(`%s \mathrel{+}= %s\,%s^\top \quad\text{(summed over the batch)}`)},
	OpSumRows:  {Def: def(`%s \mathrel{+}= %s \quad\text{(summed over the batch)}`)},
	OpAdd:      {Def: def(`%s = %s + %s`)},
	OpReLUGrad: {Def: def(`%s = %s \odot \mathbb{1}[%s > 0]`)},
	OpLeakyReLUGrad: {Def: func(y string, a []string, aux float64) string {
		return fmt.Sprintf(`%s = %s \odot (\mathbb{1}[%s > 0] + %g\,\mathbb{1}[%s \le 0])`, y, a[0], a[1], aux, a[1])
	}},
	OpSigmoidGrad:   {Def: def(`%s = %s \odot %[3]s \odot (1 - %[3]s)`)},
	OpTanhGrad:      {Def: def(`%s = %s \odot (1 - %[3]s^2)`)},
	OpMSEGrad:       {Def: def(`%s = \frac{2}{N n} (%s - %s)`)},
	OpSoftmaxCEGrad: {Def: def(`%s = \frac{1}{N} \left(\operatorname{softmax}(%s)\,\mathbf{1}^\top %[3]s - %[3]s\right)`)},
	OpBCELogitsGrad: {Def: def(`%s = \frac{1}{N n} (\sigma(%s) - %s)`)},
	OpTranspose:     {Def: def(`%s = %s^\top`)},
	OpNormalize: {
		Def: func(y string, a []string, eps float64) string {
			return fmt.Sprintf(`%s = \frac{%s - \mu}{\sigma},\quad \mu = \tfrac{1}{n} \textstyle\sum_j (%[2]s)_j,\quad \sigma = \sqrt{\tfrac{1}{n} \textstyle\sum_j ((%[2]s)_j - \mu)^2 + \varepsilon},\quad \varepsilon = \text{%[3]g}`, y, a[0], eps)
		},
		Jacobians: func(y string, a []string, _ float64) []string {
			return []string{fmt.Sprintf(`\frac{\partial %s}{\partial %s} = \frac{1}{\sigma} \left(I - \tfrac{1}{n} \mathbf{1} \mathbf{1}^\top - \tfrac{1}{n} %[1]s %[1]s^\top\right)`, y, a[0])}
		},
		Why: `Every output depends on the row's mean and variance, so the Jacobian is full; it is symmetric and ` +
			`the identity less two rank-one terms (∂μ/∂z = 1/n, ∂σ/∂z = y/(nσ)), so $\bar{z} = J^\top \bar{y}$ costs ` +
			`two sums over the row, $\operatorname{mean} \bar{y}$ and $\operatorname{mean}(\bar{y} \odot y)$, and σ is recomputed from z.`,
	},
	OpMul: {
		Def: def(`%s = %s \odot %s`),
		Jacobians: func(y string, a []string, _ float64) []string {
			return []string{fmt.Sprintf(`\frac{\partial %s}{\partial %s} = \operatorname{diag}(%s)`, y, a[0], a[1]),
				fmt.Sprintf(`\frac{\partial %s}{\partial %s} = \operatorname{diag}(%s)`, y, a[1], a[0])}
		},
		Why: elementwiseWhy + ` A vector operand scales every row, so its gradient is summed over the batch.`,
	},
	OpDropout: {
		Def: func(y string, a []string, p float64) string {
			return fmt.Sprintf(`%s = %s \odot m,\quad m_j = \tfrac{1}{1 - %g}\,\mathbb{1}[u_j \ge %[3]g]`, y, a[0], p)
		},
		Jacobians: func(y string, a []string, _ float64) []string {
			return []string{fmt.Sprintf(`\frac{\partial %s}{\partial %s} = \operatorname{diag}(m)`, y, a[0])}
		},
		Why: elementwiseWhy + ` The mask $m$ is a function of the call, the layer, the sample and the column ` +
			`(the uniform draws $u$), so the backward pass draws it again instead of storing it.`,
	},
	OpEmbed: {
		Def: func(y string, a []string, _ float64) string {
			return fmt.Sprintf(`%s = %s^\top \operatorname{onehot}(\mathit{id}) = (%[2]s)_{\mathit{id},:}`, y, a[1])
		},
		Jacobians: func(y string, a []string, _ float64) []string {
			return []string{"", fmt.Sprintf(`\frac{\partial (%s)_j}{\partial (%s)_{kj}} = \mathbb{1}[k = \mathit{id}]`, y, a[1])}
		},
		Why: `The lookup is linear in the table with a one-hot Jacobian, so the table's gradient is $\bar{y}$ added to ` +
			`the id's row: a scatter-add over the rows the batch touches, summed in the batch's order. The ids take none.`,
	},
	OpEmbedGrad:     {Def: def(`(%s)_{\mathit{id},:} \mathrel{+}= %s \quad\text{(summed over the batch)}`)},
	OpNormalizeGrad: {Def: def(`%s = \frac{1}{\sigma} \left(%s - \operatorname{mean} %[2]s - %[3]s \operatorname{mean}(%[2]s \odot %[3]s)\right)`)},
}

func affineDef(y string, a []string) string {
	if len(a) == 3 {
		return fmt.Sprintf(`%s = %s\,%s + %s`, y, a[1], a[0], a[2])
	}
	return fmt.Sprintf(`%s = %s\,%s`, y, a[1], a[0])
}
