package bench

import (
	"fmt"
	"testing"

	gradgen "github.com/gradgen/gradgen/runtime"
)

// BenchmarkLimits measures the machine's limits that docs/bench/PERFORMANCE.md
// holds the steps against, with the runtime's own kernels on one core: the
// rate at which a dot product streams an array that fits in the first-level
// cache, the second, the third, or none (GB/s), and the multiply-add rate of
// the forward product's micro-kernel on operands that stay in the
// second-level cache, with long dot products so that the final sums of its
// tiles cost little (GFLOP/s).
func BenchmarkLimits(b *testing.B) {
	for _, kb := range []int{32, 400, 4 << 10, 64 << 10} {
		a := make([]float32, kb<<8) // kb KiB of float32
		for i := range a {
			a[i] = 1
		}
		b.Run(fmt.Sprintf("read/%dKiB", kb), func(b *testing.B) {
			var s float32
			h := len(a) / 2
			for b.Loop() {
				s += gradgen.Dot(a[:h], a[h:])
			}
			if s == 0 {
				b.Fatal("no sum")
			}
			b.ReportMetric(float64(4*len(a))*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
		})
	}
	// y = x Wᵀ for 32 rows of x and 48 of W, 1024 long: 320 KiB.
	const m, n, k = 32, 48, 1024
	x, w, y := make([]float32, m*k), make([]float32, n*k), make([]float32, m*n)
	b.Run("fma/MulNT32x48x1024", func(b *testing.B) {
		for b.Loop() {
			gradgen.MulNT(y, x, w, m, n, k, false)
		}
		b.ReportMetric(2*m*n*k*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	})
}
