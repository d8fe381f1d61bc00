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

// The sample is one -count=6 run split over two files: three counts of the
// training steps each, single predict runs without a -N suffix in the
// second, no gorgonia f64, plus benchmarks outside the naming convention.
var (
	//go:embed testdata/bench1.txt
	bench1 string
	//go:embed testdata/bench2.txt
	bench2 string
)

// load parses the embedded sample, returning the results and the notes.
func load(t *testing.T) (*results, string) {
	t.Helper()
	var warn strings.Builder
	res := newResults(&warn)
	for _, s := range []string{bench1, bench2} {
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
	} {
		s, n := res.summary(c.k, c.unit)
		if n != c.n || !near(s.Center, c.center) {
			t.Errorf("%v %s: median %g of %d samples, want %g of %d", c.k, c.unit, s.Center, n, c.center, c.n)
		}
	}
	if got := res.config["cpu"]; got != "AMD EPYC 7B13 64-Core Processor" {
		t.Errorf("cpu = %q", got)
	}
	for _, name := range []string{"BenchmarkStep/tiny_b1/fancy/f32-8", "BenchmarkUnrelated-8"} {
		if strings.Count(warn, "ignoring "+name+":") != 1 {
			t.Errorf("want one note about %s, got:\n%s", name, warn)
		}
	}
}

// near reports whether a and b agree to 1e-9 relative.
func near(a, b float64) bool {
	return a == b || (a-b)/b < 1e-9 && (b-a)/b < 1e-9
}

func TestSpeedup(t *testing.T) {
	res, _ := load(t)
	tab := res.table()
	if got, want := tab.header[len(tab.header)-2:], []string{"speed-up vs generic", "vs gorgonia"}; !slices.Equal(got, want) {
		t.Fatalf("speed-up headers %q, want %q", got, want)
	}
	want := map[string][]string{
		"step tiny_b1 f32":    {"4.9×", "45×"},
		"step tiny_b1 f64":    {"5.7×", "—"},
		"step mnist_b32 f32":  {"2.7×", "6.4×"},
		"predict tiny_b1 f64": {"5.0×", "—"},
	}
	var order []string
	for _, row := range tab.rows {
		name := strings.Join(row[:3], " ")
		order = append(order, name)
		if w, ok := want[name]; ok && !slices.Equal(row[len(row)-2:], w) {
			t.Errorf("%s: speed-ups %q, want %q", name, row[len(row)-2:], w)
		}
	}
	wantOrder := []string{"step tiny_b1 f32", "step tiny_b1 f64", "step mnist_b32 f32", "step mnist_b32 f64", "predict tiny_b1 f32", "predict tiny_b1 f64"}
	if !slices.Equal(order, wantOrder) {
		t.Errorf("rows %q, want %q", order, wantOrder)
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
	md, pngPath := filepath.Join(dir, "report.md"), filepath.Join(dir, "report.png")
	var stdout, stderr bytes.Buffer
	args := []string{"-md", md, "-png", pngPath, "-go", "go1.26.8", "testdata/bench1.txt", "testdata/bench2.txt"}
	if code := run(args, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, &stderr)
	}
	if !strings.HasPrefix(stdout.String(), "kind     net        dtype  generated    allocs") {
		t.Errorf("unexpected text table:\n%s", &stdout)
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

	f, err := os.Open(pngPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg, err := png.DecodeConfig(f)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Width != 800 || cfg.Height != 450 {
		t.Errorf("PNG is %d×%d, want 800×450", cfg.Width, cfg.Height)
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
	} {
		var stdout, stderr bytes.Buffer
		if code := run(c.args, strings.NewReader(c.stdin), &stdout, &stderr); code != 2 || stderr.Len() == 0 {
			t.Errorf("%s: exit %d, stderr %q; want exit 2 and a message", name, code, &stderr)
		}
	}
}
