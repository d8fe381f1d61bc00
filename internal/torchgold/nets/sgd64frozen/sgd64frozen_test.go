package sgd64frozen

//go:generate go tool gradgen gen -o sgd64frozen_gen.go sgd64frozen.yaml

import (
	"testing"

	"github.com/gradgen/gradgen/gradgentest"
)

// TestGeneratedCodeIsFresh fails when sgd64frozen.yaml changed and nobody ran
// go generate. ../../torchgold_test.go checks the package against PyTorch.
func TestGeneratedCodeIsFresh(t *testing.T) {
	gradgentest.Fresh(t, "sgd64frozen.yaml", "sgd64frozen_gen.go")
}
