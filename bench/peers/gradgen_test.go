package peers

import (
	"fmt"
	"math/rand/v2"
	"unsafe"

	"github.com/gradgen/gradgen/bench/nets/mnist32"
	"github.com/gradgen/gradgen/bench/nets/mnist64"
	"github.com/gradgen/gradgen/bench/nets/tiny32"
	"github.com/gradgen/gradgen/bench/nets/tiny64"
	"github.com/gradgen/gradgen/bench/nets/wide32"
	"github.com/gradgen/gradgen/bench/nets/wide64"
)

// inferCase is one inference benchmark: a network of gradgen's bench/nets
// at a batch length and dtype.
type inferCase struct {
	base  string // tiny, mnist or wide
	batch int
	f64   bool
}

// inferCases are gradgen's BenchmarkInfer cases, in its order.
func inferCases() []inferCase {
	var cs []inferCase
	for _, base := range []string{"tiny", "mnist", "wide"} {
		for _, batch := range []int{1, 128} {
			cs = append(cs, inferCase{base, batch, false}, inferCase{base, batch, true})
		}
	}
	return cs
}

func (c inferCase) name() string { return fmt.Sprintf("%s_b%d", c.base, c.batch) }

func (c inferCase) dtype() string { return map[bool]string{false: "f32", true: "f64"}[c.f64] }

// specPath is the spec of the case's generated package.
func (c inferCase) specPath() string {
	bits := map[bool]string{false: "32", true: "64"}[c.f64]
	return fmt.Sprintf("../nets/%s%s/%s%s.yaml", c.base, bits, c.base, bits)
}

// gradgenModel is a generated package's model of seed 1 (the benchmarks'
// seed) seen through flat row-major batches.
type gradgenModel[T ortFloat] struct {
	inputs, outputs int
	sizes           []int // layer widths, input first
	flat            []T   // Params.Slice()
	predict         func(xs, ys []T)
}

// params are the model's parameters as float64, for the exporter.
func (g gradgenModel[T]) params() []float64 {
	p := make([]float64, len(g.flat))
	for i, v := range g.flat {
		p[i] = float64(v)
	}
	return p
}

// flops is the cost of a forward pass over batch rows: 2·in·out per layer
// and row, as gradgen's BenchmarkInfer counts it.
func (g gradgenModel[T]) flops(batch int) float64 {
	f := 0.0
	for l := 1; l < len(g.sizes); l++ {
		f += 2 * float64(g.sizes[l-1]*g.sizes[l]*batch)
	}
	return f
}

// newGradgenModel returns the generated model of base in dtype T.
func newGradgenModel[T ortFloat](base string) gradgenModel[T] {
	var zero T
	var m any
	switch fmt.Sprintf("%s%d", base, 8*unsafe.Sizeof(zero)) {
	case "tiny32":
		g := tiny32.NewModel(1)
		m = adapt[float32, [tiny32.Inputs]float32, [tiny32.Outputs]float32](g, g.Params.Slice(), []int{4, 16, 16, 3})
	case "tiny64":
		g := tiny64.NewModel(1)
		m = adapt[float64, [tiny64.Inputs]float64, [tiny64.Outputs]float64](g, g.Params.Slice(), []int{4, 16, 16, 3})
	case "mnist32":
		g := mnist32.NewModel(1)
		m = adapt[float32, [mnist32.Inputs]float32, [mnist32.Outputs]float32](g, g.Params.Slice(), []int{784, 128, 10})
	case "mnist64":
		g := mnist64.NewModel(1)
		m = adapt[float64, [mnist64.Inputs]float64, [mnist64.Outputs]float64](g, g.Params.Slice(), []int{784, 128, 10})
	case "wide32":
		g := wide32.NewModel(1)
		m = adapt[float32, [wide32.Inputs]float32, [wide32.Outputs]float32](g, g.Params.Slice(), []int{784, 512, 512, 10})
	case "wide64":
		g := wide64.NewModel(1)
		m = adapt[float64, [wide64.Inputs]float64, [wide64.Outputs]float64](g, g.Params.Slice(), []int{784, 512, 512, 10})
	}
	return m.(gradgenModel[T])
}

// batchPredictor is what adapt needs of a generated Model.
type batchPredictor[X, Y any] interface {
	PredictBatch(xs []X, ys []Y)
}

func adapt[T ortFloat, X, Y any](m batchPredictor[X, Y], flat []T, sizes []int) gradgenModel[T] {
	in, out := sizes[0], sizes[len(sizes)-1]
	return gradgenModel[T]{
		inputs: in, outputs: out, sizes: sizes, flat: flat,
		predict: func(xs, ys []T) {
			m.PredictBatch(unsafe.Slice((*X)(unsafe.Pointer(unsafe.SliceData(xs))), len(xs)/in),
				unsafe.Slice((*Y)(unsafe.Pointer(unsafe.SliceData(ys))), len(ys)/out))
		},
	}
}

// inferInputs are batch rows of width inputs, uniform in [0, 1), from a
// fixed seed.
func inferInputs[T ortFloat](inputs, batch int) []T {
	r := rand.New(rand.NewPCG(inputSeed, 1))
	xs := make([]T, inputs*batch)
	for i := range xs {
		xs[i] = T(r.Float64())
	}
	return xs
}
