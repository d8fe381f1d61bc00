package spec

import (
	"fmt"
	"go/token"
	"math"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxModelBytes bounds the memory a generated network may need for its
// parameters, gradients, optimizer state and workspace; see Validate.
const MaxModelBytes = 1 << 31

// MaxWidth bounds the input width and each layer's width, which keeps the
// arithmetic on sizes far from overflow.
const MaxWidth = 1 << 24

// The values a spec may use, in the order messages list them.
var (
	dtypeNames      = []string{string(Float32), string(Float64)}
	activationNames = []string{string(None), string(ReLU), string(LeakyReLU), string(Sigmoid), string(Tanh)}
	lossNames       = []string{string(MSE), string(SoftmaxCrossEntropy), string(BinaryCrossEntropy)}
	optimizerNames  = []string{"sgd", "momentum", "adam", "adamw"}
)

// Validate reports every problem of n, each at the position of the offending
// value (Fields[key] when recorded, else the enclosing node's Pos), as a sorted
// ErrorList, or returns nil when n is valid. It expects a normalised network
// but accepts the zero values that Normalize would replace by defaults.
//
// Besides the rules on each field (widths in [1, MaxWidth], known dtype,
// activations and loss, a valid package name, positive finite learning rates,
// momentum and Adam's betas in [0, 1), Adam's eps > 0, slope only with
// leaky_relu, exactly one optimizer kind, logits for the cross-entropy
// losses, at least 2 outputs for softmax_cross_entropy, without which nothing
// learns), Validate bounds the estimated memory of the generated network,
//
//	elemSize × (NumParams × (2 + optimizer state copies) + 65 × 4 × Σ Widths)
//
// with elemSize 4 or 8 bytes and 0, 1 or 2 state copies for sgd, momentum
// and adam, by MaxModelBytes. The second term estimates the workspace
// generously (the generated digits network's is a quarter of it): the
// functions of a generated package process 65 rows between them (two tiled
// ones, Loss's and Backward's, of build.TileRows = 32 rows, and a row for the
// per-sample ones, whose buffers the plan pass lets share), and each row
// holds at most four buffers of a layer's width: its pre-activation and
// activation and their gradients.
func (n *Network) Validate() error {
	if n == nil {
		return ErrorList{{Msg: "no network (nil *Network)"}}
	}
	return n.validate(nil).Err()
}

// validate checks n and returns the sorted problems. Parse passes in skip the
// keys of the fields that it already reported as missing or malformed
// ("input", "layers.2.dense", "optimizer.adam.lr", or a prefix such as
// "layers.2" for a whole layer), so that no field is reported twice.
func (n *Network) validate(skip map[string]bool) ErrorList {
	v := &validator{n: n, skip: skip}
	v.network()
	v.errs.Sort()
	return v.errs
}

// validator collects the problems of one network.
type validator struct {
	n    *Network
	skip map[string]bool
	errs ErrorList
}

func (v *validator) errorf(pos Pos, format string, args ...any) {
	v.errs = append(v.errs, &Error{Pos: pos, Msg: fmt.Sprintf(format, args...)})
}

// skipped reports whether key or one of its dot-separated prefixes is in
// v.skip.
func (v *validator) skipped(key string) bool {
	for {
		if v.skip[key] {
			return true
		}
		i := strings.LastIndexByte(key, '.')
		if i < 0 {
			return false
		}
		key = key[:i]
	}
}

// at returns the position recorded in fields for key, or else the first
// non-zero of fallbacks; a position without a file gets the network's file.
func (v *validator) at(fields Positions, key string, fallbacks ...Pos) Pos {
	pos, ok := fields[key]
	for _, fb := range fallbacks {
		if ok {
			break
		}
		pos, ok = fb, fb.Line > 0 || fb.Node != ""
	}
	if pos.File == "" {
		pos.File = v.n.File
	}
	return pos
}

func (v *validator) network() {
	n := v.n
	v.packageName()

	dtypeOK := true
	if !v.skipped("dtype") && n.DType != "" && !slices.Contains(dtypeNames, string(n.DType)) {
		dtypeOK = false
		v.errorf(v.at(n.Fields, "dtype", n.Pos), "dtype must be one of %s, got %s%s",
			list(dtypeNames), quote(string(n.DType)), didYouMean(string(n.DType), dtypeVocab))
	}

	v.imported()
	v.graph()
	widthsOK := len(n.Inputs) > 0 || !v.skipped("input") && v.width(v.at(n.Fields, "input", n.Pos), "input", n.Input)
	if len(n.Layers) == 0 && len(n.Outputs) == 0 {
		widthsOK = false
		if !v.skipped("layers") {
			v.errorf(v.at(n.Fields, "layers", n.Pos), "layers must have at least one layer")
		}
	}
	for i := range n.Layers {
		if !v.layer(i+1, &n.Layers[i]) {
			widthsOK = false
		}
	}

	v.frozen()
	v.loss()
	v.optimizer()

	if widthsOK && dtypeOK {
		if need := n.modelBytes(); need.Cmp(big.NewInt(MaxModelBytes)) > 0 {
			v.errorf(v.at(nil, "", n.Pos), "network needs %s bytes for parameters, gradients, optimizer state and workspace; the limit is %d bytes",
				need, int64(MaxModelBytes))
		}
	}
}

func (v *validator) packageName() {
	if v.skipped("package") {
		return
	}
	name := v.n.Package
	pos := v.at(v.n.Fields, "package", v.n.Pos)
	switch {
	case name == "":
		v.errorf(pos, "package must not be empty; it is the Go package name of the generated file")
	case name == "_":
		v.errorf(pos, `package must not be "_": the blank identifier cannot name a package`)
	case token.IsKeyword(name):
		v.errorf(pos, "package %s is a Go keyword; choose another name", quote(name))
	case !token.IsIdentifier(name):
		v.errorf(pos, "package %s is not a valid Go identifier (letters, digits and underscores, not starting with a digit)", quote(name))
	}
}

// width checks an input or layer width and reports whether it is valid.
func (v *validator) width(pos Pos, what string, w int) bool {
	switch {
	case w < 1:
		v.errorf(pos, "%s must be >= 1, got %d", what, w)
		return false
	case w > MaxWidth:
		v.errorf(pos, "%s must be <= %d, got %d", what, MaxWidth, w)
		return false
	}
	return true
}

// layer checks layer i (numbered from 1) and reports whether its width is
// valid.
func (v *validator) layer(i int, l *Layer) bool {
	key := "layers." + strconv.Itoa(i)
	if v.skipped(key) {
		return false
	}
	prefix := fmt.Sprintf("layer %d: ", i)
	fallback := []Pos{l.Pos, v.n.Pos}

	ok := !l.HasWeights() || !v.skipped(key+".dense") && v.width(v.at(l.Fields, "dense", fallback...), prefix+"dense", l.Dense)
	v.layerKind(key, prefix, l)

	act, actKnown := activation(l.Activation)
	if v.skipped(key + ".activation") {
		actKnown = false
	} else if !actKnown {
		v.errorf(v.at(l.Fields, "activation", fallback...), "%sactivation must be one of %s, got %s%s",
			prefix, list(activationNames), quote(string(act)), didYouMean(string(act), activationVocab))
	}

	if actKnown && !v.skipped(key+".slope") {
		pos := v.at(l.Fields, "slope", fallback...)
		given := l.Slope != 0 || l.Fields.has("slope")
		switch {
		case act == LeakyReLU && given && !(l.Slope > 0 && !math.IsInf(l.Slope, 1)):
			v.errorf(pos, "%sslope must be a finite number > 0, got %s", prefix, formatFloat(l.Slope))
		case act != LeakyReLU && given:
			v.errorf(pos, "%sslope is only allowed with activation leaky_relu, not %s", prefix, act)
		}
	}
	return ok
}

// layerKind checks that layer l is one kind (dense, add, layer_norm,
// dropout) and has only that kind's keys and valid settings.
func (v *validator) layerKind(key, prefix string, l *Layer) {
	fallback := []Pos{l.Pos, v.n.Pos}
	var kinds []string
	for _, k := range []string{"dense", "add", "layer_norm", "dropout", "embedding"} {
		if l.Fields.has(k) || k == "dense" && l.Dense != 0 || k == "add" && len(l.Add) > 0 ||
			k == "layer_norm" && l.LayerNorm != nil || k == "dropout" && l.Dropout != nil || k == "embedding" && l.Embedding != 0 {
			kinds = append(kinds, k)
		}
	}
	if len(kinds) > 1 && !slices.Equal(kinds, []string{"dense", "add"}) { // dense with add has its own message
		v.errorf(v.at(l.Fields, kinds[1], fallback...), "%s%s cannot go with %s: a layer is one of dense, add, layer_norm, dropout and embedding", prefix, kinds[1], kinds[0])
		return
	}
	if l.HasWeights() {
		return
	}
	if l.Kind() == "embedding" && !v.skipped(key+".embedding") {
		v.width(v.at(l.Fields, "embedding", fallback...), prefix+"embedding", l.Embedding)
	}
	for _, k := range []string{"bias", "slope", "activation", "trainable"} {
		allowed := k == "activation" || k == "slope" || k == "trainable" && (l.LayerNorm != nil || l.Kind() == "embedding")
		if l.Kind() == "embedding" && (k == "activation" || k == "slope") {
			allowed = false // nn.Embedding has none: a layer after it may
		}
		if l.Fields.has(k) && (!allowed || l.Dropout != nil) && len(l.Add) == 0 {
			v.errorf(v.at(l.Fields, k, fallback...), "%s%s does not go with %s", prefix, k, l.Kind())
		}
	}
	if ln := l.LayerNorm; ln != nil && !v.skipped(key+".layer_norm.eps") {
		if !(ln.Eps > 0 && !math.IsInf(ln.Eps, 1)) && (ln.Eps != 0 || ln.Fields.has("eps")) {
			v.errorf(v.at(ln.Fields, "eps", ln.Pos, l.Pos), "%slayer_norm: eps must be a finite number > 0, got %s", prefix, formatFloat(ln.Eps))
		}
	}
	if d := l.Dropout; d != nil && !v.skipped(key+".dropout") && !(d.P >= 0 && d.P < 1) {
		v.errorf(v.at(l.Fields, "dropout", d.Pos, l.Pos), "%sdropout must be a probability in [0, 1), got %s", prefix, formatFloat(d.P))
	}
}

// frozen reports a network whose every layer is frozen: it has nothing to
// train, which is not what anyone means.
func (v *validator) frozen() {
	for _, l := range v.n.Layers {
		if !l.Frozen && (l.HasWeights() || l.LayerNorm != nil || l.Kind() == "embedding") {
			return
		}
	}
	for _, h := range v.n.Outputs {
		if !h.Layer.Frozen {
			return
		}
	}
	if len(v.n.Layers) > 0 && len(v.n.Outputs) == 0 {
		last := &v.n.Layers[len(v.n.Layers)-1]
		v.errorf(v.at(last.Fields, "trainable", last.Pos, v.n.Pos),
			"every layer has trainable: false, so nothing would train; leave trainable out (true) on the layers to fine-tune")
	}
}

// activation returns a with the empty activation read as None, and whether it
// is a known activation.
func activation(a Activation) (Activation, bool) {
	if a == "" {
		a = None
	}
	return a, slices.Contains(activationNames, string(a))
}

func (v *validator) loss() {
	n := v.n
	if v.skipped("loss") || len(n.Outputs) > 0 { // each head has its loss
		return
	}
	pos := v.at(n.Fields, "loss", n.Pos)
	switch n.Loss {
	case MSE:
	case SoftmaxCrossEntropy, BinaryCrossEntropy:
		v.logits(pos)
		if n.Loss == SoftmaxCrossEntropy {
			v.classes(pos)
		}
	default:
		v.errorf(pos, "loss must be one of %s, got %s%s",
			list(lossNames), quote(string(n.Loss)), didYouMean(string(n.Loss), lossVocab))
	}
}

// lastLayer returns the number of the last layer, counted from 1, and the
// layer, or 0 and nil when there is none or it was reported malformed.
func (v *validator) lastLayer() (int, *Layer) {
	last := len(v.n.Layers)
	if last == 0 || v.skipped("layers."+strconv.Itoa(last)) {
		return 0, nil
	}
	return last, &v.n.Layers[last-1]
}

// logits reports, at pos, a loss on logits after a last layer with an
// activation.
func (v *validator) logits(pos Pos) {
	last, l := v.lastLayer()
	if l == nil || v.skipped("layers."+strconv.Itoa(last)+".activation") {
		return
	}
	if act, known := activation(l.Activation); known && act != None {
		v.errorf(pos, "loss %s takes logits, so the last layer's activation must be none, but layer %d has %s",
			v.n.Loss, last, act)
	}
}

// classes reports, at pos, softmax_cross_entropy over a single output. The
// softmax of one logit is always 1, so the loss is 0 and every gradient is 0
// whatever the targets: such a network cannot learn.
func (v *validator) classes(pos Pos) {
	last, l := v.lastLayer()
	if l == nil || v.skipped("layers."+strconv.Itoa(last)+".dense") || l.Dense != 1 {
		return
	}
	v.errorf(pos, "loss softmax_cross_entropy needs at least 2 outputs, but the last layer (layer %d) has dense: 1: "+
		"softmax over one class is always 1, so the loss is 0 and nothing learns; "+
		"for two classes use binary_cross_entropy with dense: 1", last)
}

func (v *validator) optimizer() {
	if v.skipped("optimizer") {
		return
	}
	o := &v.n.Optimizer
	var kinds []string
	for _, k := range []struct {
		name string
		set  bool
	}{{"sgd", o.SGD != nil}, {"momentum", o.Momentum != nil}, {"adam", o.Adam != nil}, {"adamw", o.AdamW != nil}} {
		if k.set {
			kinds = append(kinds, k.name)
		}
	}
	at := v.at(v.n.Fields, "optimizer", o.Pos, v.n.Pos)
	switch {
	case len(kinds) > 1:
		v.errorf(at, "optimizer must have exactly one of %s, got %s and %s",
			list(optimizerNames), list(kinds[:len(kinds)-1]), kinds[len(kinds)-1])
	case len(kinds) == 0 && (o.ClipGradNorm != 0 || o.Schedule != nil || o.Fields.has("clip_grad_norm") || o.Fields.has("schedule")):
		v.errorf(at, "optimizer has clip_grad_norm or schedule but no optimizer kind: add one of %s (sgd: {lr: 0.01} is the default)",
			list(optimizerNames))
	}

	if s := o.SGD; s != nil && !v.skipped("optimizer.sgd") {
		v.learningRate("sgd", s.Fields, s.Pos, s.LR)
		v.weightDecay("sgd", s.Fields, s.Pos, s.WeightDecay)
	}
	if m := o.Momentum; m != nil && !v.skipped("optimizer.momentum") {
		v.momentum(m)
	}
	if a := o.Adam; a != nil && !v.skipped("optimizer.adam") {
		v.adam("adam", a)
	}
	if a := o.AdamW; a != nil && !v.skipped("optimizer.adamw") {
		v.adam("adamw", a)
	}
	if o.Fields.has("clip_grad_norm") && !v.skipped("optimizer.clip_grad_norm") && !positiveFinite(o.ClipGradNorm) {
		v.errorf(v.at(o.Fields, "clip_grad_norm", o.Pos, v.n.Pos),
			"optimizer: clip_grad_norm must be a finite number > 0 (the largest gradient norm; leave it out for no clipping), got %s", formatFloat(o.ClipGradNorm))
	}
	if s := o.Schedule; s != nil && !v.skipped("optimizer.schedule") {
		v.schedule(s)
	}
}

func (v *validator) momentum(m *Momentum) {
	v.learningRate("momentum", m.Fields, m.Pos, m.LR)
	v.unitInterval("momentum", "momentum", m.Fields, m.Pos, m.Momentum)
	v.weightDecay("momentum", m.Fields, m.Pos, m.WeightDecay)
	if !v.skipped("optimizer.momentum.dampening") && !(m.Dampening >= 0 && m.Dampening <= 1) {
		v.errorf(v.at(m.Fields, "dampening", m.Pos, v.n.Pos), "optimizer momentum: dampening must be in [0, 1], got %s", formatFloat(m.Dampening))
	}
	if m.Nesterov && (m.Momentum <= 0 || m.Dampening != 0) {
		v.errorf(v.at(m.Fields, "nesterov", m.Pos, v.n.Pos),
			"optimizer momentum: nesterov needs momentum > 0 and dampening 0, as in torch.optim.SGD; got momentum %s and dampening %s",
			formatFloat(m.Momentum), formatFloat(m.Dampening))
	}
}

// adam checks the settings of optimizer kind (adam or adamw). A zero field
// without a position was left out: Normalize gives it PyTorch's default.
func (v *validator) adam(kind string, a *Adam) {
	if a.LR != 0 || a.Fields.has("lr") {
		v.learningRate(kind, a.Fields, a.Pos, a.LR)
	}
	if a.Beta1 != 0 || a.Fields.has("beta1") {
		v.unitInterval(kind, "beta1", a.Fields, a.Pos, a.Beta1)
	}
	if a.Beta2 != 0 || a.Fields.has("beta2") {
		v.unitInterval(kind, "beta2", a.Fields, a.Pos, a.Beta2)
	}
	if (a.Eps != 0 || a.Fields.has("eps")) && !v.skipped("optimizer."+kind+".eps") && !positiveFinite(a.Eps) {
		v.errorf(v.at(a.Fields, "eps", a.Pos, v.n.Pos), "optimizer %s: eps must be a finite number > 0, got %s", kind, formatFloat(a.Eps))
	}
	v.weightDecay(kind, a.Fields, a.Pos, a.WeightDecay)
}

func (v *validator) weightDecay(kind string, fields Positions, pos Pos, wd float64) {
	if !v.skipped("optimizer."+kind+".weight_decay") && !(wd >= 0 && !math.IsInf(wd, 1)) {
		v.errorf(v.at(fields, "weight_decay", pos, v.n.Pos), "optimizer %s: weight_decay must be a finite number >= 0, got %s", kind, formatFloat(wd))
	}
}

// schedule checks a learning-rate schedule: at most one of cosine and step,
// each part's settings in range.
func (v *validator) schedule(s *Schedule) {
	at := func(fields Positions, key string, pos Pos) Pos { return v.at(fields, key, pos, s.Pos, v.n.Pos) }
	if s.Cosine != nil && s.Step != nil {
		v.errorf(at(s.Fields, "step", s.Pos), "optimizer schedule must have at most one of cosine and step (a warmup may go with either), got both")
	}
	if w := s.Warmup; w != nil && !v.skipped("optimizer.schedule.warmup.steps") && w.Steps < 1 {
		v.errorf(at(w.Fields, "steps", w.Pos), "schedule warmup: steps must be an integer >= 1, got %d", w.Steps)
	}
	if c := s.Cosine; c != nil {
		if !v.skipped("optimizer.schedule.cosine.t_max") && c.TMax < 1 {
			v.errorf(at(c.Fields, "t_max", c.Pos), "schedule cosine: t_max must be an integer >= 1, got %d", c.TMax)
		}
		if !v.skipped("optimizer.schedule.cosine.eta_min") && !(c.EtaMin >= 0 && !math.IsInf(c.EtaMin, 1)) {
			v.errorf(at(c.Fields, "eta_min", c.Pos), "schedule cosine: eta_min must be a finite number >= 0, got %s", formatFloat(c.EtaMin))
		}
	}
	if st := s.Step; st != nil {
		if !v.skipped("optimizer.schedule.step.step_size") && st.StepSize < 1 {
			v.errorf(at(st.Fields, "step_size", st.Pos), "schedule step: step_size must be an integer >= 1, got %d", st.StepSize)
		}
		if (st.Gamma != 0 || st.Fields.has("gamma")) && !v.skipped("optimizer.schedule.step.gamma") && !positiveFinite(st.Gamma) {
			v.errorf(at(st.Fields, "gamma", st.Pos), "schedule step: gamma must be a finite number > 0, got %s", formatFloat(st.Gamma))
		}
	}
}

func (v *validator) learningRate(kind string, fields Positions, pos Pos, lr float64) {
	if !v.skipped("optimizer."+kind+".lr") && !positiveFinite(lr) {
		v.errorf(v.at(fields, "lr", pos, v.n.Pos), "optimizer %s: lr must be a finite number > 0, got %s", kind, formatFloat(lr))
	}
}

func (v *validator) unitInterval(kind, key string, fields Positions, pos Pos, x float64) {
	if !v.skipped("optimizer."+kind+"."+key) && !(x >= 0 && x < 1) {
		v.errorf(v.at(fields, key, pos, v.n.Pos), "optimizer %s: %s must be in [0, 1), got %s", kind, key, formatFloat(x))
	}
}

func positiveFinite(x float64) bool {
	return x > 0 && !math.IsInf(x, 1)
}

// modelBytes is the estimate of the memory a generated network needs that
// Validate bounds by MaxModelBytes. It is exact for any widths.
func (n *Network) modelBytes() *big.Int {
	elemSize := int64(4)
	if n.DType == Float64 {
		elemSize = 8
	}
	stateCopies := int64(n.Optimizer.Settings().StateCopies)

	params, sumWidths := new(big.Int), new(big.Int)
	layerIn, layerOut, headIn := n.Fans()
	sumWidths.Add(sumWidths, big.NewInt(int64(n.Input)))
	for _, p := range n.Inputs {
		sumWidths.Add(sumWidths, big.NewInt(int64(p.Width)))
	}
	var p big.Int
	add := func(l Layer, in, out int) {
		a, b, c := n.paramShape(l, in, out)
		p.Mul(big.NewInt(int64(a)), big.NewInt(int64(b)))
		p.Add(&p, big.NewInt(int64(c)))
		params.Add(params, &p)
		sumWidths.Add(sumWidths, big.NewInt(int64(out)))
	}
	for i, l := range n.Layers {
		add(l, layerIn[i], layerOut[i])
	}
	for i, h := range n.Outputs {
		add(h.Layer, headIn[i], h.Layer.Dense)
	}

	need := params.Mul(params, big.NewInt(2+stateCopies))
	need.Add(need, sumWidths.Mul(sumWidths, big.NewInt(65*4)))
	return need.Mul(need, big.NewInt(elemSize))
}

// list formats names as "a, b, c".
func list(names []string) string {
	return strings.Join(names, ", ")
}

// quote returns s as a Go string literal, shortened to a readable length.
func quote(s string) string {
	return strconv.Quote(shorten(s))
}

// shorten cuts s to a length readable in a message.
func shorten(s string) string {
	const maxRunes = 40
	if utf8.RuneCountInString(s) > maxRunes {
		s = string([]rune(s)[:maxRunes]) + "…"
	}
	return s
}

// formatFloat formats x in its shortest exact form.
func formatFloat(x float64) string {
	return strconv.FormatFloat(x, 'g', -1, 64)
}
