package cli

import (
	"bufio"
	"bytes"
	"fmt"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/gradgen/gradgen"
	"github.com/gradgen/gradgen/gospec"
	"github.com/gradgen/gradgen/internal/header"
	"github.com/gradgen/gradgen/onnxspec"
	"github.com/gradgen/gradgen/spec"
)

// isPattern reports whether a check argument is a directory pattern such as
// ./... or ./models/..., which checks every generated file below it, rather
// than a spec.
func isPattern(arg string) bool {
	return arg == "..." || strings.HasSuffix(arg, "/...")
}

// checkAll checks every gradgen-generated Go file below the pattern's
// directory, as the go command walks DIR/...: it skips testdata, vendor and
// directories whose names start with . or _, and nested modules. A file is
// gradgen's when its first line is gradgen's header; the header names its
// spec, which is looked up relative to the file's directory (where go
// generate ran gradgen). It lists each stale file with the command that
// regenerates it and returns ExitStale when any is stale or its spec is
// missing, ExitUsage when a spec has errors, ExitOK when every file is fresh.
func checkAll(pattern string, stdout, stderr io.Writer) int {
	root := filepath.Clean(strings.TrimSuffix(strings.TrimSuffix(pattern, "..."), "/"))
	if root == "" {
		root = "."
	}
	if fi, err := os.Stat(root); err != nil || !fi.IsDir() {
		fmt.Fprintf(stderr, "gradgen check: %s: no such directory\n", pattern)
		return ExitUsage
	}
	files, err := generatedFiles(root)
	if err != nil {
		fmt.Fprintf(stderr, "gradgen check: %v\n", err)
		return ExitStale
	}
	// problems counts the files by what checkGenerated found.
	problems := map[int]int{}
	for _, f := range files {
		problems[checkGenerated(f.path, f.info, stderr)]++
	}
	if len(files) == 0 {
		fmt.Fprintf(stdout, "gradgen check: no gradgen-generated files below %s\n", pattern)
		return ExitOK
	}
	if problems[ExitOK] == len(files) {
		fmt.Fprintf(stdout, "gradgen check: %d generated %s below %s %s up to date\n",
			len(files), plural(len(files), "file", "files"), pattern, plural(len(files), "is", "are"))
		return ExitOK
	}
	var counts []string
	for _, c := range []struct {
		code int
		what string
	}{{stale, "stale"}, {noSpec, "without its spec"}, {ExitUsage, "with a bad spec"}} {
		if n := problems[c.code]; n > 0 {
			counts = append(counts, fmt.Sprintf("%d %s", n, c.what))
		}
	}
	fmt.Fprintf(stderr, "gradgen check: %d generated %s below %s: %s\n",
		len(files), plural(len(files), "file", "files"), pattern, strings.Join(counts, ", "))
	if problems[ExitUsage] > 0 {
		return ExitUsage
	}
	return ExitStale
}

// What checkGenerated found, beside ExitOK and ExitUsage (a bad spec).
const (
	stale  = -1 // the file differs from what its spec generates
	noSpec = -2 // the spec its header names is not beside it
)

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// generated is a gradgen-generated file and what its header says.
type generated struct {
	path string
	info header.Info
}

// generatedFiles walks root as go's DIR/... does and returns the Go files
// whose first line is gradgen's header, in lexical order.
func generatedFiles(root string) ([]generated, error) {
	var files []generated
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path == root {
				return nil
			}
			name := d.Name()
			if name == "testdata" || name == "vendor" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
				return filepath.SkipDir // another module
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		info, ok, err := fileHeader(path)
		if ok {
			files = append(files, generated{path, info})
		}
		return err
	})
	return files, err
}

// fileHeader reads the gradgen header on path's first line, if it has one.
func fileHeader(path string) (header.Info, bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return header.Info{}, false, err
	}
	defer f.Close()
	line, err := bufio.NewReader(f).ReadString('\n')
	if err != nil && err != io.EOF {
		return header.Info{}, false, err
	}
	info, ok := header.Parse(strings.TrimSuffix(line, "\n"))
	return info, ok, nil
}

// checkGenerated regenerates the file at path from the spec its header
// names and compares; it reports a problem on stderr and returns what it
// found: ExitOK, stale, noSpec, or ExitUsage for a spec with errors.
func checkGenerated(path string, info header.Info, stderr io.Writer) int {
	dir, name := filepath.Split(path)
	dir = filepath.Clean(dir)
	regen := fmt.Sprintf("gradgen gen -o %s %s", name, info.Source)
	if dir != "." {
		regen = fmt.Sprintf("(cd %s && %s)", dir, regen)
	}
	var n *spec.Network
	var err error
	if gospec.IsRef(info.Source) {
		n, err = gospec.Load(dir, info.Source)
	} else {
		specPath := filepath.Join(dir, info.Source)
		if _, statErr := os.Stat(specPath); statErr != nil {
			fmt.Fprintf(stderr, "%s: its header names the spec %s, which is not beside it (%s is missing); check it with gradgen check -o %s SPEC\n",
				path, info.Source, specPath, path)
			return noSpec
		}
		n, err = loadBeside(specPath, path)
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: its spec %s has errors:\n%v\n", path, info.Source, err)
		return ExitUsage
	}
	files, err := gradgen.GenerateFiles(n, gradgen.Options{})
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", path, err)
		return ExitUsage
	}
	src := files.Source
	if files.WeightsName != "" {
		weights := filepath.Join(dir, files.WeightsName)
		if have, err := os.ReadFile(weights); err != nil || !bytes.Equal(have, files.Weights) {
			fmt.Fprintf(stderr, "%s (the weights of %s) is missing or stale: run %s\n", weights, path, regen)
			return stale
		}
	}
	have, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", path, err)
		return stale
	}
	if !bytes.Equal(have, src) {
		fmt.Fprintf(stderr, "%s is stale: run %s\n%s", path, regen, ShortDiff(path, have, src))
		return stale
	}
	return ExitOK
}

// loadBeside loads the spec at specPath that the generated file at path
// names: a YAML spec, or an ONNX model, whose package is that of the
// generated file (gen may have named it with -package).
func loadBeside(specPath, path string) (*spec.Network, error) {
	if !onnxspec.IsModel(specPath) {
		return onnxspec.Load(specPath)
	}
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f, err := parser.ParseFile(token.NewFileSet(), path, src, parser.PackageClauseOnly)
	if err != nil {
		return nil, err
	}
	return onnxspec.LoadModel(specPath, f.Name.Name)
}
