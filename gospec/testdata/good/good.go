// Package good holds Go specs that load.
package good

import (
	"math"

	"github.com/gradgen/gradgen/spec"
)

const width = 5

// Net has computed layers and a constant from elsewhere.
var Net = spec.Network{
	Package: "policy",
	Input:   width + 1,
	Layers:  append(tanhs(2, width), spec.Layer{Dense: 2}),
	Loss:    spec.MSE,
}

// Ptr is a pointer to a literal network, with Adam defaults left out except beta1.
var Ptr = &spec.Network{
	Package: "ptr",
	DType:   spec.Float64,
	Input:   3,
	Layers: []spec.Layer{
		{Dense: 4, Activation: spec.LeakyReLU},
		{Dense: 1, NoBias: true},
	},
	Loss:      spec.BinaryCrossEntropy,
	Optimizer: spec.Optimizer{Adam: &spec.Adam{Beta1: 0}},
}

// NaN has a learning rate no optimizer can use.
var NaN = spec.Network{Package: "nan", Input: 1, Layers: []spec.Layer{{Dense: 1}}, Loss: spec.MSE,
	Optimizer: spec.Optimizer{SGD: &spec.SGD{LR: math.NaN()}}}

// Bad has a zero width and an activation that does not exist.
var Bad = spec.Network{
	Package: "bad",
	Input:   2,
	Layers: []spec.Layer{
		{Dense: 3, Activation: "swish"},
		{Dense: 0},
	},
	Loss: spec.MSE,
}

// NotANetwork is an int.
var NotANetwork = 3

func tanhs(n, w int) []spec.Layer {
	var ls []spec.Layer
	for range n {
		ls = append(ls, spec.Layer{Dense: w, Activation: spec.Tanh})
	}
	return ls
}
