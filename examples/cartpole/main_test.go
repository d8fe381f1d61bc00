package main

import (
	"bytes"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/gradgen/gradgen/examples/cartpole/acnet"
)

// outcome is a run's result, its output and its error.
type outcome struct {
	res result
	out string
	err error
}

// runSeed runs the default options with seed s.
func runSeed(s uint64) outcome {
	o := defaults
	o.Seed = s
	var out bytes.Buffer
	res, err := run(&out, o)
	return outcome{res, out.String(), err}
}

// defaultRun is the run without flags (seed 1); the tests that read it
// share it.
var defaultRun = sync.OnceValue(func() outcome { return runSeed(defaults.Seed) })

// TestRunSolves: with the default options, seeds 1 and 2 each solve the task
// (a mean return of at least 475 over 20 training episodes) well within the
// 2000 episodes allowed, and the greedy policy then balances the pole for a
// mean of at least 475 steps over 10 fresh episodes. Each seed takes 30 to
// 90 updates and under a second here. A learning signal of the wrong sign
// fails it: with the advantage's sign flipped, seed 1 never solves the task
// and its greedy return is 9.1.
func TestRunSolves(t *testing.T) {
	for s := uint64(1); s <= 2; s++ {
		r := defaultRun()
		if s != defaults.Seed {
			r = runSeed(s)
		}
		if r.err != nil {
			t.Fatalf("seed %d: %v", s, r.err)
		}
		if r.res.SolvedAt == 0 || r.res.SolvedAt > 1500 || r.res.EvalMean < 475 {
			t.Errorf("seed %d: solved after %d episodes (0: never), greedy mean return %.1f; want solved within 1500 episodes and a greedy mean ≥ 475; output:\n%s",
				s, r.res.SolvedAt, r.res.EvalMean, r.out)
			continue
		}
		t.Logf("seed %d: solved after %d episodes (%d updates, %.2f s), greedy mean return %.1f",
			s, r.res.SolvedAt, r.res.SolvedAfter, r.res.TrainTime.Seconds(), r.res.EvalMean)
		if !strings.Contains(r.out, "solved after ") || !strings.Contains(r.out, "greedy policy: mean return ") {
			t.Errorf("seed %d: the output lacks the solved or greedy line:\n%s", s, r.out)
		}
	}
}

// TestRunDeterministic: two runs of 160 episodes with the same seed give
// the same returns, losses, evaluation, parameters and output, apart from
// the times, and their returns are the first 160 of the default run's: the
// episode limit only cuts the run short. Another seed gives other returns.
func TestRunDeterministic(t *testing.T) {
	o := defaults
	o.Episodes = 160
	var runs [2]outcome
	for i := range runs {
		var out bytes.Buffer
		res, err := run(&out, o)
		if err != nil {
			t.Fatal(err)
		}
		runs[i] = outcome{res, out.String(), nil}
	}
	a, b := runs[0], runs[1]
	if !slices.Equal(a.res.Returns, b.res.Returns) || !slices.Equal(a.res.Updates, b.res.Updates) ||
		!slices.Equal(a.res.EvalReturns, b.res.EvalReturns) {
		t.Errorf("two runs with seed %d differ: returns %v and %v", o.Seed, a.res.Returns, b.res.Returns)
	}
	if ua, ub := untimed(a.out), untimed(b.out); ua != ub {
		t.Errorf("two runs with seed %d print differently apart from the times:\n%s\nand\n%s", o.Seed, ua, ub)
	}
	if !slices.Equal(a.res.Model.Params.Slice(), b.res.Model.Params.Slice()) {
		t.Errorf("two runs with seed %d end with different parameters", o.Seed)
	}
	full := defaultRun()
	if full.err != nil {
		t.Fatal(full.err)
	}
	if len(a.res.Returns) != o.Episodes || !slices.Equal(a.res.Returns, full.res.Returns[:o.Episodes]) {
		t.Errorf("the returns of %d episodes %v are not the first of the default run's %v", o.Episodes, a.res.Returns, full.res.Returns)
	}
	o.Seed = 2
	c, err := run(new(bytes.Buffer), o)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Equal(c.Returns, a.res.Returns) {
		t.Errorf("seeds 1 and 2 gave the same returns %v", c.Returns)
	}
}

// untimed returns out without the lines that report times.
func untimed(out string) string {
	var b strings.Builder
	for line := range strings.Lines(out) {
		if !strings.Contains(line, "time") {
			b.WriteString(line)
		}
	}
	return b.String()
}

// TestPlotAndCheckpoint: -plot writes a PNG of 1000×420 pixels, and -o
// saves parameters that, loaded into a fresh model, give the same greedy
// returns. A short run will do.
func TestPlotAndCheckpoint(t *testing.T) {
	dir := t.TempDir()
	o := defaults
	o.Episodes, o.Eval = 80, 5
	o.Plot, o.Checkpoint = filepath.Join(dir, "cartpole.png"), filepath.Join(dir, "cartpole.ckpt")
	var out bytes.Buffer
	res, err := run(&out, o)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(o.Plot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", o.Plot, err)
	}
	if b := img.Bounds(); b.Dx() != 1000 || b.Dy() != 420 {
		t.Errorf("the plot is %d×%d pixels, want 1000×420", b.Dx(), b.Dy())
	}
	m := acnet.NewModel(o.Seed + 1) // other weights, until Load replaces them
	if err := m.Params.Load(o.Checkpoint); err != nil {
		t.Fatal(err)
	}
	if got := evaluate(m, o.Eval, rand.New(rand.NewPCG(o.Seed, evalStream))); !slices.Equal(got, res.EvalReturns) {
		t.Errorf("the model loaded from the checkpoint returns %v greedily, the trained one %v", got, res.EvalReturns)
	}
	for _, want := range []string{"plot: wrote " + o.Plot, "checkpoint: wrote " + o.Checkpoint} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the output lacks %q:\n%s", want, &out)
		}
	}
}

// TestEpisodeReturns: the value head's targets are the discounted returns
// in units of 1/(1−γ): after a fall T steps later, 1 − γ^T; at the time
// limit the return of the last step is bootstrapped with the value of the
// state the episode stopped in.
func TestEpisodeReturns(t *testing.T) {
	o := defaults
	var (
		env CartPole
		b   batch
	)
	m := acnet.NewModel(5) // untrained: the pole falls within a few dozen steps
	r := rand.New(rand.NewPCG(1, 1))
	ret := episode(m, &env, &b, o, r, r)
	n := len(b.xs)
	if n == 0 || n >= maxSteps || ret != float64(n) {
		t.Fatalf("an untrained policy: return %v over %d steps", ret, n)
	}
	for i, g := range b.returns {
		if want := 1 - math.Pow(o.Gamma, float64(n-i)); math.Abs(g-want) > 1e-12 {
			t.Fatalf("step %d of %d: return %v, want 1 − γ^%d = %v", i, n, g, n-i, want)
		}
	}

	trained := defaultRun()
	if trained.err != nil {
		t.Fatal(trained.err)
	}
	b.reset()
	if ret := episode(trained.res.Model, &env, &b, o, r, r); ret != maxSteps {
		t.Fatalf("the trained policy: return %v, want %d", ret, maxSteps)
	}
	var (
		x [acnet.Inputs]float32
		y acnet.Output
	)
	env.Observe(&x)
	trained.res.Model.Predict(&x, &y)
	if got, want := b.returns[maxSteps-1], (1-o.Gamma)+o.Gamma*float64(y.Value[0]); math.Abs(got-want) > 1e-12 {
		t.Errorf("the last step's return at the time limit %v, want (1−γ) + γ·V(s) = %v", got, want)
	}
	if got, want := b.returns[maxSteps-2], (1-o.Gamma)+o.Gamma*b.returns[maxSteps-1]; math.Abs(got-want) > 1e-12 {
		t.Errorf("the return of the step before %v, want %v", got, want)
	}
}

// TestTargets: the policy's targets put the advantage, normalised over the
// batch to mean 0 and standard deviation 1, on the action taken; the
// entropy bonus's targets make the cross-entropy's gradient p·Σt − t the
// gradient of −β·H(π) with respect to the logits, checked by central
// differences; the value's target is the return.
func TestTargets(t *testing.T) {
	b := batch{
		xs:      make([][acnet.Inputs]float32, 4),
		actions: []int{0, 1, 1, 0},
		probs:   [][numActions]float64{{0.5, 0.5}, {0.9, 0.1}, {0.2, 0.8}, {0.7, 0.3}},
		values:  []float64{0.5, 0.2, 0.9, 0.4},
		returns: []float64{0.6, 0.1, 0.3, 0.9},
	}
	b.targets(0)
	var sum, sq float64
	for i, tg := range b.ts {
		a := b.actions[i]
		if tg.Policy[1-a] != 0 || tg.Value[0] != float32(b.returns[i]) {
			t.Errorf("step %d: targets %+v, want the advantage on action %d only and the value %v", i, tg, a, b.returns[i])
		}
		adv := float64(tg.Policy[a])
		sum += adv
		sq += adv * adv
		if j := (i + 1) % 4; (adv < float64(b.ts[j].Policy[b.actions[j]])) != (b.returns[i]-b.values[i] < b.returns[j]-b.values[j]) {
			t.Errorf("steps %d and %d: the normalised advantages are not in the order of G − V", i, j)
		}
	}
	if math.Abs(sum/4) > 1e-6 || math.Abs(sq/4-1) > 1e-5 {
		t.Errorf("advantages with mean %g and mean square %g, want 0 and 1", sum/4, sq/4)
	}

	const beta = 0.3
	with := b
	with.ts = nil
	with.targets(beta)
	negEntropy := func(z [numActions]float64) float64 { // −β·H(softmax(z))
		p0 := 1 / (1 + math.Exp(z[1]-z[0]))
		return beta * (p0*math.Log(p0) + (1-p0)*math.Log(1-p0))
	}
	for i, p := range b.probs {
		// Logits of these probabilities, in float64 for the differences.
		z := [numActions]float64{0, math.Log(p[1] / p[0])}
		var tEnt [numActions]float64
		for k := range numActions {
			tEnt[k] = float64(with.ts[i].Policy[k] - b.ts[i].Policy[k])
		}
		for k := range numActions {
			grad := p[k]*(tEnt[0]+tEnt[1]) - tEnt[k]
			const h = 1e-3
			up, down := z, z
			up[k] += h
			down[k] -= h
			if want := (negEntropy(up) - negEntropy(down)) / (2 * h); math.Abs(grad-want) > 1e-5 {
				t.Errorf("probabilities %v, logit %d: the entropy targets' gradient %g, want ∂(−βH)/∂z = %g", p, k, grad, want)
			}
		}
	}
}

// TestBadOptions: nonsense settings are refused, not trained on.
func TestBadOptions(t *testing.T) {
	for _, change := range []func(*options){
		func(o *options) { o.Episodes = 0 },
		func(o *options) { o.Batch = 0 },
		func(o *options) { o.Eval = -1 },
		func(o *options) { o.Every = 0 },
		func(o *options) { o.Gamma = 1 },
		func(o *options) { o.Gamma = math.NaN() },
		func(o *options) { o.Entropy = -0.1 },
		func(o *options) { o.LR = 0 },
	} {
		o := defaults
		change(&o)
		if _, err := run(new(bytes.Buffer), o); err == nil {
			t.Errorf("options %+v were accepted", o)
		}
	}
}
