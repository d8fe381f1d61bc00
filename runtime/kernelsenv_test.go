package runtime

import (
	"strings"
	"testing"
)

// TestKernelsAllowed: GRADGEN_KERNELS caps the kernel levels, empty or
// unset allows all, and an unknown value stops the program naming the
// allowed ones.
func TestKernelsAllowed(t *testing.T) {
	tests := []struct {
		env          string
		avx2, avx512 bool
	}{
		{"", true, true},
		{"avx512", true, true},
		{"avx2", true, false},
		{"portable", false, false},
	}
	for _, tt := range tests {
		t.Setenv(KernelsEnv, tt.env)
		if got := kernelsAllowed("avx2"); got != tt.avx2 {
			t.Errorf("%s=%q: avx2 allowed = %v, want %v", KernelsEnv, tt.env, got, tt.avx2)
		}
		if got := kernelsAllowed("avx512"); got != tt.avx512 {
			t.Errorf("%s=%q: avx512 allowed = %v, want %v", KernelsEnv, tt.env, got, tt.avx512)
		}
	}
	t.Setenv(KernelsEnv, "AVX2")
	defer func() {
		msg, _ := recover().(string)
		if !strings.Contains(msg, `GRADGEN_KERNELS="AVX2": want portable, avx2 or avx512`) {
			t.Errorf("an unknown value: panic %q", msg)
		}
	}()
	kernelsAllowed("avx2")
	t.Error("an unknown value did not panic")
}
