package spec_test

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/gradgen/gradgen/spec"
)

// seeds returns the good and bad specs of the tests.
func seeds(t testing.TB) [][]byte {
	srcs := [][]byte{
		[]byte(tinySpec),
		[]byte("package: p\ninput: 2\nlayers: [{dense: 1}]\nloss: mse\noptimizer: {adam: {}}\n"),
		[]byte("package: p\ninput: 2\nlayers: [&h {dense: 8}, *h, {dense: 1}]\nloss: mse\noptimizer: {momentum: {lr: 1, momentum: 0.5}}\n"),
	}
	for _, c := range indentCases {
		srcs = append(srcs, []byte(c.src))
	}
	for _, c := range standInCases {
		srcs = append(srcs, []byte(c.src))
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
// message starts with the file name and, when it has a line, with
// "file:line:col: " at a line of src.
func checkParse(t *testing.T, src []byte) {
	t.Helper()
	const file = "fuzz.yaml"
	n, err := spec.Parse(file, src)
	// YAML may be UTF-16 behind a byte order mark: the same text so
	// encoded must give the same result, positions and all. (Not for text
	// with characters YAML forbids: the decoder finds them up front in
	// UTF-8, but only when it reaches them in UTF-16.)
	if yamlText(src) && !bytes.HasPrefix(src, []byte("\ufeff")) {
		if _, err16 := spec.Parse(file, utf16LE(src)); fmt.Sprint(err16) != fmt.Sprint(err) {
			t.Fatalf("Parse(%q) in UTF-16 gives\n%v\nwant, as in UTF-8,\n%v", src, err16, err)
		}
	}
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
	lines := lineCount(src)
	for _, e := range list {
		prefix := file + ": "
		if e.Pos.Line > 0 {
			if e.Pos.Col < 1 || e.Pos.Line > lines {
				t.Fatalf("Parse(%q): error %q is at line %d, column %d of a %d-line spec", src, e, e.Pos.Line, e.Pos.Col, lines)
			}
			prefix = fmt.Sprintf("%s:%d:%d: ", file, e.Pos.Line, e.Pos.Col)
		}
		if e.Pos.File != file || !strings.HasPrefix(e.Error(), prefix) || strings.TrimSpace(e.Msg) == "" {
			t.Fatalf("Parse(%q): error %q does not start with %q and a message", src, e, prefix)
		}
	}
}

// yamlText reports whether src is UTF-8 text of characters YAML allows.
func yamlText(src []byte) bool {
	for _, r := range string(src) {
		ok := r == '\t' || r == '\n' || r == '\r' || r == 0x85 || r >= 0x20 && r <= 0x7E ||
			r >= 0xA0 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000
		if !ok {
			return false
		}
	}
	return utf8.Valid(src)
}

// utf16LE encodes the UTF-8 text src as UTF-16LE behind a byte order mark.
func utf16LE(src []byte) []byte {
	b := []byte{0xFF, 0xFE}
	for _, u := range utf16.Encode([]rune(string(src))) {
		b = append(b, byte(u), byte(u>>8))
	}
	return b
}

// lineCount returns the number of lines of src as YAML counts them: it
// breaks lines at \n, \r\n, \r, NEL, LS and PS, and reads UTF-16 behind a
// byte order mark.
func lineCount(src []byte) int {
	s := string(src)
	if len(src) >= 2 && (src[0] == 0xFE && src[1] == 0xFF || src[0] == 0xFF && src[1] == 0xFE) {
		units := make([]uint16, len(src)/2-1)
		for i := range units {
			hi, lo := src[2+2*i], src[3+2*i]
			if src[0] == 0xFF {
				hi, lo = lo, hi
			}
			units[i] = uint16(hi)<<8 | uint16(lo)
		}
		s = string(utf16.Decode(units))
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return 1 + strings.Count(s, "\n") + strings.Count(s, "\r") +
		strings.Count(s, "\u0085") + strings.Count(s, "\u2028") + strings.Count(s, "\u2029")
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
