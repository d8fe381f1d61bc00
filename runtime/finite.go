package runtime

import (
	"fmt"
	"math"
	"strings"
)

// CheckFinite returns an error naming the first NaN or infinity in params,
// by field and index as layout describes it, for example
// "Grad.W2[3][7] is NaN"; what names the struct ("Params" or "Grad"). It
// returns nil when every value is finite, and allocates only to report.
// Training loops call it (through the generated CheckFinite methods) to stop
// before a checkpoint is overwritten with garbage.
func CheckFinite[T Float](layout []ParamInfo, params []T, what string) error {
	for i, v := range params {
		f := float64(v)
		if !math.IsNaN(f) && !math.IsInf(f, 0) {
			continue
		}
		return fmt.Errorf("%s is %v", locate(layout, i, what), f)
	}
	return nil
}

// locate names element i of the flat parameters: what.Field[row][col].
func locate(layout []ParamInfo, i int, what string) string {
	for _, p := range layout {
		if i < p.Offset || i >= p.Offset+p.Size() {
			continue
		}
		var b strings.Builder
		fmt.Fprintf(&b, "%s.%s", what, p.Name)
		rest := i - p.Offset
		for d := range p.Shape {
			stride := 1
			for _, n := range p.Shape[d+1:] {
				stride *= n
			}
			fmt.Fprintf(&b, "[%d]", rest/stride)
			rest %= stride
		}
		return b.String()
	}
	return fmt.Sprintf("%s[%d]", what, i)
}
