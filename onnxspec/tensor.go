package onnxspec

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/gradgen/gradgen/onnxspec/onnxpb"
)

// batchDim stands for the symbolic batch dimension in a shape computed at
// import (Shape of the input, and what Gather, Unsqueeze and Concat make of
// it).
const batchDim = math.MinInt64

// maxConstElems bounds a constant tensor: far more than the parameters of
// any network gradgen generates.
const maxConstElems = 1 << 28

// constant is a tensor whose value the importer knows: an initializer, a
// Constant node's value, or a shape computed from them.
type constant struct {
	name  string // the initializer's name, or the tensor's name in the graph
	float bool   // the values are f (float or double), else i (integers)
	elem  onnxpb.TensorProto_DataType
	dims  []int64
	f     []float64
	i     []int64
	// initializer says that the tensor is a parameter of the model, not
	// a computed constant; transposed says it is an initializer read
	// through Transpose(perm=[1, 0]), so its values are already Wᵀ.
	initializer, transposed bool
}

// size is the number of elements of a tensor of the given dims, or -1
// when a dimension is negative or the product exceeds maxConstElems.
func size(dims []int64) int {
	n := int64(1)
	for _, d := range dims {
		if d < 0 || (d > 0 && n > maxConstElems/d) {
			return -1
		}
		n *= d
	}
	return int(n)
}

// elemName names an ONNX element type in messages.
func elemName(t onnxpb.TensorProto_DataType) string {
	switch t {
	case onnxpb.TensorProto_FLOAT:
		return "float32"
	case onnxpb.TensorProto_DOUBLE:
		return "float64"
	}
	return t.String()
}

// decodeTensor reads t's values: floats and doubles into f, the integer
// types into i. Other element types (float16, bfloat16, int8 and the
// quantised kinds, strings) are refused: gradgen computes in float32 or
// float64 and does not convert a model's weights.
func decodeTensor(t *onnxpb.TensorProto) (*constant, error) {
	elem := onnxpb.TensorProto_DataType(t.GetDataType())
	c := &constant{name: t.GetName(), elem: elem, dims: t.GetDims()}
	if t.GetSegment() != nil {
		return nil, fmt.Errorf("tensor %q is stored in segments, which gradgen does not read", c.name)
	}
	n := size(c.dims)
	if n < 0 {
		return nil, fmt.Errorf("tensor %q has shape %v: negative, or more than %d elements", c.name, c.dims, maxConstElems)
	}
	raw := t.GetRawData()
	var err error
	switch elem {
	case onnxpb.TensorProto_FLOAT:
		c.float = true
		c.f, err = values(n, raw, 4, t.GetFloatData(), func(b []byte) float64 {
			return float64(math.Float32frombits(binary.LittleEndian.Uint32(b)))
		}, func(x float32) float64 { return float64(x) })
	case onnxpb.TensorProto_DOUBLE:
		c.float = true
		c.f, err = values(n, raw, 8, t.GetDoubleData(), func(b []byte) float64 {
			return math.Float64frombits(binary.LittleEndian.Uint64(b))
		}, func(x float64) float64 { return x })
	case onnxpb.TensorProto_INT64:
		c.i, err = values(n, raw, 8, t.GetInt64Data(), func(b []byte) int64 {
			return int64(binary.LittleEndian.Uint64(b))
		}, func(x int64) int64 { return x })
	case onnxpb.TensorProto_INT32:
		c.i, err = values(n, raw, 4, t.GetInt32Data(), func(b []byte) int64 {
			return int64(int32(binary.LittleEndian.Uint32(b)))
		}, func(x int32) int64 { return int64(x) })
	case onnxpb.TensorProto_BOOL:
		c.i, err = values(n, raw, 1, t.GetInt32Data(), func(b []byte) int64 { return int64(b[0]) }, func(x int32) int64 { return int64(x) })
	default:
		return nil, fmt.Errorf("tensor %q holds %s, which gradgen does not read: it computes in float32 or float64 "+
			"(export the model in one of them, e.g. model.float() before torch.onnx.export)", c.name, elem)
	}
	if err != nil {
		return nil, fmt.Errorf("tensor %q (%s %v): %w", c.name, elemName(elem), c.dims, err)
	}
	return c, nil
}

// values reads n values from raw, size bytes each, or else from typed, the
// tensor's typed field; exactly one of them must hold n values.
func values[T, E any](n int, raw []byte, size int, typed []E, fromRaw func([]byte) T, conv func(E) T) ([]T, error) {
	switch {
	case len(raw) > 0 || (n == 0 && len(typed) == 0):
		if len(raw) != n*size {
			return nil, fmt.Errorf("%d bytes of raw data, want %d (%d elements of %d bytes): the file is corrupt", len(raw), n*size, n, size)
		}
		out := make([]T, 0, n) // n is bounded by the file's size now
		for k := 0; k < n; k++ {
			out = append(out, fromRaw(raw[k*size:]))
		}
		return out, nil
	default:
		if len(typed) != n {
			return nil, fmt.Errorf("%d values, want %d: the file is corrupt", len(typed), n)
		}
		out := make([]T, 0, n)
		for _, x := range typed {
			out = append(out, conv(x))
		}
		return out, nil
	}
}
