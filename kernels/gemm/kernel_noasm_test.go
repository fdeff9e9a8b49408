//go:build noasm || !amd64

package gemm

import "testing"

// forEachKernel runs f with the pure-Go kernels, the only ones in this build.
func forEachKernel(t *testing.T, f func(t *testing.T)) { t.Run("go", f) }
