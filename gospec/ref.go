// Package gospec loads a network spec written in Go: a package-level
// variable of type spec.Network, such as
//
//	var Net = spec.Network{Package: "policy", Input: 8, Layers: hidden(3, 64), Loss: spec.MSE}
//
// The package is loaded and type-checked with golang.org/x/tools/go/packages,
// which finds the variable and the source position of every field written
// as a literal. The value itself is computed by running a small program that
// imports the package and prints the variable (the way entgo.io's entc/load
// reads a schema), so a spec may use loops, functions and constants from
// anywhere. Errors point at the Go source, as YAML errors point at the YAML.
package gospec

import (
	"fmt"
	"go/token"
	"path/filepath"
	"strings"
)

// Ref names a Go spec: a package pattern (a directory such as ./netspec, or
// an import path) or a .go file, and a variable in it.
type Ref struct {
	Pattern string // for go/packages: "./netspec", "example.com/m/netspec", or "file=netspec.go"
	Var     string
	Raw     string // as the user wrote it
}

// IsRef reports whether arg names a Go spec rather than a YAML file: a YAML
// file ends in .yaml or .yml; everything else with a variable name after a
// colon or a final dot is a Go reference.
func IsRef(arg string) bool {
	switch strings.ToLower(filepath.Ext(arg)) {
	case ".yaml", ".yml":
		return false
	}
	_, err := ParseRef(arg)
	return err == nil
}

// ParseRef parses a reference in one of three forms:
//
//	DIR:Var           a package directory, such as ./netspec:Net or .:Net
//	FILE.go:Var       the package of a Go file, such as netspec.go:Net
//	IMPORTPATH.Var    an import path, such as example.com/app/netspec.Net
func ParseRef(arg string) (Ref, error) {
	bad := func(why string) (Ref, error) {
		return Ref{}, fmt.Errorf("%q is not a Go spec reference (%s); use DIR:Var, FILE.go:Var or IMPORTPATH.Var", arg, why)
	}
	var pkg, name string
	if i := strings.LastIndex(arg, ":"); i >= 0 {
		pkg, name = arg[:i], arg[i+1:]
	} else {
		slash := strings.LastIndex(arg, "/")
		dot := strings.LastIndex(arg, ".")
		if dot <= slash+1 {
			return bad("no variable name")
		}
		pkg, name = arg[:dot], arg[dot+1:]
	}
	if pkg == "" {
		return bad("no package")
	}
	if !token.IsIdentifier(name) || !token.IsExported(name) {
		return bad(fmt.Sprintf("%q is not an exported Go identifier", name))
	}
	if strings.HasSuffix(pkg, ".go") {
		pkg = "file=" + pkg
	}
	return Ref{Pattern: pkg, Var: name, Raw: arg}, nil
}
