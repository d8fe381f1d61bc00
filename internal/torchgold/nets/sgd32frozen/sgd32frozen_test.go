package sgd32frozen

//go:generate go tool gradgen gen -o sgd32frozen_gen.go sgd32frozen.yaml

import (
	"testing"

	"github.com/gradgen/gradgen/gradgentest"
)

// TestGeneratedCodeIsFresh fails when sgd32frozen.yaml changed and nobody ran
// go generate. ../../torchgold_test.go checks the package against PyTorch.
func TestGeneratedCodeIsFresh(t *testing.T) {
	gradgentest.Fresh(t, "sgd32frozen.yaml", "sgd32frozen_gen.go")
}
