package onnxspec

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode"

	"github.com/gradgen/gradgen/spec"
)

// IsModel reports whether path names an ONNX model file, by its extension.
func IsModel(path string) bool { return strings.EqualFold(filepath.Ext(path), ".onnx") }

// Load reads the spec at path with its network: an ONNX model (see
// LoadModel, with the package named after the file), or a YAML spec, whose
// onnx key, if any, names the model to import, relative to the spec's
// directory. A YAML spec without onnx is returned as spec.Load reads it.
func Load(path string) (*spec.Network, error) {
	if IsModel(path) {
		return LoadModel(path, "")
	}
	n, err := spec.Load(path)
	if err != nil || n.ONNX == "" {
		return n, err
	}
	return Resolve(n, filepath.Dir(path))
}

// LoadModel reads the ONNX model at path as a spec of package pkg (empty:
// named after the file, as mlp.onnx gives mlp), with the loss the model's
// output suggests (softmax_cross_entropy after a Softmax or LogSoftmax,
// mse otherwise) and the default optimizer: a model used for inference,
// which can still be fine-tuned.
func LoadModel(path, pkg string) (*spec.Network, error) {
	if pkg == "" {
		var err error
		if pkg, err = PackageName(path); err != nil {
			return nil, err
		}
	}
	n := &spec.Network{Package: pkg, ONNX: filepath.Base(path), File: path, Fields: spec.Positions{}}
	if err := importInto(n, path); err != nil {
		return nil, err
	}
	return n, nil
}

// Resolve imports the model n.ONNX names, relative to dir, into n, a spec
// read from YAML (or a Go value) that gives its package, and optionally its
// dtype, loss and optimizer, and for a model of several outputs the loss and
// weight of each (outputs: {policy: {loss: softmax_cross_entropy}}). It
// returns the network, validated.
func Resolve(n *spec.Network, dir string) (*spec.Network, error) {
	if len(n.Layers) > 0 || n.Input != 0 {
		return nil, spec.ErrorList{{Pos: n.Fields.At("onnx", n.Pos),
			Msg: "onnx cannot be given with input or layers: the network comes from the ONNX model"}}
	}
	m := *n
	m.Layers, m.Outputs = nil, nil
	path := m.ONNX
	if !filepath.IsAbs(path) {
		path = filepath.Join(dir, path)
	}
	if _, err := os.Stat(path); err != nil {
		return nil, spec.ErrorList{{Pos: n.Fields.At("onnx", n.Pos), Msg: fmt.Sprintf("onnx: %s: %v", m.ONNX, bare(err))}}
	}
	if err := importInto(&m, path); err != nil {
		return nil, err
	}
	if err := headLosses(&m, n.Outputs); err != nil {
		return nil, err
	}
	m.Normalize()
	return &m, m.Validate()
}

// headLosses gives the heads of n, imported, the losses and weights the
// spec's outputs give them, by name.
func headLosses(n *spec.Network, given []spec.Head) error {
	var errs spec.ErrorList
	if len(given) > 0 && len(n.Outputs) == 0 {
		return append(errs, &spec.Error{Pos: n.Fields.At("outputs", n.Pos),
			Msg: fmt.Sprintf("outputs, but the model %s has one output: give its loss with loss", n.ONNX)})
	}
	var names []string
	for _, h := range n.Outputs {
		names = append(names, h.Name)
	}
	for _, g := range given {
		k := slices.IndexFunc(n.Outputs, func(h spec.Head) bool { return h.Name == g.Name })
		if k < 0 {
			errs = append(errs, &spec.Error{Pos: g.Pos, Msg: fmt.Sprintf("the model %s has no output %q (its outputs: %s)", n.ONNX, g.Name, strings.Join(names, ", "))})
			continue
		}
		for key, pos := range g.Layer.Fields {
			errs = append(errs, &spec.Error{Pos: pos, Msg: fmt.Sprintf("head %s: %s comes from the model %s; an output of it takes loss and weight", g.Name, key, n.ONNX)})
		}
		h := &n.Outputs[k]
		if _, ok := g.Fields["loss"]; ok {
			h.Loss = g.Loss
		}
		if _, ok := g.Fields["weight"]; ok {
			h.Weight = g.Weight
		}
		h.Fields = g.Fields
	}
	errs.Sort()
	return errs.Err()
}

// bare returns the error under a *fs.PathError, whose path the message
// already names.
func bare(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// importInto reads the model at path and fills in n's network from it,
// then n's loss when none is given, and validates n.
func importInto(n *spec.Network, path string) error {
	model, err := ReadFile(path)
	if err != nil {
		return err
	}
	imp, err := Import(path, model)
	if err != nil {
		return err
	}
	if _, given := n.Fields["dtype"]; given && n.DType != imp.DType {
		return spec.ErrorList{{Pos: n.Fields.At("dtype", n.Pos),
			Msg: fmt.Sprintf("dtype %s, but the model %s computes in %s", n.DType, n.ONNX, imp.DType)}}
	}
	n.DType, n.Input, n.Inputs, n.Layers, n.Outputs, n.Output, n.Pretrained =
		imp.DType, imp.Input, imp.Inputs, imp.Layers, imp.Outputs, imp.Output, imp.Pretrained
	if n.Fields == nil {
		n.Fields = spec.Positions{}
	}
	for _, key := range []string{"input", "output"} {
		if p, ok := imp.Fields[key]; ok {
			n.Fields[key] = p
		}
	}
	if len(n.Outputs) > 0 && n.Loss != "" {
		return spec.ErrorList{{Pos: n.Fields.At("loss", n.Pos),
			Msg: fmt.Sprintf("loss %s, but the model %s has %d outputs, heads that train with mse each", n.Loss, n.ONNX, len(n.Outputs))}}
	}
	if n.Loss == "" && len(n.Outputs) == 0 {
		n.Loss = spec.MSE
		if n.Output == spec.Softmax || n.Output == spec.LogSoftmax {
			n.Loss = spec.SoftmaxCrossEntropy
		}
	}
	n.Normalize()
	return n.Validate()
}

// PackageName derives a Go package name from a model file's name:
// scorer.onnx gives scorer, My-Model.onnx mymodel. It is an error when
// nothing usable is left; then -package names the package.
func PackageName(path string) (string, error) {
	base := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	var b strings.Builder
	for _, r := range strings.ToLower(base) {
		if r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_') {
			b.WriteRune(r)
		}
	}
	name := strings.TrimLeft(b.String(), "0123456789_")
	if name == "" {
		return "", fmt.Errorf("%s: no Go package name can be made from the file name; give one with -package", path)
	}
	return name, nil
}
