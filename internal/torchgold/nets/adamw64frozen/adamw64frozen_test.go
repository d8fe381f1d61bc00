package adamw64frozen

//go:generate go tool gradgen gen -o adamw64frozen_gen.go adamw64frozen.yaml

import (
	"testing"

	"github.com/gradgen/gradgen/gradgentest"
)

// TestGeneratedCodeIsFresh fails when adamw64frozen.yaml changed and nobody ran
// go generate. ../../torchgold_test.go checks the package against PyTorch.
func TestGeneratedCodeIsFresh(t *testing.T) {
	gradgentest.Fresh(t, "adamw64frozen.yaml", "adamw64frozen_gen.go")
}
