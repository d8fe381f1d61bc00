package bench

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"unsafe"

	"github.com/gradgen/gradgen/bench/nets/mnist32"
	"github.com/gradgen/gradgen/bench/nets/mnist64"
	"github.com/gradgen/gradgen/bench/nets/tiny32"
	"github.com/gradgen/gradgen/bench/nets/tiny64"
	"github.com/gradgen/gradgen/bench/nets/wide32"
	"github.com/gradgen/gradgen/bench/nets/wide64"
	"github.com/gradgen/gradgen/generic"
	"github.com/gradgen/gradgen/internal/gradtest"
	"github.com/gradgen/gradgen/spec"
)

// network is one row of the benchmark table.
type network struct {
	name  string
	spec  string // the spec, relative to this directory, without the dtype suffix
	batch int
}

var networks = []network{
	{"tiny_b1", "tiny", 1},
	{"mnist_b1", "mnist", 1},
	{"mnist_b32", "mnist", 32},
	{"wide_b128", "wide", 128},
}

// seed fixes the initial weights and the data of every benchmark, so all
// implementations start from the same point.
const seed = 1

func specPath(base, dtype string) string {
	return fmt.Sprintf("nets/%s%s/%s%s.yaml", base, dtype[1:], base, dtype[1:])
}

func load(tb testing.TB, path string) *spec.Network {
	n, err := spec.Load(path)
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

// flops counts the floating-point operations of a training step on a batch:
// 2·in·out per layer and sample forward, 4·in·out backward, 2 per parameter
// for the update. A forward pass alone counts 2·in·out per layer and sample.
func flops(n *spec.Network, batch int, train bool) float64 {
	total := 0.0
	in := n.Input
	for _, l := range n.Layers {
		f := 2.0
		if train {
			f = 6
		}
		total += f * float64(in*l.Dense*batch)
		in = l.Dense
	}
	if train {
		total += 2 * float64(n.NumParams())
	}
	return total
}

// data makes a batch: inputs uniform in [0, 1), one-hot targets for the
// cross-entropy networks and uniform ones for mse.
func data[T gradtest.Float](n *spec.Network, batch int) (xs, ts []T) {
	r := rand.New(rand.NewPCG(seed, 2))
	out := n.Layers[len(n.Layers)-1].Dense
	xs, ts = make([]T, batch*n.Input), make([]T, batch*out)
	for i := range xs {
		xs[i] = T(r.Float64())
	}
	for k := range batch {
		if n.Loss == spec.MSE {
			for j := range out {
				ts[k*out+j] = T(r.Float64())
			}
		} else {
			ts[k*out+r.IntN(out)] = 1
		}
	}
	return xs, ts
}

// generated returns the generated model of a network, behind gradtest's
// flat-slice adapter (a closure call per step, no allocation).
func generated[T gradtest.Float](base string) gradtest.Model[T] {
	var m any
	switch base + fmt.Sprint(dtypeOf[T]()) {
	case "tinyf32":
		g := tiny32.NewModel(seed)
		m = gradtest.Adapt[float32, [tiny32.Inputs]float32, [tiny32.Outputs]float32](g, g.Params.Slice(), g.Grad.Slice())
	case "tinyf64":
		g := tiny64.NewModel(seed)
		m = gradtest.Adapt[float64, [tiny64.Inputs]float64, [tiny64.Outputs]float64](g, g.Params.Slice(), g.Grad.Slice())
	case "mnistf32":
		g := mnist32.NewModel(seed)
		m = gradtest.Adapt[float32, [mnist32.Inputs]float32, [mnist32.Outputs]float32](g, g.Params.Slice(), g.Grad.Slice())
	case "mnistf64":
		g := mnist64.NewModel(seed)
		m = gradtest.Adapt[float64, [mnist64.Inputs]float64, [mnist64.Outputs]float64](g, g.Params.Slice(), g.Grad.Slice())
	case "widef32":
		g := wide32.NewModel(seed)
		m = gradtest.Adapt[float32, [wide32.Inputs]float32, [wide32.Outputs]float32](g, g.Params.Slice(), g.Grad.Slice())
	case "widef64":
		g := wide64.NewModel(seed)
		m = gradtest.Adapt[float64, [wide64.Inputs]float64, [wide64.Outputs]float64](g, g.Params.Slice(), g.Grad.Slice())
	}
	return m.(gradtest.Model[T])
}

func dtypeOf[T gradtest.Float]() string {
	var x T
	if _, ok := any(x).(float64); ok {
		return "f64"
	}
	return "f32"
}

// impl is what a benchmark drives.
type impl[T gradtest.Float] struct {
	train   func(xs, ts []T) T
	predict func(x, y []T)
	params  []T
}

func implementations[T gradtest.Float](tb testing.TB, nw network) map[string]impl[T] {
	n := load(tb, specPath(nw.spec, dtypeOf[T]()))
	gen := generated[T](nw.spec)
	eng, err := generic.New[T](n, seed)
	if err != nil {
		tb.Fatal(err)
	}
	return map[string]impl[T]{
		"generated": {gen.Train, gen.Predict, gen.Params},
		"generic":   {eng.Train, eng.Predict, eng.Params()},
	}
}

func BenchmarkStep(b *testing.B) {
	for _, nw := range networks {
		benchStep[float32](b, nw)
		benchStep[float64](b, nw)
	}
}

func BenchmarkPredict(b *testing.B) {
	for _, nw := range networks {
		benchPredict[float32](b, nw)
		benchPredict[float64](b, nw)
	}
}

func benchStep[T gradtest.Float](b *testing.B, nw network) {
	dt := dtypeOf[T]()
	n := load(b, specPath(nw.spec, dt))
	xs, ts := data[T](n, nw.batch)
	impls := implementations[T](b, nw)
	for _, name := range []string{"generated", "generic"} {
		m := impls[name]
		b.Run(fmt.Sprintf("%s/%s/%s", nw.name, name, dt), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				m.train(xs, ts)
			}
			b.ReportMetric(flops(n, nw.batch, true)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

func benchPredict[T gradtest.Float](b *testing.B, nw network) {
	dt := dtypeOf[T]()
	n := load(b, specPath(nw.spec, dt))
	xs, _ := data[T](n, 1)
	y := make([]T, n.Layers[len(n.Layers)-1].Dense)
	impls := implementations[T](b, nw)
	for _, name := range []string{"generated", "generic"} {
		m := impls[name]
		b.Run(fmt.Sprintf("%s/%s/%s", nw.name, name, dt), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				m.predict(xs, y)
			}
			b.ReportMetric(flops(n, 1, false)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// inferNets are the networks of BenchmarkInfer, each at batch 1 (Predict)
// and 128 (PredictBatch).
var inferNets = []string{"tiny", "mnist", "wide"}

// BenchmarkInfer times inference as a server runs it: Predict on one
// sample, PredictBatch on 128. Its names match bench/peers' ONNX Runtime
// and bench/peers/torch_bench.py's PyTorch rows.
func BenchmarkInfer(b *testing.B) {
	for _, base := range inferNets {
		for _, batch := range []int{1, 128} {
			benchInfer[float32](b, base, batch)
			benchInfer[float64](b, base, batch)
		}
	}
}

func benchInfer[T gradtest.Float](b *testing.B, base string, batch int) {
	dt := dtypeOf[T]()
	n := load(b, specPath(base, dt))
	xs, _ := data[T](n, batch)
	m := generated[T](base)
	ys := make([]T, batch*n.Layers[len(n.Layers)-1].Dense)
	run := func() { m.PredictBatch(xs, ys) }
	if batch == 1 {
		run = func() { m.Predict(xs, ys) }
	}
	b.Run(fmt.Sprintf("%s_b%d/generated/%s", base, batch, dt), func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			run()
		}
		b.ReportMetric(flops(n, batch, false)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	})
}

// TestSameStart checks that the implementations the benchmarks compare
// start from the same weights and compute the same first step.
func TestSameStart(t *testing.T) {
	for _, nw := range networks {
		impls := implementations[float64](t, nw)
		g, e := impls["generated"], impls["generic"]
		for i := range g.params {
			if g.params[i] != e.params[i] {
				t.Fatalf("%s: parameter %d differs at the start: %g vs %g", nw.name, i, g.params[i], e.params[i])
			}
		}
		n := load(t, specPath(nw.spec, "f64"))
		xs, ts := data[float64](n, nw.batch)
		lg, le := g.train(xs, ts), e.train(xs, ts)
		if !gradtest.Close(lg, le, 1e-12) {
			t.Errorf("%s: first loss %.15g (generated) vs %.15g (generic)", nw.name, lg, le)
		}
	}
}

// BenchmarkStepWorkers times the training steps of wide and mnist on
// batches of 128 split over both cores with SetWorkers(2), against one
// worker; run it with GOMAXPROCS=2.
func BenchmarkStepWorkers(b *testing.B) {
	for _, base := range []string{"wide", "mnist"} {
		n := load(b, specPath(base, "f32"))
		xs, ts := data[float32](n, 128)
		for _, workers := range []int{1, 2} {
			m := generated[float32](base)
			m.SetWorkers(workers)
			b.Run(fmt.Sprintf("%s_b128/workers%d/f32", base, workers), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					m.Train(xs, ts)
				}
				b.ReportMetric(flops(n, 128, true)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
			m.Close()
		}
	}
}

// TestFusedStep: mnist's per-sample training steps W1 row by row as its
// gradient is made (the layout pass marks it step); with SGD, in both
// dtypes, Train on batches of 1 and 3 gives the bits of Backward and Step.
func TestFusedStep(t *testing.T) {
	t.Run("f32", testFusedStep[float32])
	t.Run("f64", testFusedStep[float64])
}

func testFusedStep[T gradtest.Float](t *testing.T) {
	n := load(t, specPath("mnist", dtypeOf[T]()))
	for _, batch := range []int{1, 3} {
		xs, ts := data[T](n, batch)
		gradtest.TrainIsBackwardStep(t, fmt.Sprintf("batch of %d", batch), generated[T]("mnist"), generated[T]("mnist"), xs, ts, 3)
	}
}

// BenchmarkTinyBatch times the tiny network's training step on a batch of
// 32, one tile of the batched function: the case behind the layout pass's
// minGemmElems. Run it with GRADGEN_KERNELS=avx2 or portable to compare the
// kernel paths.
func BenchmarkTinyBatch(b *testing.B) {
	n := load(b, specPath("tiny", "f32"))
	xs, ts := data[float32](n, 32)
	m := tiny32.NewModel(seed)
	x := unsafe.Slice((*[tiny32.Inputs]float32)(unsafe.Pointer(unsafe.SliceData(xs))), 32)
	t := unsafe.Slice((*[tiny32.Outputs]float32)(unsafe.Pointer(unsafe.SliceData(ts))), 32)
	b.ReportAllocs()
	for b.Loop() {
		m.Train(x, t)
	}
}
