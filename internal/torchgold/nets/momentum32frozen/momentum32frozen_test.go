package momentum32frozen

//go:generate go tool gradgen gen -o momentum32frozen_gen.go momentum32frozen.yaml

import (
	"testing"

	"github.com/gradgen/gradgen/gradgentest"
)

// TestGeneratedCodeIsFresh fails when momentum32frozen.yaml changed and nobody ran
// go generate. ../../torchgold_test.go checks the package against PyTorch.
func TestGeneratedCodeIsFresh(t *testing.T) {
	gradgentest.Fresh(t, "momentum32frozen.yaml", "momentum32frozen_gen.go")
}
