package spec

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"slices"
	"unicode/utf8"
)

// outputMapNames are the values of Network.Output.
var outputMapNames = []string{string(NoMap), string(Softmax), string(LogSoftmax)}

// imported checks what a front end that reads a trained model sets (the
// onnx key, Output, the tensors' names and Pretrained), and that a network
// to import from ONNX has been imported before it is built.
func (v *validator) imported() {
	n := v.n
	if n.ONNX != "" && len(n.Layers) == 0 && !v.skipped("layers") {
		v.skip = withSkip(v.skip, "input", "layers")
		v.errorf(v.at(n.Fields, "onnx", n.Pos), "the network comes from onnx: %s, which is not imported yet: "+
			"load the spec with onnxspec.Load (gradgen gen does), which reads the model's layers", n.ONNX)
	}
	if n.Output != "" && !slices.Contains(outputMapNames, string(n.Output)) {
		v.errorf(v.at(n.Fields, "output", n.Pos), "output must be one of %s, got %s", list(outputMapNames), quote(string(n.Output)))
	} else if n.Output != "" && n.Output != NoMap && len(n.Outputs) > 0 {
		v.errorf(v.at(n.Fields, "output", n.Pos), "output %s maps the one output of a network; this one has %d heads", n.Output, len(n.Outputs))
	}
	if n.Pretrained != nil && int64(len(n.Pretrained)) != n.NumParams() {
		v.errorf(v.at(nil, "", n.Pos), "pretrained parameters: %d values, but the network has %d parameters", len(n.Pretrained), n.NumParams())
	}
	v.tensorNames()
}

// tensorNames checks the tensor names of the layers and heads: each
// well-formed and unique among the names the network's tensors get.
func (v *validator) tensorNames() {
	seen := map[string]string{}
	layers := v.n.Layers
	for _, h := range v.n.Outputs {
		layers = append(layers[:len(layers):len(layers)], h.Layer)
	}
	for i, l := range layers {
		what := fmt.Sprintf("layer %d", i+1)
		if i >= len(v.n.Layers) {
			what = "head " + v.n.Outputs[i-len(v.n.Layers)].Name
		}
		prefix := what + ": "
		pos := v.at(nil, "", l.Pos, v.n.Pos)
		for _, name := range []string{l.WeightName, l.BiasName} {
			if name == "" {
				continue
			}
			if err := tensorName(name); err != nil {
				v.errorf(pos, "%stensor name %s", prefix, err)
			} else if other, dup := seen[name]; dup {
				v.errorf(pos, "%stensor name %q is also a tensor of %s", prefix, name, other)
			}
			seen[name] = what
		}
		if l.NoBias && l.BiasName != "" {
			v.errorf(pos, "%sbias name %q on a layer without a bias", prefix, l.BiasName)
		}
	}
}

// tensorName reports whether s can name a tensor in a checkpoint's layout:
// non-empty UTF-8 without spaces or control characters.
func tensorName(s string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("%q is not UTF-8", s)
	}
	for _, c := range []byte(s) {
		if c <= ' ' || c == 0x7f {
			return fmt.Errorf("%q holds a space or control character", s)
		}
	}
	return nil
}

// withSkip returns skip with keys added, allocating it when nil.
func withSkip(skip map[string]bool, keys ...string) map[string]bool {
	if skip == nil {
		skip = map[string]bool{}
	}
	for _, k := range keys {
		skip[k] = true
	}
	return skip
}

// PretrainedHash is the first 16 hex digits of the SHA-256 of the
// parameters' float64 bits, little-endian: what the canonical form and a
// generated package's weights file record of Pretrained. Empty for none.
func PretrainedHash(params []float64) string {
	if params == nil {
		return ""
	}
	h := sha256.New()
	var b [8]byte
	for _, x := range params {
		binary.LittleEndian.PutUint64(b[:], math.Float64bits(x))
		h.Write(b[:])
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}
