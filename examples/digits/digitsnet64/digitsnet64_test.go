package digitsnet64

//go:generate go tool gradgen gen -o digitsnet64_gen.go digitsnet64.yaml

import (
	"testing"

	"github.com/gradgen/gradgen/gradgentest"
)

// TestGeneratedCodeIsFresh fails when digitsnet64.yaml changed and nobody ran
// go generate.
func TestGeneratedCodeIsFresh(t *testing.T) {
	gradgentest.Fresh(t, "digitsnet64.yaml", "digitsnet64_gen.go")
}
