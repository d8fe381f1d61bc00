package spec

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// The keys of each mapping of a spec, in the order messages list them.
var (
	networkKeys   = []string{"package", "dtype", "input", "inputs", "layers", "loss", "outputs", "optimizer", "onnx"}
	layerKeys     = []string{"dense", "activation", "slope", "bias", "trainable", "name", "from", "add", "layer_norm", "dropout", "embedding"}
	headKeys      = []string{"dense", "activation", "slope", "bias", "trainable", "from", "loss", "weight"}
	optimizerKeys = []string{"sgd", "momentum", "adam", "adamw", "clip_grad_norm", "schedule"}
	sgdKeys       = []string{"lr", "weight_decay"}
	momentumKeys  = []string{"lr", "momentum", "dampening", "nesterov", "weight_decay"}
	adamKeys      = []string{"lr", "beta1", "beta2", "eps", "weight_decay"}
	scheduleKeys  = []string{"warmup", "cosine", "step"}
	warmupKeys    = []string{"steps"}
	cosineKeys    = []string{"t_max", "eta_min"}
	stepKeys      = []string{"step_size", "gamma"}
	layerNormKeys = []string{"eps"}
)

// The YAML tags that the decoder resolves plain scalars to.
const (
	nullTag  = "!!null"
	boolTag  = "!!bool"
	intTag   = "!!int"
	floatTag = "!!float"
	strTag   = "!!str"
)

// emptySpec is the message for a spec without content.
const emptySpec = "empty spec: expected a mapping with keys package, input, layers, loss"

// Load reads the spec at path and parses it with Parse, using path as given
// as the file name in positions and messages. An error reading the file is
// returned as it is.
func Load(path string) (*Network, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, src)
}

// Parse decodes the YAML spec src, whose file name file is used in positions
// and messages, then normalises and validates it. It records the position of
// every mapping in its Pos and of every value in its Fields.
//
// Parse reports all problems it finds, not only the first: on any problem it
// returns a nil Network and an ErrorList, sorted by position, in which every
// error carries file and, where known, the line and column.
func Parse(file string, src []byte) (*Network, error) {
	p := &parser{file: file, skip: map[string]bool{}}
	var n *Network
	if root := p.document(src); root != nil {
		n = p.network(root)
	}
	if n != nil {
		n.Normalize()
		p.errs = append(p.errs, n.validate(p.skip)...)
	}
	if len(p.errs) > 0 {
		p.errs.Sort()
		return nil, p.errs
	}
	return n, nil
}

// parser turns the YAML node tree of a spec into a Network.
type parser struct {
	file string
	errs ErrorList
	// skip holds the keys of the fields that are missing or malformed and
	// already reported, in the form Network.validate takes.
	skip map[string]bool
	// imported says that the network comes from an ONNX model: its
	// heads, if given, take only a loss and a weight.
	imported bool
}

func (p *parser) errorf(pos Pos, format string, args ...any) {
	p.errs = append(p.errs, &Error{Pos: pos, Msg: fmt.Sprintf(format, args...)})
}

// pos returns the position of n.
func (p *parser) pos(n *yaml.Node) Pos {
	return Pos{File: p.file, Line: n.Line, Col: n.Column}
}

// document decodes src, which must hold exactly one YAML document, and returns
// the document's root node, or nil when there is none to walk.
func (p *parser) document(src []byte) *yaml.Node {
	dec := yaml.NewDecoder(bytes.NewReader(src))
	var doc yaml.Node
	switch err := decodeNode(dec, &doc); {
	case errors.Is(err, io.EOF):
		p.errorf(Pos{File: p.file, Line: 1, Col: 1}, emptySpec)
		return nil
	case err != nil:
		p.syntaxError(err, src)
		return nil
	}
	var next yaml.Node
	switch err := decodeNode(dec, &next); {
	case errors.Is(err, io.EOF):
	case err != nil:
		// The decoder ended the first document early at the bad line,
		// so what the first document lacks is no problem of the spec.
		p.syntaxError(err, src)
		return nil
	default:
		p.errorf(p.pos(&next), "a spec must be a single YAML document, but a second one starts here")
	}
	if len(doc.Content) == 0 || isNull(resolve(doc.Content[0])) {
		p.errorf(p.pos(&doc), emptySpec)
		return nil
	}
	return doc.Content[0]
}

// decodeNode decodes the next document of dec into n, turning a panic of the
// decoder into an error.
func decodeNode(dec *yaml.Decoder, n *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: internal error of the YAML decoder: %v", r)
		}
	}()
	return dec.Decode(n)
}

// parserProblems are the problems the YAML parser (as opposed to its scanner)
// reports. yaml.v3 gives their line counted from 0, and the scanner's counted
// from 1.
var parserProblems = []string{
	"did not find expected ',' or ']'",
	"did not find expected ',' or '}'",
	"did not find expected '-' indicator",
	"did not find expected <document start>",
	"did not find expected <stream-start>",
	"did not find expected key",
	"did not find expected node content",
	"found duplicate %TAG directive",
	"found duplicate %YAML directive",
	"found incompatible YAML document",
	"found undefined tag handle",
}

// syntaxError reports an error of the YAML decoder, of the form "yaml: line N:
// problem" or "yaml: problem", at the best position it can find.
func (p *parser) syntaxError(err error, src []byte) {
	src = utf8Text(src)
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	pos := Pos{File: p.file}
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if num, problem, ok := strings.Cut(rest, ": "); ok {
			if line, err := strconv.Atoi(num); err == nil && line > 0 {
				msg = problem
				pos.Line, pos.Col = line, 1
				if slices.Contains(parserProblems, problem) {
					pos.Line++
				}
			}
		}
	}
	switch lines := yamlLines(src); {
	case pos.Line > len(lines):
		// yaml.v3 puts the end of an input that does not end in a line
		// break on the line after the last: report it where it is.
		pos.Line, pos.Col = len(lines), utf8.RuneCountInString(lines[len(lines)-1])+1
	case pos.Line > 0:
	case strings.Contains(msg, "UTF-8") || strings.Contains(msg, "control characters"):
		pos.Line, pos.Col = badCharPos(src)
	case strings.HasPrefix(msg, "unknown anchor '"):
		name := strings.TrimSuffix(strings.TrimPrefix(msg, "unknown anchor '"), "' referenced")
		pos.Line, pos.Col = aliasPos(src, name)
	case strings.HasPrefix(msg, "internal error"):
	default:
		// The scanner and parser leave out line 1.
		pos.Line, pos.Col = 1, 1
	}
	if !strings.Contains(msg, "tab") {
		if m, ok := indentation(src, pos.Line); ok {
			p.errorf(Pos{File: p.file, Line: m.line, Col: m.col}, "invalid YAML: %s", m.msg)
			return
		}
	}
	if pos.Line > 0 {
		// yaml.v3 may report a tab in indentation at the start of the
		// scalar before it, so look for the tab from the reported line on.
		lines := strings.Split(string(src), "\n")
		for n := pos.Line; n <= len(lines) && (n == pos.Line || strings.Contains(msg, "tab")); n++ {
			line := lines[n-1]
			indent := line[:len(line)-len(strings.TrimLeft(line, " \t"))]
			if tab := strings.IndexByte(indent, '\t'); tab >= 0 {
				pos.Line, pos.Col = n, tab+1
				msg += " (indent with spaces, not tabs)"
				break
			}
		}
	}
	p.errorf(pos, "invalid YAML: %s", msg)
}

// indentation returns the line of src whose bad indentation causes a syntax
// error that the decoder reports at line reported (counted from 1, or 0 for
// none), when it finds one. The decoder reports such an error where the
// block around the line starts, or at the line itself. The line must be the
// first one with which src no longer decodes, which rules out lines that
// misindented takes for misindented but YAML reads otherwise.
func indentation(src []byte, reported int) (misindent, bool) {
	lines := yamlLines(src)
	m, ok := misindented(lines)
	if !ok || reported == 0 || m.line < reported || !decodes(lines[:m.line-1]) || decodes(lines[:m.line]) {
		return misindent{}, false
	}
	return m, true
}

// decodes reports whether lines decode as a YAML stream, of any number of
// documents.
func decodes(lines []string) bool {
	dec := yaml.NewDecoder(strings.NewReader(strings.Join(lines, "\n")))
	for {
		var n yaml.Node
		switch err := decodeNode(dec, &n); {
		case errors.Is(err, io.EOF):
			return true
		case err != nil:
			return false
		}
	}
}

// utf8Text returns src as UTF-8 text, for finding positions in it: YAML may
// also be UTF-16 behind a byte order mark, which the decoder reads.
func utf8Text(src []byte) []byte {
	var order binary.ByteOrder
	switch {
	case bytes.HasPrefix(src, []byte{0xFE, 0xFF}):
		order = binary.BigEndian
	case bytes.HasPrefix(src, []byte{0xFF, 0xFE}):
		order = binary.LittleEndian
	default:
		return src
	}
	units := make([]uint16, 0, len(src)/2)
	for i := 2; i+1 < len(src); i += 2 {
		units = append(units, order.Uint16(src[i:]))
	}
	return []byte(string(utf16.Decode(units)))
}

// yamlLines splits src into lines at the line breaks YAML counts: \r\n, \n,
// \r, NEL, LS and PS. It returns at least one line.
func yamlLines(src []byte) []string {
	var lines []string
	s := string(src)
	for {
		i := strings.IndexAny(s, "\r\n\u0085\u2028\u2029")
		if i < 0 {
			return append(lines, s)
		}
		lines = append(lines, s[:i])
		_, size := utf8.DecodeRuneInString(s[i:])
		if strings.HasPrefix(s[i:], "\r\n") {
			size = 2
		}
		s = s[i+size:]
	}
}

// badCharPos returns the line and column of the first byte of src that is not
// valid UTF-8 or is a character YAML does not allow, or 0, 0.
func badCharPos(src []byte) (line, col int) {
	line, col = 1, 1
	for len(src) > 0 {
		r, size := utf8.DecodeRune(src)
		if r == utf8.RuneError && size == 1 || !yamlChar(r) {
			return line, col
		}
		if r == '\n' {
			line, col = line+1, 0
		}
		col++
		src = src[size:]
	}
	return 0, 0
}

// yamlChar reports whether YAML allows r in a stream.
func yamlChar(r rune) bool {
	return r == '\t' || r == '\n' || r == '\r' || r == 0x85 ||
		r >= 0x20 && r <= 0x7E ||
		r >= 0xA0 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD ||
		r >= 0x10000 && r <= utf8.MaxRune
}

// aliasPos returns the line and column of the first alias *name in src, or 0,
// 0.
func aliasPos(src []byte, name string) (line, col int) {
	for i, l := range strings.Split(string(src), "\n") {
		for off := 0; ; {
			j := strings.Index(l[off:], "*"+name)
			if j < 0 {
				break
			}
			end := off + j + 1 + len(name)
			if end == len(l) || strings.IndexByte(" \t\r,]}#", l[end]) >= 0 {
				return i + 1, len([]rune(l[:off+j])) + 1
			}
			off = end
		}
	}
	return 0, 0
}

// resolve follows n to the node it aliases, if it is an alias.
func resolve(n *yaml.Node) *yaml.Node {
	// An alias names an anchored node, which is no alias itself; the bound
	// only guards against a malformed tree.
	for i := 0; i < 8 && n.Kind == yaml.AliasNode && n.Alias != nil; i++ {
		n = n.Alias
	}
	return n
}

// mapping returns the values of m, the mapping at path in a spec (see
// keyVocab), by key. It reports keys that are not scalars, duplicate keys
// (keeping the first), and unknown keys, whose message unknown makes.
//
// An unknown key for which the vocabulary of path suggests an allowed key
// that m lacks stands in for that key: its value is returned under the
// suggested key, so that the problems inside it show at once. The unknown key
// is still reported, so the spec stays invalid, and a key that stands in is
// not reported missing.
func (p *parser) mapping(m *yaml.Node, path string, unknown func(key string) string) map[string]*yaml.Node {
	v, _ := keyVocab(path)
	vals := make(map[string]*yaml.Node)
	seen := make(map[string]Pos)
	present := scalarKeys(m)
	for i := 0; i+1 < len(m.Content); i += 2 {
		kn, vn := m.Content[i], m.Content[i+1]
		k := resolve(kn)
		if k.Kind != yaml.ScalarNode {
			p.errorf(p.pos(kn), "a key must be a string, got %s", describe(k))
			continue
		}
		key := k.Value
		if first, dup := seen[key]; dup {
			p.errorf(p.pos(kn), "duplicate key %s (first at %d:%d)", quote(key), first.Line, first.Col)
			continue
		}
		seen[key] = p.pos(kn)
		if slices.Contains(v.words, key) {
			vals[key] = vn
			continue
		}
		w := v.suggest(key)
		if w == "" {
			p.errorf(p.pos(kn), "%s%s", unknown(key), indentHint(m.Content[:i], path, key))
			continue
		}
		p.errorf(p.pos(kn), "%s", unknown(key))
		if !present[w] {
			present[w] = true // the first unknown key that suggests w stands in for it
			vals[w] = vn
		}
	}
	return vals
}

// indentHint returns a hint for key, unknown in the mapping at path, when it
// belongs to the nearest of the keys before it in pairs whose value is left
// empty: then it most likely lacks the indentation that makes it a key of
// that one.
func indentHint(pairs []*yaml.Node, path, key string) string {
	for i := len(pairs) - 2; i >= 0; i -= 2 {
		k, v := resolve(pairs[i]), pairs[i+1]
		if k.Kind != yaml.ScalarNode || !isNull(v) || v.Value != "" {
			continue
		}
		if child, ok := keyVocab(joinPath(path, k.Value)); ok && slices.Contains(child.words, key) {
			return fmt.Sprintf(" (to make it a key of %s, indent it more than %s)", k.Value, k.Value)
		}
		return ""
	}
	return ""
}

// scalarKeys returns the set of the scalar keys of the mapping node m.
func scalarKeys(m *yaml.Node) map[string]bool {
	keys := make(map[string]bool)
	for i := 0; i+1 < len(m.Content); i += 2 {
		if k := resolve(m.Content[i]); k.Kind == yaml.ScalarNode {
			keys[k.Value] = true
		}
	}
	return keys
}

// unknownKey makes the message for an unknown key of a mapping; where says
// which mapping, as in " in layer 2", or is empty for the top level.
func unknownKey(where, path string) func(string) string {
	v, _ := keyVocab(path)
	return func(key string) string {
		return fmt.Sprintf("unknown key %s%s (allowed: %s)%s", quote(key), where, list(v.words), didYouMean(key, v))
	}
}

// decoder decodes a value node into its destination. It reports a malformed
// value and returns false, leaving the destination alone.
type decoder func(v *yaml.Node) bool

// field looks up key in vals. If present, it records the position of the
// value in fields, decodes the value with dec and, when that fails, marks
// skipPrefix+key as reported. It returns whether key is present.
func (p *parser) field(vals map[string]*yaml.Node, fields Positions, skipPrefix, key string, dec decoder) bool {
	v, ok := vals[key]
	if !ok {
		return false
	}
	fields[key] = p.pos(v)
	if !dec(v) {
		p.skip[skipPrefix+key] = true
	}
	return true
}

// missing reports that the mapping at pos lacks key, marking skipPrefix+key as
// reported; where says which mapping, and hint what the key takes.
func (p *parser) missing(pos Pos, skipPrefix, key, where, hint string) {
	p.skip[skipPrefix+key] = true
	p.errorf(pos, "missing key %s%s (%s)", quote(key), where, hint)
}

func (p *parser) network(root *yaml.Node) *Network {
	n := &Network{File: p.file, Pos: p.pos(root), Fields: Positions{}}
	m := resolve(root)
	if m.Kind != yaml.MappingNode {
		p.errorf(n.Pos, "a spec must be a mapping with keys %s, got %s", list(networkKeys), describe(m))
		return nil
	}
	vals := p.mapping(m, "", unknownKey("", ""))

	lossWant := "one of " + list(lossNames)
	if !p.field(vals, n.Fields, "", "package", stringTo(p, &n.Package, "package", "a Go identifier")) {
		p.missing(n.Pos, "", "package", "", "the Go package name of the generated file")
	}
	p.field(vals, n.Fields, "", "dtype", stringTo(p, &n.DType, "dtype", "one of "+list(dtypeNames)))
	if p.field(vals, n.Fields, "", "onnx", stringTo(p, &n.ONNX, "onnx", "the path of an ONNX model file")) {
		p.importedNetwork(n, vals)
		p.field(vals, n.Fields, "", "loss", stringTo(p, &n.Loss, "loss", lossWant))
		p.field(vals, n.Fields, "", "outputs", func(v *yaml.Node) bool { return p.outputs(n, v) })
		p.field(vals, n.Fields, "", "optimizer", func(v *yaml.Node) bool { return p.optimizer(&n.Optimizer, v) })
		return n
	}
	inputs := p.field(vals, n.Fields, "", "inputs", func(v *yaml.Node) bool { return p.inputs(n, v) })
	if !p.field(vals, n.Fields, "", "input", p.intTo(&n.Input, "input")) && !inputs {
		p.missing(n.Pos, "", "input", "", "the input width, an integer >= 1; or inputs: the names and widths of several")
	}
	if !p.field(vals, n.Fields, "", "layers", func(v *yaml.Node) bool { return p.layers(n, v) }) {
		p.missing(n.Pos, "", "layers", "", "a sequence of layers, each a mapping with at least the key dense")
	}
	outputs := p.field(vals, n.Fields, "", "outputs", func(v *yaml.Node) bool { return p.outputs(n, v) })
	if !p.field(vals, n.Fields, "", "loss", stringTo(p, &n.Loss, "loss", lossWant)) && !outputs {
		p.missing(n.Pos, "", "loss", "", lossWant+"; or outputs: named heads, each with its loss")
	}
	p.field(vals, n.Fields, "", "optimizer", func(v *yaml.Node) bool { return p.optimizer(&n.Optimizer, v) })
	return n
}

// importedNetwork handles the keys of a spec whose network comes from an
// ONNX model (onnx: FILE): inputs and layers come from the model, so the
// spec may not give them, and the loss may be left out (onnxspec.Load then
// picks one from the model's output); outputs may give the loss and weight
// of the model's heads. Inputs, layers and losses are not checked until
// the model is imported.
func (p *parser) importedNetwork(n *Network, vals map[string]*yaml.Node) {
	for _, key := range []string{"input", "inputs", "layers"} {
		if v, ok := vals[key]; ok {
			p.errorf(p.pos(v), "%s cannot be given with onnx: the network, its inputs and its layers come from the ONNX model", key)
		}
	}
	p.imported = true
	if n.ONNX == "" {
		p.errorf(n.Fields["onnx"], "onnx must name an ONNX model file, relative to the spec, got an empty string")
	}
	p.skip["input"], p.skip["layers"] = true, true
	if _, ok := vals["loss"]; !ok {
		p.skip["loss"] = true
	}
}

func (p *parser) layers(n *Network, v *yaml.Node) bool {
	seq := resolve(v)
	if seq.Kind != yaml.SequenceNode {
		p.errorf(p.pos(v), "layers must be a sequence of layers, each a mapping with keys %s, got %s", list(layerKeys), describe(seq))
		return false
	}
	n.Layers = make([]Layer, len(seq.Content))
	for i, ln := range seq.Content {
		p.layer(&n.Layers[i], i+1, ln)
	}
	return true
}

// layer decodes layer i (numbered from 1) from node v into l.
func (p *parser) layer(l *Layer, i int, v *yaml.Node) {
	l.Pos, l.Fields = p.pos(v), Positions{}
	skipPrefix := "layers." + strconv.Itoa(i) + "."
	m := resolve(v)
	if m.Kind != yaml.MappingNode {
		p.errorf(l.Pos, "layer %d must be a mapping with keys %s, got %s", i, list(layerKeys), describe(m))
		p.skip[strings.TrimSuffix(skipPrefix, ".")] = true
		return
	}
	where := fmt.Sprintf(" in layer %d", i)
	prefix := fmt.Sprintf("layer %d: ", i)
	vals := p.mapping(m, "layers[]", unknownKey(where, "layers[]"))

	p.graphLayerKeys(l, vals, skipPrefix, prefix)
	p.normLayerKeys(l, vals, skipPrefix, prefix)
	kind := l.Fields.has("add") || l.Fields.has("layer_norm") || l.Fields.has("dropout") || l.Fields.has("embedding")
	if !p.field(vals, l.Fields, skipPrefix, "dense", p.intTo(&l.Dense, prefix+"dense")) && !kind {
		p.missing(l.Pos, skipPrefix, "dense", where, "the layer's output width, an integer >= 1; or add, layer_norm, dropout or embedding")
	}
	p.field(vals, l.Fields, skipPrefix, "activation",
		stringTo(p, &l.Activation, prefix+"activation", "one of "+list(activationNames)))
	p.field(vals, l.Fields, skipPrefix, "slope", p.floatTo(&l.Slope, prefix+"slope"))
	bias := true
	p.field(vals, l.Fields, skipPrefix, "bias", p.boolTo(&bias, prefix+"bias"))
	l.NoBias = !bias
	trainable := true
	p.field(vals, l.Fields, skipPrefix, "trainable", p.boolTo(&trainable, prefix+"trainable"))
	l.Frozen = !trainable
}

func (p *parser) optimizer(o *Optimizer, v *yaml.Node) bool {
	o.Pos, o.Fields = p.pos(v), Positions{}
	m := resolve(v)
	if m.Kind != yaml.MappingNode {
		p.errorf(o.Pos, "optimizer must be a mapping with one of %s (and optionally clip_grad_norm and schedule), got %s", list(optimizerNames), describe(m))
		return false
	}
	if len(m.Content) == 0 {
		p.errorf(o.Pos, "optimizer must have one of %s, got none", list(optimizerNames))
		return false
	}
	vals := p.mapping(m, "optimizer", func(key string) string {
		return fmt.Sprintf("unknown key %s in optimizer (allowed: %s)%s", quote(key), list(optimizerKeys), didYouMean(key, optimizerVocab))
	})
	if len(vals) == 0 {
		return false // only unknown kinds, already reported
	}

	p.field(vals, o.Fields, "optimizer.", "sgd", func(v *yaml.Node) bool {
		o.SGD = &SGD{Pos: p.pos(v), Fields: Positions{}}
		s := o.SGD
		vals, ok := p.kind(v, "sgd", "key lr and, optionally, weight_decay")
		if !ok {
			return false
		}
		if !p.field(vals, s.Fields, "optimizer.sgd.", "lr", p.floatTo(&s.LR, "optimizer sgd: lr")) {
			p.missing(s.Pos, "optimizer.sgd.", "lr", " in optimizer sgd", "the learning rate, a number > 0")
		}
		p.field(vals, s.Fields, "optimizer.sgd.", "weight_decay", p.floatTo(&s.WeightDecay, "optimizer sgd: weight_decay"))
		return true
	})
	p.field(vals, o.Fields, "optimizer.", "momentum", func(v *yaml.Node) bool {
		o.Momentum = &Momentum{Pos: p.pos(v), Fields: Positions{}}
		mo := o.Momentum
		vals, ok := p.kind(v, "momentum", "key lr and, optionally, momentum, dampening, nesterov, weight_decay")
		if !ok {
			return false
		}
		const at = "optimizer.momentum."
		if !p.field(vals, mo.Fields, at, "lr", p.floatTo(&mo.LR, "optimizer momentum: lr")) {
			p.missing(mo.Pos, at, "lr", " in optimizer momentum", "the learning rate, a number > 0")
		}
		p.field(vals, mo.Fields, at, "momentum", p.floatTo(&mo.Momentum, "optimizer momentum: momentum"))
		p.field(vals, mo.Fields, at, "dampening", p.floatTo(&mo.Dampening, "optimizer momentum: dampening"))
		p.field(vals, mo.Fields, at, "nesterov", p.boolTo(&mo.Nesterov, "optimizer momentum: nesterov"))
		p.field(vals, mo.Fields, at, "weight_decay", p.floatTo(&mo.WeightDecay, "optimizer momentum: weight_decay"))
		return true
	})
	for _, name := range []string{"adam", "adamw"} {
		p.field(vals, o.Fields, "optimizer.", name, func(v *yaml.Node) bool {
			a := &Adam{Pos: p.pos(v), Fields: Positions{}}
			if name == "adam" {
				o.Adam = a
			} else {
				o.AdamW = a
			}
			return p.adam(a, name, v)
		})
	}
	p.field(vals, o.Fields, "optimizer.", "clip_grad_norm", p.floatTo(&o.ClipGradNorm, "optimizer: clip_grad_norm"))
	p.field(vals, o.Fields, "optimizer.", "schedule", func(v *yaml.Node) bool {
		o.Schedule = &Schedule{Pos: p.pos(v), Fields: Positions{}}
		return p.schedule(o.Schedule, v)
	})
	return true
}

// adam decodes the settings of optimizer name (adam or adamw) from v into a.
func (p *parser) adam(a *Adam, name string, v *yaml.Node) bool {
	vals, ok := p.kind(v, name, "optional keys lr, beta1, beta2, eps, weight_decay ({} for PyTorch's defaults)")
	if !ok {
		return false
	}
	at, where := "optimizer."+name+".", "optimizer "+name+": "
	p.field(vals, a.Fields, at, "lr", p.floatTo(&a.LR, where+"lr"))
	p.field(vals, a.Fields, at, "beta1", p.floatTo(&a.Beta1, where+"beta1"))
	p.field(vals, a.Fields, at, "beta2", p.floatTo(&a.Beta2, where+"beta2"))
	p.field(vals, a.Fields, at, "eps", p.floatTo(&a.Eps, where+"eps"))
	p.field(vals, a.Fields, at, "weight_decay", p.floatTo(&a.WeightDecay, where+"weight_decay"))
	return true
}

// schedule decodes a learning-rate schedule from v into s.
func (p *parser) schedule(s *Schedule, v *yaml.Node) bool {
	const at = "optimizer.schedule"
	m := resolve(v)
	if m.Kind != yaml.MappingNode || len(m.Content) == 0 {
		p.errorf(s.Pos, "optimizer schedule must be a mapping with warmup, cosine or step (warmup may go with one of the others), got %s", describe(m))
		return false
	}
	vals := p.mapping(m, at, unknownKey(" in optimizer schedule", at))
	p.field(vals, s.Fields, at+".", "warmup", func(v *yaml.Node) bool {
		s.Warmup = &Warmup{Pos: p.pos(v), Fields: Positions{}}
		vals, ok := p.scheduleKind(v, "warmup", "key steps")
		if ok && !p.field(vals, s.Warmup.Fields, at+".warmup.", "steps", p.intTo(&s.Warmup.Steps, "schedule warmup: steps")) {
			p.missing(s.Warmup.Pos, at+".warmup.", "steps", " in schedule warmup", "the number of warm-up steps, an integer >= 1")
		}
		return ok
	})
	p.field(vals, s.Fields, at+".", "cosine", func(v *yaml.Node) bool {
		c := &Cosine{Pos: p.pos(v), Fields: Positions{}}
		s.Cosine = c
		vals, ok := p.scheduleKind(v, "cosine", "key t_max and, optionally, eta_min")
		if !ok {
			return false
		}
		if !p.field(vals, c.Fields, at+".cosine.", "t_max", p.intTo(&c.TMax, "schedule cosine: t_max")) {
			p.missing(c.Pos, at+".cosine.", "t_max", " in schedule cosine", "the steps of a half cosine period, an integer >= 1")
		}
		p.field(vals, c.Fields, at+".cosine.", "eta_min", p.floatTo(&c.EtaMin, "schedule cosine: eta_min"))
		return true
	})
	p.field(vals, s.Fields, at+".", "step", func(v *yaml.Node) bool {
		st := &StepDecay{Pos: p.pos(v), Fields: Positions{}}
		s.Step = st
		vals, ok := p.scheduleKind(v, "step", "key step_size and, optionally, gamma")
		if !ok {
			return false
		}
		if !p.field(vals, st.Fields, at+".step.", "step_size", p.intTo(&st.StepSize, "schedule step: step_size")) {
			p.missing(st.Pos, at+".step.", "step_size", " in schedule step", "the steps between decays, an integer >= 1")
		}
		p.field(vals, st.Fields, at+".step.", "gamma", p.floatTo(&st.Gamma, "schedule step: gamma"))
		return true
	})
	return true
}

// scheduleKind returns the values of the mapping v of the schedule part
// name, whose keys keys describes in messages, and whether v is a mapping.
func (p *parser) scheduleKind(v *yaml.Node, name, keys string) (map[string]*yaml.Node, bool) {
	return p.section(v, "schedule "+name, "optimizer.schedule."+name, keys)
}

// kind returns the values of the mapping v of optimizer kind name, whose keys
// keys describes in messages, and whether v is a mapping.
func (p *parser) kind(v *yaml.Node, name, keys string) (map[string]*yaml.Node, bool) {
	return p.section(v, "optimizer "+name, "optimizer."+name, keys)
}

// section returns the values of the mapping v at path, which messages call
// what ("optimizer adam", "schedule cosine") and whose keys keys describes,
// and whether v is a mapping.
func (p *parser) section(v *yaml.Node, what, path, keys string) (map[string]*yaml.Node, bool) {
	m := resolve(v)
	if m.Kind != yaml.MappingNode {
		p.errorf(p.pos(v), "%s must be a mapping with %s, got %s", what, keys, describe(m))
		return nil, false
	}
	return p.mapping(m, path, unknownKey(" in "+what, path)), true
}

// isNull reports whether n is a null scalar.
func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == nullTag
}

// scalar returns v, resolved, and its tag when it is a scalar, or "" for the
// tag otherwise.
func scalar(v *yaml.Node) (*yaml.Node, string) {
	s := resolve(v)
	if s.Kind != yaml.ScalarNode {
		return s, ""
	}
	return s, s.ShortTag()
}

// decodeScalar decodes the scalar node s into dst, turning a panic of the
// decoder into an error.
func decodeScalar(s *yaml.Node, dst any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("cannot decode %s", describe(s))
		}
	}()
	return s.Decode(dst)
}

// intTo returns a decoder of an integer into dst, what being the field's name
// in messages. Only an !!int fits: 4.5, 1e3, "4", true and null do not.
func (p *parser) intTo(dst *int, what string) decoder {
	return func(v *yaml.Node) bool {
		s, tag := scalar(v)
		switch tag {
		case intTag:
			var x int64
			if decodeScalar(s, &x) != nil {
				break
			}
			if int64(int(x)) != x {
				p.intRangeError(v, what, s.Value)
				return false
			}
			*dst = int(x)
			return true
		case floatTag:
			// The decoder makes an integer beyond 64 bits a float.
			if isHugeInteger(s.Value) {
				p.intRangeError(v, what, s.Value)
				return false
			}
		}
		p.errorf(p.pos(v), "%s must be an integer, got %s", what, describe(s))
		return false
	}
}

// intRangeError reports an integer that fits no int, with the bounds Validate
// applies to widths.
func (p *parser) intRangeError(v *yaml.Node, what, value string) {
	if strings.HasPrefix(value, "-") {
		p.errorf(p.pos(v), "%s must be >= 1, got %s", what, value)
	} else {
		p.errorf(p.pos(v), "%s must be <= %d, got %s", what, MaxWidth, value)
	}
}

// isHugeInteger reports whether s is a decimal integer as YAML writes it,
// digits possibly grouped by underscores, beyond the range of int64.
func isHugeInteger(s string) bool {
	digits := strings.ReplaceAll(s, "_", "")
	if strings.Trim(strings.TrimLeft(digits, "+-"), "0123456789") != "" {
		return false
	}
	_, err := strconv.ParseInt(digits, 10, 64)
	return errors.Is(err, strconv.ErrRange)
}

// floatTo returns a decoder of a number into dst, what being the field's name
// in messages. An !!int or !!float fits, including .inf and .nan (Validate
// rejects them where they are not allowed); "0.1", true and null do not.
func (p *parser) floatTo(dst *float64, what string) decoder {
	return func(v *yaml.Node) bool {
		s, tag := scalar(v)
		if tag == intTag || tag == floatTag {
			var x float64
			if decodeScalar(s, &x) == nil {
				*dst = x
				return true
			}
		}
		p.errorf(p.pos(v), "%s must be a number, got %s", what, describe(s))
		return false
	}
}

// boolTo returns a decoder of true or false into dst, what being the field's
// name in messages.
func (p *parser) boolTo(dst *bool, what string) decoder {
	return func(v *yaml.Node) bool {
		s, tag := scalar(v)
		if tag == boolTag {
			var x bool
			if decodeScalar(s, &x) == nil {
				*dst = x
				return true
			}
		}
		p.errorf(p.pos(v), "%s must be true or false, got %s", what, describe(s))
		return false
	}
}

// stringTo returns a decoder of a string into dst, what being the field's name
// and want what it takes in messages. Validate checks the string's value.
func stringTo[S ~string](p *parser, dst *S, what, want string) decoder {
	return func(v *yaml.Node) bool {
		s, tag := scalar(v)
		if tag == strTag {
			*dst = S(s.Value)
			return true
		}
		p.errorf(p.pos(v), "%s must be %s, got %s", what, want, describe(s))
		return false
	}
}

// describe names the type and value of a node for messages, as in `string
// "four"`, `float 4.5`, `null` or `a sequence`.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a sequence"
	case yaml.ScalarNode:
		tag := n.ShortTag()
		switch {
		case isNull(n):
			return "null"
		case tag == strTag:
			return "string " + quote(n.Value)
		case n.Style&yaml.TaggedStyle == 0 && (tag == intTag || tag == floatTag || tag == boolTag):
			return strings.TrimPrefix(tag, "!!") + " " + shorten(n.Value)
		default:
			return tag + " " + quote(n.Value)
		}
	default:
		return "an alias"
	}
}
