package onnxspec

import (
	"fmt"
	"slices"

	"github.com/gradgen/gradgen/onnxspec/onnxpb"
)

// The ops of this file reshape the input before the first layer, as
// nn.Flatten and x.view(x.size(0), -1) do, or compute the shapes they need
// (torch.onnx.export writes Shape, Gather, Unsqueeze and Concat for
// x.reshape(x.shape[0], -1)); and Constant, Transpose and Cast of
// constants.

// flatten lowers Flatten(axis=1) of the flow: each sample becomes a row.
func (im *importer) flatten(n *onnxpb.NodeProto) error {
	x, err := im.flowArg(n, 0)
	if err != nil {
		return err
	}
	if axis := attrInt(n, "axis", 1); axis != 1 && !(axis == -1 && len(x.dims) == 1) {
		return fmt.Errorf("axis %d; gradgen reads Flatten(axis=1), which keeps one row per sample", axis)
	}
	y := *x
	y.dims = []int{x.width()}
	return im.define(n, 0, &y, nil)
}

// reshape lowers Reshape of the flow to [batch, width]: the shape may give
// the batch as −1, 0 (copy), the batch computed by Shape, or the model's
// fixed batch, and the width as −1 or the number of values per sample.
func (im *importer) reshape(n *onnxpb.NodeProto) error {
	x, err := im.flowArg(n, 0)
	if err != nil {
		return err
	}
	c, err := im.constArg(n, 1)
	if err != nil {
		return err
	}
	w := int64(x.width())
	isBatch := func(b int64) bool { return b == batchDim || b == 0 || (b == im.batch && b > 0) }
	y := *x
	y.dims = []int{int(w)}
	switch {
	case !c.float && len(c.i) == 2:
		b, d := c.i[0], c.i[1]
		if (isBatch(b) || (b == -1 && d != -1)) && (d == w || d == -1) {
			return im.define(n, 0, &y, nil)
		}
	case !c.float && len(c.i) == 1 && w == 1 && (isBatch(c.i[0]) || c.i[0] == -1):
		y.dims = nil // [batch]: one value per sample, as ids.view(-1) of [batch, 1]
		return im.define(n, 0, &y, nil)
	}
	want := fmt.Sprintf("[batch, %d], one row of the %d values of each sample", w, w)
	if w == 1 {
		want += ", or [batch] (-1)"
	}
	return fmt.Errorf("a reshape to %s; gradgen reads a reshape to %s", shapeValues(c), want)
}

// shapeValues formats a constant shape for messages.
func shapeValues(c *constant) string {
	if c.float {
		return fmt.Sprint(c.f)
	}
	s := "["
	for k, v := range c.i {
		if k > 0 {
			s += ", "
		}
		if v == batchDim {
			s += "batch"
		} else {
			s += fmt.Sprint(v)
		}
	}
	return s + "]"
}

// constantNode lowers Constant: its value attribute (a tensor, or one of
// the value_float(s) and value_int(s) forms).
func (im *importer) constantNode(n *onnxpb.NodeProto) error {
	var c *constant
	switch {
	case attr(n, "value") != nil:
		var err error
		if c, err = decodeTensor(attr(n, "value").GetT()); err != nil {
			return err
		}
	case attr(n, "value_float") != nil:
		c = &constant{float: true, elem: onnxpb.TensorProto_FLOAT, f: []float64{float64(attr(n, "value_float").GetF())}}
	case attr(n, "value_int") != nil:
		c = &constant{elem: onnxpb.TensorProto_INT64, i: []int64{attr(n, "value_int").GetI()}}
	case attr(n, "value_ints") != nil:
		is := attr(n, "value_ints").GetInts()
		c = &constant{elem: onnxpb.TensorProto_INT64, dims: []int64{int64(len(is))}, i: slices.Clone(is)}
	case attr(n, "value_floats") != nil:
		fs := attr(n, "value_floats").GetFloats()
		c = &constant{float: true, elem: onnxpb.TensorProto_FLOAT, dims: []int64{int64(len(fs))}}
		for _, v := range fs {
			c.f = append(c.f, float64(v))
		}
	default:
		return fmt.Errorf("no value gradgen reads (value, value_float(s), value_int(s))")
	}
	return im.define(n, 0, nil, c)
}

// transpose lowers Transpose of a 2-dimensional initializer, the weight of
// x @ w.t(): the result remembers that it is Wᵀ, so the layer keeps W.
func (im *importer) transpose(n *onnxpb.NodeProto) error {
	if im.flows[arg(n, 0)] != nil {
		return fmt.Errorf("a transpose of the network's values; gradgen reads Transpose of a weight only")
	}
	c, err := im.constArg(n, 0)
	if err != nil {
		return err
	}
	if perm := attr(n, "perm"); len(c.dims) != 2 || !c.float || (perm != nil && !slices.Equal(perm.GetInts(), []int64{1, 0})) {
		return fmt.Errorf("a transpose of %q (%v); gradgen reads the transpose of a 2-dimensional weight", c.name, c.dims)
	}
	rows, cols := int(c.dims[0]), int(c.dims[1])
	t := &constant{float: true, elem: c.elem, dims: []int64{c.dims[1], c.dims[0]}, f: transposed(c.f, rows, cols),
		initializer: c.initializer, transposed: c.initializer && !c.transposed}
	if err := im.define(n, 0, nil, t); err != nil {
		return err
	}
	t.name = c.name // the layer takes the initializer's name
	return nil
}

// shape lowers Shape of the flow: [batch, dims...], with the batch
// symbolic unless the input fixes it (opset 15's start and end slice it).
func (im *importer) shape(n *onnxpb.NodeProto) error {
	x := im.flows[arg(n, 0)]
	if x == nil {
		return fmt.Errorf("the shape of %q, which is not the network's values", arg(n, 0))
	}
	s := []int64{im.batch}
	for _, d := range x.dims {
		s = append(s, int64(d))
	}
	lo, hi := attrInt(n, "start", 0), attrInt(n, "end", int64(len(s)))
	lo, hi = clampAxis(lo, len(s)), clampAxis(hi, len(s))
	s = s[lo:max(lo, hi)]
	return im.define(n, 0, nil, &constant{elem: onnxpb.TensorProto_INT64, dims: []int64{int64(len(s))}, i: s})
}

// clampAxis maps a possibly negative axis bound into [0, n].
func clampAxis(a int64, n int) int64 {
	if a < 0 {
		a += int64(n)
	}
	return min(max(a, 0), int64(n))
}

// unsqueeze lowers Unsqueeze of a constant integer scalar or vector: the
// values stay, the shape gains dimensions of 1 (axes as an attribute
// before opset 13, as an input after).
func (im *importer) unsqueeze(n *onnxpb.NodeProto) error {
	if im.flows[arg(n, 0)] != nil {
		return im.unsqueezeFlow(n)
	}
	c, err := im.constArg(n, 0)
	if err != nil {
		return err
	}
	var axes []int64
	if a := attr(n, "axes"); a != nil {
		axes = a.GetInts()
	} else if arg(n, 1) != "" {
		ac, err := im.constArg(n, 1)
		if err != nil {
			return err
		}
		axes = ac.i
	}
	if c.float || len(axes) == 0 {
		return fmt.Errorf("an unsqueeze other than of an integer constant (as of a shape) with axes")
	}
	out := *c
	out.dims = slices.Clone(c.dims)
	for range axes {
		out.dims = append(out.dims, 1) // the values' order is unchanged
	}
	return im.define(n, 0, nil, &out)
}

// concat lowers Concat of constant integer vectors (shapes) along axis 0.
func (im *importer) concat(n *onnxpb.NodeProto) error {
	for k := range n.GetInput() {
		if im.flows[arg(n, k)] != nil {
			return im.concatFlows(n)
		}
	}
	out := &constant{elem: onnxpb.TensorProto_INT64}
	for k := range n.GetInput() {
		c, err := im.constArg(n, k)
		if err != nil {
			return err
		}
		if c.float || len(c.dims) > 1 {
			return fmt.Errorf("a concat other than of integer vectors (as of a shape)")
		}
		out.i = append(out.i, c.i...)
	}
	out.dims = []int64{int64(len(out.i))}
	return im.define(n, 0, nil, out)
}

// cast lowers Cast of an integer constant to another integer type (shapes
// computed in int32 or int64).
func (im *importer) cast(n *onnxpb.NodeProto) error {
	to := onnxpb.TensorProto_DataType(attrInt(n, "to", 0))
	if x := im.flows[arg(n, 0)]; x != nil {
		if !x.ids || (to != onnxpb.TensorProto_INT64 && to != onnxpb.TensorProto_INT32) {
			return fmt.Errorf("a Cast of %q, %s, to %s; gradgen reads a Cast of the network's values only between integer types, of an integer input's ids", arg(n, 0), im.describe(x), to)
		}
		y := *x
		return im.define(n, 0, &y, nil)
	}
	c, err := im.constArg(n, 0)
	if err != nil {
		return err
	}
	if c.float || (to != onnxpb.TensorProto_INT64 && to != onnxpb.TensorProto_INT32) {
		return fmt.Errorf("a cast other than between integer types (as of a shape)")
	}
	out := *c
	out.elem = to
	return im.define(n, 0, nil, &out)
}
