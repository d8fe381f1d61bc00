package adamw64

//go:generate go tool gradgen gen -o adamw64_gen.go adamw64.yaml

import (
	"testing"

	"github.com/gradgen/gradgen/gradgentest"
)

// TestGeneratedCodeIsFresh fails when adamw64.yaml changed and nobody ran
// go generate. ../../torchgold_test.go checks the package against PyTorch.
func TestGeneratedCodeIsFresh(t *testing.T) {
	gradgentest.Fresh(t, "adamw64.yaml", "adamw64_gen.go")
}
