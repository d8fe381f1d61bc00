package main

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchmath"
)

// section is one table of the report: the benchmark kinds it shows, their
// networks and implementations in display order, and the implementation
// whose speed-up over each of the others it gives.
type section struct {
	title, note string
	kinds       []string
	nets        []string
	impls       []string
	fast        string
}

// The benchmark naming convention, in display order.
var (
	sections = []section{{
		title: "Training step and Predict",
		note:  "One SGD step on the batch (step), or one batch-1 forward pass (predict), on one core.",
		kinds: []string{"step", "predict"},
		nets:  []string{"tiny_b1", "mnist_b1", "mnist_b32", "wide_b128"},
		impls: []string{"generated", "generic", "gorgonia", "pytorch"},
		fast:  "generated",
	}, {
		title: "Inference",
		note:  "One forward pass to the logits on one core: Predict at batch 1, PredictBatch at 128.",
		kinds: []string{"infer"},
		nets:  []string{"tiny_b1", "tiny_b128", "mnist_b1", "mnist_b128", "wide_b1", "wide_b128"},
		impls: []string{"generated", "onnxruntime", "pytorch"},
		fast:  "generated",
	}, {
		title: "Both cores",
		note:  "The generated training step on a batch of 128 with SetWorkers(1) and SetWorkers(2), GOMAXPROCS=2.",
		kinds: []string{"workers"},
		nets:  []string{"mnist_b128", "wide_b128"},
		impls: []string{"workers1", "workers2"},
		fast:  "workers2",
	}}
	// kindOf maps a benchmark's base name, without "Benchmark", to its kind.
	kindOf = map[string]string{"Step": "step", "Predict": "predict", "Infer": "infer", "StepWorkers": "workers"}
	dtypes = []string{"f32", "f64"}
)

// Metric units, as benchfmt tidies them (ns/op becomes sec/op).
const (
	unitTime   = "sec/op"
	unitAllocs = "allocs/op"
	unitFlops  = "GFLOP/s"
)

// confidence is the confidence level of the reported intervals, as in benchstat.
const confidence = 0.95

// key identifies a benchmark regardless of its GOMAXPROCS suffix.
type key struct{ kind, net, impl, dtype string }

// results holds every sample read, grouped by benchmark and unit, and the
// file configuration (goos, goarch, cpu, ...) that came with them.
type results struct {
	samples map[key]map[string][]float64
	config  map[string]string // first value seen for each key
	units   benchfmt.UnitMetadataMap
	noted   map[string]bool // notes already written to warn
	warn    io.Writer
}

// newResults returns an empty results that notes problems on warn.
func newResults(warn io.Writer) *results {
	return &results{
		samples: map[key]map[string][]float64{},
		config:  map[string]string{},
		units:   benchfmt.UnitMetadataMap{},
		noted:   map[string]bool{},
		warn:    warn,
	}
}

// read adds the benchmark results in r, named name in messages.
func (res *results) read(r io.Reader, name string) error {
	br := benchfmt.NewReader(r, name)
	for br.Scan() {
		switch rec := br.Result().(type) {
		case *benchfmt.SyntaxError:
			res.note(rec.Error())
		case *benchfmt.Result:
			for _, c := range rec.Config {
				if c.File && res.config[c.Key] == "" {
					res.config[c.Key] = strings.TrimSpace(string(c.Value)) // Go pads some CPU names
				}
			}
			k, ok := parseName(rec.Name)
			if !ok {
				res.note(fmt.Sprintf("ignoring Benchmark%s: not Benchmark{Step,Predict,Infer,StepWorkers}/<net>/<impl>/<dtype> of known names", rec.Name))
				continue
			}
			m := res.samples[k]
			if m == nil {
				m = map[string][]float64{}
				res.samples[k] = m
			}
			for _, v := range rec.Values {
				m[v.Unit] = append(m[v.Unit], v.Value)
			}
		}
	}
	for k, u := range br.Units() {
		res.units[k] = u
	}
	return br.Err()
}

// note writes msg to the warnings unless it was already written.
func (res *results) note(msg string) {
	if !res.noted[msg] {
		res.noted[msg] = true
		fmt.Fprintln(res.warn, "report:", msg)
	}
}

// parseName splits a benchmark name that follows the convention.
func parseName(name benchfmt.Name) (key, bool) {
	base, parts := name.Parts()
	// benchfmt drops the "Benchmark" prefix.
	k := key{kind: kindOf[string(base)]}
	if n := len(parts); n > 0 && parts[n-1][0] == '-' { // GOMAXPROCS
		parts = parts[:n-1]
	}
	if k.kind == "" || len(parts) != 3 {
		return k, false
	}
	k.net, k.impl, k.dtype = string(parts[0][1:]), string(parts[1][1:]), string(parts[2][1:])
	s := sectionOf(k.kind)
	ok := slices.Contains(s.nets, k.net) && slices.Contains(s.impls, k.impl) && slices.Contains(dtypes, k.dtype)
	return k, ok
}

// sectionOf returns the section that shows kind.
func sectionOf(kind string) section {
	for _, s := range sections {
		if slices.Contains(s.kinds, kind) {
			return s
		}
	}
	panic("unknown benchmark kind " + kind)
}

// summary summarises one metric of benchmark k like benchstat does (the
// median and its confidence interval); n is the number of samples, 0 if the
// metric was not measured.
func (res *results) summary(k key, unit string) (s benchmath.Summary, n int) {
	vals := res.samples[k][unit]
	if len(vals) == 0 {
		return s, 0
	}
	sample := benchmath.NewSample(slices.Clone(vals), &benchmath.DefaultThresholds)
	s = res.units.GetAssumption(unit).Summary(sample, confidence)
	if len(vals) > 1 {
		for _, w := range s.Warnings { // e.g. too few samples for a finite interval
			res.note(w.Error())
		}
	}
	return s, len(vals)
}
