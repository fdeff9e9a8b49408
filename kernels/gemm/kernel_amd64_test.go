//go:build !noasm

package gemm

import "testing"

// forEachKernel runs f with the assembly kernels (when the CPU has them) and with the
// pure-Go kernels.
func forEachKernel(t *testing.T, f func(t *testing.T)) {
	saved := useAVX2
	defer func() { useAVX2 = saved }()
	if saved {
		useAVX2 = true
		t.Run("avx2", f)
	}
	useAVX2 = false
	t.Run("go", f)
}
