package dataset

import (
	"bufio"
	"cmp"
	"compress/gzip"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
)

// Header says what the first record of a CSV file holds.
type Header int

const (
	// NoHeader means that every record is a sample.
	NoHeader Header = iota
	// NameHeader means that the first record names the columns, so that
	// Format.LabelName can choose the label column by name.
	NameHeader
	// SklearnHeader means that the first record is the header of the CSV
	// files scikit-learn bundles (iris.csv, breast_cancer.csv): the number of
	// samples, the number of features, then the class names, as in
	// "150,4,setosa,versicolor,virginica". Each label is then a class index
	// from 0 to the number of names − 1, and Read checks both counts.
	SklearnHeader
)

// Format describes a CSV file for Read: its header, which column holds the
// label and how to read it. Every other column holds a feature, a number.
// The zero Format reads a file without a header whose first column holds the
// class; set Label to -1 for the last column.
type Format struct {
	// Header says what the first record holds.
	Header Header
	// Label is the index of the label column, counted from 0; negative
	// indices count from the end, so -1 is the last column. It is ignored
	// when LabelName is set.
	Label int
	// LabelName, if not empty, names the label column in a NameHeader.
	LabelName string
	// ClassNames, if not nil, are the labels allowed, in the order of their
	// classes: a sample labelled ClassNames[c] has class c, and any other
	// label is an error. If nil, the classes are the distinct labels found,
	// sorted: numerically if all of them are integers, else as strings. It
	// must be nil with a SklearnHeader, which names the classes itself.
	ClassNames []string
	// NumericLabel reads the label as a number into Table.Targets, for
	// regression, instead of as a class.
	NumericLabel bool
	// Check, if not nil, is called with each feature value and its index j
	// in the row of Table.Rows. An error it returns is reported at the
	// value's line and column.
	Check func(j int, v float64) error
	// Comma separates the fields; 0 means ','.
	Comma rune
}

// Table is a data set as Read returns it: one row of features per sample,
// in the order of the file, and each sample's class (or target).
type Table struct {
	// Names are the names of the feature columns from a NameHeader, in the
	// order of Rows; nil without one.
	Names []string
	// Rows holds the features of each sample. All rows have the same length.
	Rows [][]float64
	// Classes holds each sample's class, an index into ClassNames; nil with
	// Format.NumericLabel.
	Classes []int
	// ClassNames are the labels of the classes, by class.
	ClassNames []string
	// Targets holds each sample's label as a number, with
	// Format.NumericLabel only.
	Targets []float64
}

// ParseError is a problem in a CSV file. Read returns every error in the
// data as a *ParseError.
type ParseError struct {
	File   string // the name given to Read, or the path given to ReadFile
	Line   int    // the line, from 1; 0 when the problem has none
	Column int    // the column, a byte offset from 1; 0 when the problem concerns the whole line
	Err    error  // what is wrong
}

// Error returns the problem as "file:line:column: message", leaving out the
// column or the line when they are 0.
func (e *ParseError) Error() string {
	switch {
	case e.Line == 0:
		return fmt.Sprintf("%s: %v", e.File, e.Err)
	case e.Column == 0:
		return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("%s:%d:%d: %v", e.File, e.Line, e.Column, e.Err)
}

// Unwrap returns e.Err.
func (e *ParseError) Unwrap() error { return e.Err }

// ReadFile reads the CSV file at path as f describes, as Read does.
func ReadFile(path string, f Format) (*Table, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	return Read(file, path, f)
}

// Read reads a data set in CSV (RFC 4180, as encoding/csv reads it) from r,
// as f describes. Input that starts as gzip data does is decompressed first,
// so a .csv.gz file reads like a .csv file. Fields may be quoted; spaces
// around numbers and labels are ignored, and so are empty lines. Every
// record must have as many fields as the first, and a file must hold at least
// one sample.
//
// Errors in the data are *ParseError values whose messages name the file
// (name), the line and the column, and what was expected instead.
func Read(r io.Reader, name string, f Format) (*Table, error) {
	if f.Header < NoHeader || f.Header > SklearnHeader {
		return nil, fmt.Errorf("dataset: Format.Header is %d, want NoHeader, NameHeader or SklearnHeader", f.Header)
	}
	if f.LabelName != "" && f.Header != NameHeader {
		return nil, fmt.Errorf("dataset: Format.LabelName %q needs a NameHeader", f.LabelName)
	}
	if f.ClassNames != nil && f.Header == SklearnHeader {
		return nil, errors.New("dataset: Format.ClassNames must be nil with a SklearnHeader, which names the classes")
	}
	if f.ClassNames != nil && f.NumericLabel {
		return nil, errors.New("dataset: Format.ClassNames must be nil with NumericLabel")
	}
	br := bufio.NewReader(r)
	var src io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, &ParseError{File: name, Err: fmt.Errorf("not valid gzip data: %w", err)}
		}
		defer zr.Close()
		src = zr
	}
	p := &parser{name: name, f: f, cr: csv.NewReader(src), t: &Table{}, samples: -1}
	p.cr.FieldsPerRecord = -1 // checked here, with a better message
	p.cr.ReuseRecord = true
	if f.Comma != 0 {
		p.cr.Comma = f.Comma
	}
	if err := p.read(); err != nil {
		return nil, err
	}
	return p.t, nil
}

// parser holds the state of one Read.
type parser struct {
	name string
	f    Format
	cr   *csv.Reader
	t    *Table

	width      int            // fields per record; 0 until the first record
	label      int            // the index of the label column
	names      []string       // the column names of a NameHeader
	classes    map[string]int // the class of each allowed label, or nil to collect them
	labels     []string       // each sample's label, when collecting them
	flat       []float64      // the features of all samples, row after row
	line       int            // the line of the last record read
	samples    int            // the sample count a SklearnHeader promises, or -1
	samplesCol int            // the column of that count
}

// errorf returns a *ParseError at line and column.
func (p *parser) errorf(line, col int, format string, args ...any) error {
	return &ParseError{File: p.name, Line: line, Column: col, Err: fmt.Errorf(format, args...)}
}

// next returns the next record, io.EOF after the last one.
func (p *parser) next() ([]string, error) {
	rec, err := p.cr.Read()
	if err == nil {
		p.line, _ = p.cr.FieldPos(0)
		return rec, nil
	}
	if err == io.EOF {
		return nil, err
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return nil, &ParseError{File: p.name, Line: pe.Line, Column: pe.Column, Err: pe.Err}
	}
	if p.line == 0 {
		return nil, &ParseError{File: p.name, Err: fmt.Errorf("reading: %w", err)}
	}
	return nil, &ParseError{File: p.name, Err: fmt.Errorf("reading after line %d: %w", p.line, err)}
}

func (p *parser) read() error {
	if p.f.Header != NoHeader {
		rec, err := p.next()
		if err == io.EOF {
			return p.errorf(1, 0, "missing header: the file is empty")
		}
		if err != nil {
			return err
		}
		if err := p.header(rec); err != nil {
			return err
		}
	}
	if p.f.ClassNames != nil {
		if err := p.allow(p.f.ClassNames); err != nil {
			return err
		}
	}
	for {
		rec, err := p.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if p.width == 0 {
			if err := p.setWidth(len(rec)); err != nil {
				return err
			}
		}
		if err := p.record(rec); err != nil {
			return err
		}
	}
	return p.finish()
}

// header reads the header record.
func (p *parser) header(rec []string) error {
	switch p.f.Header {
	case NameHeader:
		p.names = slices.Clone(rec)
		for i := range p.names {
			p.names[i] = strings.TrimSpace(p.names[i])
		}
		if err := p.setWidth(len(rec)); err != nil {
			return err
		}
		for i, n := range p.names {
			if i != p.label {
				p.t.Names = append(p.t.Names, n)
			}
		}
	case SklearnHeader:
		if len(rec) < 3 {
			return p.errorf(p.line, 1, "the header has %d fields, want at least 3: the number of samples, the number of features, then the class names", len(rec))
		}
		n, err := strconv.Atoi(strings.TrimSpace(rec[0]))
		if err != nil || n < 1 {
			return p.errorf(p.line, 1, "the number of samples %q is not an integer ≥ 1", rec[0])
		}
		p.samples = n
		_, p.samplesCol = p.cr.FieldPos(0)
		features, err := strconv.Atoi(strings.TrimSpace(rec[1]))
		if _, col := p.cr.FieldPos(1); err != nil || features < 1 {
			return p.errorf(p.line, col, "the number of features %q is not an integer ≥ 1", rec[1])
		}
		names := make([]string, len(rec)-2)
		allowed := make([]string, len(names))
		for i, s := range rec[2:] {
			names[i] = strings.TrimSpace(s)
			allowed[i] = strconv.Itoa(i)
		}
		if err := p.allow(allowed); err != nil {
			return err
		}
		p.t.ClassNames = names
		return p.setWidth(features + 1)
	}
	return nil
}

// setWidth sets the number of fields of every sample's record and finds the
// label column among them.
func (p *parser) setWidth(n int) error {
	if n < 2 {
		return p.errorf(p.line, 0, "%d field, want at least 2: features and a label", n)
	}
	p.width = n
	if p.f.LabelName != "" {
		i := slices.Index(p.names, p.f.LabelName)
		if i < 0 {
			return p.errorf(p.line, 1, "no column is named %q (the columns are %s)", p.f.LabelName, quoted(p.names))
		}
		p.label = i
		return nil
	}
	p.label = p.f.Label
	if p.label < 0 {
		p.label += n
	}
	if p.label < 0 || p.label >= n {
		return p.errorf(p.line, 0, "the label column is %d, but records have %d fields (columns 0 to %d, or -%d to -1)", p.f.Label, n, n-1, n)
	}
	return nil
}

// allow fixes the classes: labels[c] is the label of class c.
func (p *parser) allow(labels []string) error {
	p.classes = make(map[string]int, len(labels))
	for c, l := range labels {
		if _, dup := p.classes[l]; dup {
			return fmt.Errorf("dataset: Format.ClassNames has %q twice", l)
		}
		p.classes[l] = c
	}
	if p.t.ClassNames == nil {
		p.t.ClassNames = slices.Clone(labels)
	}
	return nil
}

// record reads the record of one sample.
func (p *parser) record(rec []string) error {
	if len(rec) != p.width {
		want := fmt.Sprintf("want %d as in the first record", p.width)
		switch p.f.Header {
		case NameHeader:
			want = fmt.Sprintf("want %d as in the header", p.width)
		case SklearnHeader:
			want = fmt.Sprintf("want %d: the header's %d features and the class", p.width, p.width-1)
		}
		col := 0
		if len(rec) > p.width {
			_, col = p.cr.FieldPos(p.width) // the first field too many
		}
		return p.errorf(p.line, col, "%d fields, %s", len(rec), want)
	}
	for i, s := range rec {
		if i == p.label {
			continue
		}
		v, err := p.number(i, s)
		if err != nil {
			return err
		}
		if p.f.Check != nil {
			j := i
			if i > p.label {
				j-- // the index in the row, which leaves out the label
			}
			if err := p.f.Check(j, v); err != nil {
				_, col := p.cr.FieldPos(i)
				return &ParseError{File: p.name, Line: p.line, Column: col, Err: err}
			}
		}
		p.flat = append(p.flat, v)
	}

	s := strings.TrimSpace(rec[p.label])
	line, col := p.cr.FieldPos(p.label)
	switch {
	case p.f.NumericLabel:
		v, err := p.number(p.label, s)
		if err != nil {
			return err
		}
		p.t.Targets = append(p.t.Targets, v)
	case p.classes != nil:
		c, ok := p.classes[s]
		if !ok {
			return p.errorf(line, col, "class %q is not one of %s", s, list(p.allowedLabels()))
		}
		p.t.Classes = append(p.t.Classes, c)
	case s == "":
		return p.errorf(line, col, "the label is empty")
	default:
		p.labels = append(p.labels, s)
	}
	return nil
}

// number parses field i of the current record, s, as a finite number.
func (p *parser) number(i int, s string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err == nil && !math.IsInf(v, 0) && !math.IsNaN(v) {
		return v, nil
	}
	line, col := p.cr.FieldPos(i)
	if p.names != nil {
		return 0, p.errorf(line, col, "%q in column %q is not a finite number", s, p.names[i])
	}
	return 0, p.errorf(line, col, "%q is not a finite number", s)
}

// allowedLabels returns the labels allowed, in the order of their classes.
func (p *parser) allowedLabels() []string {
	labels := make([]string, len(p.classes))
	for l, c := range p.classes {
		labels[c] = l
	}
	return labels
}

// finish checks the counts and completes the table.
func (p *parser) finish() error {
	w := p.width - 1 // features per sample, ≥ 1 once a record was read
	if len(p.flat) == 0 {
		return &ParseError{File: p.name, Err: errors.New("no samples")}
	}
	n := len(p.flat) / w
	if p.samples >= 0 && n != p.samples {
		return p.errorf(1, p.samplesCol, "the header promises %d samples, but %d follow", p.samples, n)
	}
	p.t.Rows = make([][]float64, n)
	for i := range p.t.Rows {
		p.t.Rows[i] = p.flat[i*w : (i+1)*w : (i+1)*w]
	}
	if p.labels != nil {
		distinct := slices.Clone(p.labels)
		sortLabels(distinct)
		distinct = slices.Compact(distinct)
		class := make(map[string]int, len(distinct))
		for c, l := range distinct {
			class[l] = c
		}
		p.t.ClassNames = distinct
		p.t.Classes = make([]int, len(p.labels))
		for i, l := range p.labels {
			p.t.Classes[i] = class[l]
		}
	}
	return nil
}

// sortLabels sorts labels numerically if all of them are integers, else as
// strings. Equal integers written differently ("1", "01") sort as strings.
func sortLabels(labels []string) {
	value := make(map[string]int64, len(labels))
	for _, l := range labels {
		v, err := strconv.ParseInt(l, 10, 64)
		if err != nil {
			slices.Sort(labels)
			return
		}
		value[l] = v
	}
	slices.SortFunc(labels, func(a, b string) int {
		return cmp.Or(cmp.Compare(value[a], value[b]), strings.Compare(a, b))
	})
}

// list returns labels as "a, b or c", quoting those that are not integers,
// with the middle left out when there are more than 12.
func list(labels []string) string {
	q := make([]string, 0, len(labels))
	for i, l := range labels {
		if n := len(labels); n > 12 && i >= 5 && i < n-5 {
			if i == 5 {
				q = append(q, "…")
			}
			continue
		}
		if _, err := strconv.Atoi(l); err == nil {
			q = append(q, l)
		} else {
			q = append(q, strconv.Quote(l))
		}
	}
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}

// quoted returns names quoted and separated by commas.
func quoted(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return strings.Join(q, ", ")
}
