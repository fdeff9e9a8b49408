//go:build noasm || !amd64

package gemm

import (
	"strings"
	"testing"
)

// forEachKernel runs f with the pure-Go kernels, the only ones in this build.
func forEachKernel(t *testing.T, f func(t *testing.T)) { t.Run("go", f) }

// TestCheckImplEnv checks that this build accepts FORKRL_GEMM=go and refuses the assembly
// paths it lacks, naming the variable.
func TestCheckImplEnv(t *testing.T) {
	for _, name := range []string{"", "go"} {
		if err := checkImplEnv(name); err != nil {
			t.Errorf("%q: %v", name, err)
		}
	}
	if err := checkImplEnv("avx512"); err == nil || !strings.Contains(err.Error(), ImplEnv) {
		t.Errorf("avx512: %v, want an error naming %s", err, ImplEnv)
	}
}
