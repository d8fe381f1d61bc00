package ir

import (
	"errors"
	"fmt"
)

// Check verifies f's invariants and returns every violation it finds:
// unique IDs; arguments defined before use; arities and types that agree
// with each op's type rule; maps that are element-wise with operands of the
// right shape; outputs that exist and have the right kind of value; and,
// kernels that exist for the op and the function; first and step marks on
// gradients that can take them; a signature, once set, that gives the values
// what they need; and, once buffers are planned, that every buffer fits its
// values and no value is overwritten while it is still to be read.
func Check(p *Program, f *Func) error {
	var errs []error
	bad := func(v *Value, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s: %s", f.Name, v.LongString(p.DType), fmt.Sprintf(format, args...)))
	}
	gradOf := make(map[*Value]string) // gradient outputs: value → parameter
	for _, o := range f.Outputs {
		if o.Kind == GradOut {
			gradOf[o.Value] = o.Param
		}
	}
	defined := make(map[*Value]int)
	ids := make(map[int]bool)
	for i, v := range f.Values {
		if ids[v.ID] {
			bad(v, "duplicate ID")
		}
		ids[v.ID] = true
		for _, a := range v.Args {
			if _, ok := defined[a]; !ok {
				bad(v, "argument %s is not defined before use", a.Ref())
			}
		}
		for _, m := range v.Maps {
			if m.Op.Info().Class != Elementwise {
				bad(v, "map %s is not element-wise", m.Op)
			}
			if !isBatchVec(v.Type) {
				bad(v, "maps on a value of type %s", v.Type.Format(p.DType))
			}
			for _, a := range m.Args {
				if _, ok := defined[a]; !ok {
					bad(v, "map argument %s is not defined before use", a.Ref())
				}
			}
			mv := &Value{Op: m.Op, Args: append([]*Value{{Type: v.Type}}, m.Args...)}
			if t, err := m.Op.Info().Type(mv); err != nil {
				bad(v, "map: %v", err)
			} else if !t.Equal(v.Type) {
				bad(v, "map %s changes the type to %s", m.Op, t.Format(p.DType))
			}
		}
		info := v.Op.Info()
		if v.Op == OpInvalid {
			bad(v, "invalid op")
		} else if t, err := info.Type(v); err != nil {
			bad(v, "%v", err)
		} else if !t.Equal(v.Type) {
			bad(v, "type should be %s", t.Format(p.DType))
		}
		if len(v.Maps) > 0 && info.Class != Producer && info.Class != Elementwise {
			bad(v, "%s cannot carry maps", v.Op)
		}
		if v.Op == OpParam && p.Param(v.Name) == nil {
			bad(v, "no parameter %s", v.Name)
		}
		if (v.Op == OpInput || v.Op == OpTarget || v.Op == OpLabel) && (!isBatchVec(v.Type)) {
			bad(v, "%s must be batched", v.Op)
		}
		if msg := portProblem(p, v); msg != "" {
			bad(v, "%s", msg)
		}
		if msg := kernelProblem(f, v); msg != "" {
			bad(v, "%s", msg)
		}
		if msg := markProblem(f, v, gradOf[v] != ""); msg != "" {
			bad(v, "%s", msg)
		}
		defined[v] = i
	}
	for _, o := range f.Outputs {
		if _, ok := defined[o.Value]; !ok {
			errs = append(errs, fmt.Errorf("%s: output %s is not a value of the function", f.Name, o.Value.Ref()))
			continue
		}
		switch o.Kind {
		case LossOut:
			if o.Value.Op.Info().Class != Reduction || !o.Value.Type.Equal(Scalar) {
				bad(o.Value, "the loss output must be a scalar reduction")
			}
		case GradOut:
			q := p.Param(o.Param)
			if q == nil {
				bad(o.Value, "gradient of unknown parameter %s", o.Param)
			} else if !q.Type.Equal(o.Value.Type) || o.Value.Op.Info().Class != Reduction {
				bad(o.Value, "gradient of %s must be a reduction of type %s", o.Param, q.Type.Format(p.DType))
			}
		case Prediction:
			if o.Port < 0 || o.Port >= len(p.Outputs) {
				bad(o.Value, "prediction of output %d, but the program has %d", o.Port, len(p.Outputs))
			} else if want := Batch(p.Outputs[o.Port].Width); !o.Value.Type.Equal(want) {
				bad(o.Value, "prediction must have type %s", want.Format(p.DType))
			}
			if f.Output(LossOut) != nil || len(gradOf) > 0 {
				bad(o.Value, "a function that writes a loss or gradients cannot write a prediction")
			}
		}
	}
	errs = append(errs, checkFirst(p, f, gradOf)...)
	if f.Sig != nil {
		if need := SignatureOf(p, f); *f.Sig != need {
			errs = append(errs, fmt.Errorf("%s: signature %+v, but its values need %+v", f.Name, *f.Sig, need))
		}
	}
	if f.Bufs != nil {
		errs = append(errs, checkBuffers(p, f, defined)...)
	}
	return errors.Join(errs...)
}

// kernelProblem says why v's kernel cannot compute it in f, or returns "".
func kernelProblem(f *Func, v *Value) string {
	switch k := v.Kernel; {
	case k == KernelScalar:
		return ""
	case k > KernelGemm:
		return fmt.Sprintf("unknown kernel %s", k)
	case !v.Op.IsProduct():
		return fmt.Sprintf("kernel %s on %s, which has no matrix product", k, v.Op)
	case k == KernelGemm && !f.Batched():
		return "kernel gemm in a per-sample function"
	case k == KernelWhole && f.Batched():
		return "kernel whole in a batched function"
	case k == KernelWhole && v.Op == OpAffine:
		return "no whole-matrix kernel for Affine"
	}
	return ""
}

// markProblem says why v cannot carry its First or Step mark, or returns
// "". Only a gradient output of MatMulTN or SumRows can be written instead of
// added to, and in a batched function a MatMulTN only by gemm. Only a
// per-sample function's first-written MatMulTN can step its weight's rows.
func markProblem(f *Func, v *Value, grad bool) string {
	switch {
	case v.First && (!grad || v.Op != OpMatMulTN && v.Op != OpSumRows):
		return "only a gradient output of MatMulTN or SumRows can be marked first"
	case v.First && f.Batched() && v.Op == OpMatMulTN && v.Kernel != KernelGemm:
		return "a batched MatMulTN can be marked first only with kernel gemm"
	case v.Step && (f.Batched() || v.Op != OpMatMulTN || !v.First):
		return "only a per-sample function's MatMulTN marked first can be marked step"
	}
	return ""
}

// checkFirst verifies the First marks as a whole: when f marks any, each
// parameter's first gradient output in f's order is marked and no other, so
// that a call with first set writes every gradient once and adds the rest.
func checkFirst(p *Program, f *Func, gradOf map[*Value]string) []error {
	if !SignatureOf(p, f).First {
		return nil
	}
	var errs []error
	seen := make(map[string]bool)
	for _, v := range f.Values {
		q, ok := gradOf[v]
		if !ok {
			continue
		}
		if v.First == seen[q] {
			errs = append(errs, fmt.Errorf("%s: %s: gradient of %s: only the first of a parameter's gradients is marked first", f.Name, v.Ref(), q))
		}
		seen[q] = true
	}
	for _, q := range p.Params {
		if !seen[q.Name] && !q.Frozen {
			errs = append(errs, fmt.Errorf("%s: gradients are marked first, but %s has none", f.Name, q.Name))
		}
	}
	return errs
}

// checkBuffers verifies a buffer plan: each planned value fits its buffer,
// every value that needs a buffer has one, and a buffer is not reassigned
// while its value is still to be read. An element-wise op may write the
// buffer of its first operand when that read is the operand's last.
func checkBuffers(p *Program, f *Func, index map[*Value]int) []error {
	var errs []error
	last := LastUses(f)
	owner := make([]*Value, len(f.Bufs))
	for i, v := range f.Values {
		if v.Buf < 0 {
			if NeedsBuffer(f, v) {
				errs = append(errs, fmt.Errorf("%s: %s has no buffer", f.Name, v.Ref()))
			}
			continue
		}
		if v.Buf >= len(f.Bufs) {
			errs = append(errs, fmt.Errorf("%s: %s: no buffer b%d", f.Name, v.Ref(), v.Buf))
			continue
		}
		if !f.Bufs[v.Buf].Type.Equal(v.Type) {
			errs = append(errs, fmt.Errorf("%s: %s of type %s in buffer b%d of type %s", f.Name, v.Ref(),
				v.Type.Format(p.DType), v.Buf, f.Bufs[v.Buf].Type.Format(p.DType)))
		}
		if prev := owner[v.Buf]; prev != nil && last[prev] > i {
			errs = append(errs, fmt.Errorf("%s: %s overwrites b%d while %s is read later (at %s)", f.Name, v.Ref(), v.Buf, prev.Ref(), f.Values[last[prev]].Ref()))
		} else if prev != nil && last[prev] == i && !(v.Op.Info().Class == Elementwise && len(v.Args) > 0 && v.Args[0] == prev) {
			errs = append(errs, fmt.Errorf("%s: %s writes b%d that its operand %s is read from", f.Name, v.Ref(), v.Buf, prev.Ref()))
		}
		owner[v.Buf] = v
	}
	return errs
}

// NeedsBuffer reports whether v lives in a workspace buffer: it is computed,
// not summed into a result, and not written to the caller's output.
func NeedsBuffer(f *Func, v *Value) bool {
	c := v.Op.Info().Class
	if c == Leaf || c == Reduction {
		return false
	}
	for _, o := range f.Outputs {
		if o.Value == v && o.Kind == Prediction {
			return false
		}
	}
	return true
}

// LastUses maps each value of f to the index of the last value that reads
// it; outputs are read at len(f.Values).
func LastUses(f *Func) map[*Value]int {
	last := make(map[*Value]int)
	for i, v := range f.Values {
		for _, a := range v.Args {
			last[a] = i
		}
		for _, m := range v.Maps {
			for _, a := range m.Args {
				last[a] = i
			}
		}
	}
	for _, o := range f.Outputs {
		last[o.Value] = len(f.Values)
	}
	return last
}

// portProblem says what is wrong with the port an Input or Target value
// reads: it must exist, and the value must have its width.
func portProblem(p *Program, v *Value) string {
	ports, what := p.Inputs, "input"
	switch v.Op {
	case OpInput:
	case OpTarget, OpLabel:
		ports, what = p.Outputs, "output"
	default:
		return ""
	}
	if v.Port < 0 || v.Port >= len(ports) {
		return fmt.Sprintf("reads %s %d, but the program has %d", what, v.Port, len(ports))
	}
	want := Batch(ports[v.Port].Width)
	if v.Op == OpLabel {
		want = Batch(1) // one class index per sample
	}
	if isBatchVec(v.Type) && !v.Type.Equal(want) {
		return fmt.Sprintf("%s %s has type %s", what, ports[v.Port].Name, want.Format(p.DType))
	}
	return ""
}
