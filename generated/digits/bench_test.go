package digits

import "testing"

func benchmarkTrain(b *testing.B, batch int) {
	m := NewModel(1)
	xs := make([][Inputs]float32, batch)
	ts := make([][Outputs]float32, batch)
	for i := range xs {
		for j := range xs[i] {
			xs[i][j] = float32((i+j)%17) / 16
		}
		ts[i][i%Outputs] = 1
	}
	b.ReportAllocs()
	for b.Loop() {
		m.Train(xs, ts)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(batch), "ns/sample")
}

func BenchmarkTrainB1(b *testing.B)  { benchmarkTrain(b, 1) }
func BenchmarkTrainB32(b *testing.B) { benchmarkTrain(b, 32) }
