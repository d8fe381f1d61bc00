// Package sparse benchmarks an SGD step of a network with a 1 000 000 × 32
// embedding table (emb1m) against the same dense layers without the table
// (noemb), on batches of 32 samples with ids drawn uniformly from the
// table: the step clears, and updates, only the rows a batch touches, so
// its cost should not grow with the table (issue 18: within 2× of noemb).
//
//	GOMAXPROCS=1 go test -run '^$' -bench . -count 6 ./bench/sparse
package sparse

import (
	"math/rand/v2"
	"testing"

	"github.com/gradgen/gradgen/bench/sparse/emb1m"
	"github.com/gradgen/gradgen/bench/sparse/noemb"
)

const (
	batch   = 32
	batches = 64 // distinct batches, cycled: the ids change from step to step
)

func BenchmarkTrain(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	xs := make([][]emb1m.Input, batches)
	rows := make([][][noemb.Inputs]float32, batches)
	ts := make([][][1]float32, batches)
	for k := range xs {
		xs[k], rows[k], ts[k] = make([]emb1m.Input, batch), make([][noemb.Inputs]float32, batch), make([][1]float32, batch)
		for i := range batch {
			x := &xs[k][i]
			x.Item = int32(rng.IntN(1_000_000))
			for j := range x.Features {
				x.Features[j] = float32(rng.NormFloat64())
				rows[k][i][j] = x.Features[j]
			}
			for j := len(x.Features); j < noemb.Inputs; j++ {
				rows[k][i][j] = float32(rng.NormFloat64())
			}
			ts[k][i][0] = float32(rng.NormFloat64())
		}
	}
	b.Run("emb1m", func(b *testing.B) {
		m := emb1m.NewModel(1)
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			m.Train(xs[i%batches], ts[i%batches])
		}
	})
	b.Run("noemb", func(b *testing.B) {
		m := noemb.NewModel(1)
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			m.Train(rows[i%batches], ts[i%batches])
		}
	})
}
