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
	"github.com/gradgen/gradgen/onnxspec"
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
  gradgen gen [-o FILE] [-package NAME] SPEC
                                  write the generated Go file (and the weights file of a
                                  model imported from ONNX)
  gradgen check [-o FILE] SPEC    exit 1 with a short diff if FILE is missing or stale
  gradgen check DIR/...           check every gradgen-generated file below DIR (./...)
                                  against the spec its header names; exit 1 if any is stale
  gradgen export [-params FILE] [-opset N] -o FILE SPEC
                                  write the network as an ONNX model (opset 17 by default),
                                  with the parameters of a checkpoint or .safetensors file
  gradgen export -format torch -o FILE.py SPEC
                                  write the network as a PyTorch module (nn.Module, loss,
                                  optimizer, schedule, safetensors), to train it anywhere
  gradgen ir [-after PASS] [-format text|dot] SPEC
                                  print the IR (forward and backward), or draw it
  gradgen explain [-format md|tex] SPEC
                                  print the derivation of the backward pass
  gradgen version                 print the version

SPEC is a YAML file (net.yaml; with onnx: model.onnx it imports that model's
network), an ONNX model exported by torch.onnx.export (model.onnx), or a Go
variable of type spec.Network:
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
	case "export":
		return exportCmd(args, stdout, stderr)
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

// loadSpec reads a YAML spec file, an ONNX model (with the package pkg,
// or named after the file when pkg is empty), or a Go spec by reference
// (./netspec:Net). A spec with an onnx key gets its network from the model.
func loadSpec(arg, pkg string) (*spec.Network, error) {
	if pkg != "" && !onnxspec.IsModel(arg) {
		return nil, fmt.Errorf("-package names the package of an ONNX model (SPEC.onnx); %s gives its own", arg)
	}
	switch {
	case onnxspec.IsModel(arg):
		return onnxspec.LoadModel(arg, pkg)
	case gospec.IsRef(arg):
		n, err := gospec.Load(".", arg)
		if err == nil && n.ONNX != "" {
			return onnxspec.Resolve(n, ".")
		}
		return n, err
	}
	n, err := onnxspec.Load(arg)
	var pathErr *fs.PathError
	if ext := strings.ToLower(filepath.Ext(arg)); errors.As(err, &pathErr) && ext != ".yaml" && ext != ".yml" {
		// No file to read and no reference either: say what a reference is.
		_, refErr := gospec.ParseRef(arg)
		return nil, fmt.Errorf("%v, and %w", err, refErr)
	}
	return n, err
}

// generate loads the spec and returns it with the generated files.
func generate(arg, pkg string, stderr io.Writer) (*spec.Network, *gradgen.Files, bool) {
	n, err := loadSpec(arg, pkg)
	if err == nil {
		var files *gradgen.Files
		if files, err = gradgen.GenerateFiles(n, gradgen.Options{}); err == nil {
			return n, files, true
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

// weightsPath is where the weights file of a generated file at out goes:
// beside it.
func weightsPath(out string, files *gradgen.Files) string {
	return filepath.Join(filepath.Dir(out), files.WeightsName)
}

func gen(args []string, stdout, stderr io.Writer) int {
	var out, pkg string
	specPath, code, ok := flags("gen [-o FILE] [-package NAME] SPEC", "Gen writes the Go code generated from SPEC to FILE, atomically, and leaves\nan unchanged file untouched. A network imported from ONNX also gets its weights\nfile, PACKAGE_weights.bin, beside FILE, which the code embeds.", args, stdout, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&out, "o", "", "output `FILE` (default: SPEC's name with _gen.go, next to it)")
		fs.StringVar(&pkg, "package", "", "the package `NAME` of a model read from SPEC.onnx (default: from the file name)")
	})
	if !ok {
		return code
	}
	n, files, ok := generate(specPath, pkg, stderr)
	if !ok {
		return ExitUsage
	}
	out = outputPath(out, specPath, n)
	if files.WeightsName != "" {
		// The weights first: the code embeds them, so it never names a file
		// that is not there.
		if err := WriteFile(weightsPath(out, files), files.Weights); err != nil {
			fmt.Fprintf(stderr, "gradgen: %v\n", err)
			return ExitStale
		}
	}
	if err := WriteFile(out, files.Source); err != nil {
		fmt.Fprintf(stderr, "gradgen: %v\n", err)
		return ExitStale
	}
	return ExitOK
}

func check(args []string, stdout, stderr io.Writer) int {
	var out, pkg string
	specPath, code, ok := flags("check [-o FILE] [-package NAME] SPEC | check DIR/...", "Check exits 1 with a short diff when FILE (or its weights file) is missing or\ndiffers from what gen would write. With DIR/... (such as ./...) it finds every\ngradgen-generated file below DIR by its header and checks it against the spec\nthe header names, looked up beside the file, and lists the stale ones.", args, stdout, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&out, "o", "", "generated `FILE` (default: SPEC's name with _gen.go)")
		fs.StringVar(&pkg, "package", "", "the package `NAME` of a model read from SPEC.onnx (default: from the file name)")
	})
	if !ok {
		return code
	}
	if isPattern(specPath) {
		if out != "" || pkg != "" {
			fmt.Fprintf(stderr, "gradgen check: -o and -package name one file; they cannot go with %s\n", specPath)
			return ExitUsage
		}
		return checkAll(specPath, stdout, stderr)
	}
	n, files, ok := generate(specPath, pkg, stderr)
	if !ok {
		return ExitUsage
	}
	path := outputPath(out, specPath, n)
	regen := "gradgen gen -o " + path + " " + specPath
	if files.WeightsName != "" {
		if code := checkFile(weightsPath(path, files), files.Weights, regen, stderr); code != ExitOK {
			return code
		}
	}
	return checkFile(path, files.Source, regen, stderr)
}

// checkFile compares the file at path with want, reporting a missing or
// stale file with the command that regenerates it.
func checkFile(path string, want []byte, regen string, stderr io.Writer) int {
	have, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintf(stderr, "gradgen check: %s is missing: run %s\n", path, regen)
		return ExitStale
	}
	if !bytes.Equal(have, want) {
		fmt.Fprintf(stderr, "gradgen check: %s is stale: run %s\n", path, regen)
		if !bytes.ContainsRune(want, 0) && !bytes.ContainsRune(have, 0) {
			fmt.Fprint(stderr, ShortDiff(path, have, want))
		}
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
	n, err := loadSpec(specPath, "")
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
	n, err := loadSpec(specPath, "")
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
