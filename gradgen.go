// Package gradgen compiles a network description into Go code that trains and
// runs it: spec → IR → derived backward pass → planned buffers → Go source.
//
// Most users run it as a command (cmd/gradgen) from go generate; programs that
// build specs themselves call Generate.
package gradgen

import (
	"github.com/gradgen/gradgen/build"
	"github.com/gradgen/gradgen/emit"
	"github.com/gradgen/gradgen/ir"
	"github.com/gradgen/gradgen/passes"
	"github.com/gradgen/gradgen/spec"
)

// Options tune generation.
type Options struct {
	// TileRows is the number of samples Loss and Backward process per pass
	// over their workspace; 0 means build.TileRows.
	TileRows int
	// After stops Compile after the named pass ("" runs every pass).
	After string
	// Check verifies the IR after every pass, not just at the end.
	Check bool
}

// Compile builds the IR of n and runs the passes on it.
func Compile(n *spec.Network, opt Options) (*ir.Program, error) {
	p, err := build.Program(n, build.Options{TileRows: opt.TileRows})
	if err != nil {
		return nil, err
	}
	if err := passes.Run(p, opt.After, opt.Check); err != nil {
		return nil, err
	}
	return p, nil
}

// Generate returns the Go source of the package that trains and runs n.
// The same network and options always give the same bytes. A network with
// pretrained parameters (imported from ONNX) needs its weights file too:
// see GenerateFiles.
func Generate(n *spec.Network, opt Options) ([]byte, error) {
	f, err := GenerateFiles(n, opt)
	if err != nil {
		return nil, err
	}
	return f.Source, nil
}

// Files are what generation writes: the Go source, and for a network with
// pretrained parameters the weights file it embeds, named WeightsName,
// which goes beside the source.
type Files struct {
	Source      []byte
	WeightsName string // "" when there is no weights file
	Weights     []byte
}

// GenerateFiles returns the files of the package that trains and runs n.
// The same network and options always give the same bytes.
func GenerateFiles(n *spec.Network, opt Options) (*Files, error) {
	opt.After = ""
	p, err := Compile(n, opt)
	if err != nil {
		return nil, err
	}
	f := &Files{WeightsName: emit.WeightsFile(p)}
	if f.Source, err = emit.Source(p); err != nil {
		return nil, err
	}
	if f.Weights, err = emit.Weights(p); err != nil {
		return nil, err
	}
	return f, nil
}
