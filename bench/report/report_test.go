package main

import (
	"bytes"
	_ "embed"
	"flag"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/report.md")

// The sample is one -count=6 run of the training steps and Predict split
// over two files: three counts of the training steps each, single predict
// runs without a -N suffix in the second, no gorgonia f64, plus benchmarks
// outside the naming convention. Then two counts each of: inference and
// StepWorkers (with a -2 suffix) of the generated code, ONNX Runtime's
// inference (no allocations reported) and torch_bench.py's steps and
// inference with its configuration lines; some rows lack one implementation
// or another, and the step of wide_b128 has only PyTorch.
var (
	//go:embed testdata/bench1.txt
	bench1 string
	//go:embed testdata/bench2.txt
	bench2 string
	//go:embed testdata/infer.txt
	inferTxt string
	//go:embed testdata/peers.txt
	peersTxt string
	//go:embed testdata/torch.txt
	torchTxt string
)

// sampleFiles are the sample's files, for the command line.
var sampleFiles = []string{"testdata/bench1.txt", "testdata/bench2.txt", "testdata/infer.txt", "testdata/peers.txt", "testdata/torch.txt"}

// load parses the embedded sample, returning the results and the notes.
func load(t *testing.T) (*results, string) {
	t.Helper()
	var warn strings.Builder
	res := newResults(&warn)
	for _, s := range []string{bench1, bench2, inferTxt, peersTxt, torchTxt} {
		if err := res.read(strings.NewReader(s), "sample"); err != nil {
			t.Fatal(err)
		}
	}
	return res, warn.String()
}

func TestParse(t *testing.T) {
	res, warn := load(t)
	for _, c := range []struct {
		k      key
		unit   string
		center float64
		n      int
	}{
		{key{"step", "tiny_b1", "generated", "f32"}, unitTime, 850e-9, 6},
		{key{"step", "tiny_b1", "gorgonia", "f32"}, unitAllocs, 312, 6},
		{key{"step", "mnist_b32", "generic", "f64"}, unitTime, 7.5e-3, 6},
		{key{"step", "mnist_b32", "generated", "f32"}, unitFlops, 12.895, 6},
		{key{"predict", "tiny_b1", "gorgonia", "f32"}, unitTime, 15.2e-6, 1},
		{key{"step", "tiny_b1", "gorgonia", "f64"}, unitTime, 0, 0},
		{key{"step", "tiny_b1", "pytorch", "f32"}, unitTime, 61e-6, 2},
		{key{"infer", "tiny_b1", "generated", "f32"}, unitAllocs, 0, 2},
		{key{"infer", "wide_b128", "onnxruntime", "f32"}, unitTime, 1.75e-3, 2},
		{key{"infer", "wide_b128", "onnxruntime", "f32"}, unitAllocs, 0, 0},
		{key{"infer", "tiny_b128", "pytorch", "f32"}, unitTime, 41e-6, 2},
		{key{"workers", "wide_b128", "workers2", "f32"}, unitTime, 2.8e-3, 2},
	} {
		s, n := res.summary(c.k, c.unit)
		if n != c.n || !near(s.Center, c.center) {
			t.Errorf("%v %s: median %g of %d samples, want %g of %d", c.k, c.unit, s.Center, n, c.center, c.n)
		}
	}
	for k, want := range map[string]string{
		"cpu":               "AMD EPYC 7B13 64-Core Processor",
		"torch":             "1.13.0a0",
		"openblas-coretype": "unset",
	} {
		if got := res.config[k]; got != want {
			t.Errorf("config %s = %q, want %q", k, got, want)
		}
	}
	for _, name := range []string{"BenchmarkStep/tiny_b1/fancy/f32-8", "BenchmarkUnrelated-8",
		"BenchmarkInfer/tiny_b1/generic/f32", "BenchmarkStepWorkers/wide_b128/workers3/f32-2"} {
		if strings.Count(warn, "ignoring "+name+":") != 1 {
			t.Errorf("want one note about %s, got:\n%s", name, warn)
		}
	}
}

// near reports whether a and b agree to 1e-9 relative.
func near(a, b float64) bool {
	return a == b || (a-b)/b < 1e-9 && (b-a)/b < 1e-9
}

// checkTable compares the header of t with header and the rows of t with
// rows, each given as its cells joined by spaces.
func checkTable(t *testing.T, tab table, header string, rows []string) {
	t.Helper()
	if got := strings.Join(tab.header, " | "); got != header {
		t.Errorf("%s: header\n%s\nwant\n%s", tab.title, got, header)
	}
	var got []string
	for _, row := range tab.rows {
		got = append(got, strings.Join(row, " "))
	}
	if !slices.Equal(got, rows) {
		t.Errorf("%s: rows\n%s\nwant\n%s", tab.title, strings.Join(got, "\n"), strings.Join(rows, "\n"))
	}
}

func TestSpeedup(t *testing.T) {
	res, _ := load(t)
	tab := res.table(sections[0])
	if got, want := tab.header[len(tab.header)-3:], []string{"speed-up vs generic", "vs gorgonia", "vs pytorch"}; !slices.Equal(got, want) {
		t.Fatalf("speed-up headers %q, want %q", got, want)
	}
	if got, want := tab.header[12:14], []string{"pytorch", "GFLOP/s"}; !slices.Equal(got, want) {
		t.Errorf("pytorch's columns %q, want %q (no allocs)", got, want)
	}
	want := map[string][]string{
		"step tiny_b1 f32":    {"4.9×", "45×", "72×"},
		"step tiny_b1 f64":    {"5.7×", "—", "67×"},
		"step mnist_b32 f32":  {"2.7×", "6.4×", "2.0×"},
		"step mnist_b32 f64":  {"2.6×", "—", "—"},
		"step wide_b128 f32":  {"—", "—", "—"},
		"predict tiny_b1 f64": {"5.0×", "—", "—"},
	}
	var order []string
	for _, row := range tab.rows {
		name := strings.Join(row[:3], " ")
		order = append(order, name)
		if w, ok := want[name]; ok && !slices.Equal(row[len(row)-3:], w) {
			t.Errorf("%s: speed-ups %q, want %q", name, row[len(row)-3:], w)
		}
	}
	wantOrder := []string{"step tiny_b1 f32", "step tiny_b1 f64", "step mnist_b32 f32", "step mnist_b32 f64", "step wide_b128 f32", "predict tiny_b1 f32", "predict tiny_b1 f64"}
	if !slices.Equal(order, wantOrder) {
		t.Errorf("rows %q, want %q", order, wantOrder)
	}
}

func TestInferTable(t *testing.T) {
	res, _ := load(t)
	checkTable(t, res.table(sections[1]),
		"net | dtype | generated | allocs | GFLOP/s | onnxruntime | GFLOP/s | pytorch | GFLOP/s | speed-up vs onnxruntime | vs pytorch",
		[]string{
			"tiny_b1 f32 142ns ± ∞ 0 5.18 2.05µs ± ∞ 0.359 9.20µs ± ∞ 0.0800 14× 65×",
			"tiny_b1 f64 162ns ± ∞ 0 4.54 2.25µs ± ∞ 0.327 — — 14× —",
			"tiny_b128 f32 15.2µs ± ∞ 0 6.20 30.5µs ± ∞ 3.09 41.0µs ± ∞ 2.30 2.0× 2.7×",
			"mnist_b1 f32 — — — 9.10µs ± ∞ 22.3 — — — —",
			"mnist_b128 f32 182µs ± ∞ 0 143 — — — — — —",
			"wide_b128 f32 1.42ms ± ∞ 0 121 1.75ms ± ∞ 97.9 5.10ms ± ∞ 33.6 1.2× 3.6×",
		})
}

func TestWorkersTable(t *testing.T) {
	res, _ := load(t)
	checkTable(t, res.table(sections[2]),
		"net | dtype | workers1 | allocs | GFLOP/s | workers2 | allocs | GFLOP/s | speed-up vs workers1",
		[]string{
			"mnist_b128 f32 305µs ± ∞ 0 257 205µs ± ∞ 0 382 1.5×",
			"wide_b128 f32 4.35ms ± ∞ 0 118 2.80ms ± ∞ 0 184 1.6×",
		})
}

// TestSections checks that a section without results is left out, and that
// the kind column goes with a single kind.
func TestSections(t *testing.T) {
	var warn strings.Builder
	res := newResults(&warn)
	if err := res.read(strings.NewReader(inferTxt), "infer"); err != nil {
		t.Fatal(err)
	}
	ts := res.tables()
	var titles []string
	for _, tab := range ts {
		titles = append(titles, tab.title)
		if tab.labels != 2 || tab.header[0] != "net" {
			t.Errorf("%s: %d labels, header %q; want 2 labels from net", tab.title, tab.labels, tab.header)
		}
	}
	if want := []string{"Inference", "Both cores"}; !slices.Equal(titles, want) {
		t.Errorf("tables %q, want %q", titles, want)
	}
}

func TestFormat(t *testing.T) {
	for sec, want := range map[float64]string{
		850e-9: "850ns", 999.6e-9: "1.00µs", 4.2e-6: "4.20µs", 38.04e-6: "38.0µs",
		1.5249e-3: "1.52ms", 2.5: "2.50s", 0: "0ns",
	} {
		if got := formatTime(sec); got != want {
			t.Errorf("formatTime(%g) = %q, want %q", sec, got, want)
		}
	}
	for v, want := range map[float64]string{12.895: "12.9", 0.05301: "0.0530", 1234: "1230", 0: "0"} {
		if got := sig3(v); got != want {
			t.Errorf("sig3(%g) = %q, want %q", v, got, want)
		}
	}
}

// TestOutputs runs the command on the sample files and checks the Markdown
// against testdata/report.md and the size of the PNG.
func TestOutputs(t *testing.T) {
	dir := t.TempDir()
	md, pngPath, inferPath := filepath.Join(dir, "report.md"), filepath.Join(dir, "report.png"), filepath.Join(dir, "infer.png")
	var stdout, stderr bytes.Buffer
	args := append([]string{"-md", md, "-png", pngPath, "-inferpng", inferPath, "-go", "go1.26.8"}, sampleFiles...)
	if code := run(args, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, &stderr)
	}
	for _, want := range []string{
		"Machine: AMD EPYC 7B13 64-Core Processor, linux/amd64, go1.26.8. PyTorch 1.13.0a0, threads 1 (interop 1), ",
		"\nTraining step and Predict\nOne SGD step",
		"\nkind     net        dtype  generated    allocs",
		"\nInference\n", "\nnet         dtype  generated   allocs",
		"\nBoth cores\n", "\nnet         dtype  workers1",
	} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("text output lacks %q:\n%s", want, &stdout)
		}
	}

	got, err := os.ReadFile(md)
	if err != nil {
		t.Fatal(err)
	}
	const golden = "testdata/report.md"
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("markdown differs from %s (run go test -update):\n%s", golden, got)
	}

	for _, path := range []string{pngPath, inferPath} {
		checkPNG(t, path)
	}
}

// checkPNG checks that path holds an 800×450 PNG.
func checkPNG(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg, err := png.DecodeConfig(f)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Width != 800 || cfg.Height != 450 {
		t.Errorf("%s is %d×%d, want 800×450", filepath.Base(path), cfg.Width, cfg.Height)
	}
}

func TestErrors(t *testing.T) {
	for name, c := range map[string]struct {
		args  []string
		stdin string
	}{
		"missing file":    {[]string{"testdata/no-such-file.txt"}, ""},
		"no benchmarks":   {nil, "goos: linux\nBenchmarkOther-8 10 5 ns/op\nPASS\n"},
		"unknown flag":    {[]string{"-nope"}, ""},
		"unwritable -png": {[]string{"-png", "testdata/no-such-dir/x.png"}, bench1},
		"unwritable -md":  {[]string{"-md", "testdata/no-such-dir/x.md"}, bench1},
		"no inference":    {[]string{"-inferpng", filepath.Join(t.TempDir(), "x.png")}, bench1},
		"no steps":        {[]string{"-png", filepath.Join(t.TempDir(), "x.png")}, inferTxt},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(c.args, strings.NewReader(c.stdin), &stdout, &stderr); code != 2 || stderr.Len() == 0 {
			t.Errorf("%s: exit %d, stderr %q; want exit 2 and a message", name, code, &stderr)
		}
	}
}
