package main

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/gradgen/gradgen/dataset"
)

// short is a run that is quick but still learns: ten epochs reach about 97%.
var short = func() options {
	o := defaults
	o.Epochs = 10
	return o
}()

// shortRun runs short once; the tests that read its output share it.
var shortRun = sync.OnceValue(func() (r struct {
	out string
	res result
	err error
}) {
	var out bytes.Buffer
	r.res, r.err = run(&out, short)
	r.out = out.String()
	return r
})

func TestRunLearns(t *testing.T) {
	r := shortRun()
	if r.err != nil {
		t.Fatal(r.err)
	}
	if r.res.Generated < 0.95 || r.res.Generic < 0.95 {
		t.Errorf("test accuracy after %d epochs: generated %.4f, generic %.4f, want ≥ 0.95 for both; output:\n%s",
			short.Epochs, r.res.Generated, r.res.Generic, r.out)
	}
	if !strings.Contains(r.out, "determinism: the second run with seed 1 gave identical parameters (bit for bit)") {
		t.Errorf("no determinism line in the output:\n%s", r.out)
	}
}

func TestRunPrintsTheSameTwice(t *testing.T) {
	r := shortRun()
	if r.err != nil {
		t.Fatal(r.err)
	}
	var b bytes.Buffer
	if _, err := run(&b, short); err != nil {
		t.Fatal(err)
	}
	if ua, ub := untimed(r.out), untimed(b.String()); ua != ub {
		t.Errorf("two runs with seed %d differ apart from timings:\n%s\nand\n%s", short.Seed, ua, ub)
	}
	if n := strings.Count(untimed(r.out), "\n"); n < 2*short.Epochs {
		t.Errorf("only %d lines left after removing timings:\n%s", n, untimed(r.out))
	}
}

// untimed returns out without what depends on the clock: the last column
// (images per second) of the epoch lines and the lines of times.
func untimed(out string) string {
	var b strings.Builder
	for line := range strings.Lines(out) {
		fields := strings.Fields(line)
		switch {
		case strings.HasPrefix(line, "training time:"), strings.HasPrefix(line, "total time"):
			continue
		case len(fields) == 5 && isInt(fields[0]):
			line = strings.Join(fields[:4], " ") + "\n"
		}
		b.WriteString(line)
	}
	return b.String()
}

// isInt reports whether s is a decimal integer.
func isInt(s string) bool {
	_, err := strconv.Atoi(s)
	return err == nil
}

func TestRunFloat64WritesPlot(t *testing.T) {
	o := defaults
	o.Epochs, o.Float64 = 3, true
	o.Plot = filepath.Join(t.TempDir(), "digits.png")
	var out bytes.Buffer
	if _, err := run(&out, o); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "float64") || !strings.Contains(out.String(), "package digitsnet64") {
		t.Errorf("the output does not mention float64 and digitsnet64:\n%s", &out)
	}
	png, err := os.ReadFile(o.Plot)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) || len(png) < 10000 {
		t.Errorf("%s is not a PNG of a plot (%d bytes)", o.Plot, len(png))
	}
}

// TestSplit checks the split the demo prints: 1797 images, 359 of them,
// a fifth of each class, in the test set.
func TestSplit(t *testing.T) {
	d, err := readDigits("digits.csv.gz", digitsData)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Rows) != 1797 {
		t.Fatalf("%d images, want 1797", len(d.Rows))
	}
	train, test := dataset.StratifiedSplit(d.Classes, testShare, splitSeed)
	if len(train) != 1438 || len(test) != 359 {
		t.Errorf("%d training and %d test images, want 1438 and 359", len(train), len(test))
	}
	var all, inTest [classes]int
	for _, c := range d.Classes {
		all[c]++
	}
	for _, i := range test {
		inTest[d.Classes[i]]++
	}
	for c := range classes {
		if want := int(testShare*float64(all[c]) + 0.5); inTest[c] != want {
			t.Errorf("class %d: %d of %d images in the test set, want %d", c, inTest[c], all[c], want)
		}
	}
}

// gzipped compresses s.
func gzipped(s string) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte(s))
	zw.Close()
	return b.Bytes()
}

// TestRunPlainCSV runs on digits.csv.gz decompressed, which must give what
// the compressed file gives.
func TestRunPlainCSV(t *testing.T) {
	zr, err := gzip.NewReader(bytes.NewReader(digitsData))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	o := defaults
	o.Epochs = 1
	var a, b bytes.Buffer
	if _, err := run(&a, o); err != nil {
		t.Fatal(err)
	}
	o.Data, o.DataName = plain, "digits.csv"
	if _, err := run(&b, o); err != nil {
		t.Fatal(err)
	}
	if ua, ub := untimed(a.String()), untimed(b.String()); ua != ub {
		t.Errorf("the compressed data gave\n%s\nthe plain data\n%s", ua, ub)
	}
}

func TestRunMalformedData(t *testing.T) {
	good := strings.Repeat("0,", pixels) + "3\n"
	bad := func(field int, value string) string {
		f := strings.Split(strings.TrimSpace(good), ",")
		f[field] = value
		return strings.Join(f, ",") + "\n"
	}
	truncated := gzipped(good + good + good)
	truncated = truncated[:len(truncated)-10]
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"truncated gzip", truncated, "digits.csv.gz: reading after line "},
		{"empty", gzipped(""), "digits.csv.gz: no samples"},
		{"missing field", gzipped(good + strings.Repeat("0,", pixels-1) + "3\n"), "digits.csv.gz:2: 64 fields, want 65 as in the first record"},
		{"extra field", gzipped(good + good + "1," + good), "digits.csv.gz:3:131: 66 fields, want 65"},
		{"63 pixels", gzipped(strings.Repeat(strings.Repeat("0,", pixels-1)+"3\n", 5)), "digits.csv.gz: 63 pixels per image, want 64"},
		{"bad pixel", gzipped(good + bad(5, "x")), `digits.csv.gz:2:11: "x" is not a finite number`},
		{"pixel too bright", gzipped(good + good + bad(63, "17")), "digits.csv.gz:3:127: pixel 64 is 17, want an integer from 0 to 16"},
		{"negative pixel", gzipped(bad(0, "-1")), "digits.csv.gz:1:1: pixel 1 is -1, want"},
		{"fractional pixel", gzipped(good + bad(2, "1.5")), "digits.csv.gz:2:5: pixel 3 is 1.5, want"},
		{"class out of range", gzipped(good + "\n" + bad(pixels, "10")), `digits.csv.gz:3:129: class "10" is not one of 0, 1, 2, 3, 4, 5, 6, 7, 8 or 9`},
		{"class missing", gzipped(good + bad(pixels, "")), `digits.csv.gz:2:129: class "" is not one of`},
		{"too few to split", gzipped(good + good), "too few"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := short
			o.Data = tc.data
			_, err := run(new(bytes.Buffer), o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("run = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestProgressBarLeavesLinesIntact(t *testing.T) {
	o := defaults
	o.Epochs = 2
	var plain, bar bytes.Buffer
	if _, err := run(&plain, o); err != nil {
		t.Fatal(err)
	}
	o.Progress = true
	if _, err := run(&bar, o); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(bar.String(), "epoch 1 ") || !strings.Contains(bar.String(), "\r") {
		t.Fatalf("no progress bar in the output:\n%q", bar.String())
	}
	// A terminal shows of each line what follows its last carriage return,
	// over what came before unless that was blanked out.
	var shown strings.Builder
	for line := range strings.Lines(bar.String()) {
		parts := strings.Split(line, "\r")
		if n := len(parts); n > 1 && strings.TrimSpace(parts[n-2]) != "" {
			t.Errorf("the bar is not cleared before the line %q", parts[n-1])
		}
		shown.WriteString(parts[len(parts)-1])
	}
	if got, want := untimed(shown.String()), untimed(plain.String()); got != want {
		t.Errorf("with a progress bar the lines read\n%s\nwithout one\n%s", got, want)
	}
}

// TestResume kills a run after epoch 3 of 6 (stopAfter) and starts it again
// with the same -resume file: it resumes after epoch 3, and its determinism
// check, which trains a fresh model through all 6 epochs without stopping,
// finds the same parameters bit for bit. A checkpoint of another -batch is
// refused.
func TestResume(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run.ckpt")
	o := defaults
	o.Epochs, o.Resume, o.stopAfter = 6, path, 3
	var first bytes.Buffer
	if _, err := run(&first, o); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(first.String(), "stopped after epoch 3") {
		t.Fatalf("the first run did not stop:\n%s", &first)
	}
	o.stopAfter = 0
	var second bytes.Buffer
	if _, err := run(&second, o); err != nil {
		t.Fatalf("the resumed run: %v\n%s", err, &second)
	}
	for _, want := range []string{"resumed from " + path + " after epoch 3", "determinism: the second run with seed 1 gave identical parameters"} {
		if !strings.Contains(second.String(), want) {
			t.Errorf("the resumed run's output lacks %q:\n%s", want, &second)
		}
	}
	o.Batch = 50
	if _, err := run(new(bytes.Buffer), o); err == nil || !strings.Contains(err.Error(), "not whole epochs") {
		t.Errorf("resuming with another -batch: %v", err)
	}
}
