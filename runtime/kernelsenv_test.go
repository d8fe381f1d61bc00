package runtime

import (
	"strings"
	"testing"
)

// TestKernelsAllowed: GRADGEN_KERNELS caps the kernel levels (neon and avx2
// are one), empty or unset allows all, and an unknown value stops the
// program naming the allowed ones.
func TestKernelsAllowed(t *testing.T) {
	tests := []struct {
		env                string
		neon, avx2, avx512 bool
	}{
		{"", true, true, true},
		{"avx512", true, true, true},
		{"avx2", true, true, false},
		{"neon", true, true, false},
		{"portable", false, false, false},
	}
	for _, tt := range tests {
		t.Setenv(KernelsEnv, tt.env)
		for _, level := range []struct {
			name string
			want bool
		}{{"neon", tt.neon}, {"avx2", tt.avx2}, {"avx512", tt.avx512}} {
			if got := kernelsAllowed(level.name); got != level.want {
				t.Errorf("%s=%q: %s allowed = %v, want %v", KernelsEnv, tt.env, level.name, got, level.want)
			}
		}
	}
	t.Setenv(KernelsEnv, "AVX2")
	defer func() {
		msg, _ := recover().(string)
		if !strings.Contains(msg, `GRADGEN_KERNELS="AVX2": want portable, neon, avx2 or avx512`) {
			t.Errorf("an unknown value: panic %q", msg)
		}
	}()
	kernelsAllowed("avx2")
	t.Error("an unknown value did not panic")
}
