package cli

import (
	"bytes"
	"encoding/base64"
	"errors"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"

	"github.com/gradgen/gradgen/internal/testmod"
	"github.com/gradgen/gradgen/onnxspec/onnxpb"
)

var update = flag.Bool("update", false, "rewrite the want sections of testdata/catalogue/*.txtar")

// The catalogue of bad input: each testdata/catalogue/NAME.txtar is one
// run of gradgen on bad input. Its comment says what the case is about; its
// files are the case's directory (a YAML spec, or a Go package for a Go
// spec, and sometimes a previous output file); its "cmd" section holds the
// arguments, split at spaces; its "want" section holds the exact stderr
// followed by a line "exit N".
//
// A case whose files include Go source runs in a module example.com/cat
// that requires this checkout through a replace directive, offline, as a
// user's module would (see package testmod); the harness writes its go.mod.
//
// In stderr, the case's directory reads as $DIR and this checkout as $ROOT.
//
// go test -run TestCatalogue -update rewrites the want sections.

// TestCatalogue runs every case in-process in a temporary directory and
// compares stderr and the exit code with the case's want section. It also
// checks that a failed run leaves the directory as it was: no output
// written, no temporary file left, a previous output file unchanged. The
// cases change the working directory, so they do not run in parallel.
func TestCatalogue(t *testing.T) {
	paths, err := filepath.Glob("testdata/catalogue/*.txtar")
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) < 30 {
		t.Fatalf("found %d cases in testdata/catalogue, want at least 30", len(paths))
	}
	root, err := filepath.Abs(filepath.Join("..", "..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range paths {
		name := strings.TrimSuffix(filepath.Base(path), ".txtar")
		path, err := filepath.Abs(path) // the case runs in its own directory
		if err != nil {
			t.Fatal(err)
		}
		t.Run(name, func(t *testing.T) { runCase(t, path, root) })
	}
}

// runCase runs the catalogue case in the archive at path.
func runCase(t *testing.T, path, root string) {
	ar, err := txtar.ParseFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var args []string
	var want string
	hasCmd, hasWant, goSpec := false, false, false
	dir := t.TempDir()
	for _, f := range ar.Files {
		switch f.Name {
		case "cmd":
			hasCmd = true
			args = strings.Fields(string(f.Data))
		case "want":
			hasWant = true
			want = string(f.Data)
		default:
			goSpec = goSpec || filepath.Ext(f.Name) == ".go" && !strings.HasSuffix(f.Name, "_gen.go")
			writeCaseFile(t, filepath.Join(dir, f.Name), f.Data)
		}
	}
	if !hasCmd || !hasWant && !*update {
		t.Fatalf("%s needs a cmd and a want section", path)
	}
	if goSpec {
		testmod.Write(t, dir, testmod.Module{Path: "example.com/cat"})
		testmod.Setenv(t)
	}
	before := snapshot(t, dir)

	t.Chdir(dir)
	var stdout, stderr bytes.Buffer
	code := Main(args, &stdout, &stderr)
	got := normalise(stderr.String(), dir, root) + "exit " + strconv.Itoa(code) + "\n"

	if *update {
		for i := range ar.Files {
			if ar.Files[i].Name == "want" {
				ar.Files[i].Data = []byte(got)
			}
		}
		if !hasWant {
			ar.Files = append(ar.Files, txtar.File{Name: "want", Data: []byte(got)})
		}
		if err := os.WriteFile(path, txtar.Format(ar), 0o644); err != nil {
			t.Fatal(err)
		}
	} else if got != want {
		t.Errorf("gradgen %s:\n got: %s\nwant: %s", strings.Join(args, " "), indent(got), indent(want))
	}
	if code == ExitOK {
		t.Errorf("gradgen %s succeeded; the catalogue is of failures", strings.Join(args, " "))
	}
	if stdout.Len() > 0 {
		t.Errorf("a failed run wrote to stdout:\n%s", stdout.String())
	}

	// A failed run leaves the directory as it was.
	after := snapshot(t, dir)
	for name, data := range after {
		if old, ok := before[name]; !ok {
			t.Errorf("a failed run left %s behind", name)
		} else if !bytes.Equal(old, data) {
			t.Errorf("a failed run changed %s", name)
		}
	}
	for name := range before {
		if _, ok := after[name]; !ok {
			t.Errorf("a failed run removed %s", name)
		}
	}
}

// writeCaseFile writes one file of a case, creating its directory.
//
// An ONNX model, which is binary, is written in a case as NAME.onnx.txtpb,
// the protobuf text format of its ModelProto (the harness writes NAME.onnx
// in the binary format), or as NAME.onnx.b64, its bytes in base64, for a
// file that is not a valid model.
func writeCaseFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	switch {
	case strings.HasSuffix(path, ".onnx.txtpb"):
		var m onnxpb.ModelProto
		if err := prototext.Unmarshal(data, &m); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		var err error
		if data, err = proto.Marshal(&m); err != nil {
			t.Fatal(err)
		}
		path = strings.TrimSuffix(path, ".txtpb")
	case strings.HasSuffix(path, ".onnx.b64"):
		var err error
		if data, err = base64.StdEncoding.DecodeString(strings.TrimSpace(string(data))); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		path = strings.TrimSuffix(path, ".b64")
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// snapshot returns the contents of every file below dir by relative path,
// with directories as entries of nil contents. The go command may update
// a Go-spec case's go.sum, which is part of the harness, not of the case.
func snapshot(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || path == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		if rel == "go.sum" {
			return nil
		}
		if d.IsDir() {
			files[rel+"/"] = nil
			return nil
		}
		data, err := os.ReadFile(path)
		files[rel] = data
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// normalise makes stderr independent of where the test runs.
func normalise(s, dir, root string) string {
	s = strings.ReplaceAll(s, dir, "$DIR")
	if real, err := filepath.EvalSymlinks(dir); err == nil && real != dir {
		s = strings.ReplaceAll(s, real, "$DIR")
	}
	return strings.ReplaceAll(s, root, "$ROOT")
}

func indent(s string) string {
	return strings.ReplaceAll(strings.TrimSuffix(s, "\n"), "\n", "\n      ") + "\n"
}

// TestInterruptedWriteKeepsPreviousFile: when writing the new output fails
// part-way (the disk fills up, say), gen exits 1, the previous output is
// unchanged and the partly written temporary file is removed.
func TestInterruptedWriteKeepsPreviousFile(t *testing.T) {
	dir := t.TempDir()
	spec := filepath.Join(dir, "net.yaml")
	out := filepath.Join(dir, "net_gen.go")
	previous := []byte("// previous output\npackage net\n")
	writeCaseFile(t, spec, []byte(goodSpec))
	writeCaseFile(t, out, previous)

	written := 0
	writeTemp = func(f *os.File, data []byte) (int, error) {
		n, err := f.Write(data[:len(data)/2])
		written += n
		if err != nil {
			return n, err
		}
		return n, errors.New("no space left on device (simulated)")
	}
	t.Cleanup(func() { writeTemp = (*os.File).Write })

	var stdout, stderr bytes.Buffer
	code := Main([]string{"gen", spec}, &stdout, &stderr)
	if want := "gradgen: cannot write " + out + ": no space left on device (simulated)\n"; code != ExitStale || stderr.String() != want {
		t.Errorf("exit %d, stderr %q; want exit %d, stderr %q", code, stderr.String(), ExitStale, want)
	}
	if written == 0 {
		t.Fatal("the simulated write wrote nothing; the test does not test an interrupted write")
	}
	if have, _ := os.ReadFile(out); !bytes.Equal(have, previous) {
		t.Errorf("the previous output changed to:\n%.200s", have)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() != "net.yaml" && e.Name() != "net_gen.go" {
			t.Errorf("the failed write left %s behind", e.Name())
		}
	}
}
