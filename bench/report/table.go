package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"unicode/utf8"
)

// missing marks a cell without a measurement.
const missing = "—"

// table is one section of the report: a header and rows of cells. The
// first labels columns (kind, net, dtype) are labels, the others numbers.
type table struct {
	section
	labels int
	header []string
	rows   [][]string
}

// tables builds the table of each section that has results.
func (res *results) tables() []table {
	var ts []table
	for _, s := range sections {
		if t := res.table(s); len(t.rows) > 0 {
			ts = append(ts, t)
		}
	}
	return ts
}

// table builds one row per (kind, net, dtype) of section s that has
// results, labelled by kind only if s has several.
func (res *results) table(s section) table {
	c := res.columns(s)
	t := table{section: s, labels: 2}
	if len(s.kinds) > 1 {
		t.labels, t.header = 3, []string{"kind"}
	}
	t.header = append(append(t.header, "net", "dtype"), c.header()...)
	for _, kind := range s.kinds {
		for _, net := range s.nets {
			for _, dtype := range dtypes {
				if row := res.row(key{kind, net, "", dtype}, c); row != nil {
					labels := []string{kind, net, dtype}[3-t.labels:]
					t.rows = append(t.rows, append(labels, row...))
				}
			}
		}
	}
	return t
}

// columns are the columns of a table after its labels: each implementation
// found gets one of the time per op, headed by its name, one of the allocs
// per op if it reports them, and one of GFLOP/s; then come the speed-ups of
// fast over the others.
type columns struct {
	impls  []string        // the implementations found, in display order
	allocs map[string]bool // those that report allocations
	versus []string        // those fast is compared with
	fast   string
}

// columns finds the implementations of section s that have results.
func (res *results) columns(s section) columns {
	found := map[string]bool{}
	c := columns{allocs: map[string]bool{}, fast: s.fast}
	for k, m := range res.samples {
		if slices.Contains(s.kinds, k.kind) {
			found[k.impl] = true
			c.allocs[k.impl] = c.allocs[k.impl] || len(m[unitAllocs]) > 0
		}
	}
	for _, impl := range s.impls {
		if found[impl] {
			c.impls = append(c.impls, impl)
			if impl != s.fast && found[s.fast] {
				c.versus = append(c.versus, impl)
			}
		}
	}
	return c
}

// header returns the headings of the columns.
func (c columns) header() []string {
	var h []string
	for _, impl := range c.impls {
		h = append(h, impl)
		if c.allocs[impl] {
			h = append(h, "allocs")
		}
		h = append(h, "GFLOP/s")
	}
	for i, impl := range c.versus {
		if i == 0 {
			h = append(h, "speed-up vs "+impl)
		} else {
			h = append(h, "vs "+impl)
		}
	}
	return h
}

// row formats the cells of columns c for benchmark k (whose impl is
// ignored), or returns nil if none of the implementations has results there.
func (res *results) row(k key, c columns) []string {
	var row []string
	some := false
	for _, impl := range c.impls {
		k.impl = impl
		_, ok := res.samples[k]
		some = some || ok
		row = append(row, res.timeCell(k))
		if c.allocs[impl] {
			row = append(row, res.cell(k, unitAllocs, "%.0f"))
		}
		row = append(row, res.cell(k, unitFlops, ""))
	}
	if !some {
		return nil
	}
	for _, impl := range c.versus {
		slow, fast := k, k
		slow.impl, fast.impl = impl, c.fast
		row = append(row, res.speedup(slow, fast))
	}
	return row
}

// timeCell formats the median time per op of k with its confidence interval.
func (res *results) timeCell(k key) string {
	s, n := res.summary(k, unitTime)
	switch n {
	case 0:
		return missing
	case 1:
		return formatTime(s.Center)
	}
	return formatTime(s.Center) + " ± " + s.PctRangeString()
}

// cell formats the median of a metric of k with format, or three
// significant digits if format is empty.
func (res *results) cell(k key, unit, format string) string {
	s, n := res.summary(k, unit)
	switch {
	case n == 0:
		return missing
	case format == "":
		return sig3(s.Center)
	}
	return fmt.Sprintf(format, s.Center)
}

// speedup formats how many times faster the median time of fast is than
// that of slow: one decimal below 10×, none above.
func (res *results) speedup(slow, fast key) string {
	s, n := res.summary(slow, unitTime)
	f, m := res.summary(fast, unitTime)
	if n == 0 || m == 0 || f.Center == 0 {
		return missing
	}
	r := s.Center / f.Center
	if r >= 10 {
		return fmt.Sprintf("%.0f×", r)
	}
	return fmt.Sprintf("%.1f×", r)
}

// formatTime formats a duration in seconds as ns, µs, ms or s with three
// significant digits.
func formatTime(sec float64) string {
	ns := roundSig(sec*1e9, 3)
	switch {
	case ns >= 1e9:
		return sig3(ns/1e9) + "s"
	case ns >= 1e6:
		return sig3(ns/1e6) + "ms"
	case ns >= 1e3:
		return sig3(ns/1e3) + "µs"
	}
	return sig3(ns) + "ns"
}

// sig3 formats v with three significant digits and no exponent.
func sig3(v float64) string {
	v = roundSig(v, 3)
	if v == 0 {
		return "0"
	}
	prec := max(0, 2-int(math.Floor(math.Log10(math.Abs(v)))))
	return strconv.FormatFloat(v, 'f', prec, 64)
}

// roundSig rounds v to n significant digits.
func roundSig(v float64, n int) float64 {
	if v == 0 || math.IsInf(v, 0) || math.IsNaN(v) {
		return v
	}
	p := math.Pow10(n - 1 - int(math.Floor(math.Log10(math.Abs(v)))))
	return math.Round(v*p) / p
}

// writeText writes the machine line and each table, under its title, as
// aligned plain text.
func (res *results) writeText(w io.Writer, ts []table) error {
	fmt.Fprintln(w, res.describe())
	for _, t := range ts {
		fmt.Fprintf(w, "\n%s\n%s\n\n", t.title, t.note)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, row := range append([][]string{t.header}, t.rows...) {
			fmt.Fprintln(tw, strings.Join(row, "\t"))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}

// writeMarkdown writes the machine line, then each table as GitHub
// Markdown under a heading and its note.
func (res *results) writeMarkdown(w io.Writer, ts []table) error {
	fmt.Fprintf(w, "%s\n", res.describe())
	for _, t := range ts {
		fmt.Fprintf(w, "\n## %s\n\n%s\n\n", t.title, t.note)
		if err := t.writeMarkdown(w); err != nil {
			return err
		}
	}
	return nil
}

// writeMarkdown writes t as a GitHub Markdown table, the labels aligned
// left and the numbers right.
func (t table) writeMarkdown(w io.Writer) error {
	rows := append([][]string{t.header, nil}, t.rows...)
	width := make([]int, len(t.header))
	for _, row := range rows {
		for i, c := range row {
			width[i] = max(width[i], utf8.RuneCountInString(c), 4)
		}
	}
	for r, row := range rows {
		var b strings.Builder
		for i, w := range width {
			switch {
			case r == 1 && i < t.labels:
				fmt.Fprintf(&b, "| %s ", strings.Repeat("-", w))
			case r == 1:
				fmt.Fprintf(&b, "| %s: ", strings.Repeat("-", w-1))
			default:
				fmt.Fprintf(&b, "| %s%s ", row[i], strings.Repeat(" ", w-utf8.RuneCountInString(row[i])))
			}
		}
		b.WriteString("|\n")
		if _, err := io.WriteString(w, b.String()); err != nil {
			return err
		}
	}
	return nil
}

// describe names the machine, Go version, PyTorch's setup and the number
// of runs.
func (res *results) describe() string {
	var machine []string
	if cpu := res.config["cpu"]; cpu != "" {
		machine = append(machine, cpu)
	}
	if goos, goarch := res.config["goos"], res.config["goarch"]; goos != "" || goarch != "" {
		machine = append(machine, goos+"/"+goarch)
	}
	if v := res.config["go"]; v != "" {
		machine = append(machine, v)
	}
	lo, hi := math.MaxInt, 0
	for k := range res.samples {
		n := len(res.samples[k][unitTime])
		lo, hi = min(lo, n), max(hi, n)
	}
	runs := strconv.Itoa(hi)
	if lo != hi {
		runs = fmt.Sprintf("%d–%d", lo, hi)
	}
	s := ""
	if len(machine) > 0 {
		s = "Machine: " + strings.Join(machine, ", ") + ". "
	}
	s += res.describeTorch()
	return s + "Runs per benchmark: " + runs + "; times are medians ± 95% confidence interval."
}

// torchConfig names the configuration lines of bench/peers/torch_bench.py
// that describe shows, in order.
var torchConfig = []struct{ key, name string }{
	{"torch-threads", "threads"},
	{"blas", "BLAS"},
	{"openblas-core", "OpenBLAS core"},
	{"openblas-coretype", "OPENBLAS_CORETYPE"},
	{"openblas-l2-size", "OPENBLAS_L2_SIZE"},
}

// describeTorch names PyTorch's version, threads and BLAS as
// torch_bench.py reported them, or returns "" if it did not.
func (res *results) describeTorch() string {
	v := res.config["torch"]
	if v == "" {
		return ""
	}
	parts := []string{"PyTorch " + v}
	for _, c := range torchConfig {
		if x := res.config[c.key]; x != "" {
			parts = append(parts, c.name+" "+x)
		}
	}
	return strings.Join(parts, ", ") + ". "
}
