package emit

import (
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/gradgen/gradgen/build"
	"github.com/gradgen/gradgen/internal/testmod"
	"github.com/gradgen/gradgen/ir"
	"github.com/gradgen/gradgen/passes"
	"github.com/gradgen/gradgen/spec"
)

// The tests that run generated code build packages into a throwaway module
// (example.com/toy) and run go test there.

// compile builds the program of the spec src of package pkg, through every
// pass, and returns it with its generated source; a problem is fatal, with
// the spec.
func compile(t *testing.T, pkg, src string) (*ir.Program, []byte) {
	t.Helper()
	n, err := spec.Parse(pkg+".yaml", []byte(src))
	if err != nil {
		t.Fatalf("%v\n%s", err, src)
	}
	p, err := build.Program(n, build.Options{})
	if err != nil {
		t.Fatalf("%v\n%s", err, src)
	}
	if err := passes.Run(p, "", true); err != nil {
		t.Fatalf("%v\n%s", err, src)
	}
	code, err := Source(p)
	if err != nil {
		t.Fatalf("%v\n%s", err, src)
	}
	return p, code
}

// toyModule makes the throwaway module in a temporary directory.
func toyModule(t *testing.T) string {
	dir := t.TempDir()
	testmod.Write(t, dir, testmod.Module{Path: "example.com/toy"})
	return dir
}

// writePackage generates package pkg of the spec src into the module dir
// and returns its program.
func writePackage(t *testing.T, dir, pkg, src string) *ir.Program {
	t.Helper()
	p, code := compile(t, pkg, src)
	writeFile(t, filepath.Join(dir, pkg, pkg+"_gen.go"), string(code))
	return p
}

// testModule runs go test on the packages pkgs of the module dir; a failure
// is fatal, saying what failed and with go test's output.
func testModule(t *testing.T, dir, what string, pkgs ...string) {
	t.Helper()
	args := []string{"test", "-count=1"}
	for _, pkg := range pkgs {
		args = append(args, "./"+pkg)
	}
	cmd := exec.Command("go", args...)
	cmd.Dir, cmd.Env = dir, testmod.Env(t)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", what, err, out)
	}
}
