// Package broken does not type-check.
package broken

import "github.com/gradgen/gradgen/spec"

// Net refers to a loss that does not exist.
var Net = spec.Network{Package: "p", Input: 1, Layers: []spec.Layer{{Dense: 1}}, Loss: spec.Hinge}
