package adam32frozen

//go:generate go tool gradgen gen -o adam32frozen_gen.go adam32frozen.yaml

import (
	"testing"

	"github.com/gradgen/gradgen/gradgentest"
)

// TestGeneratedCodeIsFresh fails when adam32frozen.yaml changed and nobody ran
// go generate. ../../torchgold_test.go checks the package against PyTorch.
func TestGeneratedCodeIsFresh(t *testing.T) {
	gradgentest.Fresh(t, "adam32frozen.yaml", "adam32frozen_gen.go")
}
