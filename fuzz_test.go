package gradgen_test

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"go/format"
	"go/parser"
	"go/token"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime/metrics"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/gradgen/gradgen"
	"github.com/gradgen/gradgen/spec"
)

var updateCorpus = flag.Bool("update-corpus", false, "rewrite the seed corpus of FuzzGenerate in testdata/fuzz/FuzzGenerate")

// fuzzFile is the spec's file name in FuzzGenerate's messages.
const fuzzFile = "fuzz.yaml"

// FuzzGenerate feeds YAML bytes through the whole generator: spec.Parse,
// then gradgen.Generate. Parse must reject the input with positioned
// messages or return a network that validates, and Generate must turn every
// such network into Go source that parses and is already gofmt-formatted,
// without allocating in proportion to a width. Its seeds (testdata/fuzz/FuzzGenerate)
// are every committed spec and every known bad input; go test runs them.
func FuzzGenerate(f *testing.F) {
	f.Fuzz(checkGenerate)
}

// checkGenerate checks FuzzGenerate's property on src.
func checkGenerate(t *testing.T, src []byte) {
	allocStart := allocatedBytes()
	n, err := spec.Parse(fuzzFile, src)
	// Parsing walks the YAML node tree once, following aliases rather
	// than expanding them, so what it allocates is proportional to src.
	if allocated, limit := allocatedBytes()-allocStart, uint64(16<<20+1000*len(src)); allocated > limit {
		t.Errorf("Parse allocated %d MB for %d bytes of spec (limit %d MB)", allocated>>20, len(src), limit>>20)
	}
	if err != nil {
		checkSpecErrors(t, src, err)
		return
	}
	if n == nil {
		t.Fatalf("Parse returned neither a network nor an error")
	}
	if n.ONNX != "" {
		return // its network is in a model file, which FuzzImport (onnxspec) fuzzes
	}
	if err := n.Validate(); err != nil {
		t.Fatalf("Parse returned a network that does not validate: %v", err)
	}

	allocStart = allocatedBytes()
	out, err := gradgen.Generate(n, gradgen.Options{})
	allocated := allocatedBytes() - allocStart
	if err != nil {
		// A network that validates must generate: an error here is a
		// limit that Validate should have reported with a position.
		t.Fatalf("Generate failed on a valid network (widths %v): %v", n.Widths(), err)
	}

	// Generation works per layer, never per element, so its cost grows
	// with the depth and not with the widths. The bound, on the bytes it
	// allocates (about 0.4 MB per layer), is far above what it takes and
	// far below anything proportional to a width; it is a count, not a
	// time, so a loaded machine cannot fail it.
	layers := int64(len(n.Layers))
	if limit := uint64(64<<20 + layers*(4<<20)); allocated > limit {
		t.Errorf("Generate allocated %d MB for widths %v (limit %d MB)", allocated>>20, n.Widths(), limit>>20)
	}

	if _, err := parser.ParseFile(token.NewFileSet(), "gen.go", out, parser.ParseComments); err != nil {
		t.Fatalf("generated code does not parse: %v", err)
	}
	formatted, err := format.Source(out)
	if err != nil {
		t.Fatalf("generated code does not format: %v", err)
	}
	if !bytes.Equal(formatted, out) {
		t.Fatalf("generated code is not gofmt-formatted: gofmt changes it at byte %d", firstDiff(formatted, out))
	}
}

// checkSpecErrors checks that err, returned by Parse for src, is a non-empty
// spec.ErrorList in which every message begins with the file name and,
// when it has a line, with "file:line:col: " at a line of src.
func checkSpecErrors(t *testing.T, src []byte, err error) {
	t.Helper()
	var list spec.ErrorList
	if !errors.As(err, &list) || len(list) == 0 {
		t.Fatalf("Parse error is %T %q, want a non-empty spec.ErrorList", err, err)
	}
	lines := lineCount(src)
	for _, e := range list {
		msg := e.Error()
		if e.Pos.File != fuzzFile {
			t.Fatalf("error %q has file %q, want %q", msg, e.Pos.File, fuzzFile)
		}
		prefix := fuzzFile + ": "
		if e.Pos.Line > 0 {
			if e.Pos.Col < 1 {
				t.Fatalf("error %q has a line but no column", msg)
			}
			if e.Pos.Line > lines {
				t.Fatalf("error %q is at line %d of a %d-line spec", msg, e.Pos.Line, lines)
			}
			prefix = fmt.Sprintf("%s:%d:%d: ", fuzzFile, e.Pos.Line, e.Pos.Col)
		}
		if !strings.HasPrefix(msg, prefix) || len(strings.TrimSpace(e.Msg)) == 0 {
			t.Fatalf("error %q does not start with %q and a message", msg, prefix)
		}
	}
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

func firstDiff(a, b []byte) int {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	return i
}

// allocatedBytes returns the bytes allocated on the heap so far, without
// stopping the world as runtime.ReadMemStats would.
func allocatedBytes() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// fuzzSeeds returns the seeds of FuzzGenerate by corpus file name: every
// spec under generated/, examples/ and bench/nets/, and every known bad
// input of spec/testdata/errors.
func fuzzSeeds(t *testing.T) map[string][]byte {
	var paths []string
	for _, root := range []string{"generated", "examples", "bench/nets"} {
		err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && filepath.Ext(path) == ".yaml" {
				paths = append(paths, path)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	bad, err := filepath.Glob("spec/testdata/errors/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	seeds := map[string][]byte{}
	for _, path := range append(paths, bad...) {
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		// generated/tiny/tiny.yaml → generated-tiny-tiny.yaml
		seeds[strings.ReplaceAll(filepath.ToSlash(path), "/", "-")] = src
	}
	if len(bad) == 0 || len(seeds) == len(bad) {
		t.Fatalf("found %d specs and %d bad inputs; run go test in the module root", len(seeds)-len(bad), len(bad))
	}
	return seeds
}

// TestFuzzGenerateCorpus checks that the seed corpus has a file for every
// committed spec and every known bad input (a spec edited since is still a
// good seed, so only presence is checked); go test -run
// TestFuzzGenerateCorpus -update-corpus rewrites the corpus from the specs,
// in go test's corpus file format.
func TestFuzzGenerateCorpus(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzGenerate")
	for name, src := range fuzzSeeds(t) {
		path := filepath.Join(dir, name)
		want := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", src)
		if *updateCorpus {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if _, err := os.Stat(path); err != nil {
			t.Errorf("seed %s is missing: run go test -run TestFuzzGenerateCorpus -update-corpus", path)
		}
	}
}

// TestGenerateRandomSpecs checks FuzzGenerate's property on random valid
// specs, which byte-level fuzzing seldom reaches: every activation, loss,
// optimizer and dtype, with and without biases, depths 1 to 6, widths 1 to
// 40, and now and then an input half a million wide.
func TestGenerateRandomSpecs(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	pick := func(xs ...string) string { return xs[rng.IntN(len(xs))] }
	width := func() int {
		if rng.IntN(20) == 0 {
			return 500_000
		}
		return 1 + rng.IntN(40)
	}
	count := 100
	if testing.Short() {
		count = 30
	}
	for i := range count {
		var b strings.Builder
		fmt.Fprintf(&b, "package: p%d\ndtype: %s\ninput: %d\nlayers:\n", i, pick("float32", "float64"), width())
		depth, last := 1+rng.IntN(6), 0
		for l := range depth {
			act := pick("none", "relu", "leaky_relu", "sigmoid", "tanh")
			if l == depth-1 {
				act = "none" // so that every loss fits
			}
			last = min(width(), 40)
			fmt.Fprintf(&b, "  - dense: %d\n    activation: %s\n    bias: %t\n", last, act, rng.IntN(4) > 0)
			if act == "leaky_relu" && rng.IntN(2) == 0 {
				b.WriteString("    slope: 0.2\n")
			}
		}
		loss := pick("mse", "softmax_cross_entropy", "binary_cross_entropy")
		if loss == "softmax_cross_entropy" && last == 1 {
			loss = "binary_cross_entropy" // softmax over one class cannot learn; Validate refuses it
		}
		fmt.Fprintf(&b, "loss: %s\noptimizer: {%s}\n", loss,
			pick("sgd: {lr: 0.1}", "momentum: {lr: 0.1, momentum: 0.9}", "adam: {}", "adam: {lr: 0.01, beta1: 0, eps: 1e-6}"))
		src := []byte(b.String())
		if _, err := spec.Parse(fuzzFile, src); err != nil {
			t.Fatalf("random spec does not parse: %v\n%s", err, src)
		}
		checkGenerate(t, src)
	}
}
