package spec

import (
	"slices"
	"testing"
)

func TestDidYouMean(t *testing.T) {
	tests := []struct {
		v    vocabulary
		word string
		want string
	}{
		// Typos, as before the aliases.
		{lossVocab, "msee", ` (did you mean "mse"?)`},
		{layerVocab, "actvation", ` (did you mean "activation"?)`},
		{activationVocab, "ReLU", ` (did you mean "relu"?)`},
		{activationVocab, "swish", ""},
		// Case and separators.
		{activationVocab, "Leaky-ReLU", ` (did you mean "leaky_relu"?)`},
		{lossVocab, "BinaryCrossEntropy", ` (did you mean "binary_cross_entropy"?)`},
		// Aliases.
		{lossVocab, "bce", ` (did you mean "binary_cross_entropy"?)`},
		{lossVocab, "BCEWithLogitsLoss", ` (did you mean "binary_cross_entropy"?)`},
		{lossVocab, "binary_crossentropy", ` (did you mean "binary_cross_entropy"?)`},
		{lossVocab, "logistic", ` (did you mean "binary_cross_entropy"?)`},
		{lossVocab, "CrossEntropyLoss", ` (did you mean "softmax_cross_entropy"?)`},
		{lossVocab, "categorical_crossentropy", ` (did you mean "softmax_cross_entropy"?)`},
		{lossVocab, "nll", ` (did you mean "softmax_cross_entropy"?)`},
		{lossVocab, "MSELoss", ` (did you mean "mse"?)`},
		{lossVocab, "mean_squared_error", ` (did you mean "mse"?)`},
		{lossVocab, "l2", ` (did you mean "mse"?)`},
		{optimizerVocab, "sgd_momentum", ` (did you mean "momentum"?)`},
		{activationVocab, "linear", ` (did you mean "none"?)`},
		{activationVocab, "identity", ` (did you mean "none"?)`},
		{activationVocab, "LeakyReLU", ` (did you mean "leaky_relu"?)`},
		{activationVocab, "lrelu", ` (did you mean "leaky_relu"?)`},
		{activationVocab, "logistic", ` (did you mean "sigmoid"?)`},
		{dtypeVocab, "double", ` (did you mean "float64"?)`},
		{networkVocab, "optimiser", ` (did you mean "optimizer"?)`},
		{networkVocab, "layer", ` (did you mean "layers"?)`},
		{layerVocab, "units", ` (did you mean "dense"?)`},
		{layerVocab, "out_features", ` (did you mean "dense"?)`},
		{layerVocab, "act", ` (did you mean "activation"?)`},
		{layerVocab, "negative_slope", ` (did you mean "slope"?)`},
		{layerVocab, "alpha", ` (did you mean "slope"?)`},
		{adamVocab, "learning_rate", ` (did you mean "lr"?)`},
		{adamVocab, "learningRate", ` (did you mean "lr"?)`},
		{adamVocab, "epsilon", ` (did you mean "eps"?)`},
		{adamVocab, "beta_1", ` (did you mean "beta1"?)`},
		// An alias of a key the place does not have suggests nothing.
		{sgdVocab, "epsilon", ""},
		// Lookalikes of something else: a note or nothing.
		{optimizerVocab, "AdamW", ` (did you mean "adamw"?)`},
		{optimizerVocab, "nesterov", " (use momentum with nesterov: true)"},
		{optimizerVocab, "lr_scheduler", ` (did you mean "schedule"?)`},
		{scheduleVocab, "CosineAnnealingLR", ` (did you mean "cosine"?)`},
		{activationVocab, "gelu", ""},
		{activationVocab, "elu", ""},
		{activationVocab, "prelu", " (leaky_relu is prelu with a fixed slope)"},
		{lossVocab, "mae", ""},
		{adamVocab, "wd", ` (did you mean "weight_decay"?)`},
		{adamVocab, "betas", " (give beta1 and beta2 as two keys)"},
		// Nothing near.
		{lossVocab, "", ""},
		{lossVocab, "hinge", ""},
	}
	for _, tt := range tests {
		if got := didYouMean(tt.word, tt.v); got != tt.want {
			t.Errorf("didYouMean(%q, %v) = %q, want %q", tt.word, tt.v.words, got, tt.want)
		}
	}
}

// TestVocabularies checks the tables of aliases and notes: no entry is an
// allowed word up to case and separators, or the same name as another entry,
// and every allowed word with aliases is a word of some vocabulary that has
// its table.
func TestVocabularies(t *testing.T) {
	vocabs := []vocabulary{
		networkVocab, layerVocab, sgdVocab, momentumVocab, adamVocab, optimizerVocab,
		scheduleVocab, warmupVocab, cosineVocab, stepVocab,
		dtypeVocab, activationVocab, lossVocab,
	}
	used := map[string]bool{} // the allowed words with aliases that some vocabulary has
	for _, v := range vocabs {
		folded := map[string]string{}
		add := func(name, what string) {
			if other, dup := folded[fold(name)]; dup {
				t.Errorf("vocabulary of %v: %s %q folds like %s", v.words, what, name, other)
			}
			folded[fold(name)] = what + " " + name
		}
		for _, w := range v.words {
			add(w, "allowed word")
		}
		for w, names := range v.aliases {
			if slices.Contains(v.words, w) {
				used[w] = true
				for _, name := range names {
					add(name, "alias")
				}
			}
		}
		for name := range v.notes {
			add(name, "note")
		}
	}
	for _, v := range vocabs {
		for w := range v.aliases {
			if !used[w] {
				t.Errorf("aliases for %q, which no vocabulary that has them allows", w)
			}
		}
	}
}

func TestKeyVocab(t *testing.T) {
	for _, path := range []string{"", "layers[]", "optimizer", "optimizer.sgd", "optimizer.momentum", "optimizer.adam"} {
		if _, ok := keyVocab(path); !ok {
			t.Errorf("keyVocab(%q) has none", path)
		}
	}
	for _, path := range []string{"layers", "loss", "optimizer.adam.lr"} {
		if _, ok := keyVocab(path); ok {
			t.Errorf("keyVocab(%q) has one", path)
		}
	}
}
