package generic

import (
	"fmt"
	"math"
	"strconv"
)

// The embedding layers: nn.Embedding(categories, dim) over an integer
// input. A sample's id is the value in its input's one slot of the input
// row, a T holding an integer (3 as 3.0); an embedding node's one source is
// that input, its in is 1, its out dim and its layer.w the table,
// [categories][dim] row-major.

// embed sets the node's a to the table's row of each sample's id:
// a[r] = E[id_r]. The ids have been checked (checkIDs).
func (nd *gnode[T]) embed(ids []T, rows int) {
	d := nd.out
	for r := range rows {
		id := int(ids[r])
		copy(nd.a[r*d:(r+1)*d], nd.w[id*d:(id+1)*d])
	}
}

// embedBackward sets the table's gradient from dz ([rows][out]), ∂loss/∂
// the node's output: zero, then Ē[id_r] += dz[r] for each sample in the
// batch's order, so the rows of a repeated id sum and the rows no id names
// stay zero. The ids take no gradient.
func (nd *gnode[T]) embedBackward(dz, ids []T, rows int) {
	clear(nd.dw)
	if nd.frozen {
		return // requires_grad_(False): no gradient at all
	}
	d := nd.out
	for r := range rows {
		id := int(ids[r])
		g := nd.dw[id*d : (id+1)*d]
		for j, v := range dz[r*d : (r+1)*d] {
			g[j] += v
		}
	}
}

// checkIDs panics, naming method, the sample, the input, its value and the
// ids it may take, unless every integer input of the rows samples of xs (the
// flat input rows) holds an integer id in [0, categories). It checks the
// samples in order and, within a sample, the integer inputs in order, as
// the generated code does, and runs before anything changes.
func (g *graph[T]) checkIDs(method string, xs []T, width, rows int) {
	if !g.hasIDs {
		return
	}
	for r := range rows {
		for i, c := range g.inputs {
			n := g.categories[i]
			if n == 0 {
				continue
			}
			x := float64(xs[r*width+c.off])
			switch {
			case x != math.Trunc(x) || math.IsInf(x, 0): // NaN too: NaN != NaN
				panic(fmt.Sprintf("generic: %s: sample %d: %s is %s, not an integer: want an integer id 0 ≤ %s < %d",
					method, r, g.names[i], strconv.FormatFloat(x, 'g', -1, 64), g.names[i], n))
			case !(x >= 0 && x < float64(n)):
				panic(fmt.Sprintf("generic: %s: sample %d: %s is %s, want 0 ≤ %s < %d",
					method, r, g.names[i], strconv.FormatFloat(x, 'f', -1, 64), g.names[i], n))
			}
		}
	}
}
