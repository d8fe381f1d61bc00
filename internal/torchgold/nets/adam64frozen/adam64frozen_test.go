package adam64frozen

//go:generate go tool gradgen gen -o adam64frozen_gen.go adam64frozen.yaml

import (
	"testing"

	"github.com/gradgen/gradgen/gradgentest"
)

// TestGeneratedCodeIsFresh fails when adam64frozen.yaml changed and nobody ran
// go generate. ../../torchgold_test.go checks the package against PyTorch.
func TestGeneratedCodeIsFresh(t *testing.T) {
	gradgentest.Fresh(t, "adam64frozen.yaml", "adam64frozen_gen.go")
}
