package spec

import (
	"fmt"
	"slices"
	"strings"
)

// A vocabulary is the words allowed in one place of a spec, the keys of a
// mapping or the values of a field, with what other tools call them.
//
// A word that is not allowed gets a suggestion, tried in this order: an
// allowed word written with other case or separators ("Leaky-ReLU" for
// leaky_relu), then an alias, then a typo of an allowed word. Aliases and
// notes are looked up with case and the separators _, - and space ignored.
type vocabulary struct {
	words []string
	// aliases maps an allowed word to the names that PyTorch, Keras or
	// textbooks give the same thing; an allowed word not in words is
	// ignored, so one table can serve several vocabularies.
	aliases map[string][]string
	// notes maps a name of something gradgen lacks to what to say about it
	// instead of a suggestion: these names look like typos of allowed words
	// that mean something else (adamw is one edit from adam).
	notes map[string]string
}

// The vocabularies of the mappings of a spec and of the fields whose value is
// a name.
var (
	networkVocab   = vocabulary{words: networkKeys, aliases: networkAliases}
	layerVocab     = vocabulary{words: layerKeys, aliases: layerAliases}
	headVocab      = vocabulary{words: headKeys, aliases: layerAliases}
	sgdVocab       = vocabulary{words: sgdKeys, aliases: settingAliases, notes: settingNotes}
	momentumVocab  = vocabulary{words: momentumKeys, aliases: settingAliases, notes: settingNotes}
	adamVocab      = vocabulary{words: adamKeys, aliases: settingAliases, notes: settingNotes}
	optimizerVocab = vocabulary{words: optimizerKeys, aliases: optimizerAliases, notes: optimizerNotes}
	scheduleVocab  = vocabulary{words: scheduleKeys, aliases: scheduleAliases, notes: scheduleNotes}
	warmupVocab    = vocabulary{words: warmupKeys, aliases: settingAliases}
	cosineVocab    = vocabulary{words: cosineKeys, aliases: settingAliases}
	stepVocab      = vocabulary{words: stepKeys, aliases: settingAliases}
	layerNormVocab = vocabulary{words: layerNormKeys, aliases: settingAliases}
	inputVocab     = vocabulary{words: []string{"categories"}, aliases: map[string][]string{"categories": {"num_embeddings", "vocab", "vocab_size", "classes", "ids"}}}

	dtypeVocab      = vocabulary{words: dtypeNames, aliases: dtypeAliases}
	activationVocab = vocabulary{words: activationNames, aliases: activationAliases, notes: activationNotes}
	lossVocab       = vocabulary{words: lossNames, aliases: lossAliases, notes: lossNotes}
)

// keyVocab returns the vocabulary of the keys of the mapping at path in a
// spec: "" for the top level, "layers[]" for a layer, "optimizer" for the
// optimizer's kinds and "optimizer.adam" for adam's settings. It returns
// false for a path where a spec has no mapping.
func keyVocab(path string) (vocabulary, bool) {
	switch path {
	case "":
		return networkVocab, true
	case "layers[]":
		return layerVocab, true
	case "outputs[]":
		return headVocab, true
	case "optimizer":
		return optimizerVocab, true
	case "optimizer.sgd":
		return sgdVocab, true
	case "optimizer.momentum":
		return momentumVocab, true
	case "optimizer.adam", "optimizer.adamw":
		return adamVocab, true
	case "optimizer.schedule":
		return scheduleVocab, true
	case "optimizer.schedule.warmup":
		return warmupVocab, true
	case "optimizer.schedule.cosine":
		return cosineVocab, true
	case "optimizer.schedule.step":
		return stepVocab, true
	case "layers[].layer_norm":
		return layerNormVocab, true
	case "inputs[]":
		return inputVocab, true
	}
	return vocabulary{}, false
}

// The aliases and notes of keys: other names for the keys of the top level,
// of a layer and of an optimizer's settings. Spellings that differ only in
// case and separators (learningRate, beta_1) need no entry.
var (
	networkAliases = map[string][]string{
		"input":     {"in_features", "input_size", "input_dim"},
		"outputs":   {"heads"},
		"loss":      {"criterion", "loss_fn", "objective"},
		"optimizer": {"optimiser", "optim"},
		"dtype":     {"precision"},
		"package":   {"pkg"},
	}
	layerAliases = map[string][]string{
		"dense":      {"units", "out_features", "width", "size", "neurons"},
		"activation": {"act", "activation_fn"},
		"slope":      {"negative_slope", "alpha"},
		"bias":       {"use_bias"},
		"trainable":  {"requires_grad", "train", "learnable"},
		"layer_norm": {"norm", "ln"},
		"dropout":    {"drop", "dropout_rate"},
		"embedding":  {"embedding_dim", "embed", "emb"},
	}
	settingAliases = map[string][]string{
		"lr":           {"learning_rate", "lr_rate"},
		"eps":          {"epsilon"},
		"weight_decay": {"l2", "decay", "wd"},
		"steps":        {"warmup_steps", "total_iters", "num_warmup_steps"},
		"t_max":        {"period", "half_period"},
		"eta_min":      {"min_lr", "lr_min"},
		"step_size":    {"every", "period"},
	}
	settingNotes = map[string]string{
		"betas": "give beta1 and beta2 as two keys",
	}
	scheduleAliases = map[string][]string{
		"cosine": {"cosine_annealing", "cosineannealinglr", "cos"},
		"step":   {"steplr", "step_decay"},
		"warmup": {"linear_warmup", "linearlr"},
	}
	scheduleNotes = map[string]string{
		"exponential": "use step with step_size 1 and gamma",
		"multistep":   "",
		"onecycle":    "",
		"plateau":     "",
	}
)

// The aliases and notes of the names that dtype, optimizer kinds,
// activations and losses take.
var (
	dtypeAliases = map[string][]string{
		"float32": {"f32", "fp32", "single"},
		"float64": {"f64", "fp64", "double"},
	}
	optimizerAliases = map[string][]string{
		"momentum":       {"sgd_momentum", "momentum_sgd", "sgdm"},
		"clip_grad_norm": {"clip", "max_grad_norm", "grad_clip", "gradient_clipping", "clipnorm"},
		"schedule":       {"scheduler", "lr_scheduler", "lr_schedule"},
	}
	optimizerNotes = map[string]string{
		"nesterov": "use momentum with nesterov: true",
	}
	activationAliases = map[string][]string{
		"none":       {"linear", "identity"},
		"leaky_relu": {"lrelu"},
		"sigmoid":    {"logistic"},
	}
	// activationNotes keeps the typo check from offering relu for the
	// activations one edit from it, which are something else.
	activationNotes = map[string]string{
		"prelu": "leaky_relu is prelu with a fixed slope",
		"gelu":  "",
		"elu":   "",
		"selu":  "",
		"celu":  "",
		"rrelu": "",
		"relu6": "",
	}
	lossAliases = map[string][]string{
		"mse": {"l2", "mse_loss", "mean_squared_error", "squared_error"},
		"softmax_cross_entropy": {
			"ce", "cross_entropy", "cross_entropy_loss", "categorical_crossentropy",
			"softmax", "softmax_cross_entropy_with_logits", "nll",
		},
		"binary_cross_entropy": {
			"bce", "bce_with_logits", "bce_with_logits_loss", "binary_cross_entropy_with_logits",
			"logistic", "sigmoid_cross_entropy", "sigmoid_cross_entropy_with_logits",
		},
	}
	// lossNotes keeps the typo check from offering mse for mae, L1 loss.
	lossNotes = map[string]string{"mae": "", "l1": "", "l1_loss": ""}
)

// didYouMean returns what to add to the message about s, a word not in v:
// ` (did you mean "x"?)` when v suggests x for s, ` (note)` when v has a
// note about s, and "" otherwise.
func didYouMean(s string, v vocabulary) string {
	if note, ok := lookup(v.notes, s); ok {
		if note == "" {
			return ""
		}
		return " (" + note + ")"
	}
	if w := v.suggest(s); w != "" {
		return fmt.Sprintf(" (did you mean %q?)", w)
	}
	return ""
}

// suggest returns the allowed word that s, a word not allowed, most likely
// stands for, or "" when there is none or s has a note.
func (v vocabulary) suggest(s string) string {
	const maxLen = 64 // longer words are no typo of ours, and cost quadratic time
	if s == "" || len(s) > maxLen {
		return ""
	}
	if _, ok := lookup(v.notes, s); ok {
		return ""
	}
	f := fold(s)
	isS := func(name string) bool { return fold(name) == f }
	for _, w := range v.words {
		if isS(w) && w != s {
			return w
		}
	}
	for _, w := range v.words {
		if slices.ContainsFunc(v.aliases[w], isS) {
			return w
		}
	}
	return typoOf(s, v.words)
}

// lookup returns the value in m of the key that equals s up to fold.
func lookup(m map[string]string, s string) (string, bool) {
	f := fold(s)
	for k, v := range m {
		if fold(k) == f {
			return v, true // TestVocabularies checks that no other key folds to f
		}
	}
	return "", false
}

// fold returns s in lower case without the separators _, - and space.
func fold(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '_' || r == '-' || r == ' ' {
			return -1
		}
		return r
	}, strings.ToLower(s))
}

// typoOf returns the candidate of which s is a near miss, ignoring case, when
// exactly one is nearest, and "" otherwise.
func typoOf(s string, candidates []string) string {
	lower := strings.ToLower(s)
	best, bestDist, ties := "", -1, 0
	for _, c := range candidates {
		d := editDistance(lower, c)
		if d > maxTypos(c) {
			continue
		}
		switch {
		case bestDist < 0 || d < bestDist:
			best, bestDist, ties = c, d, 0
		case d == bestDist:
			ties++
		}
	}
	if bestDist < 0 || ties > 0 || best == s {
		return ""
	}
	return best
}

// maxTypos is how many edits a word may be away from c to count as a typo of c.
func maxTypos(c string) int {
	if len(c) <= 4 {
		return 1
	}
	return 2
}

// editDistance is the optimal string alignment distance between a and b: the
// number of rune insertions, deletions, substitutions and transpositions of
// adjacent runes that turn a into b.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	// prev2, prev and cur are rows i-2, i-1 and i of the distance matrix.
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}
