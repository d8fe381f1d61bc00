package gospec

import (
	"bytes"
	"encoding/gob"
	"errors"
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/tools/go/packages"

	"github.com/gradgen/gradgen/spec"
)

const specPath = "github.com/gradgen/gradgen/spec"

// Load finds the variable ref names, relative to dir (the directory gradgen
// runs in, inside the user's module), computes its value and returns it
// normalised and validated, with the positions of its literal fields. All
// problems come back as a spec.ErrorList whose positions name Go files
// relative to dir.
func Load(dir, ref string) (*spec.Network, error) {
	r, err := ParseRef(ref)
	if err != nil {
		return nil, err
	}
	pkg, errs := load(dir, r)
	if errs != nil {
		return nil, errs
	}
	obj, errs := findVar(dir, pkg, r)
	if errs != nil {
		return nil, errs
	}
	n, err := evaluate(dir, pkg.PkgPath, r.Var, isPointer(obj.Type()))
	if err != nil {
		pos := position(dir, pkg.Fset, obj.Pos())
		var pe *panicError
		if errors.As(err, &pe) {
			if file, line, ok := pe.frameIn(pkg.GoFiles); ok {
				pos = spec.Pos{File: relative(dir, file), Line: line}
			}
		}
		return nil, spec.ErrorList{{Pos: pos, Msg: err.Error()}}
	}
	n.Ref = r.Raw
	n.File = position(dir, pkg.Fset, obj.Pos()).File
	n.Pos = position(dir, pkg.Fset, obj.Pos())
	if lit := literal(pkg, obj); lit != nil {
		recordNetwork(n, lit, func(p token.Pos) spec.Pos { return position(dir, pkg.Fset, p) })
	}
	n.Normalize()
	if err := n.Validate(); err != nil {
		return nil, err
	}
	return n, nil
}

// load loads and type-checks the package of r.
func load(dir string, r Ref) (*packages.Package, spec.ErrorList) {
	cfg := &packages.Config{
		Mode: packages.NeedName | packages.NeedFiles | packages.NeedSyntax | packages.NeedTypes | packages.NeedTypesInfo,
		Dir:  dir,
	}
	// A directory or file that does not exist: say so, rather than pass on
	// the go command's message with an absolute path.
	if path, what := localPath(r.Pattern); path != "" {
		abs := path
		if !filepath.IsAbs(abs) {
			abs = filepath.Join(dir, path)
		}
		if _, err := os.Stat(abs); errors.Is(err, fs.ErrNotExist) {
			return nil, spec.ErrorList{{Msg: fmt.Sprintf("%s: %s %s does not exist", r.Raw, what, path)}}
		}
	}
	pkgs, err := packages.Load(cfg, r.Pattern)
	if err != nil {
		return nil, spec.ErrorList{{Msg: fmt.Sprintf("%s: %v", r.Raw, err)}}
	}
	if len(pkgs) != 1 {
		return nil, spec.ErrorList{{Msg: fmt.Sprintf("%s: %q matches %d packages, want one", r.Raw, r.Pattern, len(pkgs))}}
	}
	pkg := pkgs[0]
	// The go command reports type errors a second time, unpositioned, as
	// a list error: keep the positioned ones when there are any.
	positioned := false
	for _, e := range pkg.Errors {
		positioned = positioned || e.Kind != packages.ListError
	}
	var errs spec.ErrorList
	for _, e := range pkg.Errors {
		if !positioned || e.Kind != packages.ListError {
			pos, msg := parsePos(dir, e.Pos), e.Msg
			if pos.File == "" {
				msg = r.Raw + ": " + msg // say which spec, at least
			}
			errs = append(errs, &spec.Error{Pos: pos, Msg: msg})
		}
	}
	if len(errs) > 0 {
		errs.Sort()
		return nil, errs
	}
	if pkg.Name == "main" {
		return nil, spec.ErrorList{{Msg: fmt.Sprintf("%s: package %s is a main package; put the spec in a package that can be imported", r.Raw, pkg.PkgPath)}}
	}
	return pkg, nil
}

// localPath returns the file or directory a package pattern names and
// which of the two it is, or "" for an import path.
func localPath(pattern string) (path, what string) {
	if file, ok := strings.CutPrefix(pattern, "file="); ok {
		return file, "file"
	}
	if filepath.IsAbs(pattern) || pattern == "." || pattern == ".." ||
		strings.HasPrefix(pattern, "./") || strings.HasPrefix(pattern, "../") {
		return pattern, "directory"
	}
	return "", ""
}

// findVar returns the package-level variable of r, which must be a
// spec.Network or a pointer to one.
func findVar(dir string, pkg *packages.Package, r Ref) (*types.Var, spec.ErrorList) {
	obj, _ := pkg.Types.Scope().Lookup(r.Var).(*types.Var)
	if obj == nil {
		var have []string
		for _, name := range pkg.Types.Scope().Names() {
			if v, ok := pkg.Types.Scope().Lookup(name).(*types.Var); ok && isNetwork(v.Type()) {
				have = append(have, name)
			}
		}
		msg := fmt.Sprintf("package %s has no variable %s", pkg.PkgPath, r.Var)
		if len(have) > 0 {
			msg += fmt.Sprintf(" (variables of type spec.Network: %s)", strings.Join(have, ", "))
		}
		return nil, spec.ErrorList{{Msg: r.Raw + ": " + msg}}
	}
	if !isNetwork(obj.Type()) {
		return nil, spec.ErrorList{{Pos: position(dir, pkg.Fset, obj.Pos()),
			Msg: fmt.Sprintf("%s has type %s, want spec.Network or *spec.Network", r.Var,
				types.TypeString(obj.Type(), func(p *types.Package) string { return p.Name() }))}}
	}
	return obj, nil
}

func isPointer(t types.Type) bool {
	_, ok := t.(*types.Pointer)
	return ok
}

// isNetwork reports whether t is spec.Network or *spec.Network.
func isNetwork(t types.Type) bool {
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	n, ok := t.(*types.Named)
	return ok && n.Obj().Name() == "Network" && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == specPath
}

// evaluate runs a program that imports the package and writes the
// variable's value to stdout with encoding/gob (which, unlike JSON, keeps
// NaN and infinities, so validation can report them).
func evaluate(dir, importPath, name string, pointer bool) (*spec.Network, error) {
	tmp, err := os.MkdirTemp("", "gradgen-gospec-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	value := "target." + name
	if pointer {
		value = "*" + value
	}
	program := fmt.Sprintf(`package main

import (
	"encoding/gob"
	"os"

	spec "%s"
	target %s
)

func main() {
	var n spec.Network = %s
	if err := gob.NewEncoder(os.Stdout).Encode(&n); err != nil {
		os.Stderr.WriteString(err.Error())
		os.Exit(1)
	}
}
`, specPath, strconv.Quote(importPath), value)
	main := filepath.Join(tmp, "main.go")
	if err := os.WriteFile(main, []byte(program), 0o644); err != nil {
		return nil, err
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command("go", "run", main)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		out := strings.TrimSpace(stderr.String())
		// A panic, perhaps after the package's own output.
		if msg, trace, ok := strings.Cut("\n"+out, "\n\ngoroutine "); ok {
			if i := strings.Index(msg, "\npanic: "); i >= 0 {
				return nil, &panicError{name: name, msg: msg[i+len("\npanic: "):], trace: trace}
			}
		}
		// go run's own exit status is always 1; out ends with the program's.
		return nil, fmt.Errorf("computing %s failed:\n%s", name, out)
	}
	var n spec.Network
	if err := gob.NewDecoder(&stdout).Decode(&n); err != nil {
		return nil, fmt.Errorf("reading the value of %s: %v", name, err)
	}
	return &n, nil
}

// panicError is a panic of the program that computes the spec's value: of
// the package's initialisation, which computes the variable.
type panicError struct {
	name  string
	msg   string // the panic's message
	trace string // the goroutine's stack
}

func (e *panicError) Error() string {
	return fmt.Sprintf("computing %s panicked: %s", e.name, e.msg)
}

// frameIn returns the file and line of the innermost frame of the trace in
// one of files (absolute paths).
func (e *panicError) frameIn(files []string) (string, int, bool) {
	for _, l := range strings.Split(e.trace, "\n") {
		// A frame's location: "\t/path/file.go:12 +0x25".
		loc, ok := strings.CutPrefix(l, "\t")
		if !ok {
			continue
		}
		loc, _, _ = strings.Cut(loc, " ")
		i := strings.LastIndex(loc, ":")
		if i < 0 || !slices.Contains(files, loc[:i]) {
			continue
		}
		if line, err := strconv.Atoi(loc[i+1:]); err == nil {
			return loc[:i], line, true
		}
	}
	return "", 0, false
}

// position converts p to a spec position whose file is relative to dir
// when it lies below it.
func position(dir string, fset *token.FileSet, p token.Pos) spec.Pos {
	if !p.IsValid() {
		return spec.Pos{}
	}
	q := fset.Position(p)
	return spec.Pos{File: relative(dir, q.Filename), Line: q.Line, Col: q.Column}
}

// parsePos converts a go/packages position "file:line:col" to a spec.Pos.
func parsePos(dir, s string) spec.Pos {
	parts := strings.Split(s, ":")
	if len(parts) < 3 {
		return spec.Pos{File: s}
	}
	line, err1 := strconv.Atoi(parts[len(parts)-2])
	col, err2 := strconv.Atoi(parts[len(parts)-1])
	if err1 != nil || err2 != nil {
		return spec.Pos{File: s}
	}
	return spec.Pos{File: relative(dir, strings.Join(parts[:len(parts)-2], ":")), Line: line, Col: col}
}

func relative(dir, file string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return file
	}
	if rel, err := filepath.Rel(abs, file); err == nil && !strings.HasPrefix(rel, "..") {
		return rel
	}
	return file
}

// literal returns the expression that initialises obj when it is a
// composite literal (possibly behind &), or nil.
func literal(pkg *packages.Package, obj *types.Var) *ast.CompositeLit {
	for _, f := range pkg.Syntax {
		for _, decl := range f.Decls {
			gen, ok := decl.(*ast.GenDecl)
			if !ok || gen.Tok != token.VAR {
				continue
			}
			for _, s := range gen.Specs {
				vs := s.(*ast.ValueSpec)
				for i, id := range vs.Names {
					if pkg.TypesInfo.Defs[id] == obj && i < len(vs.Values) {
						return compositeLit(vs.Values[i])
					}
				}
			}
		}
	}
	return nil
}

// compositeLit unwraps parentheses and & around a composite literal.
func compositeLit(e ast.Expr) *ast.CompositeLit {
	for {
		switch x := e.(type) {
		case *ast.ParenExpr:
			e = x.X
		case *ast.UnaryExpr:
			if x.Op != token.AND {
				return nil
			}
			e = x.X
		case *ast.CompositeLit:
			return x
		default:
			return nil
		}
	}
}

// fields visits the keyed elements of lit: key name, value expression.
func fields(lit *ast.CompositeLit, visit func(key string, value ast.Expr)) {
	for _, elt := range lit.Elts {
		if kv, ok := elt.(*ast.KeyValueExpr); ok {
			if id, ok := kv.Key.(*ast.Ident); ok {
				visit(id.Name, kv.Value)
			}
		}
	}
}

// keys maps Go field names to the spec keys that messages use.
var keys = map[string]string{
	"Package": "package", "DType": "dtype", "Input": "input", "Layers": "layers", "Loss": "loss", "Optimizer": "optimizer",
	"Dense": "dense", "Activation": "activation", "Slope": "slope", "NoBias": "bias", "Frozen": "trainable",
	"SGD": "sgd", "Momentum": "momentum", "Adam": "adam", "AdamW": "adamw",
	"ClipGradNorm": "clip_grad_norm", "Schedule": "schedule",
	"LR": "lr", "Beta1": "beta1", "Beta2": "beta2", "Eps": "eps",
	"Dampening": "dampening", "Nesterov": "nesterov", "WeightDecay": "weight_decay",
	"Warmup": "warmup", "Cosine": "cosine", "Step": "step",
	"Steps": "steps", "TMax": "t_max", "EtaMin": "eta_min", "StepSize": "step_size", "Gamma": "gamma",
}

// record returns the positions of lit's keyed fields.
func record(lit *ast.CompositeLit, pos func(token.Pos) spec.Pos) spec.Positions {
	ps := spec.Positions{}
	fields(lit, func(key string, value ast.Expr) {
		if k, ok := keys[key]; ok {
			ps[k] = pos(value.Pos())
		}
	})
	return ps
}

// recordNetwork fills the positions of n from its literal: the network's
// fields, each layer written as a literal in a literal slice, and the
// optimizer's.
func recordNetwork(n *spec.Network, lit *ast.CompositeLit, pos func(token.Pos) spec.Pos) {
	n.Fields = record(lit, pos)
	layersAt := n.Fields.At("layers", n.Pos)
	for i := range n.Layers {
		n.Layers[i].Pos = layersAt
	}
	fields(lit, func(key string, value ast.Expr) {
		switch key {
		case "Layers":
			list := compositeLit(value)
			if list == nil || len(list.Elts) != len(n.Layers) {
				return // computed: the layers keep the position of the field
			}
			for i, elt := range list.Elts {
				if l := compositeLit(elt); l != nil {
					n.Layers[i].Pos = pos(l.Pos())
					n.Layers[i].Fields = record(l, pos)
				}
			}
		case "Optimizer":
			o := compositeLit(value)
			if o == nil {
				return
			}
			n.Optimizer.Pos = pos(o.Pos())
			n.Optimizer.Fields = record(o, pos)
			fields(o, func(kind string, v ast.Expr) {
				k := compositeLit(v)
				if k == nil {
					return
				}
				switch kind {
				case "SGD":
					if n.Optimizer.SGD != nil {
						n.Optimizer.SGD.Pos, n.Optimizer.SGD.Fields = pos(k.Pos()), record(k, pos)
					}
				case "Momentum":
					if n.Optimizer.Momentum != nil {
						n.Optimizer.Momentum.Pos, n.Optimizer.Momentum.Fields = pos(k.Pos()), record(k, pos)
					}
				case "Adam":
					if n.Optimizer.Adam != nil {
						n.Optimizer.Adam.Pos, n.Optimizer.Adam.Fields = pos(k.Pos()), record(k, pos)
					}
				case "AdamW":
					if n.Optimizer.AdamW != nil {
						n.Optimizer.AdamW.Pos, n.Optimizer.AdamW.Fields = pos(k.Pos()), record(k, pos)
					}
				case "Schedule":
					if s := n.Optimizer.Schedule; s != nil {
						s.Pos, s.Fields = pos(k.Pos()), record(k, pos)
						recordSchedule(s, k, pos)
					}
				}
			})
		}
	})
}

// recordSchedule fills the positions of the parts of the schedule s from its
// literal.
func recordSchedule(s *spec.Schedule, lit *ast.CompositeLit, pos func(token.Pos) spec.Pos) {
	fields(lit, func(part string, v ast.Expr) {
		k := compositeLit(v)
		if k == nil {
			return
		}
		switch {
		case part == "Warmup" && s.Warmup != nil:
			s.Warmup.Pos, s.Warmup.Fields = pos(k.Pos()), record(k, pos)
		case part == "Cosine" && s.Cosine != nil:
			s.Cosine.Pos, s.Cosine.Fields = pos(k.Pos()), record(k, pos)
		case part == "Step" && s.Step != nil:
			s.Step.Pos, s.Step.Fields = pos(k.Pos()), record(k, pos)
		}
	})
}
