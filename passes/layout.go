package passes

import (
	"slices"

	"github.com/gradgen/gradgen/ir"
)

// minTileRows is the tile size from which a batched function computes its
// large products for the whole tile (gemm) and transposes the weights of the
// others, so that x̄ = Wᵀ ȳ runs as dot products over contiguous rows
// (Affine) instead of scaled row additions: the copy costs one pass over W,
// the product one pass per row. Shorter tiles (a TileRows option of 2 or 3)
// keep the row kernels.
const minTileRows = 4

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

// Layout chooses the memory layout and the kernel of each product by shape,
// and records the calling convention the choices need.
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
// Every other product whose contiguous inner run (a weight row, or a row of
// the result a scaled row is added to) is at least minVectorLen long uses
// the vector kernels, and, in per-sample functions, the shorter backward
// products one whole-matrix kernel (Ger, GemvT). Then markFirst picks the
// gradients a call writes on a batch's first sample or tile, markSteps the
// weights a per-sample training function may step row by row, and the
// function's signature is recorded.
func Layout(p *ir.Program, f *ir.Func) error {
	tiled := f.Rows >= minTileRows
	if tiled {
		transposeWeights(f)
	}
	for _, v := range f.Values {
		v.Kernel = kernel(f, v, tiled)
	}
	markFirst(p, f)
	markSteps(f)
	sig := ir.SignatureOf(p, f)
	f.Sig = &sig
	return nil
}

// transposeWeights turns each MatMul(ȳ, W) of a batched function too small
// for gemm into Affine(ȳ, Wᵀ), with Wᵀ made by a Transpose just before it.
func transposeWeights(f *ir.Func) {
	var out []*ir.Value
	for _, v := range f.Values {
		if v.Op == ir.OpMatMul && weight(v).Elems() < minGemmElems {
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
}

// weight is the type of a product's matrix: W (or Wᵀ) for Affine and
// MatMul, W̄ for MatMulTN. Its rows are the product's contiguous runs.
func weight(v *ir.Value) ir.Type {
	if v.Op == ir.OpMatMulTN {
		return v.Type
	}
	return v.Args[1].Type
}

// kernel chooses the kernel of v in f; tiled says whether f's tiles are
// long enough for gemm.
func kernel(f *ir.Func, v *ir.Value, tiled bool) ir.Kernel {
	if !v.Op.IsProduct() {
		return ir.KernelScalar
	}
	w := weight(v)
	switch {
	case tiled && w.Elems() >= minGemmElems:
		return ir.KernelGemm
	case w.Dims[1] >= minVectorLen:
		return ir.KernelVector
	case !f.Batched() && v.Op != ir.OpAffine && v.Type.Cols() >= minWholeLen:
		return ir.KernelWhole
	}
	return ir.KernelScalar
}

// markFirst marks the gradient outputs that a call with first set writes
// instead of adding to: each parameter's first gradient in f's order, when
// every gradient can be written that way and every parameter has one. In a
// per-sample function every MatMulTN and SumRows can; in a batched function,
// which sums over the rows of a tile, a SumRows or a gemm MatMulTN (the
// other kernels add row by row).
func markFirst(p *ir.Program, f *ir.Func) {
	param := make(map[*ir.Value]string)
	for _, o := range f.Outputs {
		if o.Kind == ir.GradOut {
			param[o.Value] = o.Param
		}
	}
	firsts := make(map[string]*ir.Value)
	for _, v := range f.Values {
		q, ok := param[v]
		if !ok {
			continue
		}
		writes := v.Op == ir.OpSumRows || v.Op == ir.OpMatMulTN && (!f.Batched() || v.Kernel == ir.KernelGemm)
		if !writes {
			return
		}
		if firsts[q] == nil {
			firsts[q] = v
		}
	}
	if len(firsts) != len(p.Params) {
		return
	}
	for _, v := range firsts {
		v.First = true
	}
}

// markSteps marks, in a per-sample training function, the weight gradients
// after which the function no longer reads the weight (the first layer's,
// whose x̄ nobody needs), so that Train may step each row of the weight as
// soon as the batch's last sample has made its gradient: the row is then
// read from the first-level cache instead of another pass over memory.
// A weight with more than one gradient output is left alone, and so is a
// gradient not marked first: the step is fused into the code that writes
// the gradient on a batch's first sample and adds to it on the others.
func markSteps(f *ir.Func) {
	if f.Batched() || !f.Grad {
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
		if o.Kind != ir.GradOut || v.Op != ir.OpMatMulTN || !v.First || outputs[o.Param] != 1 || v.Type.Elems() < minStepElems {
			continue
		}
		w := params[o.Param]
		at := slices.Index(f.Values, v)
		if w != nil && lastUse[w] < at {
			v.Step = true
		}
	}
}
