package spec_test

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gradgen/gradgen/spec"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/errors")

// TestErrorsGolden parses each testdata/errors/NAME.yaml and compares the
// error output with testdata/errors/NAME.golden.
func TestErrorsGolden(t *testing.T) {
	paths, err := filepath.Glob("testdata/errors/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatal("no test cases in testdata/errors")
	}
	for _, path := range paths {
		path = filepath.ToSlash(path)
		name := strings.TrimSuffix(filepath.Base(path), ".yaml")
		t.Run(name, func(t *testing.T) {
			n, err := spec.Load(path)
			if err == nil {
				t.Fatalf("Load(%q) = %+v, want errors", path, n)
			}
			if n != nil {
				t.Errorf("Load(%q) returned a network along with errors", path)
			}
			var list spec.ErrorList
			if !errors.As(err, &list) || len(list) == 0 {
				t.Fatalf("Load(%q) error is %T, want a non-empty spec.ErrorList", path, err)
			}
			for _, e := range list {
				if e.Pos.File != path {
					t.Errorf("error %q has file %q, want %q", e, e.Pos.File, path)
				}
			}
			got := err.Error() + "\n"
			golden := strings.TrimSuffix(path, ".yaml") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./spec -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("errors of %s:\n%s\nwant (%s):\n%s", path, got, golden, want)
			}
		})
	}
}
