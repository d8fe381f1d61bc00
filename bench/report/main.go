// Command report turns `go test -bench` output of gradgen's benchmarks into
// the benchmark table of the README.
//
// Usage:
//
//	go run ./bench/report [-md FILE] [-png FILE] [-go VERSION] [bench.txt ...]
//
// It reads the named files, or standard input when none are given. Benchmark
// names must follow
//
//	BenchmarkStep/<net>/<impl>/<dtype>[-N]
//	BenchmarkPredict/<net>/<impl>/<dtype>[-N]
//
// Other benchmarks are ignored with a note on standard error. The report
// prints an aligned plain-text table to standard output; -md also writes it
// as GitHub Markdown with a line describing the machine, and -png draws a
// log-scale bar chart of the f32 training-step time per network.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run is the whole command; it returns the exit status.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	mdPath := fs.String("md", "", "also write the table as GitHub Markdown to `file`")
	pngPath := fs.String("png", "", "also draw a bar chart of the step time to `file` (PNG)")
	goVersion := fs.String("go", "", "Go `version` to name in the Markdown header")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: report [-md file] [-png file] [-go version] [bench.txt ...]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if err := report(fs.Args(), stdin, stdout, stderr, *mdPath, *pngPath, *goVersion); err != nil {
		fmt.Fprintln(stderr, "report:", err)
		return 2
	}
	return 0
}

// report reads the benchmark files (stdin if there are none) and writes the
// requested outputs.
func report(files []string, stdin io.Reader, stdout, stderr io.Writer, mdPath, pngPath, goVersion string) error {
	res := newResults(stderr)
	if len(files) == 0 {
		if err := res.read(stdin, "stdin"); err != nil {
			return err
		}
	}
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		err = res.read(f, name)
		f.Close()
		if err != nil {
			return err
		}
	}
	if len(res.samples) == 0 {
		return fmt.Errorf("no benchmarks named Benchmark{Step,Predict}/<net>/<impl>/<dtype> in input")
	}
	if goVersion != "" {
		res.config["go"] = goVersion
	}

	t := res.table()
	if err := t.writeText(stdout); err != nil {
		return err
	}
	if mdPath != "" {
		if err := writeFile(mdPath, func(w io.Writer) error { return res.writeMarkdown(w, t) }); err != nil {
			return err
		}
	}
	if pngPath != "" {
		if err := writeFile(pngPath, res.writeChart); err != nil {
			return err
		}
	}
	return nil
}

// writeFile creates path and fills it with write.
func writeFile(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
