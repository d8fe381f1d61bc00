package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestRunTrains(t *testing.T) {
	var out bytes.Buffer
	acc, err := run(&out, defaults)
	if err != nil {
		t.Fatal(err)
	}
	if acc < 0.95 {
		t.Errorf("training accuracy %.3f, want ≥ 0.95; output:\n%s", acc, &out)
	}
}

func TestRunDeterministic(t *testing.T) {
	var a, b bytes.Buffer
	if _, err := run(&a, defaults); err != nil {
		t.Fatal(err)
	}
	if _, err := run(&b, defaults); err != nil {
		t.Fatal(err)
	}
	if a.String() != b.String() {
		t.Errorf("two runs with seed %d differ:\n%s\nand\n%s", defaults.Seed, &a, &b)
	}
}

func TestRunMalformedCSV(t *testing.T) {
	const header = "3,4,setosa,versicolor,virginica\n"
	const good = "5.1,3.5,1.4,0.2,0\n"
	for _, tc := range []struct{ name, csv, want string }{
		{"empty", "", "line 1:"},
		{"short header", "3,4,a,b\n", "line 1:"},
		{"wrong feature count", "3,5,a,b,c\n" + good, "line 1:"},
		{"missing field", header + good + "4.9,3.0,1.4,0\n", "line 3:"},
		{"bad number", header + good + good + "4.9,x,1.4,0.2,0\n", "line 4:"},
		{"class out of range", header + good + "4.9,3.0,1.4,0.2,3\n", "line 3:"},
		{"too few samples", header + good + good, "promises 3 samples, found 2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := defaults
			o.CSV = []byte(tc.csv)
			_, err := run(new(bytes.Buffer), o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("run = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}
