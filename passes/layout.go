package passes

import (
	"slices"

	"github.com/gradgen/gradgen/ir"
)

// minRowsForTranspose is the tile size from which a batched function
// transposes a weight once per tile, so that x̄ = Wᵀ ȳ runs as dot
// products over contiguous rows (Affine) instead of scaled row additions:
// the copy costs one pass over W, the product one pass per row.
const minRowsForTranspose = 4

// minVectorLen is the shortest contiguous run for which a product calls the
// runtime's vector kernels one row at a time; below it the call costs more
// than inline loops.
const minVectorLen = 32

// minGemmElems is the smallest weight matrix (elements) whose products a
// batched function computes with one call of the runtime's blocked matrix
// products (gemm). Smaller ones keep inline loops with constant bounds,
// which beat a call on CPUs without AVX-512. Measured on the tiny network
// (4→16→16→3) at batch 32 (BenchmarkTinyBatch in ../bench, with
// GRADGEN_KERNELS), train step with AVX-512 / AVX2 / plain Go:
// every product gemm 6.0 / 11.1 / 33.6 µs, from 64 elements 7.5 / 13.6 /
// 32 µs, from 256 (the 16×16 layer) 8.3 / 8.7 / 26.3 µs.
const minGemmElems = 256

// minStepElems is the smallest weight (elements) whose optimizer step a
// per-sample training function takes row by row as its gradient is made
// (step): below it the whole weight and gradient stay in the first-level
// cache anyway, and a call per row costs more than it saves.
const minStepElems = 4096

// minWholeLen is the shortest row for which a per-sample function's
// backward product calls one whole-matrix kernel instead of inline loops.
const minWholeLen = 8

// Layout chooses the memory layout and kernels of products by shape.
//
// In a batched function, a product with a weight matrix of at least
// minGemmElems elements becomes one call of the runtime's blocked matrix
// products for the whole tile (gemm): Affine as y = x Wᵀ (MulNT), MatMul as
// x̄ = ȳ W (MulNN) and MatMulTN as W̄ += ȳᵀ x (MulTN), each reading W as
// nn.Linear stores it. A smaller MatMul(ȳ, W), whose rows would be added to
// the result one weight row at a time, becomes Affine(ȳ, Wᵀ) with Wᵀ
// computed by a Transpose just before it. Per-sample functions keep MatMul,
// where a transpose would cost as much as the product.
//
// Then it marks every other product whose contiguous inner run (a weight
// row, or a row of the result a scaled row is added to) is at least
// minVectorLen long to use the vector kernels, and, in per-sample
// functions, the shorter backward products to use one whole-matrix kernel
// (Ger, GemvT). Last, markSteps picks the weights a per-sample training
// function may step row by row (step).
func Layout(p *ir.Program, f *ir.Func) error {
	batched := f.Rows >= minRowsForTranspose
	gemm := func(v *ir.Value) bool {
		if !batched {
			return false
		}
		switch v.Op {
		case ir.OpAffine, ir.OpMatMul:
			return v.Args[1].Type.Elems() >= minGemmElems
		case ir.OpMatMulTN:
			return v.Type.Elems() >= minGemmElems
		}
		return false
	}
	var out []*ir.Value
	for _, v := range f.Values {
		if v.Op == ir.OpMatMul && batched && !gemm(v) {
			w := v.Args[1]
			wt := f.Alloc(ir.OpTranspose, ir.Matrix(w.Type.Dims[1], w.Type.Dims[0]), w)
			wt.Name, wt.Pos = w.Name+"ᵀ", v.Pos
			wt.Rule = wt.Name + " = transpose(" + w.Name + "), for contiguous rows"
			v.Op, v.Args = ir.OpAffine, []*ir.Value{v.Args[0], wt}
			out = append(out, wt)
		}
		out = append(out, v)
	}
	f.Values = out
	for _, v := range f.Values {
		if gemm(v) {
			v.Gemm = true
			continue
		}
		switch v.Op {
		case ir.OpAffine, ir.OpMatMul:
			v.Vector = v.Args[1].Type.Dims[1] >= minVectorLen
		case ir.OpMatMulTN:
			v.Vector = v.Type.Dims[1] >= minVectorLen
		}
		if f.Rows == 1 && !v.Vector && (v.Op == ir.OpMatMulTN || v.Op == ir.OpMatMul) {
			v.Whole = v.Type.Cols() >= minWholeLen
		}
	}
	markSteps(f)
	return nil
}

// markSteps marks, in a per-sample training function, the weight gradients
// after which the function no longer reads the weight (the first layer's,
// whose x̄ nobody needs), so that Train may step each row of the weight as
// soon as the batch's last sample has made its gradient: the row is then
// read from the first-level cache instead of another pass over memory.
// A weight with more than one gradient output is left alone.
func markSteps(f *ir.Func) {
	if f.Rows != 1 || !f.Grad {
		return
	}
	outputs := make(map[string]int)
	for _, o := range f.Outputs {
		if o.Kind == ir.GradOut {
			outputs[o.Param]++
		}
	}
	lastUse := ir.LastUses(f) // a parameter is never an output
	params := make(map[string]*ir.Value)
	for _, v := range f.Values {
		if v.Op == ir.OpParam {
			params[v.Name] = v
		}
	}
	for _, o := range f.Outputs {
		v := o.Value
		if o.Kind != ir.GradOut || v.Op != ir.OpMatMulTN || outputs[o.Param] != 1 || v.Type.Elems() < minStepElems {
			continue
		}
		w := params[o.Param]
		at := slices.Index(f.Values, v)
		if w != nil && lastUse[w] < at {
			v.Step = true
		}
	}
}
