package sgd64

//go:generate go tool gradgen gen -o sgd64_gen.go sgd64.yaml

import (
	"testing"

	"github.com/gradgen/gradgen/gradgentest"
)

// TestGeneratedCodeIsFresh fails when sgd64.yaml changed and nobody ran
// go generate. ../../torchgold_test.go checks the package against PyTorch.
func TestGeneratedCodeIsFresh(t *testing.T) {
	gradgentest.Fresh(t, "sgd64.yaml", "sgd64_gen.go")
}
