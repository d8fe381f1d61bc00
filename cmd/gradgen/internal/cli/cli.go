// Package cli implements the gradgen command: its subcommands, flags, exit
// codes and file writing. It returns exit codes instead of exiting, so tests
// run it in-process.
package cli

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gradgen/gradgen"
	"github.com/gradgen/gradgen/explain"
	"github.com/gradgen/gradgen/gospec"
	"github.com/gradgen/gradgen/ir"
	"github.com/gradgen/gradgen/passes"
	"github.com/gradgen/gradgen/runtime"
	"github.com/gradgen/gradgen/spec"
)

// Exit codes.
const (
	ExitOK    = 0
	ExitStale = 1 // check found a stale or missing file, or a command failed
	ExitUsage = 2 // bad usage or a bad spec
)

const usage = `gradgen compiles a network spec into Go code that trains and runs it.

Usage:
  gradgen gen [-o FILE] SPEC      write the generated Go file
  gradgen check [-o FILE] SPEC    exit 1 with a short diff if FILE is missing or stale
  gradgen check DIR/...           check every gradgen-generated file below DIR (./...)
                                  against the spec its header names; exit 1 if any is stale
  gradgen ir [-after PASS] [-format text|dot] SPEC
                                  print the IR (forward and backward), or draw it
  gradgen explain [-format md|tex] SPEC
                                  print the derivation of the backward pass
  gradgen version                 print the version

SPEC is a YAML file (net.yaml) or a Go variable of type spec.Network:
  DIR:Var           ./netspec:Net, .:Net
  FILE.go:Var       netspec.go:Net (the package of that file)
  IMPORTPATH.Var    example.com/app/netspec.Net

Run 'gradgen COMMAND -h' for a command's flags.
Exit codes: 0 ok, 1 stale file or failed check, 2 usage or spec error.
`

// Main runs gradgen with args (without the program name) and returns the
// exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return ExitUsage
	}
	cmd, args := args[0], args[1:]
	switch cmd {
	case "gen":
		return gen(args, stdout, stderr)
	case "check":
		return check(args, stdout, stderr)
	case "ir":
		return dumpIR(args, stdout, stderr)
	case "explain":
		return explainCmd(args, stdout, stderr)
	case "version":
		fmt.Fprintf(stdout, "gradgen %s\n", runtime.Version)
		return ExitOK
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return ExitOK
	}
	fmt.Fprintf(stderr, "gradgen: unknown command %q\n\n%s", cmd, usage)
	return ExitUsage
}

// flags parses a subcommand's flags and its one SPEC argument.
func flags(name, synopsis string, args []string, stdout, stderr io.Writer, define func(*flag.FlagSet)) (string, int, bool) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: gradgen %s\n\n%s\n", name, synopsis)
		fs.PrintDefaults()
	}
	define(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stdout)
			fs.Usage()
			return "", ExitOK, false
		}
		return "", ExitUsage, false
	}
	if fs.NArg() != 1 {
		cmd, _, _ := strings.Cut(name, " ")
		fmt.Fprintf(stderr, "gradgen %s: want exactly one SPEC argument, got %d", cmd, fs.NArg())
		if fs.NArg() > 0 {
			fmt.Fprintf(stderr, " (%s)", strings.Join(fs.Args(), " "))
		}
		if slices.ContainsFunc(fs.Args()[min(1, fs.NArg()):], func(a string) bool { return strings.HasPrefix(a, "-") }) {
			fmt.Fprint(stderr, "; flags go before SPEC")
		}
		fmt.Fprintln(stderr)
		fs.Usage()
		return "", ExitUsage, false
	}
	return fs.Arg(0), ExitOK, true
}

// loadSpec reads a YAML spec file, or a Go spec by reference (./netspec:Net).
func loadSpec(arg string) (*spec.Network, error) {
	if gospec.IsRef(arg) {
		return gospec.Load(".", arg)
	}
	n, err := spec.Load(arg)
	var pathErr *fs.PathError
	if ext := strings.ToLower(filepath.Ext(arg)); errors.As(err, &pathErr) && ext != ".yaml" && ext != ".yml" {
		// No file to read and no reference either: say what a reference is.
		_, refErr := gospec.ParseRef(arg)
		return nil, fmt.Errorf("%v, and %w", err, refErr)
	}
	return n, err
}

// generate loads the spec and returns it with the generated source.
func generate(arg string, stderr io.Writer) (*spec.Network, []byte, bool) {
	n, err := loadSpec(arg)
	if err == nil {
		var src []byte
		if src, err = gradgen.Generate(n, gradgen.Options{}); err == nil {
			return n, src, true
		}
	}
	fmt.Fprintln(stderr, err)
	return nil, nil, false
}

// outputPath is -o; by default the spec file's path with its extension
// replaced by _gen.go, or PACKAGE_gen.go in the current directory for a Go
// spec.
func outputPath(out, arg string, n *spec.Network) string {
	switch {
	case out != "":
		return out
	case n.Ref != "":
		return n.Package + "_gen.go"
	}
	return strings.TrimSuffix(arg, filepath.Ext(arg)) + "_gen.go"
}

func gen(args []string, stdout, stderr io.Writer) int {
	var out string
	specPath, code, ok := flags("gen [-o FILE] SPEC", "Gen writes the Go code generated from SPEC to FILE, atomically, and leaves\nan unchanged file untouched.", args, stdout, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&out, "o", "", "output `FILE` (default: SPEC's name with _gen.go, next to it)")
	})
	if !ok {
		return code
	}
	n, src, ok := generate(specPath, stderr)
	if !ok {
		return ExitUsage
	}
	if err := WriteFile(outputPath(out, specPath, n), src); err != nil {
		fmt.Fprintf(stderr, "gradgen: %v\n", err)
		return ExitStale
	}
	return ExitOK
}

func check(args []string, stdout, stderr io.Writer) int {
	var out string
	specPath, code, ok := flags("check [-o FILE] SPEC | check DIR/...", "Check exits 1 with a short diff when FILE is missing or differs from what\ngen would write. With DIR/... (such as ./...) it finds every gradgen-generated\nfile below DIR by its header and checks it against the spec the header names,\nlooked up beside the file, and lists the stale ones.", args, stdout, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&out, "o", "", "generated `FILE` (default: SPEC's name with _gen.go)")
	})
	if !ok {
		return code
	}
	if isPattern(specPath) {
		if out != "" {
			fmt.Fprintf(stderr, "gradgen check: -o names one file; it cannot go with %s\n", specPath)
			return ExitUsage
		}
		return checkAll(specPath, stdout, stderr)
	}
	n, src, ok := generate(specPath, stderr)
	if !ok {
		return ExitUsage
	}
	path := outputPath(out, specPath, n)
	have, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintf(stderr, "gradgen check: %s is missing: run gradgen gen -o %s %s\n", path, path, specPath)
		return ExitStale
	}
	if !bytes.Equal(have, src) {
		fmt.Fprintf(stderr, "gradgen check: %s is stale: run gradgen gen -o %s %s\n%s", path, path, specPath, ShortDiff(path, have, src))
		return ExitStale
	}
	return ExitOK
}

func dumpIR(args []string, stdout, stderr io.Writer) int {
	var after, format string
	synopsis := "Ir prints the program's IR after every pass (or after PASS): the forward graph,\nthe derived backward graph and the buffer plan. Passes: " + strings.Join(passes.Names(), ", ") + ".\n" +
		"With -format dot it draws the training function for Graphviz (dot -Tpng), forward\nnodes blue, derived ones orange."
	specPath, code, ok := flags("ir [-after PASS] [-format text|dot] SPEC", synopsis, args, stdout, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&after, "after", "", "stop after `PASS`")
		fs.StringVar(&format, "format", "text", "output `format`: text or dot")
	})
	if !ok {
		return code
	}
	n, err := loadSpec(specPath)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return ExitUsage
	}
	if format != "text" && format != "dot" {
		fmt.Fprintf(stderr, "gradgen ir: unknown format %q (allowed: text, dot)\n", format)
		return ExitUsage
	}
	p, err := gradgen.Compile(n, gradgen.Options{After: after, Check: true})
	if err != nil {
		fmt.Fprintf(stderr, "gradgen ir: %v\n", err)
		return ExitUsage
	}
	if format == "dot" {
		ir.FprintDot(stdout, p, p.Func(ir.RoleTrain))
		return ExitOK
	}
	ir.Fprint(stdout, p)
	return ExitOK
}

func explainCmd(args []string, stdout, stderr io.Writer) int {
	var format string
	synopsis := "Explain prints the derivation of the network's backward pass in the notation of\n" +
		"Parr and Howard, \"The Matrix Calculus You Need For Deep Learning\": the forward\n" +
		"equations with their shapes, then each op's Jacobian, the chain rule, the product\n" +
		"computed and the generated function and variable that compute it."
	specPath, code, ok := flags("explain [-format md|tex] SPEC", synopsis, args, stdout, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&format, "format", "md", "output `format`: md (GitHub Markdown with $…$ math) or tex (LaTeX)")
	})
	if !ok {
		return code
	}
	f, err := explain.ParseFormat(format)
	if err != nil {
		fmt.Fprintf(stderr, "gradgen explain: %v\n", err)
		return ExitUsage
	}
	n, err := loadSpec(specPath)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return ExitUsage
	}
	derived, err := gradgen.Compile(n, gradgen.Options{After: "grad"})
	if err == nil {
		var final *ir.Program
		if final, err = gradgen.Compile(n, gradgen.Options{}); err == nil {
			err = explain.Write(stdout, derived, final, f)
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "gradgen explain: %v\n", err)
		return ExitStale
	}
	return ExitOK
}
