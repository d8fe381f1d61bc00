package adamw32frozen

//go:generate go tool gradgen gen -o adamw32frozen_gen.go adamw32frozen.yaml

import (
	"testing"

	"github.com/gradgen/gradgen/gradgentest"
)

// TestGeneratedCodeIsFresh fails when adamw32frozen.yaml changed and nobody ran
// go generate. ../../torchgold_test.go checks the package against PyTorch.
func TestGeneratedCodeIsFresh(t *testing.T) {
	gradgentest.Fresh(t, "adamw32frozen.yaml", "adamw32frozen_gen.go")
}
