package runtime

import (
	"math"
	"testing"
)

func TestCheckFinite(t *testing.T) {
	layout := []ParamInfo{
		{Name: "W1", Torch: "0.weight", Shape: []int{2, 3}, Offset: 0},
		{Name: "B1", Torch: "0.bias", Shape: []int{2}, Offset: 6},
	}
	p := make([]float32, 8)
	if err := CheckFinite(layout, p, "Params"); err != nil {
		t.Fatalf("all zero: %v", err)
	}
	if n := testing.AllocsPerRun(10, func() { CheckFinite(layout, p, "Params") }); n != 0 {
		t.Errorf("%v allocations when every value is finite", n)
	}
	p[5] = float32(math.NaN())
	p[7] = float32(math.Inf(1))
	if err := CheckFinite(layout, p, "Grad"); err == nil || err.Error() != "Grad.W1[1][2] is NaN" {
		t.Errorf("got %v, want Grad.W1[1][2] is NaN", err)
	}
	p[5] = 0
	if err := CheckFinite(layout, p, "Params"); err == nil || err.Error() != "Params.B1[1] is +Inf" {
		t.Errorf("got %v, want Params.B1[1] is +Inf", err)
	}
}
