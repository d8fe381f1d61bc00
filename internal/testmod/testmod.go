// Package testmod writes throwaway Go modules that use this checkout, for
// tests that run the go command in them, and makes those runs give the same
// result whatever the module cache held before the test.
//
// A throwaway module requires gradgen through a replace directive and lists
// gradgen's own requirements and go.sum, so the go command resolves nothing
// anew. Its go commands then run offline (GOPROXY=off): a missing module is
// an error, never a download, and an error message never names a proxy. An
// offline go command still reads from the module cache whatever the module
// graph names, and which of those files an empty cache lacks depends on which
// go commands ran before; so Env first fills the cache, once per test binary,
// with everything the graph can ask for.
package testmod

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
)

// Root returns the directory of this checkout's go.mod.
func Root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// Module describes a throwaway module.
type Module struct {
	Path  string   // its module path
	Tools []string // packages its go.mod pins with tool directives
}

// Write makes dir the module m: it requires github.com/gradgen/gradgen,
// replaced by this checkout, lists the checkout's requirements as indirect
// ones with the checkout's go line, and copies its go.sum. It fails the test
// when dir already has a go.mod.
func Write(t testing.TB, dir string, m Module) {
	t.Helper()
	root := Root()
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	gosum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	var goLine string
	var reqs []string
	for line := range strings.Lines(string(gomod)) {
		f := strings.Fields(line)
		switch {
		case len(f) == 2 && f[0] == "go":
			goLine = line // the checkout's, so the go command has no reason to rewrite it
		case len(f) >= 2 && strings.Contains(f[0], ".") && strings.HasPrefix(f[1], "v"):
			reqs = append(reqs, "\t"+f[0]+" "+f[1]+" // indirect")
		}
	}
	slices.Sort(reqs)
	var b strings.Builder
	fmt.Fprintf(&b, "module %s\n\n%s\nrequire github.com/gradgen/gradgen v0.0.0\n\n", m.Path, goLine)
	fmt.Fprintf(&b, "require (\n%s\n)\n\nreplace github.com/gradgen/gradgen => %s\n", strings.Join(slices.Compact(reqs), "\n"), root)
	for _, tool := range m.Tools {
		fmt.Fprintf(&b, "\ntool %s\n", tool)
	}
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
		t.Fatalf("%s already has a go.mod", dir)
	}
	writeFile(t, filepath.Join(dir, "go.mod"), b.String())
	writeFile(t, filepath.Join(dir, "go.sum"), string(gosum))
}

// Env returns the environment for go commands in a throwaway module: this
// process's, with the module proxy off, go.mod updates allowed (-mod=mod), no
// workspace, no VCS stamping and no toolchain switch. Before the first
// return it fills the module cache, with the proxy this process was given,
// with the go.mod file of every module in the checkout's module graph (go
// list -m all) and the source of every module the checkout requires (go mod
// download); it fails the test when that fails.
func Env(t testing.TB) []string {
	t.Helper()
	fillCache(t)
	return append(os.Environ(), offline...)
}

// offline is what Env sets.
var offline = []string{"GOPROXY=off", "GOFLAGS=-mod=mod -buildvcs=false", "GOWORK=off", "GOTOOLCHAIN=local"}

// Setenv sets the variables of Env in this process for the rest of the test,
// for tests that run the go command through the code under test.
func Setenv(t testing.TB) {
	t.Helper()
	fillCache(t)
	for _, kv := range offline {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
}

var fill struct {
	sync.Once
	err error
}

// fillCache downloads, once per test binary, what an offline go command in a
// throwaway module may read from the module cache.
func fillCache(t testing.TB) {
	t.Helper()
	fill.Do(func() { fill.err = download() })
	if fill.err != nil {
		t.Fatalf("filling the module cache: %v", fill.err)
	}
}

// download runs, in the checkout and with this process's environment, the go
// commands that fill the module cache.
func download() error {
	for _, args := range [][]string{{"list", "-m", "all"}, {"mod", "download"}} {
		cmd := exec.Command("go", args...)
		cmd.Dir = Root()
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=readonly", "GOWORK=off")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	return nil
}

func writeFile(t testing.TB, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}
