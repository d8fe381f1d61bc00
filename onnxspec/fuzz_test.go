package onnxspec

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/gradgen/gradgen/build"
)

// FuzzImport feeds arbitrary bytes to the reader and the importer, seeded
// with every model of the tests: neither may panic, and a model they
// accept must build.
//
//	go test ./onnxspec -run '^$' -fuzz FuzzImport -fuzztime 2m
func FuzzImport(f *testing.F) {
	for _, pattern := range []string{"testdata/*.onnx", "../internal/onnxgold/testdata/*.onnx", "../internal/graphgold/testdata/*.onnx", "testdata/node/*/model.onnx"} {
		paths, _ := filepath.Glob(pattern)
		for _, p := range paths {
			data, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Decode("f.onnx", data)
		if err != nil {
			return
		}
		n, err := Import("f.onnx", m)
		if err != nil {
			return
		}
		n.Package, n.Loss = "f", "mse"
		if err := n.Validate(); err != nil {
			return
		}
		if _, err := build.Program(n, build.Options{}); err != nil {
			t.Fatalf("an imported network that validates does not build: %v", err)
		}
	})
}
