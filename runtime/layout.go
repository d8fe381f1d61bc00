package runtime

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// CheckpointKey is what a checkpoint is keyed on: the parameters' layout, and the spec hash of the older formats.
type CheckpointKey struct {
	Layout []ParamInfo // the tensors of Params.Slice(), in order: their names and shapes key the file
	Spec   string      // the generated package's SpecHash: a file of format 1 or 2, keyed on the spec, loads when its hash equals Spec
}

// maxLayoutText bounds the layout text of a checkpoint (format version 3):
// a reader refuses a longer one as corrupt before it allocates for it.
const maxLayoutText = 1 << 20

// tensorDesc is one line of a layout text.
type tensorDesc struct {
	name, torch string
	shape       []int
}

// label is "W1 (0.weight)".
func (t *tensorDesc) label() string { return t.name + " (" + t.torch + ")" }

// layoutText returns the canonical layout text of a model whose elements
// are size bytes (4 or 8) and whose Params.Slice() has n elements, after
// checking that k describes such a model: well-formed names, each Offset
// the sum of the sizes before it, n elements in all, and a well-formed Spec
// (or none). Its errors are the caller's mistakes, of no checkpoint kind.
func (k *CheckpointKey) layoutText(size, n int) ([]byte, error) {
	if k == nil {
		return nil, errors.New("no checkpoint key")
	}
	if k.Spec != "" {
		if err := checkSpecHash(k.Spec); err != nil {
			return nil, fmt.Errorf("checkpoint key: %w", err)
		}
	}
	b := append([]byte(dtypeName(size)), '\n')
	off := 0
	names := make(map[string]bool, len(k.Layout))
	for i, p := range k.Layout {
		bad := func(format string, args ...any) error {
			return fmt.Errorf("checkpoint key: tensor %d (%q): %s", i, p.Name, fmt.Sprintf(format, args...))
		}
		if err := checkTensorName(p.Name); err != nil {
			return nil, bad("Name: %v", err)
		}
		if err := checkTensorName(p.Torch); err != nil {
			return nil, bad("Torch: %v", err)
		}
		if names[p.Name] {
			return nil, bad("a second tensor of that name")
		}
		names[p.Name] = true
		if p.Offset != off {
			return nil, bad("Offset %d, want %d (the sum of the sizes before it)", p.Offset, off)
		}
		elems := 1
		for _, d := range p.Shape {
			if d < 0 {
				return nil, bad("negative dimension in shape %v", p.Shape)
			}
			if d != 0 && elems > (n-off)/d {
				elems = -1
				break
			}
			elems *= d
		}
		if elems < 0 || elems > n-off {
			return nil, bad("shape %v reaches beyond the %d parameters", p.Shape, n)
		}
		off += elems
		b = append(b, p.Name...)
		b = append(b, ' ')
		b = append(b, p.Torch...)
		for _, d := range p.Shape {
			b = append(b, ' ')
			b = strconv.AppendInt(b, int64(d), 10)
		}
		b = append(b, '\n')
		if len(b) > maxLayoutText {
			return nil, fmt.Errorf("checkpoint key: the layout text exceeds %d bytes", maxLayoutText)
		}
	}
	if off != n {
		return nil, fmt.Errorf("checkpoint key: the layout covers %d parameters, the model has %d", off, n)
	}
	return b, nil
}

// checkTensorName reports whether s can be a name in a layout text:
// non-empty UTF-8 without spaces, control characters or DEL.
func checkTensorName(s string) error {
	if s == "" {
		return errors.New("empty name")
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("name %q is not UTF-8", s)
	}
	for _, c := range []byte(s) {
		if c <= ' ' || c == 0x7f {
			return fmt.Errorf("name %q holds a space or control character", s)
		}
	}
	return nil
}

// layoutHash is the layout hash of a checkpoint: the 16 lowercase hex
// digits of the first 8 bytes of the SHA-256 of its layout text.
func layoutHash(text []byte) string {
	sum := sha256.Sum256(text)
	return hex.EncodeToString(sum[:8])
}

// parseLayout parses a layout text. It accepts only the canonical form
// layoutText writes, so two texts are equal exactly when their dtypes and
// tensors are. It returns the dtype's size in bytes and the total number of
// elements, at most math.MaxInt64.
func parseLayout(text []byte) (size int, ts []tensorDesc, total uint64, err error) {
	if len(text) == 0 || text[len(text)-1] != '\n' {
		return 0, nil, 0, errors.New("its layout text does not end with a newline")
	}
	lines := bytes.Split(text[:len(text)-1], []byte{'\n'})
	switch string(lines[0]) {
	case "float32":
		size = 4
	case "float64":
		size = 8
	default:
		return 0, nil, 0, fmt.Errorf("its layout text starts with %q, not a dtype", truncate(string(lines[0])))
	}
	ts = make([]tensorDesc, 0, len(lines)-1)
	names := make(map[string]bool, len(lines)-1)
	for i, line := range lines[1:] {
		bad := func(format string, args ...any) error {
			return fmt.Errorf("line %d of its layout text: %s", i+2, fmt.Sprintf(format, args...))
		}
		fields := strings.Split(string(line), " ")
		if len(fields) < 2 {
			return 0, nil, 0, bad("%q is not a name, a PyTorch name and a shape", truncate(string(line)))
		}
		t := tensorDesc{name: fields[0], torch: fields[1], shape: make([]int, 0, len(fields)-2)}
		for _, s := range fields[:2] {
			if err := checkTensorName(s); err != nil {
				return 0, nil, 0, bad("%v", err)
			}
		}
		if names[t.name] {
			return 0, nil, 0, bad("a second tensor %s", truncate(t.name))
		}
		names[t.name] = true
		elems := uint64(1)
		for _, s := range fields[2:] {
			d, err := strconv.ParseUint(s, 10, 63)
			if err != nil || s[0] == '+' || len(s) > 1 && s[0] == '0' || uint64(int(d)) != d {
				return 0, nil, 0, bad("dimension %q is not a decimal number in canonical form", truncate(s))
			}
			if d != 0 && elems > math.MaxInt64/d {
				return 0, nil, 0, bad("the shape of %s has more than 2^63 elements", truncate(t.name))
			}
			elems *= d
			t.shape = append(t.shape, int(d))
		}
		if total > math.MaxInt64-elems {
			return 0, nil, 0, bad("the tensors hold more than 2^63 elements")
		}
		total += elems
		ts = append(ts, t)
	}
	return size, ts, total, nil
}

// truncate shortens s to 40 bytes for an error message.
func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// maxDiffs bounds the differences a mismatch lists.
const maxDiffs = 5

// describeLayouts lists the differences between the tensors of a file and
// those of the model, the first maxDiffs of them, or returns "" when the
// tensors are the same. Tensors are matched by name, then an unmatched one
// by PyTorch name (a renamed tensor).
func describeLayouts(file, model []tensorDesc) string {
	var diffs []string
	add := func(format string, args ...any) { diffs = append(diffs, fmt.Sprintf(format, args...)) }
	fileByName := make(map[string]int, len(file))
	for i, t := range file {
		fileByName[t.name] = i
	}
	fileUsed := make([]bool, len(file))
	modelMatch := make([]int, len(model)) // the file's index of each model tensor, or -1
	for j, m := range model {
		modelMatch[j] = -1
		if i, ok := fileByName[m.name]; ok {
			modelMatch[j], fileUsed[i] = i, true
		}
	}
	for j, m := range model { // renamed: an unmatched pair with one PyTorch name
		if modelMatch[j] >= 0 {
			continue
		}
		for i, f := range file {
			if !fileUsed[i] && f.torch == m.torch {
				modelMatch[j], fileUsed[i] = i, true
				break
			}
		}
	}
	for j, m := range model {
		i := modelMatch[j]
		if i < 0 {
			add("%s is missing from the file", m.label())
			continue
		}
		f := file[i]
		sameShape := fmt.Sprint(f.shape) == fmt.Sprint(m.shape)
		switch {
		case f.name != m.name && sameShape:
			add("the file's %s is %s in the model", f.label(), m.label())
		case f.name != m.name:
			add("the file's %s is %s in the model: shape %v in the file, %v in the model", f.label(), m.label(), f.shape, m.shape)
		case f.torch != m.torch && sameShape:
			add("%s is %s in the file, %s in the model", m.name, f.torch, m.torch)
		case f.torch != m.torch:
			add("%s: %s of shape %v in the file, %s of shape %v in the model", m.name, f.torch, f.shape, m.torch, m.shape)
		case !sameShape:
			add("%s: shape %v in the file, %v in the model", m.label(), f.shape, m.shape)
		}
	}
	for i, f := range file {
		if !fileUsed[i] {
			add("%s is missing from the model", f.label())
		}
	}
	// The order: the file's tensors that the model has must come in the
	// model's order, or the flat data lands in the wrong tensors.
	prev := -1
	for j := range model {
		i := modelMatch[j]
		if i < 0 {
			continue
		}
		if prev >= 0 && i < modelMatch[prev] {
			add("%s comes before %s in the file, after it in the model", model[j].name, model[prev].name)
			break
		}
		prev = j
	}
	if len(diffs) == 0 {
		return ""
	}
	s := ""
	if len(file) != len(model) {
		s = fmt.Sprintf("the file has %s, the model %s: ", countTensors(file, true), countTensors(model, false))
	}
	if len(diffs) > maxDiffs {
		s += strings.Join(diffs[:maxDiffs], "; ") + fmt.Sprintf("; and %d more", len(diffs)-maxDiffs)
	} else {
		s += strings.Join(diffs, "; ")
	}
	return s
}

// countTensors is "6 tensors (W1 … B3)", or "4 (W1 … B2)" without the noun.
func countTensors(ts []tensorDesc, noun bool) string {
	s := strconv.Itoa(len(ts))
	if noun {
		if len(ts) == 1 {
			s += " tensor"
		} else {
			s += " tensors"
		}
	}
	switch len(ts) {
	case 0:
		return s
	case 1:
		return s + " (" + ts[0].name + ")"
	case 2:
		return s + " (" + ts[0].name + ", " + ts[1].name + ")"
	}
	return s + " (" + ts[0].name + " … " + ts[len(ts)-1].name + ")"
}
