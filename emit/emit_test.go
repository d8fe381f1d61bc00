package emit

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/dave/jennifer/jen"

	"github.com/gradgen/gradgen/ir"
)

// TestEveryOpHasAnEmitter: each op that computes has a loop emitter, and each
// element-wise op can also be printed as a map inside another op's loop.
func TestEveryOpHasAnEmitter(t *testing.T) {
	for _, op := range ir.Ops() {
		switch op.Info().Class {
		case ir.Leaf, ir.Layer:
			if opEmitters[op] != nil {
				t.Errorf("%s needs no code but has an emitter", op)
			}
			continue
		case ir.Elementwise:
			if mapEmitters[op] == nil {
				t.Errorf("element-wise op %s has no map emitter", op)
			}
		}
		if opEmitters[op] == nil {
			t.Errorf("op %s has no emitter", op)
		}
	}
}

// TestBackwardStatementsNameTheirRule spot-checks the committed tiny package:
// each derived statement is preceded by the equation it implements.
func TestBackwardStatementsNameTheirRule(t *testing.T) {
	src, err := os.ReadFile("../generated/tiny/tiny_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, rule := range []string{
		"// z̄3 = 2(z3 − t) / (N·n)",
		"// W̄3 += z̄3 a2ᵀ",
		"// B̄3 += z̄3",
		"// a\u03042 = W3ᵀ z̄3",
		"// z̄2 = a\u03042 ⊙ 1[a2 > 0]",
		"// W̄1 += z̄1 xᵀ",
	} {
		if !strings.Contains(string(src), rule) {
			t.Errorf("tiny_gen.go lacks the comment %q", rule)
		}
	}
}

// TestVersionGuard builds the committed tiny package against a copy of the
// runtime: it compiles against a runtime that supports its version and
// fails against one that does not.
func TestVersionGuard(t *testing.T) {
	if testing.Short() {
		t.Skip("builds with the go command")
	}
	build := func(maxVersion string) (string, error) {
		dir := t.TempDir()
		write := func(name string, data []byte) {
			path := filepath.Join(dir, name)
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		write("go.mod", []byte("module github.com/gradgen/gradgen\n\ngo 1.24\n"))
		files, _ := filepath.Glob("../runtime/*.[gs]*")
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if filepath.Base(f) == "version.go" {
				s := strings.Replace(string(data), "MaxVersion = 1", "MaxVersion = "+maxVersion, 1)
				s = strings.Replace(s, "GenVersion = 1", "GenVersion = "+maxVersion, 1)
				s = strings.Replace(s, "MinVersion = 1", "MinVersion = "+maxVersion, 1)
				data = []byte(s)
			}
			write("runtime/"+filepath.Base(f), data)
		}
		gen, err := os.ReadFile("../generated/tiny/tiny_gen.go")
		if err != nil {
			t.Fatal(err)
		}
		write("tiny/tiny_gen.go", gen)
		cmd := exec.Command("go", "build", "./tiny")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := build("1"); err != nil {
		t.Fatalf("against its own runtime version: %v\n%s", err, out)
	}
	out, err := build("2")
	if err == nil || !strings.Contains(out, "EnforceVersion") {
		t.Errorf("against a runtime of version 2: err %v, output:\n%s", err, out)
	}
}

// TestParamInit: each kind of initialisation is one statement of Init on
// the parameter's span of Params.Slice().
func TestParamInit(t *testing.T) {
	w := ir.Param{Name: "W1", Type: ir.Matrix(4, 3), Init: ir.InitLinearWeight, FanIn: 3, Offset: 0}
	b := ir.Param{Name: "B1", Type: ir.Vector(4), Init: ir.InitLinearBias, FanIn: 3, Offset: 12}
	g := ir.Param{Name: "G", Type: ir.Vector(4), Init: ir.InitOnes, Offset: 16}
	z := ir.Param{Name: "Z", Type: ir.Vector(4), Init: ir.InitZeros, Offset: 20}
	for _, tt := range []struct {
		code Code
		want string
	}{
		{paramInit(w, &b), "gradgen.InitLinear(&r, s[0:12], s[12:16], 3)"},
		{paramInit(w, nil), "gradgen.InitLinear(&r, s[0:12], nil, 3)"},
		{paramInit(b, nil), "gradgen.InitLinearBias(&r, s[12:16], 3)"},
		{paramInit(g, nil), "gradgen.Fill(s[16:20], 1)"},
		{paramInit(z, nil), "clear(s[20:24])"},
		{paramInit(ir.Param{Name: "E", Type: ir.Matrix(5, 2), Init: ir.InitNormal, Offset: 24}, nil), "gradgen.InitNormal(&r, s[24:34])"},
	} {
		f := NewFile("p")
		f.ImportAlias(runtimePath, "gradgen")
		f.Func().Id("f").Params().Block(tt.code)
		if got := f.GoString(); !strings.Contains(got, tt.want) {
			t.Errorf("got\n%s\nwant a line %s", got, tt.want)
		}
	}
}
