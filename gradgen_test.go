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
	"github.com/gradgen/gradgen/onnxspec"
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
		n, err := onnxspec.Load(path)
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		files, err := gradgen.GenerateFiles(n, gradgen.Options{})
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		out := strings.TrimSuffix(path, ".yaml") + "_gen.go"
		want := map[string][]byte{out: files.Source}
		if files.WeightsName != "" {
			want[filepath.Join(filepath.Dir(path), files.WeightsName)] = files.Weights
		}
		for name, data := range want {
			have, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(have, data) {
				t.Errorf("%s is stale: run make generate", name)
			}
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
	n, err := onnxspec.Load(path)
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

// TestGenerateNormalizes: a program may pass Generate a spec.Network it
// built itself, with PyTorch's defaults left out as a YAML spec leaves them
// out. Generate must read it as the YAML path does (the same bytes, so the
// header's hash describes the code), and leave the caller's value as it was.
func TestGenerateNormalizes(t *testing.T) {
	const src = `package: net
input: 3
layers:
  - dense: 4
    activation: leaky_relu
  - dense: 2
loss: mse
optimizer:
  adam: {}
`
	parsed, err := spec.Parse("net.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want, err := gradgen.Generate(parsed, gradgen.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// The same network with every default left out, positions kept.
	raw := *parsed
	raw.DType = ""
	raw.Layers = append([]spec.Layer(nil), parsed.Layers...)
	raw.Layers[0].Slope = 0
	raw.Layers[1].Activation = ""
	raw.Optimizer.Adam = &spec.Adam{Pos: parsed.Optimizer.Adam.Pos}
	got, err := gradgen.Generate(&raw, gradgen.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("Generate on the unnormalised network differs from the YAML path:\n%.600s", got)
	}
	if raw.DType != "" || raw.Layers[0].Slope != 0 || raw.Optimizer.Adam.LR != 0 {
		t.Errorf("Generate changed the caller's network: %+v", raw)
	}
	if raw.Hash() != parsed.Hash() {
		t.Errorf("hash of the unnormalised network %s, of the parsed one %s", raw.Hash(), parsed.Hash())
	}
}
