package momentum32

//go:generate go tool gradgen gen -o momentum32_gen.go momentum32.yaml

import (
	"testing"

	"github.com/gradgen/gradgen/gradgentest"
)

// TestGeneratedCodeIsFresh fails when momentum32.yaml changed and nobody ran
// go generate. ../../torchgold_test.go checks the package against PyTorch.
func TestGeneratedCodeIsFresh(t *testing.T) {
	gradgentest.Fresh(t, "momentum32.yaml", "momentum32_gen.go")
}
