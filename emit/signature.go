package emit

import (
	"strings"

	. "github.com/dave/jennifer/jen"

	"github.com/gradgen/gradgen/ir"
)

// A param is one parameter a generated function may take: its name, whether
// a function takes it (from the function's ir.Signature), its type, and the
// caller's expression for it.
type param struct {
	name  string
	takes func(f *ir.Func) bool
	typ   func(p *ir.Program, f *ir.Func) *Statement
	arg   func(a callArgs) Code
}

// funcParams lists every parameter of a generated function, in order. Each
// declaration (funcCtx.params) and each call (call) is printed from it.
var funcParams = []param{
	{"p", always, named("*Params"), func(a callArgs) Code { return a.params }},
	{"g", func(f *ir.Func) bool { return f.Sig.Grad }, named("*Params"), func(a callArgs) Code { return a.grad }},
	{"s", always, workPtr, func(a callArgs) Code { return a.work }},
	{"xs", batched, batchOf("Inputs"), func(a callArgs) Code { return a.x }},
	{"x", perSample, sampleOf("Inputs"), func(a callArgs) Code { return a.x }},
	{"ts", func(f *ir.Func) bool { return f.Batched() && f.Sig.Targets }, batchOf("Outputs"), func(a callArgs) Code { return a.t }},
	{"t", func(f *ir.Func) bool { return !f.Batched() && f.Sig.Targets }, sampleOf("Outputs"), func(a callArgs) Code { return a.t }},
	{"ls", func(f *ir.Func) bool { return f.Batched() && f.Sig.Labels }, named("[]int32"), func(a callArgs) Code { return a.l }},
	{"l", func(f *ir.Func) bool { return !f.Batched() && f.Sig.Labels }, named("int32"), func(a callArgs) Code { return a.l }},
	{"ys", func(f *ir.Func) bool { return f.Batched() && f.Sig.Prediction }, batchOf("Outputs"), func(a callArgs) Code { return a.y }},
	{"y", func(f *ir.Func) bool { return !f.Batched() && f.Sig.Prediction }, sampleOf("Outputs"), func(a callArgs) Code { return a.y }},
	{"batch", func(f *ir.Func) bool { return f.Sig.Targets }, named("int"), func(a callArgs) Code { return a.batch }},
	{"first", func(f *ir.Func) bool { return f.Sig.First }, named("bool"), func(a callArgs) Code { return a.first }},
	{"step", func(f *ir.Func) bool { return f.Sig.Step }, named("*Model"), func(a callArgs) Code { return a.step }},
	{"fresh", func(f *ir.Func) bool { return f.Sig.Fresh }, named("bool"), func(a callArgs) Code { return a.fresh }},
	{"terms", func(f *ir.Func) bool { return f.Sig.Terms }, headsPtr, func(a callArgs) Code { return a.terms }},
	{"drop", func(f *ir.Func) bool { return f.Sig.Dropout }, func(*ir.Program, *ir.Func) *Statement { return rt("Dropout") }, dropArg},
}

// dropArg is the Dropout argument of a call: the caller's key (key, a local
// of the methods that train) and the index in the batch of the call's first
// sample.
func dropArg(a callArgs) Code {
	if a.dropRow == nil {
		return nil
	}
	return rt("Dropout").Values(Dict{Id("Key"): Id("key"), Id("Row"): a.dropRow})
}

func always(*ir.Func) bool      { return true }
func batched(f *ir.Func) bool   { return f.Batched() }
func perSample(f *ir.Func) bool { return !f.Batched() }

// named is the type named name, or a pointer to it (*name).
func named(name string) func(*ir.Program, *ir.Func) *Statement {
	return func(*ir.Program, *ir.Func) *Statement {
		switch {
		case name[0] == '*':
			return Op("*").Id(name[1:])
		case strings.HasPrefix(name, "[]"):
			return Index().Id(name[2:])
		}
		return Id(name)
	}
}

// workPtr is a pointer to f's workspace.
func workPtr(_ *ir.Program, f *ir.Func) *Statement { return Op("*").Id(workName(f)) }

// batchOf is the type of a batch of samples of width n, [][n]T, and
// sampleOf that of one sample, *[n]T.
func batchOf(n string) func(*ir.Program, *ir.Func) *Statement {
	return func(p *ir.Program, _ *ir.Func) *Statement { return batchType(p, n) }
}

func sampleOf(n string) func(*ir.Program, *ir.Func) *Statement {
	return func(p *ir.Program, _ *ir.Func) *Statement { return Op("*").Index(Id(n)).Add(elem(p)) }
}

// batchType is [][n]T, a batch of samples of width n.
func batchType(p *ir.Program, n string) *Statement { return Index().Index(Id(n)).Add(elem(p)) }

// params declares the parameters of the function c prints.
func (c *funcCtx) params() []Code {
	var list []Code
	for _, q := range funcParams {
		if q.takes(c.f) {
			list = append(list, Id(q.name).Add(q.typ(c.p, c.f)))
		}
	}
	return list
}

// callArgs are a caller's expressions for the parameters of a generated
// function; call passes those the function takes.
type callArgs struct {
	params, grad, work Code
	x, t, y            Code // a batch (xs, ts, ys) or a sample (x, t, y)
	l                  Code // the labels (ls) or a sample's label (l)
	batch              Code
	first, step, fresh Code
	terms              Code // the heads' losses (HeadLosses), or nil
	dropRow            Code // the index in the batch of the call's first sample, for dropout masks
}

// call is the call of f's generated function with the caller's arguments.
func call(f *ir.Func, a callArgs) *Statement {
	var list []Code
	for _, q := range funcParams {
		if !q.takes(f) {
			continue
		}
		arg := q.arg(a)
		if arg == nil {
			panic("emit: a call of " + goName(f) + " without its argument " + q.name)
		}
		list = append(list, arg)
	}
	return Id(goName(f)).Call(list...)
}

// modelArgs are the arguments of a call of f from a Model method: m's
// parameters, gradient and workspace for f, and the length of the batch xs.
func modelArgs(f *ir.Func) callArgs {
	return callArgs{
		params: Op("&").Id("m").Dot("Params"),
		grad:   Op("&").Id("m").Dot("Grad"),
		work:   Op("&").Id("m").Dot(lowerFirst(workName(f))),
		batch:  Len(Id("xs")),
		terms:  Nil(),
	}
}

// headsPtr is *[Heads]T, each head's loss.
func headsPtr(p *ir.Program, _ *ir.Func) *Statement { return Op("*").Index(Id("Heads")).Add(elem(p)) }
