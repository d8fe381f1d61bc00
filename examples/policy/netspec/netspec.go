// Package netspec describes the network of package policy in Go rather than
// YAML: a controller that maps an observation to actions. The value is
// computed (the hidden layers come from a loop, the widths from constants),
// which a YAML file could not express; gradgen evaluates it when it runs:
//
//	gradgen gen -o policy_gen.go ./netspec:Net
package netspec

import "github.com/gradgen/gradgen/spec"

// Observations and Actions are the widths of the controller's input and
// output: position, velocity and target of a cart on a track, twice over
// (two carts), plus two sensor readings; a force for each cart.
const (
	Observations = 8
	Actions      = 2
)

// Net is the policy network: three tanh layers of 32, then a linear layer
// with one output per action, trained with mean squared error and Adam.
var Net = spec.Network{
	Package:   "policy",
	Input:     Observations,
	Layers:    append(hidden(3, 32), spec.Layer{Dense: Actions}),
	Loss:      spec.MSE,
	Optimizer: spec.Optimizer{Adam: &spec.Adam{LR: 0.003}},
}

// hidden returns n tanh layers of the given width.
func hidden(n, width int) []spec.Layer {
	layers := make([]spec.Layer, n)
	for i := range layers {
		layers[i] = spec.Layer{Dense: width, Activation: spec.Tanh}
	}
	return layers
}
