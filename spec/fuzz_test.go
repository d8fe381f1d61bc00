package spec_test

import (
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gradgen/gradgen/spec"
)

// seeds returns the good and bad specs of the tests.
func seeds(t testing.TB) [][]byte {
	srcs := [][]byte{
		[]byte(tinySpec),
		[]byte("package: p\ninput: 2\nlayers: [{dense: 1}]\nloss: mse\noptimizer: {adam: {}}\n"),
		[]byte("package: p\ninput: 2\nlayers: [&h {dense: 8}, *h, {dense: 1}]\nloss: mse\noptimizer: {momentum: {lr: 1, momentum: 0.5}}\n"),
	}
	paths, err := filepath.Glob("testdata/errors/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range paths {
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		srcs = append(srcs, src)
	}
	return srcs
}

// checkParse checks the contract of Parse on src: it does not panic, and it
// returns either a network that validates or a non-empty ErrorList whose every
// message starts with the file name.
func checkParse(t *testing.T, src []byte) {
	t.Helper()
	const file = "fuzz.yaml"
	n, err := spec.Parse(file, src)
	if err == nil {
		if n == nil {
			t.Fatalf("Parse(%q) returned neither a network nor an error", src)
		}
		if err := n.Validate(); err != nil {
			t.Fatalf("Parse(%q) returned a network that does not validate: %v", src, err)
		}
		return
	}
	var list spec.ErrorList
	if !errors.As(err, &list) || len(list) == 0 {
		t.Fatalf("Parse(%q) error is %T %q, want a non-empty spec.ErrorList", src, err, err)
	}
	for _, e := range list {
		if !strings.HasPrefix(e.Error(), file+":") {
			t.Fatalf("Parse(%q): error %q does not start with the file name", src, e)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, src := range seeds(f) {
		f.Add(src)
	}
	f.Fuzz(checkParse)
}

// TestParseMutations runs the property of FuzzParse on random mutations of the
// seeds, so that plain go test exercises it too.
func TestParseMutations(t *testing.T) {
	srcs := seeds(t)
	// Pieces of spec text to splice in.
	pieces := []string{
		":", " ", "\n", "\t", "-", "- ", "[", "]", "{", "}", ",", "'", "\"", "#", "&a ", "*a", "!!int ", "!!str ",
		"~", "null", "true", "0", "-1", "1e400", ".nan", ".inf", "99999999999999999999", "16777217",
		"dense: ", "activation: ", "slope: ", "bias: ", "adam:", "sgd:", "momentum:", "lr: ", "\n---\n", "\xff",
		"leaky_relu", "softmax_cross_entropy", "<<: ", "? ",
	}
	rng := rand.New(rand.NewPCG(1, 2))
	iterations := 20000
	if testing.Short() {
		iterations = 2000
	}
	for range iterations {
		src := []byte(string(srcs[rng.IntN(len(srcs))]))
		for range 1 + rng.IntN(4) {
			i := 0
			if len(src) > 0 {
				i = rng.IntN(len(src) + 1)
			}
			switch rng.IntN(4) {
			case 0: // delete a span
				j := min(len(src), i+rng.IntN(8))
				src = append(src[:i:i], src[j:]...)
			case 1: // insert a piece
				p := pieces[rng.IntN(len(pieces))]
				src = append(src[:i:i], append([]byte(p), src[i:]...)...)
			case 2: // duplicate a line
				lines := strings.SplitAfter(string(src), "\n")
				k := rng.IntN(len(lines))
				lines = append(lines[:k+1:k+1], lines[k:]...)
				src = []byte(strings.Join(lines, ""))
			case 3: // replace a byte
				if i < len(src) {
					src[i] = byte(rng.IntN(128))
				}
			}
		}
		checkParse(t, src)
	}
}
