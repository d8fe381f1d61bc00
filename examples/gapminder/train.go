package main

import (
	"cmp"
	"math"
	"slices"
	"time"

	"github.com/gradgen/gradgen/dataset"
	"github.com/gradgen/gradgen/examples/gapminder/basenet"
	"github.com/gradgen/gradgen/examples/gapminder/lifenet"
)

// embeddingScale scales the table NewModel draws from N(0, 1), as PyTorch's
// nn.Embedding does, to N(0, 0.01²), as nn.init.normal_(weight, std=0.01)
// would: a country's vector then starts near 0, beside features of
// deviation 1, and grows only as far as the data push it.
const embeddingScale = 0.01

// epochStats are a network's errors after an epoch.
type epochStats struct {
	loss  float64 // the mean of the minibatch losses Train returned during the epoch (standardised units)
	train float64 // the root mean squared error on the training split, in years, at the epochs reported (else NaN)
	test  float64 // the same on the test split, at every epoch
}

// lrAt returns the learning rate of epoch e (from 0) of n: lr decayed along
// a half cosine, from lr at the first epoch towards 0 at the last, once per
// epoch, as torch.optim.lr_scheduler.CosineAnnealingLR(T_max=n) stepped
// after each epoch does.
func lrAt(lr float64, e, n int) float64 {
	return lr * 0.5 * (1 + math.Cos(math.Pi*float64(e)/float64(n)))
}

// reported tells whether the report has a line for epoch e (from 0) of n:
// the first, every tenth and the last.
func reported(e, n int) bool { return e == 0 || (e+1)%10 == 0 || e == n-1 }

// predictLife returns m's prediction for x, in years.
func predictLife(d *data, m *lifenet.Model, x *lifenet.Input) float64 {
	var y [lifenet.Outputs]float32
	m.Predict(x, &y)
	return d.years(y[0])
}

// predictBase returns basenet's prediction for x, in years.
func predictBase(d *data, m *basenet.Model, x *[basenet.Inputs]float32) float64 {
	var y [basenet.Outputs]float32
	m.Predict(x, &y)
	return d.years(y[0])
}

// rmse returns the root mean squared error, in years, of m's predictions of
// the life expectancies of s: Loss gives the mean squared error of the
// standardised values over the whole split at once.
func rmse(d *data, m *lifenet.Model, s *split) float64 {
	return d.lifeStd * math.Sqrt(float64(m.Loss(s.xs, s.ts)))
}

// baseRMSE is rmse for the network without the country.
func baseRMSE(d *data, m *basenet.Model, s *split) float64 {
	return d.lifeStd * math.Sqrt(float64(m.Loss(s.base, s.baseTs)))
}

// meanAbsErrors returns the mean absolute errors, in years, of the
// predictions of both networks for the rows of s.
func meanAbsErrors(d *data, m *lifenet.Model, b *basenet.Model, s *split) (life, base float64) {
	for i, r := range s.rows {
		life += math.Abs(predictLife(d, m, &s.xs[i]) - r.life)
		base += math.Abs(predictBase(d, b, &s.base[i]) - r.life)
	}
	n := float64(len(s.rows))
	return life / n, base / n
}

// newLife returns lifenet's model for seed with its embedding table scaled
// by embeddingScale.
func newLife(seed uint64) *lifenet.Model {
	m := lifenet.NewModel(seed)
	for i := range m.Params.E1 { // country_vec.weight, [185][16]
		for j := range m.Params.E1[i] {
			m.Params.E1[i][j] *= embeddingScale
		}
	}
	return m
}

// trainLife trains lifenet for o.Epochs epochs of shuffled minibatches of
// the training split and returns the model, its errors after each epoch and
// the time spent in Train.
func trainLife(d *data, o options) (*lifenet.Model, []epochStats, time.Duration) {
	m := newLife(o.Seed)
	batches := dataset.NewBatches(d.train.xs, d.train.ts, o.Batch, o.Seed)
	hist := make([]epochStats, 0, o.Epochs)
	var spent time.Duration
	for e := range o.Epochs {
		m.SetLR(lrAt(o.LR, e, o.Epochs))
		batches.Shuffle()
		var loss float64
		start := time.Now()
		for k := range batches.Len() {
			loss += float64(m.Train(batches.Batch(k))) // one Adam step; allocates nothing
		}
		spent += time.Since(start)
		s := epochStats{loss / float64(batches.Len()), math.NaN(), rmse(d, m, &d.test)}
		if reported(e, o.Epochs) {
			s.train = rmse(d, m, &d.train)
		}
		hist = append(hist, s)
	}
	return m, hist, spent
}

// trainBase trains basenet as trainLife trains lifenet: from the same seed,
// on the same rows in the same order, with the same learning rates, without
// the countries.
func trainBase(d *data, o options) (*basenet.Model, []epochStats, time.Duration) {
	m := basenet.NewModel(o.Seed)
	batches := dataset.NewBatches(d.train.base, d.train.baseTs, o.Batch, o.Seed)
	hist := make([]epochStats, 0, o.Epochs)
	var spent time.Duration
	for e := range o.Epochs {
		m.SetLR(lrAt(o.LR, e, o.Epochs))
		batches.Shuffle()
		var loss float64
		start := time.Now()
		for k := range batches.Len() {
			loss += float64(m.Train(batches.Batch(k)))
		}
		spent += time.Since(start)
		s := epochStats{loss / float64(batches.Len()), math.NaN(), baseRMSE(d, m, &d.test)}
		if reported(e, o.Epochs) {
			s.train = baseRMSE(d, m, &d.train)
		}
		hist = append(hist, s)
	}
	return m, hist, spent
}

// neighbour is a country near another one, and how near.
type neighbour struct {
	id         int32
	similarity float64 // the cosine of the angle between the two countries' vectors
}

// neighbours returns the k countries whose learned vectors (rows of the
// embedding table) are nearest to country id's by cosine similarity, the
// nearest first.
func neighbours(m *lifenet.Model, id int32, k int) []neighbour {
	table := &m.Params.E1
	a := &table[id]
	all := make([]neighbour, 0, len(table)-1)
	for j := range table {
		if int32(j) != id {
			all = append(all, neighbour{int32(j), cosine(a[:], table[j][:])})
		}
	}
	slices.SortStableFunc(all, func(x, y neighbour) int { return cmp.Compare(y.similarity, x.similarity) })
	return all[:min(k, len(all))]
}

// cosine returns the cosine of the angle between a and b.
func cosine(a, b []float32) float64 {
	var ab, aa, bb float64
	for i := range a {
		ab += float64(a[i]) * float64(b[i])
		aa += float64(a[i]) * float64(a[i])
		bb += float64(b[i]) * float64(b[i])
	}
	return ab / math.Sqrt(aa*bb)
}

// sameContinent returns the share of the k nearest neighbours of every
// country that lie on its continent, and the share that would by chance:
// the mean, over the countries, of the share of the other countries on its
// continent.
func sameContinent(d *data, m *lifenet.Model, k int) (share, chance float64) {
	n := len(d.countries.names)
	count := map[string]int{}
	for _, c := range d.continent {
		count[c]++
	}
	var same int
	for id := range n {
		c := d.continent[id]
		for _, nb := range neighbours(m, int32(id), k) {
			if d.continent[nb.id] == c {
				same++
			}
		}
		chance += float64(count[c]-1) / float64(n-1)
	}
	return float64(same) / float64(n*k), chance / float64(n)
}
