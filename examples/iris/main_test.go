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
	if acc < 0.9 {
		t.Errorf("test accuracy %.3f, want ≥ 0.9; output:\n%s", acc, &out)
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
		{"empty", "", "iris.csv:1: missing header"},
		{"two classes", "1,4,a,b\n" + good, "iris.csv: the header names 2 classes, but the network has 3 outputs"},
		{"wrong feature count", "3,5,a,b,c\n" + good, "iris.csv:2: 5 fields, want 6: the header's 5 features and the class"},
		{"too many features", "1,5,a,b,c\n5.1,3.5,1.4,0.2,9,0\n", "iris.csv: dataset.Vectors: row 0 has 5 values, but [4]float32 holds 4"},
		{"missing field", header + good + "4.9,3.0,1.4,0\n", "iris.csv:3: 4 fields, want 5"},
		{"extra field", header + good + "4.9,3.0,1.4,0.2,0,7\n", "iris.csv:3:19: 6 fields, want 5"},
		{"bad number", header + good + good + "4.9,x,1.4,0.2,0\n", `iris.csv:4:5: "x" is not a finite number`},
		{"class out of range", header + good + "4.9,3.0,1.4,0.2,3\n", `iris.csv:3:17: class "3" is not one of 0, 1 or 2`},
		{"too few samples", header + good + good, "iris.csv:1:1: the header promises 3 samples, but 2 follow"},
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
