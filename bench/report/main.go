// Command report turns `go test -bench` output of gradgen's benchmarks, and
// the same format from bench/peers/torch_bench.py, into the benchmark tables
// of the README.
//
// Usage:
//
//	go run ./bench/report [-md FILE] [-png FILE] [-inferpng FILE] [-go VERSION] [bench.txt ...]
//
// It reads the named files, or standard input when none are given. Benchmark
// names must follow
//
//	BenchmarkStep/<net>/<impl>/<dtype>[-N]          training step
//	BenchmarkPredict/<net>/<impl>/<dtype>[-N]       batch-1 forward pass
//	BenchmarkInfer/<net>/<impl>/<dtype>[-N]         forward pass at batch 1 and 128
//	BenchmarkStepWorkers/<net>/workers<W>/<dtype>[-N] step with SetWorkers(W)
//
// with the networks and implementations listed in sections (parse.go).
// Other benchmarks are ignored with a note on standard error. The report
// has three tables, each left out when it has no results: training step and
// Predict (generated against generic, gorgonia and pytorch), Inference
// (generated against onnxruntime and pytorch) and Both cores (SetWorkers(2)
// against SetWorkers(1)). Each implementation gets the median time per op
// with its 95% confidence interval, the allocations per op where it reports
// them (the Go ones), and GFLOP/s; then come the speed-ups of generated (or
// workers2). The report prints the tables as aligned plain text to standard
// output, after a line describing the machine (and PyTorch's version, BLAS
// and OPENBLAS_* settings, from torch_bench.py's configuration lines); -md
// also writes them as GitHub Markdown with a heading each; -png draws a
// log-scale bar chart of the f32 training-step time per network, -inferpng
// one of the f32 inference time.
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
	inferPath := fs.String("inferpng", "", "also draw a bar chart of the inference time to `file` (PNG)")
	goVersion := fs.String("go", "", "Go `version` to name in the Markdown header")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: report [-md file] [-png file] [-inferpng file] [-go version] [bench.txt ...]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	out := outputs{md: *mdPath, png: *pngPath, inferPNG: *inferPath, goVersion: *goVersion}
	if err := report(fs.Args(), stdin, stdout, stderr, out); err != nil {
		fmt.Fprintln(stderr, "report:", err)
		return 2
	}
	return 0
}

// outputs are the files to write besides the text on standard output, and
// the Go version to name.
type outputs struct {
	md, png, inferPNG, goVersion string
}

// report reads the benchmark files (stdin if there are none) and writes the
// requested outputs.
func report(files []string, stdin io.Reader, stdout, stderr io.Writer, out outputs) error {
	res, err := readAll(files, stdin, stderr)
	if err != nil {
		return err
	}
	if out.goVersion != "" {
		res.config["go"] = out.goVersion
	}
	ts := res.tables()
	if err := res.writeText(stdout, ts); err != nil {
		return err
	}
	for _, f := range []struct {
		path  string
		write func(io.Writer) error
	}{
		{out.md, func(w io.Writer) error { return res.writeMarkdown(w, ts) }},
		{out.png, func(w io.Writer) error { return res.writeChart(w, stepChart) }},
		{out.inferPNG, func(w io.Writer) error { return res.writeChart(w, inferChart) }},
	} {
		if f.path == "" {
			continue
		}
		if err := writeFile(f.path, f.write); err != nil {
			return err
		}
	}
	return nil
}

// readAll reads the benchmark files, or stdin if there are none, noting
// problems on stderr.
func readAll(files []string, stdin io.Reader, stderr io.Writer) (*results, error) {
	res := newResults(stderr)
	if len(files) == 0 {
		if err := res.read(stdin, "stdin"); err != nil {
			return nil, err
		}
	}
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		err = res.read(f, name)
		f.Close()
		if err != nil {
			return nil, err
		}
	}
	if len(res.samples) == 0 {
		return nil, fmt.Errorf("no benchmarks named Benchmark{Step,Predict,Infer,StepWorkers}/<net>/<impl>/<dtype> in input")
	}
	return res, nil
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
