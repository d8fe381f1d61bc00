package momentum64frozen

//go:generate go tool gradgen gen -o momentum64frozen_gen.go momentum64frozen.yaml

import (
	"testing"

	"github.com/gradgen/gradgen/gradgentest"
)

// TestGeneratedCodeIsFresh fails when momentum64frozen.yaml changed and nobody ran
// go generate. ../../torchgold_test.go checks the package against PyTorch.
func TestGeneratedCodeIsFresh(t *testing.T) {
	gradgentest.Fresh(t, "momentum64frozen.yaml", "momentum64frozen_gen.go")
}
