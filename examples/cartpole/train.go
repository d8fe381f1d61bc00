package main

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"time"

	"github.com/gradgen/gradgen/examples/cartpole/acnet"
)

// numActions is the number of actions, one logit of the policy head each:
// 0 pushes the cart left, 1 right.
const numActions = len(acnet.Output{}.Policy)

// window is the number of episodes the moving average of the return spans,
// and solving asks for: a mean return of at least solvedMean over the last
// window episodes.
const window = 20

// solvedMean is CartPole-v1's reward threshold: a mean return of 475.
const solvedMean = 475

// The streams of the PCG generators seeded with options.Seed: one draws the
// initial states of the training episodes, one samples the actions, one
// draws the initial states of the greedy evaluation.
const (
	resetStream = 1 + iota
	actionStream
	evalStream
)

// update is what one update of the network reports.
type update struct {
	Episodes int     // training episodes finished after the update
	Samples  int     // steps in the batch it trained on
	Policy   float32 // the policy head's loss on the batch before the step: mean −A·log π(a|s), and the entropy targets' small term
	Value    float32 // the value head's loss on the batch before the step: mean squared error
}

// result is the outcome of one run.
type result struct {
	Returns     []float64     // the return of each training episode, in order
	Updates     []update      // each update, in order
	SolvedAt    int           // the episode after which the mean of the last window returns first reached solvedMean; 0 if none did
	SolvedAfter int           // the number of updates before SolvedAt; 0 if not solved
	EvalReturns []float64     // the returns of the greedy evaluation episodes
	EvalMean    float64       // their mean
	Steps       int           // environment steps taken in training
	TrainTime   time.Duration // the time training took
	Model       *acnet.Model  // the trained network
}

// batch holds the steps of the episodes of one update and the rows the
// network trains on; its slices are reused from update to update.
type batch struct {
	xs      [][acnet.Inputs]float32 // the observation at each step
	actions []int                   // the action taken
	probs   [][numActions]float64   // the policy π(·|s) the action was sampled from
	values  []float64               // V(s) before the update, in units of the value head
	returns []float64               // the discounted return from the step on, in units of the value head
	ts      []acnet.Target          // the targets of the step
}

// reset empties b for the next update.
func (b *batch) reset() {
	b.xs, b.actions, b.probs = b.xs[:0], b.actions[:0], b.probs[:0]
	b.values, b.returns, b.ts = b.values[:0], b.returns[:0], b.ts[:0]
}

// softmax returns the probabilities of the logits z.
func softmax(z [numActions]float32) (p [numActions]float64) {
	top := float64(z[0])
	for _, v := range z[1:] {
		top = max(top, float64(v))
	}
	var sum float64
	for i, v := range z {
		p[i] = math.Exp(float64(v) - top)
		sum += p[i]
	}
	for i := range p {
		p[i] /= sum
	}
	return p
}

// sample draws an action from the probabilities p.
func sample(p [numActions]float64, r *rand.Rand) int {
	u := r.Float64()
	for a, q := range p[:numActions-1] {
		if u < q {
			return a
		}
		u -= q
	}
	return numActions - 1
}

// greedy returns the action of the largest logit, the first on a tie.
func greedy(z [numActions]float32) int {
	best := 0
	for a, v := range z {
		if v > z[best] {
			best = a
		}
	}
	return best
}

// episode runs one training episode of the policy of m, appending its steps
// to b with their discounted returns, and returns its return (the number of
// steps, since each earns 1).
func episode(m *acnet.Model, env *CartPole, b *batch, o options, resets, actions *rand.Rand) float64 {
	var (
		x    [acnet.Inputs]float32
		y    acnet.Output
		ret  float64
		done bool
	)
	start := len(b.xs)
	env.Reset(resets)
	for !done {
		env.Observe(&x)
		m.Predict(&x, &y)
		p := softmax(y.Policy)
		a := sample(p, actions)
		b.xs = append(b.xs, x)
		b.actions = append(b.actions, a)
		b.probs = append(b.probs, p)
		b.values = append(b.values, float64(y.Value[0]))
		r, terminated, truncated := env.Step(a)
		ret += r
		b.returns = append(b.returns, r*(1-o.Gamma)) // the reward in units of the value head
		done = terminated || truncated
		if truncated {
			// The time limit is no end of the task: the return goes on
			// beyond it, so it is bootstrapped with the value of the state
			// the episode stopped in (Pardo et al., "Time Limits in
			// Reinforcement Learning", ICML 2018).
			env.Observe(&x)
			m.Predict(&x, &y)
			b.returns[len(b.returns)-1] += o.Gamma * float64(y.Value[0])
		}
	}
	// G_t = r_t + γ·G_{t+1}, from the last step back.
	for t := len(b.returns) - 2; t >= start; t-- {
		b.returns[t] += o.Gamma * b.returns[t+1]
	}
	return ret
}

// targets fills b.ts: the policy head's target is A·onehot(a), plus the
// entropy bonus's, and the value head's the discounted return G, where the
// advantage A = G − V(s) is normalised over the batch to mean 0 and
// standard deviation 1.
func (b *batch) targets(beta float64) {
	n := float64(len(b.xs))
	var mean, sq float64
	for t := range b.xs {
		mean += b.returns[t] - b.values[t]
	}
	mean /= n
	for t := range b.xs {
		d := b.returns[t] - b.values[t] - mean
		sq += d * d
	}
	std := math.Sqrt(sq / n)
	b.ts = b.ts[:0]
	for t := range b.xs {
		adv := (b.returns[t] - b.values[t] - mean) / (std + 1e-8)
		var tg acnet.Target
		tg.Policy[b.actions[t]] = float32(adv)
		if beta > 0 {
			// The gradient of −β·H(π) with respect to the logits is
			// β·p_i·(log p_i + H), which is the cross-entropy's gradient
			// p_i·Σt − t_i for the targets t_i = −β·p_i·(log p_i + H)
			// (they sum to 0). Added to the policy's targets, they make the
			// step one on −A·log π(a|s) − β·H(π(·|s)).
			p := b.probs[t]
			var h float64
			for _, q := range p {
				if q > 0 {
					h -= q * math.Log(q)
				}
			}
			for i, q := range p {
				if q > 0 {
					tg.Policy[i] -= float32(beta * q * (math.Log(q) + h))
				}
			}
		}
		tg.Value[0] = float32(b.returns[t])
		b.ts = append(b.ts, tg)
	}
}

// train trains a network as o says, writing its progress to w: each update
// runs o.Batch episodes with the current policy and takes one step of Adam
// on all their steps. It stops when the agent has solved the task or after
// o.Episodes episodes, and returns what happened and the model.
func train(w io.Writer, o options) (result, error) {
	var res result
	m := acnet.NewModel(o.Seed)
	h := m.Hyperparams()
	h.LR = o.LR
	if err := m.SetHyperparams(h); err != nil {
		return res, err
	}
	resets := rand.New(rand.NewPCG(o.Seed, resetStream))
	actions := rand.New(rand.NewPCG(o.Seed, actionStream))
	var (
		env   CartPole
		b     batch
		sum   float64 // the sum of the last window returns
		start = time.Now()
	)
	fmt.Fprintln(w, "update  episodes  mean return (last 20)  policy loss  value loss")
	for len(res.Returns) < o.Episodes && !(o.Stop && res.SolvedAt != 0) {
		b.reset()
		for range min(o.Batch, o.Episodes-len(res.Returns)) {
			ret := episode(m, &env, &b, o, resets, actions)
			res.Returns = append(res.Returns, ret)
			sum += ret
			if n := len(res.Returns); n > window {
				sum -= res.Returns[n-1-window]
			}
			if n := len(res.Returns); n >= window && sum/window >= solvedMean && res.SolvedAt == 0 {
				res.SolvedAt, res.SolvedAfter = n, len(res.Updates)
				if o.Stop {
					break // train on the episodes of the batch so far, then stop
				}
			}
		}
		b.targets(o.Entropy)
		heads := m.HeadLosses(b.xs, b.ts)
		m.Train(b.xs, b.ts)
		res.Steps += len(b.xs)
		u := update{Episodes: len(res.Returns), Samples: len(b.xs), Policy: heads[0], Value: heads[1]}
		res.Updates = append(res.Updates, u)
		if k := len(res.Updates); k == 1 || k%o.Every == 0 || u.Episodes == res.SolvedAt || u.Episodes == o.Episodes {
			n := min(window, len(res.Returns))
			fmt.Fprintf(w, "%6d  %8d  %21.1f  %11.4f  %10.5f\n", k, u.Episodes, mean(res.Returns[len(res.Returns)-n:]), u.Policy, u.Value)
		}
	}
	res.TrainTime, res.Model = time.Since(start), m
	if err := m.CheckFinite(); err != nil {
		return res, fmt.Errorf("training diverged: %w", err)
	}
	return res, nil
}

// evaluate runs n episodes of the greedy policy of m, the action of the
// largest logit, from initial states drawn from r, and returns their
// returns.
func evaluate(m *acnet.Model, n int, r *rand.Rand) []float64 {
	returns := make([]float64, n)
	var (
		env CartPole
		x   [acnet.Inputs]float32
		y   acnet.Output
	)
	for i := range returns {
		env.Reset(r)
		for done := false; !done; {
			env.Observe(&x)
			m.Predict(&x, &y)
			reward, terminated, truncated := env.Step(greedy(y.Policy))
			returns[i] += reward
			done = terminated || truncated
		}
	}
	return returns
}

// mean returns the mean of xs, or 0 for none.
func mean(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}
