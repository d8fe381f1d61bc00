package runtime

import (
	"math"
	"math/rand/v2"
)

// pcgStream is the second seed word of Rand's PCG: the 64-bit golden ratio.
const pcgStream = 0x9e3779b97f4a7c15

// Rand is the deterministic generator for initialisation. After Seed(seed) it
// is exactly math/rand/v2's
//
//	rand.NewPCG(seed, 0x9e3779b97f4a7c15)
//
// that is PCG-DXSM: a 128-bit LCG whose state starts as
// seed<<64 | 0x9e3779b97f4a7c15, advanced by multiplier
// 0x2360ed051fc65da44385df649fccf645 and increment
// 0x5851f42d4c957f2d14057b7ef767814f before each draw, with O'Neill's DXSM
// output function (cheap multiplier 0xda942042e4dd58b5). Uniform maps one
// Uint64 to a float64 itself rather than through rand.Float64. The tests pin
// the stream, so a seed gives the same weights in every gradgen and Go
// version.
//
// A Rand is used as a value, without a constructor:
//
//	var r gradgen.Rand
//	r.Seed(42)
//
// Call Seed first: the zero Rand is valid but equals rand.NewPCG(0, 0), not
// Seed(0).
type Rand struct {
	pcg rand.PCG
}

// Seed resets r to the stream of the given seed.
func (r *Rand) Seed(seed uint64) {
	r.pcg.Seed(seed, pcgStream)
}

// Uint64 returns the next 64 uniformly distributed bits.
func (r *Rand) Uint64() uint64 {
	return r.pcg.Uint64()
}

// Uniform returns lo + (hi-lo)*u for u = float64(x>>11) * 0x1p-53, where x is
// the next Uint64. u is uniform in [0, 1) on a grid of 2^-53; the result lies
// in [lo, hi], where rounding can rarely give hi itself, as with PyTorch's
// uniform_.
func (r *Rand) Uniform(lo, hi float64) float64 {
	u := float64(r.Uint64()>>11) * 0x1p-53
	return lo + float64((hi-lo)*u) // float64(...) forbids an FMA
}

// Normal returns a draw from the standard normal distribution N(0, 1) by the
// Box–Muller transform of the next two draws u₁, u₂ of Uniform(0, 1):
// √(−2 ln(1 − u₁)) · cos(2π u₂); 1 − u₁ lies in (0, 1], so the logarithm is
// finite. The sine's twin draw is discarded, so each call takes exactly two
// Uint64s and the stream stays easy to reproduce. A seed gives the same draws
// on every run of a platform; across platforms the last bit of a draw can
// differ where math.Log does (assembly on amd64, Go elsewhere).
func (r *Rand) Normal() float64 {
	u1, u2 := r.Uniform(0, 1), r.Uniform(0, 1)
	return math.Sqrt(-2*math.Log(1-u1)) * math.Cos(2*math.Pi*u2)
}
