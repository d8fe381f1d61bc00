package runtime

// Dropout masks. A generated training function zeroes each value of a
// dropout layer with probability p and scales the others by 1/(1−p)
// (nn.Dropout's inverted dropout). The mask is not stored: it is a pure
// function of the call's key, the layer, the sample's index in the batch and
// the column, so the backward pass recomputes the forward pass's mask, and
// the masks do not depend on how the batch is cut into tiles or shared among
// workers.

// Dropout is what a generated function draws its dropout masks from: the
// key of the Backward or Train call (DropoutKey) and the index in the batch
// of the function's first sample.
type Dropout struct {
	Key uint64
	Row int
}

// DropoutState is a model's dropout generator, which a training checkpoint
// keeps: its seed (SetSeed) and the number of Backward and Train calls that
// drew masks from it.
type DropoutState struct {
	Seed, Calls uint64
}

// DropoutKey is the key of the masks of the call-th call of a model seeded
// with seed.
func DropoutKey(seed, call uint64) uint64 {
	return mix64(mix64(seed^0x6a09e667f3bcc909) + call)
}

// DropRow writes y = x ⊙ m for the sample row of layer (a dropout layer's
// number), with m_j = 1/(1−p) when the sample's column j is kept and 0 when
// it is dropped: a column is dropped when a uniform draw in [0, 1), a hash of
// (d.Key, layer, d.Row + row, j), is below p. y and x may be the same slice.
// With p = 0 every value is kept and y = x exactly.
func DropRow[T Float](y, x []T, d Dropout, layer, row int, p float64) {
	scale := T(1 / (1 - p))
	h := mix64(d.Key ^ uint64(layer)<<48 ^ uint64(d.Row+row))
	for j, v := range x {
		if keep(h, j, p) {
			y[j] = v * scale
		} else {
			y[j] = 0
		}
	}
}

// keep reports whether column j of the row hashed to h is kept.
func keep(h uint64, j int, p float64) bool {
	u := float64(mix64(h+uint64(j+1)*0x9e3779b97f4a7c15)>>11) * 0x1p-53
	return u >= p
}

// mix64 is SplitMix64's finaliser (Stafford's mix 13): a bijection of the
// 64-bit integers whose outputs for nearby inputs look independent.
func mix64(z uint64) uint64 {
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}
