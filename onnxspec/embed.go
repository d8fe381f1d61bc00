package onnxspec

import (
	"fmt"
	"slices"

	"github.com/gradgen/gradgen/onnxspec/onnxpb"
	"github.com/gradgen/gradgen/spec"
)

// An embedding (nn.Embedding) is what torch.onnx.export writes as
//
//	Gather(weight, ids)      axis 0: out[i] = weight[ids[i]]
//
// with weight the table, an initializer [categories, dim], and ids an
// integer graph input (int64, or int32) of shape [batch], one id per
// sample. It imports as an embedding layer reading an integer input
// {categories: the table's rows}. Ids of shape [batch, 1] make the Gather's
// output [batch, 1, dim], which a Flatten(axis=1), Squeeze(axes=[1]) or
// Reshape to [batch, -1] makes a row; a Squeeze(axes=[1]) or Reshape to
// [-1] of the ids before the Gather makes them [batch]. The ids are read
// nowhere else: not by a Gemm, a Concat or an activation, and not cast to a
// float.

// idsRead is the error for node n reading input k, f, the ids of an
// integer input, as the network's values.
func (im *importer) idsRead(n *onnxpb.NodeProto, k int, f *flow) error {
	return fmt.Errorf("%s reads %q, %s: gradgen reads an integer input only as the indices of a Gather of an embedding table (nn.Embedding)",
		n.GetOpType(), arg(n, k), im.describe(f))
}

// gather lowers Gather: of an embedding table by the ids of an integer
// input (embedding), or of a constant integer vector (a shape) by constant
// indices (gatherConst).
func (im *importer) gather(n *onnxpb.NodeProto) error {
	if x := im.flows[arg(n, 0)]; x != nil {
		return fmt.Errorf("a Gather of %q, %s; gradgen reads Gather as an embedding, Gather(table, ids) of a constant table by an integer graph input, or of a constant shape", arg(n, 0), im.describe(x))
	}
	ids := im.flows[arg(n, 1)]
	if ids == nil {
		return im.gatherConst(n)
	}
	if !ids.ids {
		return fmt.Errorf("a Gather by %q, %s; gradgen reads Gather(table, ids) with ids an integer graph input (nn.Embedding's indices)", arg(n, 1), im.describe(ids))
	}
	return im.embedding(n, ids)
}

// embedding lowers Gather(table, ids), axis 0, of a constant table
// [categories, dim] by the ids of an integer input: an embedding layer
// reading that input, whose categories are the table's rows.
func (im *importer) embedding(n *onnxpb.NodeProto, ids *flow) error {
	table, err := im.constArg(n, 0)
	if err != nil {
		return err
	}
	in := &im.inputs[ids.input]
	if axis := attrInt(n, "axis", 0); axis != 0 {
		return fmt.Errorf("a Gather of %q by the ids of %q along axis %d; an embedding looks up rows of its table (axis 0)", table.name, in.name, axis)
	}
	if !table.float || len(table.dims) != 2 {
		return fmt.Errorf("a Gather of %q (%s %v) by the ids of %q; an embedding's table is a 2-dimensional float or double tensor [categories, dim]", table.name, elemName(table.elem), table.dims, in.name)
	}
	switch {
	case im.elem == onnxpb.TensorProto_UNDEFINED:
		im.elem, im.elemFrom = table.elem, table.name
	case table.elem != im.elem:
		return fmt.Errorf("the embedding table %q is %s, %q %s: gradgen computes in one type", table.name, elemName(table.elem), im.elemFrom, elemName(im.elem))
	}
	rows, dim := table.dims[0], table.dims[1]
	if rows < 1 || rows > spec.MaxCategories {
		return fmt.Errorf("the embedding table %q has shape %v: %d rows; gradgen's integer inputs have 1 to %d categories", table.name, table.dims, rows, spec.MaxCategories)
	}
	if dim < 1 || dim > spec.MaxWidth {
		return fmt.Errorf("the embedding table %q has shape %v: vectors of %d values; gradgen's embeddings have 1 to %d", table.name, table.dims, dim, spec.MaxWidth)
	}
	if in.categories != 0 && in.categories != int(rows) {
		return fmt.Errorf("a Gather of %q, of %d rows, by the ids of %q, which another Gather reads from a table of %d: an integer input has one number of categories", table.name, rows, in.name, in.categories)
	}
	in.categories = int(rows)
	if u := im.useOf(ids.key()); u.readBy < 0 {
		u.readBy = im.node
	}
	pos := spec.Pos{File: im.file, Node: nodeLabel(im.g, im.node)}
	im.net.Layers = append(im.net.Layers, spec.Layer{Embedding: int(dim), Activation: spec.None, WeightName: table.name,
		Pos: pos, Fields: spec.Positions{"embedding": pos}})
	im.layers = append(im.layers, layerWeights{w: slices.Clone(table.f), node: im.node, from: []*flow{ids}, stage: activated, embed: true})
	y := &flow{dims: append(slices.Clone(ids.dims), int(dim)), layer: len(im.layers) - 1, input: -1, stage: activated}
	return im.define(n, 0, y, nil)
}

// gatherConst lowers Gather(axis=0) of a constant integer vector (a shape)
// by constant indices.
func (im *importer) gatherConst(n *onnxpb.NodeProto) error {
	data, err := im.constArg(n, 0)
	if err != nil {
		return err
	}
	idx, err := im.constArg(n, 1)
	if err != nil {
		return err
	}
	if data.float || idx.float || len(data.dims) != 1 || attrInt(n, "axis", 0) != 0 {
		return fmt.Errorf("a gather other than of an integer vector along axis 0 (as of a shape), or of an embedding table by integer ids")
	}
	out := &constant{elem: data.elem, dims: slices.Clone(idx.dims)}
	for _, k := range idx.i {
		if k < 0 {
			k += int64(len(data.i))
		}
		if k < 0 || k >= int64(len(data.i)) {
			return fmt.Errorf("index %d of a vector of %d", k, len(data.i))
		}
		out.i = append(out.i, data.i[k])
	}
	return im.define(n, 0, nil, out)
}

// axesOf returns n's axes: its attribute (Squeeze and Unsqueeze before
// opset 13), or its input 1 (from 13), nil when neither is given.
func (im *importer) axesOf(n *onnxpb.NodeProto) ([]int64, error) {
	if a := attr(n, "axes"); a != nil {
		return a.GetInts(), nil
	}
	if arg(n, 1) == "" {
		return nil, nil
	}
	c, err := im.constArg(n, 1)
	if err != nil {
		return nil, err
	}
	if c.float {
		return nil, fmt.Errorf("%s with the axes %v, floats", n.GetOpType(), c.f)
	}
	return c.i, nil
}

// squeeze lowers Squeeze of the network's values (a row per sample): the
// given axes, each of size 1 and none the batch, are dropped, as of the ids
// [batch, 1] (ids.squeeze(1)) or of an embedding's [batch, 1, dim]; or of
// a constant (squeezeConst).
func (im *importer) squeeze(n *onnxpb.NodeProto) error {
	axes, err := im.axesOf(n)
	if err != nil {
		return err
	}
	if c := im.consts[arg(n, 0)]; c != nil {
		return im.squeezeConst(n, c, axes)
	}
	x, err := im.flowArg(n, 0)
	if err != nil {
		return err
	}
	if len(axes) == 0 {
		return fmt.Errorf("a Squeeze of %q without axes, which would squeeze a batch of 1 too; gradgen reads Squeeze with its axes (x.squeeze(1))", arg(n, 0))
	}
	rank := 1 + len(x.dims)
	drop := make([]bool, rank)
	for _, a := range axes {
		k := a
		if k < 0 {
			k += int64(rank)
		}
		switch {
		case k < 0 || k >= int64(rank):
			return fmt.Errorf("a Squeeze of %q, of shape %s, along axis %d", arg(n, 0), sampleShape(x), a)
		case k == 0:
			return fmt.Errorf("a Squeeze of %q along axis 0, the batch; gradgen keeps one row per sample", arg(n, 0))
		case x.dims[k-1] != 1:
			return fmt.Errorf("a Squeeze of %q, of shape %s, along axis %d, of size %d", arg(n, 0), sampleShape(x), a, x.dims[k-1])
		}
		drop[k] = true
	}
	y := *x
	y.dims = nil
	for i, d := range x.dims {
		if !drop[i+1] {
			y.dims = append(y.dims, d)
		}
	}
	return im.define(n, 0, &y, nil)
}

// squeezeConst lowers Squeeze of the constant c: its values, without the
// dims of 1 at axes (every dim of 1 without axes).
func (im *importer) squeezeConst(n *onnxpb.NodeProto, c *constant, axes []int64) error {
	drop := make([]bool, len(c.dims))
	for _, a := range axes {
		k := a
		if k < 0 {
			k += int64(len(c.dims))
		}
		if k < 0 || k >= int64(len(c.dims)) || c.dims[k] != 1 {
			return fmt.Errorf("a Squeeze of %q, of shape %v, along axis %d", c.name, c.dims, a)
		}
		drop[k] = true
	}
	out := *c
	out.dims, out.initializer, out.transposed = nil, false, false // a computed tensor: the layout names it
	for i, d := range c.dims {
		if !drop[i] && (len(axes) > 0 || d != 1) {
			out.dims = append(out.dims, d)
		}
	}
	return im.define(n, 0, nil, &out)
}

// unsqueezeFlow lowers Unsqueeze of the network's values: dims of 1
// inserted at the given axes, none the batch (ids.unsqueeze(1)).
func (im *importer) unsqueezeFlow(n *onnxpb.NodeProto) error {
	x, err := im.flowArg(n, 0)
	if err != nil {
		return err
	}
	axes, err := im.axesOf(n)
	if err != nil {
		return err
	}
	rank := 1 + len(x.dims) + len(axes)
	ones := make([]bool, rank)
	for _, a := range axes {
		k := a
		if k < 0 {
			k += int64(rank)
		}
		switch {
		case k < 0 || k >= int64(rank) || ones[k]:
			return fmt.Errorf("an Unsqueeze of %q, of shape %s, along the axes %v", arg(n, 0), sampleShape(x), axes)
		case k == 0:
			return fmt.Errorf("an Unsqueeze of %q along axis 0, before the batch; gradgen keeps the batch first", arg(n, 0))
		}
		ones[k] = true
	}
	if len(axes) == 0 {
		return fmt.Errorf("an Unsqueeze of %q without axes", arg(n, 0))
	}
	y := *x
	y.dims = nil
	rest := x.dims
	for k := 1; k < rank; k++ {
		if ones[k] {
			y.dims = append(y.dims, 1)
		} else {
			y.dims, rest = append(y.dims, rest[0]), rest[1:]
		}
	}
	return im.define(n, 0, &y, nil)
}

// sampleShape formats the shape of a flow as [batch, d1, ...].
func sampleShape(x *flow) string {
	s := "[batch"
	for _, d := range x.dims {
		s += fmt.Sprintf(", %d", d)
	}
	return s + "]"
}
