package spec

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
)

// IsGraph reports whether n is a graph network: it names its inputs or
// heads, a layer reads from or adds named values, or a layer is a
// layer_norm or dropout (which the graph builder lowers). Any other network
// is a chain: one input, dense layers in order, the last layer's output
// trained with Loss.
func (n *Network) IsGraph() bool {
	if len(n.Inputs) > 0 || len(n.Outputs) > 0 {
		return true
	}
	for _, l := range n.Layers {
		if l.Name != "" || len(l.From) > 0 || len(l.Add) > 0 || l.Kind() != "dense" {
			return true
		}
	}
	return false
}

// FieldName is the exported Go name of an input or head named name, its
// field in the generated Input, Target and Output structs: obs_vec gives
// ObsVec.
func FieldName(name string) string {
	var b strings.Builder
	up := true
	for _, r := range name {
		switch {
		case r == '_':
			up = true
		case up:
			b.WriteRune(unicode.ToUpper(r))
			up = false
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// graph checks the parts of a graph network: the inputs, each layer's name,
// from and add, and the heads; every name must be known where it is used,
// with the names that exist listed.
func (v *validator) graph() {
	n := v.n
	if !n.IsGraph() || n.ONNX != "" && len(n.Layers) == 0 {
		return // a chain, or a model not imported yet: its heads only name the model's outputs
	}
	if len(n.Inputs) > 0 && (n.Input != 0 || n.Fields.has("input")) {
		v.errorf(v.at(n.Fields, "inputs", n.Pos), "input and inputs cannot both be given: input is the width of a network's one input, inputs names several")
	}
	if len(n.Outputs) > 0 && n.Fields.has("loss") {
		v.errorf(v.at(n.Fields, "loss", n.Pos), "loss cannot be given with outputs: each head has its own loss")
	}
	g := &graphCheck{v: v, widths: map[string]int{}, kinds: map[string]string{}, fields: map[string]string{},
		layerOf: map[string]int{}, readBy: map[int]bool{}, ids: map[string]bool{}}
	g.inputs()
	for i := range n.Layers {
		g.layer(i + 1)
	}
	g.heads()
	g.unread()
}

// unread reports each layer whose output nothing reads: no layer or head
// names it, and neither reads it as the layer above. Its weights would
// never change and its work would be wasted, which is not what anyone
// means.
func (g *graphCheck) unread() {
	n := g.v.n
	if len(n.Outputs) == 0 && len(n.Layers) > 0 {
		g.readBy[len(n.Layers)] = true // the last layer is the output
	}
	for i := range n.Layers {
		if l := &n.Layers[i]; !g.readBy[i+1] && !g.v.skipped("layers."+strconv.Itoa(i+1)) {
			g.v.errorf(g.v.at(nil, "", l.Pos, n.Pos), "layer %d: nothing reads its output: name it (name:) and read it with from or add, or remove it", i+1)
		}
	}
}

// mark records that the values named in names are read.
func (g *graphCheck) mark(names []string) {
	for _, name := range names {
		if k, ok := g.layerOf[name]; ok {
			g.readBy[k] = true
		}
	}
}

// graphCheck follows the names of a graph network as the layers define them.
type graphCheck struct {
	v      *validator
	widths map[string]int    // the width of each value defined so far; 0 when unknown
	kinds  map[string]string // "input", "layer" or "head", by name
	names  []string          // in order of definition, for messages
	fields map[string]string // the Go field name of each input and head → its name
	last   string            // the value the next layer reads by default
	lastW  int
	// layerOf maps a layer's name to its number; read marks the layers
	// whose output something reads, by number; lastK is the number of the
	// layer the next one reads by default (0 for an input).
	layerOf map[string]int
	readBy  map[int]bool
	lastK   int
	ids     map[string]bool // the integer inputs, which only embedding layers read
}

// define records a value named name of width w, at pos.
func (g *graphCheck) define(pos Pos, kind, name string, w int) {
	if name == "" {
		return
	}
	if err := graphName(name); err != nil {
		g.v.errorf(pos, "%s name %s %v", kind, quote(name), err)
		return
	}
	if other, dup := g.kinds[name]; dup {
		g.v.errorf(pos, "%s name %s already names %s; every name of a network is unique", kind, quote(name), article[other])
		return
	}
	if kind != "layer" {
		f := FieldName(name)
		if other, dup := g.fields[f]; dup {
			g.v.errorf(pos, "%s name %s gives the Go field %s, as %s does; choose names that differ in more than case and underscores", kind, quote(name), f, quote(other))
			return
		}
		g.fields[f] = name
	}
	g.kinds[name], g.widths[name] = kind, w
	g.names = append(g.names, name)
}

// article is each kind of value with its article, for messages.
var article = map[string]string{"input": "an input", "layer": "a layer", "head": "a head"}

// graphName reports whether name can name a value: a letter, then
// letters, digits and underscores.
func graphName(name string) error {
	for i, r := range name {
		if !(unicode.IsLetter(r) && r < unicode.MaxASCII) && (i == 0 || !(r == '_' || unicode.IsDigit(r) && r < unicode.MaxASCII)) {
			return fmt.Errorf("is not a name: a letter, then letters, digits and underscores")
		}
	}
	if name == "" {
		return fmt.Errorf("is empty")
	}
	return nil
}

func (g *graphCheck) inputs() {
	n := g.v.n
	for _, p := range n.Inputs {
		w := p.Width
		pos := g.v.at(nil, "", p.Pos, n.Pos)
		if p.Categories != 0 {
			if !(p.Categories >= 1 && p.Categories <= MaxCategories) {
				g.v.errorf(pos, "input %s: categories must be from 1 to %d, got %d", quote(p.Name), MaxCategories, p.Categories)
			}
			if p.Width != 1 {
				g.v.errorf(pos, "input %s: an integer input (categories) is one id per sample, width 1, got width %d", quote(p.Name), p.Width)
			}
			g.ids[p.Name] = true
		} else if !g.v.width(pos, "input "+quote(p.Name), w) {
			w = 0
		}
		g.define(pos, "input", p.Name, w)
	}
	switch {
	case len(n.Inputs) == 1:
		g.last, g.lastW = n.Inputs[0].Name, g.widths[n.Inputs[0].Name]
	case len(n.Inputs) == 0:
		g.last, g.lastW = "", n.Input // the one unnamed input
	}
}

// read resolves the names a layer or head reads (from, add) at pos and
// returns their widths, 0 for an unknown one.
func (g *graphCheck) read(pos Pos, what string, names []string) []int {
	ws := make([]int, len(names))
	for i, name := range names {
		kind, ok := g.kinds[name]
		switch {
		case !ok && g.later(name) > 0:
			g.v.errorf(pos, "%s %s is layer %d, below: a layer reads only the inputs and the layers above it, so the network has no cycles", what, quote(name), g.later(name))
		case !ok:
			g.v.errorf(pos, "%s %s is not an input or an earlier layer (names so far: %s)%s", what, quote(name), g.known(), g.didYouMean(name))
		case kind == "head":
			g.v.errorf(pos, "%s %s is a head; layers and heads read inputs and layers", what, quote(name))
		case g.ids[name]:
			g.v.errorf(pos, "%s %s is an integer input (categories): only an embedding layer reads it", what, quote(name))
		default:
			ws[i] = g.widths[name]
		}
	}
	return ws
}

// later returns the number of the layer named name when it is not defined
// yet, or 0.
func (g *graphCheck) later(name string) int {
	for i, l := range g.v.n.Layers {
		if l.Name == name {
			return i + 1
		}
	}
	return 0
}

// inputNames lists the names of n's inputs.
func inputNames(n *Network) []string {
	var names []string
	for _, p := range n.Inputs {
		names = append(names, p.Name)
	}
	return names
}

// known lists the names defined so far.
func (g *graphCheck) known() string {
	if len(g.names) == 0 {
		return "none"
	}
	return strings.Join(g.names, ", ")
}

// didYouMean suggests the known name closest to name.
func (g *graphCheck) didYouMean(name string) string {
	return didYouMean(name, vocabulary{words: g.names})
}

// layer checks layer i (from 1): what it reads and the width it gives.
func (g *graphCheck) layer(i int) {
	v, l := g.v, &g.v.n.Layers[i-1]
	key := "layers." + strconv.Itoa(i)
	if v.skipped(key) {
		g.last, g.lastW = "", 0
		return
	}
	prefix := fmt.Sprintf("layer %d: ", i)
	w := l.Dense
	switch {
	case len(l.Add) > 0:
		pos := v.at(l.Fields, "add", l.Pos, v.n.Pos)
		if l.Fields.has("dense") || len(l.From) > 0 {
			v.errorf(pos, "%sadd cannot go with dense or from: an add layer sums the values it names, and has no weights", prefix)
		}
		ws := g.read(pos, prefix+"add:", l.Add)
		w = ws[0]
		for j, x := range ws {
			if x != 0 && w != 0 && x != w {
				v.errorf(pos, "%sadd: %s has width %d, but %s has %d; add sums values of one width", prefix, quote(l.Add[j]), x, quote(l.Add[0]), w)
				w = 0
				break
			}
		}
	case l.Kind() == "embedding":
		pos := v.at(l.Fields, "from", l.Pos, v.n.Pos)
		if len(l.From) != 1 || !g.ids[l.From[0]] {
			v.errorf(pos, "%sembedding reads one integer input (from: item, with item: {categories: N} among the inputs), got from: [%s]", prefix, strings.Join(l.From, ", "))
		}
		g.mark(l.From)
		w = l.Embedding
	case len(l.From) > 0:
		ws := g.read(v.at(l.Fields, "from", l.Pos, v.n.Pos), prefix+"from:", l.From)
		if !l.HasWeights() {
			w = sumWidths(ws)
		}
	default:
		if !l.HasWeights() {
			w = g.lastW
		}
		if g.last == "" && len(v.n.Inputs) > 1 && i == 1 {
			v.errorf(v.at(nil, "", l.Pos, v.n.Pos), "%sthe network has %d inputs, so its first layer says which it reads: from: [%s] (or some of them)",
				prefix, len(v.n.Inputs), strings.Join(inputNames(v.n), ", "))
		}
	}
	g.define(v.at(l.Fields, "name", l.Pos, v.n.Pos), "layer", l.Name, w)
	g.mark(l.Add)
	g.mark(l.From)
	if len(l.Add) == 0 && len(l.From) == 0 && g.lastK > 0 {
		g.readBy[g.lastK] = true
	}
	if _, dup := g.layerOf[l.Name]; l.Name != "" && !dup {
		g.layerOf[l.Name] = i // a second layer of the name is an error of its own
	}
	g.last, g.lastW, g.lastK = l.Name, w, i
}

// sumWidths is the width of the concatenation of values of widths ws, 0
// when one of them is unknown (0).
func sumWidths(ws []int) int {
	w := 0
	for _, x := range ws {
		if x == 0 {
			return 0
		}
		w += x
	}
	return w
}

// heads checks the heads: each a dense layer over what it reads, with a
// loss; at least one trains.
func (g *graphCheck) heads() {
	n := g.v.n
	trains := false
	for i := range n.Outputs {
		h := &n.Outputs[i]
		key := "outputs." + strconv.Itoa(i+1)
		if g.v.skipped(key) {
			continue
		}
		what := "head " + quote(h.Name)
		pos := g.v.at(nil, "", h.Pos, n.Pos)
		g.mark(h.Layer.From)
		if len(h.Layer.From) == 0 && g.lastK > 0 {
			g.readBy[g.lastK] = true
		}
		if len(h.Layer.From) > 0 {
			g.read(g.v.at(h.Layer.Fields, "from", h.Pos, n.Pos), what+": from:", h.Layer.From)
		} else if len(n.Layers) == 0 && len(n.Inputs) > 1 {
			g.v.errorf(pos, "%s: the network has no layers and %d inputs, so the head says which it reads (from)", what, len(n.Inputs))
		}
		if !g.v.skipped(key + ".dense") {
			g.v.width(g.v.at(h.Layer.Fields, "dense", h.Pos, n.Pos), what+": dense", h.Layer.Dense)
		}
		g.headLoss(h, key, what)
		g.define(pos, "head", h.Name, h.Layer.Dense)
		if h.Loss != NoLoss && (h.Weight > 0 || !h.Fields.has("weight")) {
			trains = true
		}
	}
	if len(n.Outputs) > 0 && !trains {
		g.v.errorf(g.v.at(n.Fields, "outputs", n.Pos), "no head trains: every head has loss none or weight 0, so nothing would learn")
	}
}

// headLoss checks a head's loss and weight, as the loss of a chain's last
// layer is checked.
func (g *graphCheck) headLoss(h *Head, key, what string) {
	v := g.v
	if !v.skipped(key + ".weight") {
		if w := h.Weight; h.Fields.has("weight") && !(w >= 0 && !math.IsInf(w, 1)) {
			v.errorf(v.at(h.Fields, "weight", h.Pos), "%s: weight must be a finite number >= 0, got %s", what, formatFloat(w))
		}
	}
	if v.skipped(key + ".loss") {
		return
	}
	pos := v.at(h.Fields, "loss", h.Pos)
	act, _ := activation(h.Layer.Activation)
	switch h.Loss {
	case MSE, NoLoss:
	case SoftmaxCrossEntropy, BinaryCrossEntropy:
		if act != None {
			v.errorf(pos, "%s: loss %s takes logits, so the head's activation must be none, not %s", what, h.Loss, act)
		}
		if h.Loss == SoftmaxCrossEntropy && h.Layer.Dense == 1 {
			v.errorf(pos, "%s: loss softmax_cross_entropy needs at least 2 outputs: softmax over one class is always 1; for two classes use binary_cross_entropy with dense: 1", what)
		}
	default:
		v.errorf(pos, "%s: loss must be one of %s, none, got %s%s", what, list(lossNames), quote(string(h.Loss)), didYouMean(string(h.Loss), lossVocab))
	}
}

// Fans returns the fan-in of each layer and of each head, the width of what
// it reads (0 for an add layer, which has no weights, and for what cannot
// be resolved), and the width of each layer's output. For a chain the
// fan-in of a layer is the width of the layer above.
func (n *Network) Fans() (layerIn, layerOut, headIn []int) {
	widths := map[string]int{}
	for _, p := range n.Inputs {
		widths[p.Name] = max(p.Width, 0)
	}
	last := max(n.Input, 0)
	if len(n.Inputs) == 1 {
		last = widths[n.Inputs[0].Name]
	} else if len(n.Inputs) > 1 {
		last = 0
	}
	sum := func(names []string) int {
		s := 0
		for _, name := range names {
			s += widths[name]
		}
		return s
	}
	for _, l := range n.Layers {
		in, out := last, max(l.Dense, 0)
		switch {
		case len(l.Add) > 0:
			in, out = 0, widths[l.Add[0]]
		case len(l.From) > 0:
			in = sum(l.From)
		}
		switch l.Kind() {
		case "layer_norm", "dropout":
			out = in // the width of what it reads
		case "embedding":
			out = max(l.Embedding, 0)
		}
		layerIn, layerOut = append(layerIn, in), append(layerOut, out)
		if l.Name != "" {
			widths[l.Name] = out
		}
		last = out
	}
	for _, h := range n.Outputs {
		in := last
		if len(h.Layer.From) > 0 {
			in = sum(h.Layer.From)
		}
		headIn = append(headIn, in)
	}
	return layerIn, layerOut, headIn
}
