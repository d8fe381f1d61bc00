package adam32

//go:generate go tool gradgen gen -o adam32_gen.go adam32.yaml

import (
	"testing"

	"github.com/gradgen/gradgen/gradgentest"
)

// TestGeneratedCodeIsFresh fails when adam32.yaml changed and nobody ran
// go generate. ../../torchgold_test.go checks the package against PyTorch.
func TestGeneratedCodeIsFresh(t *testing.T) {
	gradgentest.Fresh(t, "adam32.yaml", "adam32_gen.go")
}
