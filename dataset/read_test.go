package dataset

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"reflect"
	"strings"
	"testing"
)

// read reads s as a file named "d.csv".
func read(s string, f Format) (*Table, error) {
	return Read(strings.NewReader(s), "d.csv", f)
}

// gz compresses s.
func gz(s string) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte(s))
	zw.Close()
	return b.Bytes()
}

func TestReadNoHeader(t *testing.T) {
	got, err := read("1,2,b\n\n 3 , 4.5e1 ,a\n\"5\",-6, b \n", Format{Label: -1})
	if err != nil {
		t.Fatal(err)
	}
	want := &Table{
		Rows:       [][]float64{{1, 2}, {3, 45}, {5, -6}},
		Classes:    []int{1, 0, 1},
		ClassNames: []string{"a", "b"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestReadLabelColumn(t *testing.T) {
	const data = "x,c,y\n1,p,2\n3,q,4\n"
	want := &Table{
		Names:      []string{"x", "y"},
		Rows:       [][]float64{{1, 2}, {3, 4}},
		Classes:    []int{0, 1},
		ClassNames: []string{"p", "q"},
	}
	for _, f := range []Format{
		{Header: NameHeader, LabelName: "c"},
		{Header: NameHeader, Label: 1},
		{Header: NameHeader, Label: -2},
	} {
		got, err := read(data, f)
		if err != nil {
			t.Fatalf("%+v: %v", f, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%+v: got %+v, want %+v", f, got, want)
		}
	}
	got, err := read("7,1,2\n8,3,4\n", Format{}) // the zero Format: the first column
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"7", "8"}; !reflect.DeepEqual(got.ClassNames, want) || !reflect.DeepEqual(got.Rows, [][]float64{{1, 2}, {3, 4}}) {
		t.Errorf("zero Format: got %+v", got)
	}
}

func TestReadClassOrder(t *testing.T) {
	for _, tc := range []struct {
		labels  string
		names   []string
		classes []int
	}{
		// Integers sort numerically, not as strings.
		{"10 9 -1 9 10 2", []string{"-1", "2", "9", "10"}, []int{3, 2, 0, 2, 3, 1}},
		// Equal integers spelt differently stay distinct.
		{"1 01 1", []string{"01", "1"}, []int{1, 0, 1}},
		// Otherwise as strings.
		{"b a 10 9 a", []string{"10", "9", "a", "b"}, []int{3, 2, 0, 1, 2}},
	} {
		var b strings.Builder
		for l := range strings.FieldsSeq(tc.labels) {
			fmt.Fprintf(&b, "0,%s\n", l)
		}
		got, err := read(b.String(), Format{Label: 1})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got.ClassNames, tc.names) || !reflect.DeepEqual(got.Classes, tc.classes) {
			t.Errorf("labels %s: classes %v named %q, want %v named %q", tc.labels, got.Classes, got.ClassNames, tc.classes, tc.names)
		}
	}
}

func TestReadClassNames(t *testing.T) {
	got, err := read("1,cat\n2,dog\n3,cat\n", Format{Label: -1, ClassNames: []string{"dog", "cat", "eel"}})
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{1, 0, 1}; !reflect.DeepEqual(got.Classes, want) {
		t.Errorf("classes %v, want %v", got.Classes, want)
	}
	if want := []string{"dog", "cat", "eel"}; !reflect.DeepEqual(got.ClassNames, want) {
		t.Errorf("class names %q, want %q", got.ClassNames, want)
	}
}

func TestReadSklearnHeader(t *testing.T) {
	got, err := read("3,2,no,yes\n1,2,0\n3,4,1\n5,6,1\n", Format{Header: SklearnHeader, Label: -1})
	if err != nil {
		t.Fatal(err)
	}
	want := &Table{
		Rows:       [][]float64{{1, 2}, {3, 4}, {5, 6}},
		Classes:    []int{0, 1, 1},
		ClassNames: []string{"no", "yes"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestReadNumericLabel(t *testing.T) {
	got, err := read("y,x\n0.5,1\n-2,3\n", Format{Header: NameHeader, LabelName: "y", NumericLabel: true})
	if err != nil {
		t.Fatal(err)
	}
	want := &Table{Names: []string{"x"}, Rows: [][]float64{{1}, {3}}, Targets: []float64{0.5, -2}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestReadCommaAndCheck(t *testing.T) {
	var seen []string
	f := Format{Comma: ';', Label: 0, Check: func(j int, v float64) error {
		seen = append(seen, fmt.Sprint(j, ":", v))
		return nil
	}}
	got, err := read("a;1;2\nb;3;4\n", f)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Rows, [][]float64{{1, 2}, {3, 4}}) {
		t.Errorf("rows %v", got.Rows)
	}
	if want := []string{"0:1", "1:2", "0:3", "1:4"}; !reflect.DeepEqual(seen, want) {
		t.Errorf("Check saw %v, want %v (the index in the row, without the label)", seen, want)
	}
}

func TestReadGzip(t *testing.T) {
	const data = "1,2,a\n3,4,b\n"
	plain, err := read(data, Format{Label: -1})
	if err != nil {
		t.Fatal(err)
	}
	compressed, err := Read(bytes.NewReader(gz(data)), "d.csv.gz", Format{Label: -1})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(plain, compressed) {
		t.Errorf("plain %+v, compressed %+v", plain, compressed)
	}
}

func TestReadFile(t *testing.T) {
	f := Format{Header: NameHeader, LabelName: "species"}
	plain, err := ReadFile("testdata/flowers.csv", f)
	if err != nil {
		t.Fatal(err)
	}
	compressed, err := ReadFile("testdata/flowers.csv.gz", f)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(plain, compressed) {
		t.Errorf("flowers.csv gave %+v, flowers.csv.gz %+v", plain, compressed)
	}
	if len(plain.Rows) != 12 || len(plain.Names) != 4 || len(plain.ClassNames) != 3 {
		t.Errorf("flowers.csv: %d rows, %d feature names, %d classes; want 12, 4 and 3", len(plain.Rows), len(plain.Names), len(plain.ClassNames))
	}
	_, err = ReadFile("testdata/missing.csv", f)
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "testdata/missing.csv") {
		t.Errorf("a missing file gave %v, want an error naming it that is fs.ErrNotExist", err)
	}
}

// TestReadErrors is the catalogue of bad input: each message names the
// file, line and column, and says what was expected.
func TestReadErrors(t *testing.T) {
	names := Format{Header: NameHeader, Label: -1}
	sk := Format{Header: SklearnHeader, Label: -1}
	last := Format{Label: -1}
	truncated := gz("1,2,a\n3,4,b\n5,6,c\n")
	truncated = truncated[:len(truncated)-12]
	for _, tc := range []struct {
		name string
		data string
		f    Format
		want string
	}{
		{"empty", "", last, "d.csv: no samples"},
		{"only blank lines", "\n\n", last, "d.csv: no samples"},
		{"empty with a header", "", names, "d.csv:1: missing header: the file is empty"},
		{"header only", "a,b\n", names, "d.csv: no samples"},
		{"not a number", "1,2,a\n3,x,b\n", last, `d.csv:2:3: "x" is not a finite number`},
		{"empty number", "1,2,a\n3,,b\n", last, `d.csv:2:3: "" is not a finite number`},
		{"not a number, named column", "p,q,c\n1,2,a\n3,NaN,b\n", names, `d.csv:3:3: "NaN" in column "q" is not a finite number`},
		{"infinite", "1,2,a\n3,-Inf,b\n", last, `d.csv:2:3: "-Inf" is not a finite number`},
		{"too large", "1,2,a\n1e999,4,b\n", last, `d.csv:2:1: "1e999" is not a finite number`},
		{"fewer fields", "1,2,a\n3,b\n", last, "d.csv:2: 2 fields, want 3 as in the first record"},
		{"more fields", "1,2,a\n3,4,5,b\n", last, "d.csv:2:7: 4 fields, want 3 as in the first record"},
		{"fewer than the header", "p,q,c\n1,a\n", names, "d.csv:2: 2 fields, want 3 as in the header"},
		{"empty label", "1,2,a\n3,4,\n", last, "d.csv:2:5: the label is empty"},
		{"one field", "1\n2\n", last, "d.csv:1: 1 field, want at least 2: features and a label"},
		{"label out of range", "1,2,a\n", Format{Label: 3}, "d.csv:1: the label column is 3, but records have 3 fields (columns 0 to 2, or -3 to -1)"},
		{"label out of range, negative", "1,2,a\n", Format{Label: -4}, "d.csv:1: the label column is -4"},
		{"no such column", "p,q\n1,a\n", Format{Header: NameHeader, LabelName: "class"}, `d.csv:1:1: no column is named "class" (the columns are "p", "q")`},
		{"class not allowed", "1,cat\n2,eel\n", Format{Label: -1, ClassNames: []string{"cat", "dog"}}, `d.csv:2:3: class "eel" is not one of "cat" or "dog"`},
		{"many classes not allowed", "1,20\n", Format{Label: -1, ClassNames: strings.Fields("0 1 2 3 4 5 6 7 8 9 10 11 12 13")}, `d.csv:1:3: class "20" is not one of 0, 1, 2, 3, 4, …, 9, 10, 11, 12 or 13`},
		{"bare quote", "1,2,a\n3,4\"x,b\n", last, `d.csv:2:4: bare " in non-quoted-field`},
		{"unterminated quote", "1,2,a\n3,\"4,b\n", last, `d.csv:2:8: extraneous or missing " in quoted-field`},
		{"sklearn: short header", "3,2\n1,2,0\n", sk, "d.csv:1:1: the header has 2 fields, want at least 3: the number of samples, the number of features, then the class names"},
		{"sklearn: bad sample count", "x,2,a,b\n", sk, `d.csv:1:1: the number of samples "x" is not an integer ≥ 1`},
		{"sklearn: bad feature count", "3,0,a,b\n", sk, `d.csv:1:3: the number of features "0" is not an integer ≥ 1`},
		{"sklearn: row too short", "2,3,a,b\n1,2,0\n", sk, "d.csv:2: 3 fields, want 4: the header's 3 features and the class"},
		{"sklearn: class out of range", "2,2,a,b\n1,2,0\n1,2,2\n", sk, `d.csv:3:5: class "2" is not one of 0 or 1`},
		{"sklearn: class name, not index", "1,2,a,b\n1,2,a\n", sk, `d.csv:2:5: class "a" is not one of 0 or 1`},
		{"sklearn: fewer samples", "3,2,a,b\n1,2,0\n1,2,1\n", sk, "d.csv:1:1: the header promises 3 samples, but 2 follow"},
		{"sklearn: more samples", " 1,2,a,b\n1,2,0\n1,2,1\n", sk, "d.csv:1:1: the header promises 1 samples, but 2 follow"},
		{"not gzip after all", "\x1f\x8bxxxxxxxxxxxx", last, "d.csv: not valid gzip data: gzip: invalid header"},
		{"truncated gzip", string(truncated), last, "d.csv: reading after line "},
		{"check", "1,2,a\n3,400,b\n", Format{Label: -1, Check: func(j int, v float64) error {
			if v > 255 {
				return fmt.Errorf("feature %d is %v, want at most 255", j, v)
			}
			return nil
		}}, "d.csv:2:3: feature 1 is 400, want at most 255"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tab, err := read(tc.data, tc.f)
			if err == nil {
				t.Fatalf("no error, read %+v; want %q", tab, tc.want)
			}
			if !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("got  %q\nwant %q", err, tc.want)
			}
			var pe *ParseError
			if !errors.As(err, &pe) || pe.File != "d.csv" {
				t.Errorf("%v is not a *ParseError of d.csv", err)
			}
		})
	}
}

// TestReadFormatErrors checks the Formats that cannot work.
func TestReadFormatErrors(t *testing.T) {
	for _, tc := range []struct {
		f    Format
		want string
	}{
		{Format{Header: 3}, "dataset: Format.Header is 3, want NoHeader, NameHeader or SklearnHeader"},
		{Format{LabelName: "c"}, `dataset: Format.LabelName "c" needs a NameHeader`},
		{Format{Header: SklearnHeader, ClassNames: []string{"a"}}, "dataset: Format.ClassNames must be nil with a SklearnHeader"},
		{Format{NumericLabel: true, ClassNames: []string{"a"}}, "dataset: Format.ClassNames must be nil with NumericLabel"},
		{Format{ClassNames: []string{"a", "b", "a"}}, `dataset: Format.ClassNames has "a" twice`},
	} {
		if _, err := read("a,1\n", tc.f); err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%+v: got %v, want %q", tc.f, err, tc.want)
		}
	}
}

// TestReadNeverPanics feeds Read prefixes and mutations of good input.
func TestReadNeverPanics(t *testing.T) {
	const good = "4,2,a,b\n1,2,0\n\"3\",4,1\n5,6.5e0,1\n7,8,0\n"
	inputs := []string{}
	for i := range len(good) {
		inputs = append(inputs, good[:i])
		for _, c := range []string{",", "\"", "\n", "x", "", "-", " "} {
			inputs = append(inputs, good[:i]+c+good[i+1:])
		}
	}
	formats := []Format{
		{Header: SklearnHeader, Label: -1},
		{Header: NameHeader, Label: -1},
		{Label: 1},
		{NumericLabel: true, Label: -2},
	}
	for _, in := range inputs {
		compressed := string(gz(in))
		for _, f := range formats {
			for _, data := range []string{in, compressed} {
				tab, err := read(data, f)
				if err == nil {
					for _, r := range tab.Rows {
						for _, v := range r {
							if math.IsNaN(v) || math.IsInf(v, 0) {
								t.Fatalf("%q: read a non-finite value", in)
							}
						}
					}
				}
			}
		}
	}
}

func TestParseErrorFormat(t *testing.T) {
	err := errors.New("bad")
	for _, tc := range []struct {
		e    ParseError
		want string
	}{
		{ParseError{File: "f", Line: 3, Column: 7, Err: err}, "f:3:7: bad"},
		{ParseError{File: "f", Line: 3, Err: err}, "f:3: bad"},
		{ParseError{File: "f", Err: err}, "f: bad"},
	} {
		if got := tc.e.Error(); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.e, got, tc.want)
		}
		if !errors.Is(&tc.e, err) {
			t.Errorf("%+v does not unwrap to its Err", tc.e)
		}
	}
}
