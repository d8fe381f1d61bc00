package runtime

// ParamInfo describes one parameter tensor of a generated network, in the order of Params.Slice().
type ParamInfo struct {
	Name   string // Go field name: W1, B1, W2, ...
	Torch  string // PyTorch nn.Sequential state_dict name: 0.weight, 0.bias, 2.weight, ...
	Shape  []int  // [out, in] for a weight, [out] for a bias
	Offset int    // index of its first element in Params.Slice()
}

// Size is the number of elements (product of Shape).
func (p ParamInfo) Size() int {
	n := 1
	for _, d := range p.Shape {
		n *= d
	}
	return n
}
