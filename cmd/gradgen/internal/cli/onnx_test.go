package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// copyModel copies onnxspec's test model into dir as name.
func copyModel(t *testing.T, dir, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "..", "..", "onnxspec", "testdata", "mlp.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestGenONNX: gen reads a model directly, names the package after the
// file (or -package), writes the weights file beside the code, and check
// (one file, and ./...) reports a changed or missing weights file as stale.
func TestGenONNX(t *testing.T) {
	dir := t.TempDir()
	model := copyModel(t, dir, "Scorer-v2.onnx")
	if code, _, stderr := run("gen", model); code != ExitOK {
		t.Fatalf("gen: exit %d: %s", code, stderr)
	}
	src, err := os.ReadFile(filepath.Join(dir, "Scorer-v2_gen.go"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"\npackage scorerv2\n", "//go:embed scorerv2_weights.bin", "func NewPretrained() *Model"} {
		if !strings.Contains(string(src), want) {
			t.Errorf("the generated file lacks %q", want)
		}
	}
	weights := filepath.Join(dir, "scorerv2_weights.bin")
	if code, _, stderr := run("check", model); code != ExitOK {
		t.Errorf("check of fresh files: exit %d: %s", code, stderr)
	}
	if code, _, stderr := run("check", filepath.Join(dir, "...")); code != ExitOK {
		t.Errorf("check DIR/... of fresh files: exit %d: %s", code, stderr)
	}
	data, _ := os.ReadFile(weights)
	data[len(data)/2] ^= 1
	os.WriteFile(weights, data, 0o644)
	if code, _, stderr := run("check", model); code != ExitStale || !strings.Contains(stderr, "scorerv2_weights.bin is stale") {
		t.Errorf("check of a changed weights file: exit %d: %s", code, stderr)
	}
	if code, _, stderr := run("check", filepath.Join(dir, "...")); code != ExitStale || !strings.Contains(stderr, "scorerv2_weights.bin") {
		t.Errorf("check DIR/... of a changed weights file: exit %d: %s", code, stderr)
	}
	os.Remove(weights)
	if code, _, stderr := run("check", model); code != ExitStale || !strings.Contains(stderr, "is missing") {
		t.Errorf("check of a missing weights file: exit %d: %s", code, stderr)
	}

	// -package names it; check ./... finds the name in the generated file.
	if code, _, stderr := run("gen", "-package", "scorer", "-o", filepath.Join(dir, "scorer_gen.go"), model); code != ExitOK {
		t.Fatalf("gen -package: exit %d: %s", code, stderr)
	}
	os.Remove(filepath.Join(dir, "Scorer-v2_gen.go"))
	if code, _, stderr := run("check", filepath.Join(dir, "...")); code != ExitOK {
		t.Errorf("check DIR/... of a package named by -package: exit %d: %s", code, stderr)
	}
	if code, _, stderr := run("gen", "-package", "x", filepath.Join(dir, "net.yaml")); code != ExitUsage || !strings.Contains(stderr, "-package names the package of an ONNX model") {
		t.Errorf("gen -package with a YAML spec: exit %d: %s", code, stderr)
	}
}
