package explain

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/gradgen/gradgen"
	"github.com/gradgen/gradgen/spec"
)

var update = flag.Bool("update", false, "rewrite the golden derivations in testdata/")

func explainSpec(t *testing.T, path string, format Format) []byte {
	t.Helper()
	n, err := spec.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	derived, err := gradgen.Compile(n, gradgen.Options{After: "grad"})
	if err != nil {
		t.Fatal(err)
	}
	final, err := gradgen.Compile(n, gradgen.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := Write(&b, derived, final, format); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestGolden compares the derivation of every network in generated/ with
// testdata/NAME.md and testdata/NAME.tex (go test ./explain -update).
func TestGolden(t *testing.T) {
	for _, name := range []string{"tiny", "digits", "mixed64", "softmax64", "binary64"} {
		for ext, format := range map[string]Format{".md": Markdown, ".tex": TeX} {
			got := explainSpec(t, filepath.Join("..", "generated", name, name+".yaml"), format)
			path := filepath.Join("testdata", name+ext)
			if *update {
				os.MkdirAll("testdata", 0o755)
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./explain -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from %s (rerun with -update if intended):\n%s", name+ext, path, got)
			}
		}
	}
}

// TestTeXCompiles runs pdflatex on the derivation of mixed64 (every
// activation) when a TeX installation is present (Debian's
// texlive-latex-base); elsewhere it is skipped.
// TestReadmeDerivationIsFresh: docs/tiny-derivation.md, which the README
// links, is explain's output for the tiny network.
func TestReadmeDerivationIsFresh(t *testing.T) {
	want := explainSpec(t, filepath.Join("..", "generated", "tiny", "tiny.yaml"), Markdown)
	got, err := os.ReadFile(filepath.Join("..", "docs", "tiny-derivation.md"))
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("docs/tiny-derivation.md is stale: go run ./cmd/gradgen explain generated/tiny/tiny.yaml > docs/tiny-derivation.md (%v)", err)
	}
}

func TestTeXCompiles(t *testing.T) {
	pdflatex, err := exec.LookPath("pdflatex")
	if err != nil {
		t.Skip("pdflatex not installed")
	}
	dir := t.TempDir()
	for _, name := range []string{"tiny", "digits", "mixed64", "softmax64", "binary64"} {
		src := explainSpec(t, filepath.Join("..", "generated", name, name+".yaml"), TeX)
		if err := os.WriteFile(filepath.Join(dir, name+".tex"), src, 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(pdflatex, "-interaction=nonstopmode", "-halt-on-error", name+".tex")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("pdflatex %s.tex: %v\n%s", name, err, out)
		}
	}
}
