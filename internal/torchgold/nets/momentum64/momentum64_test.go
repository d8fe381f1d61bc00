package momentum64

//go:generate go tool gradgen gen -o momentum64_gen.go momentum64.yaml

import (
	"testing"

	"github.com/gradgen/gradgen/gradgentest"
)

// TestGeneratedCodeIsFresh fails when momentum64.yaml changed and nobody ran
// go generate. ../../torchgold_test.go checks the package against PyTorch.
func TestGeneratedCodeIsFresh(t *testing.T) {
	gradgentest.Fresh(t, "momentum64.yaml", "momentum64_gen.go")
}
