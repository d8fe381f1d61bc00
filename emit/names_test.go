package emit

import (
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/tools/go/packages"

	"github.com/gradgen/gradgen/build"
	"github.com/gradgen/gradgen/ir"
	"github.com/gradgen/gradgen/passes"
	"github.com/gradgen/gradgen/spec"
)

// nameSpecs reach every scope where map operands are bound: the epilogues
// of gemm, transposed, vector, whole and scalar products, and a loss
// gradient with a map; tile sizes 2 and 32 reach the batched row kernels
// (Dot4x3 among them).
var nameSpecs = []struct {
	yaml string
	rows int
}{
	{"package: a\ninput: 40\nlayers:\n  - dense: 40\n    activation: sigmoid\n  - dense: 5\n    activation: tanh\n" +
		"  - dense: 3\n    activation: relu\nloss: mse\noptimizer:\n  sgd: {lr: 0.1}\n", 32},
	{"package: a\ninput: 40\nlayers:\n  - dense: 40\n    activation: sigmoid\n  - dense: 5\n    activation: leaky_relu\n" +
		"  - dense: 3\n    activation: relu\nloss: mse\noptimizer:\n  sgd: {lr: 0.1}\n", 2},
	{"package: b\ndtype: float64\ninput: 20\nlayers:\n  - dense: 20\n    activation: tanh\n  - dense: 20\n    activation: leaky_relu\n" +
		"  - dense: 2\nloss: softmax_cross_entropy\noptimizer:\n  adam: {lr: 0.01}\n", 32},
}

// compiled returns the planned programs of nameSpecs.
func compiled(t *testing.T) []*ir.Program {
	t.Helper()
	var progs []*ir.Program
	for _, s := range nameSpecs {
		n, err := spec.Parse("names.yaml", []byte(s.yaml))
		if err != nil {
			t.Fatal(err)
		}
		p, err := build.Program(n, build.Options{TileRows: s.rows})
		if err != nil {
			t.Fatal(err)
		}
		if err := passes.Run(p, "", true); err != nil {
			t.Fatal(err)
		}
		progs = append(progs, p)
	}
	return progs
}

// TestNoLocalShadowsAParameter: in the committed generated files and in
// those of nameSpecs, no local of a function has the name of one of its
// parameters (or of its receiver).
func TestNoLocalShadowsAParameter(t *testing.T) {
	files, err := filepath.Glob("../*/*/*_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	more, _ := filepath.Glob("../*/*/*/*_gen.go")
	files = append(append(files, more...), "../examples/policy/policy_gen.go")
	if len(files) < 10 {
		t.Fatalf("found only %d generated files", len(files))
	}
	for _, path := range files {
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		checkNoShadowedParams(t, path, src)
	}
	for i, p := range compiled(t) {
		src, err := Source(p)
		if err != nil {
			t.Fatal(err)
		}
		checkNoShadowedParams(t, nameSpecs[i].yaml[:10], src)
	}
}

func checkNoShadowedParams(t *testing.T, name string, src []byte) {
	t.Helper()
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, name, src, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range file.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok || fn.Body == nil {
			continue
		}
		params := fieldNames(fn.Type.Params)
		if fn.Recv != nil {
			params = append(params, fieldNames(fn.Recv)...)
		}
		for _, local := range locals(fn.Body) {
			if slices.Contains(params, local.Name) {
				t.Errorf("%s: %s: the local %s shadows a parameter of %s", name, fset.Position(local.Pos()), local.Name, fn.Name.Name)
			}
		}
	}
}

func fieldNames(fields *ast.FieldList) []string {
	var names []string
	for _, f := range fields.List {
		for _, n := range f.Names {
			names = append(names, n.Name)
		}
	}
	return names
}

// locals lists the identifiers body declares: by :=, var, and the
// parameters of function literals.
func locals(body *ast.BlockStmt) []*ast.Ident {
	var ids []*ast.Ident
	ast.Inspect(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.AssignStmt:
			if n.Tok == token.DEFINE {
				for _, e := range n.Lhs {
					if id, ok := e.(*ast.Ident); ok {
						ids = append(ids, id)
					}
				}
			}
		case *ast.RangeStmt:
			if n.Tok == token.DEFINE {
				for _, e := range []ast.Expr{n.Key, n.Value} {
					if id, ok := e.(*ast.Ident); ok {
						ids = append(ids, id)
					}
				}
			}
		case *ast.ValueSpec:
			ids = append(ids, n.Names...)
		case *ast.FuncLit:
			for _, f := range n.Type.Params.List {
				ids = append(ids, f.Names...)
			}
		}
		return true
	})
	return ids
}

// TestMapOperandNames gives the values that map operands hold every name
// the generated code uses (its locals and parameters, the packages it
// imports, Go's predeclared names) and expects code that still type-checks:
// reserved keeps an operand from colliding with a local in its scope.
func TestMapOperandNames(t *testing.T) {
	if testing.Short() {
		t.Skip("loads the runtime's types with the go command")
	}
	imp := runtimeImporter(t)
	progs := compiled(t)
	candidates := []string{"_", "gradgen", "unsafe", "sync", "len", "min", "float32", "float64", "true", "nil", "first", "step", "fresh"}
	for _, p := range progs {
		src, err := Source(p)
		if err != nil {
			t.Fatal(err)
		}
		candidates = append(candidates, declaredNames(t, src)...)
	}
	slices.Sort(candidates)
	candidates = slices.Compact(candidates)
	for _, name := range candidates {
		for _, p := range progs {
			for _, f := range p.Funcs {
				for _, v := range f.Values {
					for _, m := range v.Maps {
						for _, a := range m.Args {
							a.Name = strings.ToUpper(name[:1]) + name[1:] // lowerFirst gives name back
						}
					}
				}
			}
			src, err := Source(p)
			if err != nil {
				t.Fatal(err)
			}
			if err := typeCheck(src, imp); err != nil {
				t.Errorf("map operands named %q: %v", name, err)
			}
		}
	}
}

// declaredNames lists the names the generated file declares inside its
// functions, and their parameters.
func declaredNames(t *testing.T, src []byte) []string {
	file, err := parser.ParseFile(token.NewFileSet(), "gen.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range file.Decls {
		if fn, ok := d.(*ast.FuncDecl); ok && fn.Body != nil {
			names = append(names, fieldNames(fn.Type.Params)...)
			for _, id := range locals(fn.Body) {
				names = append(names, id.Name)
			}
		}
	}
	return names
}

type importerFunc func(path string) (*types.Package, error)

func (f importerFunc) Import(path string) (*types.Package, error) { return f(path) }

// runtimeImporter imports the packages generated code imports.
func runtimeImporter(t *testing.T) types.Importer {
	pkgs, err := packages.Load(&packages.Config{Mode: packages.NeedName | packages.NeedTypes}, runtimePath, "sync")
	if err != nil {
		t.Fatal(err)
	}
	byPath := map[string]*types.Package{"unsafe": types.Unsafe}
	for _, p := range pkgs {
		if p.Types == nil || len(p.Errors) > 0 {
			t.Fatalf("loading %s: %v", p.PkgPath, p.Errors)
		}
		byPath[p.PkgPath] = p.Types
	}
	return importerFunc(func(path string) (*types.Package, error) {
		if p := byPath[path]; p != nil {
			return p, nil
		}
		return nil, os.ErrNotExist
	})
}

func typeCheck(src []byte, imp types.Importer) error {
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, "gen.go", src, 0)
	if err != nil {
		return err
	}
	_, err = (&types.Config{Importer: imp}).Check("a", fset, []*ast.File{file}, nil)
	return err
}
