package sgd32

//go:generate go tool gradgen gen -o sgd32_gen.go sgd32.yaml

import (
	"testing"

	"github.com/gradgen/gradgen/gradgentest"
)

// TestGeneratedCodeIsFresh fails when sgd32.yaml changed and nobody ran
// go generate. ../../torchgold_test.go checks the package against PyTorch.
func TestGeneratedCodeIsFresh(t *testing.T) {
	gradgentest.Fresh(t, "sgd32.yaml", "sgd32_gen.go")
}
