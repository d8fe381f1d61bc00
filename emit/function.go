package emit

import (
	"fmt"

	. "github.com/dave/jennifer/jen"

	"github.com/gradgen/gradgen/ir"
)

// workType declares the workspace struct of the function.
func (c *funcCtx) workType(file *File) {
	name := workName(c.f)
	fields := make([]Code, len(c.f.Bufs))
	for i, b := range c.f.Bufs {
		fields[i] = Id(fmt.Sprintf("b%d", i)).Add(c.bufType(b))
	}
	switch {
	case c.f.Role == ir.RolePredict:
		doc(file, name+" holds the activations of one Forward call. Model is not safe for\n"+
			"concurrent use; for concurrent inference give each goroutine its own Scratch.")
	case !c.f.Batched():
		doc(file, fmt.Sprintf("%s is the workspace of %s: the buffers the plan pass assigned.", name, goName(c.f)))
	default:
		doc(file, fmt.Sprintf("%s is the workspace of %s: the buffers the plan pass assigned, %d rows each.",
			name, goName(c.f), c.f.Rows))
	}
	file.Type().Id(name).Struct(fields...)
}

// bufType is the Go type of buffer b.
func (c *funcCtx) bufType(b ir.Buffer) *Statement {
	t := c.elem()
	for i := len(b.Type.Dims) - 1; i >= 0; i-- {
		t = Index(Lit(b.Type.Dims[i])).Add(t)
	}
	if !c.f.Batched() || !b.Type.Batched {
		return t
	}
	return Index(Id("tileRows")).Add(t)
}

// function declares the Go function of the IR function: its parameters from
// its signature, then each value's statements under the rules it implements.
func (c *funcCtx) function(file *File) {
	c.funcDoc(file)
	decl := file.Func().Id(goName(c.f)).Params(c.params()...)
	if c.f.Sig.Loss {
		decl.Add(c.elem())
	}
	decl.Block(c.body()...)
}

// body is the function's statements: the row count and loss, then one
// statement (or block) per value, each after its rules as comments.
func (c *funcCtx) body() []Code {
	var body []Code
	if c.f.Batched() {
		body = append(body, Id("rows").Op(":=").Len(Id("xs")))
	}
	if c.f.Sig.Loss {
		body = append(body, Var().Id("loss").Add(c.elem()))
	}
	for _, v := range c.f.Values {
		emitter := opEmitters[v.Op]
		if emitter == nil {
			continue // a leaf: storage, not code
		}
		code := emitter(c, v)
		var stmt *Statement
		if len(code) == 1 {
			stmt = code[0].(*Statement)
		} else {
			stmt = Block(code...)
		}
		if len(body) > 0 {
			body = append(body, Line())
		}
		for _, rule := range v.Rules() {
			body = append(body, Comment(rule))
		}
		body = append(body, stmt)
	}
	if c.f.Sig.Loss {
		body = append(body, Return(Id("loss")))
	}
	return body
}

// funcDoc is the doc comment of the function, by what it computes and the
// parameters its signature adds.
func (c *funcCtx) funcDoc(file *File) {
	name, sig := goName(c.f), c.f.Sig
	const sampleGrad = "%s runs the forward pass and the derived backward pass on the sample (x, t) of a\n" +
		"batch of batch samples. It returns the sample's share of the batch's mean loss and adds\n" +
		"its share of the gradient to g, or, for the batch's first sample, writes it there."
	switch {
	case !c.f.Batched() && sig.Grad && sig.Step:
		docf(file, sampleGrad+" When\n"+
			"step is not nil (Train's last sample), each weight marked step in the IR takes step's\n"+
			"optimizer step row by row as soon as the row's gradient is final, while it is in cache.", name)
	case !c.f.Batched() && sig.Grad:
		docf(file, sampleGrad, name)
	case !c.f.Batched():
		docf(file, "%s computes the network's output y for the input x with parameters p, keeping\n"+
			"activations in s. It allocates nothing and is safe for concurrent use with distinct s.", name)
	case sig.Prediction:
		docf(file, "%s computes the network's outputs ys for one tile of at most tileRows inputs xs,\n"+
			"with the matrix products of the batched functions.", name)
	case sig.Grad:
		text := "%s runs the forward pass and the derived backward pass on one tile of at most\n" +
			"tileRows samples of a batch of batch samples. It returns the tile's share of the batch's\n" +
			"mean loss and adds the tile's share of its gradient to g"
		if sig.First {
			text += ", or, on a share's first tile\n(first), writes it there, so g need not be cleared"
		}
		text += "."
		if sig.Fresh {
			text += " fresh marks a call's first tile, which makes the\ntransposed weights later tiles reuse (p does not change during a call)."
		}
		docf(file, text, name)
	default:
		docf(file, "%s returns the share of one tile of at most tileRows samples in the mean\n"+
			"loss of a batch of batch samples.", name)
	}
}
