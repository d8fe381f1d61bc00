package adamw32

//go:generate go tool gradgen gen -o adamw32_gen.go adamw32.yaml

import (
	"testing"

	"github.com/gradgen/gradgen/gradgentest"
)

// TestGeneratedCodeIsFresh fails when adamw32.yaml changed and nobody ran
// go generate. ../../torchgold_test.go checks the package against PyTorch.
func TestGeneratedCodeIsFresh(t *testing.T) {
	gradgentest.Fresh(t, "adamw32.yaml", "adamw32_gen.go")
}
