package main

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
	"unicode/utf8"
)

// missing marks a cell without a measurement.
const missing = "—"

// table is the report: a header and rows of cells. The first three columns
// (kind, net, dtype) are labels, the others numbers.
type table struct {
	header []string
	rows   [][]string
}

// table builds one row per (kind, net, dtype) that has results. Each
// implementation found in the input gets three columns: time per op (headed
// by its name), allocs per op and GFLOP/s.
func (res *results) table() table {
	found := map[string]bool{}
	for k := range res.samples {
		found[k.impl] = true
	}
	var cols, versus []string // implementations measured; those generated is compared with
	for _, impl := range impls {
		if found[impl] {
			cols = append(cols, impl)
			if impl != "generated" && found["generated"] {
				versus = append(versus, impl)
			}
		}
	}

	t := table{header: []string{"kind", "net", "dtype"}}
	for _, impl := range cols {
		t.header = append(t.header, impl, "allocs", "GFLOP/s")
	}
	for i, impl := range versus {
		if i == 0 {
			t.header = append(t.header, "speed-up vs "+impl)
		} else {
			t.header = append(t.header, "vs "+impl)
		}
	}

	for _, kind := range kinds {
		for _, net := range nets {
			for _, dtype := range dtypes {
				row, any := []string{kind, net, dtype}, false
				for _, impl := range cols {
					k := key{kind, net, impl, dtype}
					_, ok := res.samples[k]
					any = any || ok
					row = append(row, res.timeCell(k), res.cell(k, unitAllocs, "%.0f"), res.cell(k, unitFlops, ""))
				}
				if !any {
					continue
				}
				for _, impl := range versus {
					row = append(row, res.speedup(key{kind, net, impl, dtype}, key{kind, net, "generated", dtype}))
				}
				t.rows = append(t.rows, row)
			}
		}
	}
	return t
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

// writeText writes t as an aligned plain-text table.
func (t table) writeText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, row := range append([][]string{t.header}, t.rows...) {
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	return tw.Flush()
}

// writeMarkdown writes t as a GitHub Markdown table, preceded by a line
// describing the machine and the number of runs.
func (res *results) writeMarkdown(w io.Writer, t table) error {
	fmt.Fprintf(w, "%s\n\n", res.describe())
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
			case r == 1 && i < 3:
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

// describe names the machine, Go version and number of runs.
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
	return s + "Runs per benchmark: " + runs + "; times are medians ± 95% confidence interval."
}
