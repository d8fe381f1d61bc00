package runtime

// ParamInfo describes one parameter tensor of a generated network, in the order of Params.Slice().
type ParamInfo struct {
	Name   string // Go field name: W1, B1, W2, ...
	Torch  string // PyTorch nn.Sequential state_dict name: 0.weight, 0.bias, 2.weight, ...
	Shape  []int  // [out, in] for a weight, [out] for a bias
	Offset int    // index of its first element in Params.Slice()
	// Transposed says that files outside gradgen (safetensors, ONNX) keep
	// the weight as its transpose, of shape [in, out], as the weight of
	// ONNX's MatMul(x, W); safetensors transposes it on the way in and out.
	Transposed bool
}

// Size is the number of elements (product of Shape).
func (p ParamInfo) Size() int {
	n := 1
	for _, d := range p.Shape {
		n *= d
	}
	return n
}
