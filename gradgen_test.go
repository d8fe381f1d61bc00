package gradgen_test

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/gradgen/gradgen"
	"github.com/gradgen/gradgen/emit"
	"github.com/gradgen/gradgen/internal/header"
	"github.com/gradgen/gradgen/spec"
)

// checkedInSpecs lists every spec whose generated code is committed: the
// YAML files under generated/ and examples/ with a _gen.go file beside them.
func checkedInSpecs(t *testing.T) []string {
	var specs []string
	for _, root := range []string{"generated", "examples", "bench"} {
		err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || filepath.Ext(path) != ".yaml" {
				return err
			}
			if _, err := os.Stat(strings.TrimSuffix(path, ".yaml") + "_gen.go"); err == nil {
				specs = append(specs, path)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(specs) < 5 {
		t.Fatalf("found only %d checked-in specs: %v", len(specs), specs)
	}
	return specs
}

// TestCheckedInCodeIsFresh regenerates every checked-in package in memory and
// compares it byte for byte with the committed file (make generate fixes it).
func TestCheckedInCodeIsFresh(t *testing.T) {
	for _, path := range checkedInSpecs(t) {
		n, err := spec.Load(path)
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		src, err := gradgen.Generate(n, gradgen.Options{})
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		out := strings.TrimSuffix(path, ".yaml") + "_gen.go"
		have, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(have, src) {
			t.Errorf("%s is stale: run make generate", out)
		}
	}
}

// TestGenerateIsDeterministic: same spec, same bytes, and the header is the
// one go generate's convention recognises, with no absolute path.
func TestGenerateIsDeterministic(t *testing.T) {
	headerRE := regexp.MustCompile(emit.HeaderRE)
	for _, path := range checkedInSpecs(t) {
		a := generate(t, path)
		b := generate(t, path)
		if !bytes.Equal(a, b) {
			t.Errorf("%s: two generations differ", path)
		}
		first, _, _ := strings.Cut(string(a), "\n")
		info, ok := header.Parse(first)
		if !headerRE.MatchString(first) || !ok || info.Source != filepath.Base(path) || info.Hash != load(t, path).Hash() {
			t.Errorf("%s: header %q", path, first)
		}
		if abs, _ := filepath.Abs("."); strings.Contains(string(a), abs) {
			t.Errorf("%s: generated code contains the absolute path %s", path, abs)
		}
	}
}

func load(t *testing.T, path string) *spec.Network {
	t.Helper()
	n, err := spec.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func generate(t *testing.T, path string) []byte {
	t.Helper()
	src, err := gradgen.Generate(load(t, path), gradgen.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return src
}
