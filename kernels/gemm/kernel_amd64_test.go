//go:build !noasm

package gemm

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/forkrl/forkrl/kernels/internal/kernelpath"
)

// forEachKernel runs f with the assembly kernels (when the CPU has them) and with the
// pure-Go kernels.
func forEachKernel(t *testing.T, f func(t *testing.T)) {
	saved := Impl
	defer setImpl(saved)
	for _, name := range []string{"avx512", "avx2", "go"} {
		if setImpl(name) == nil {
			t.Run(name, f)
		}
	}
}

// TestKernelAVX512MatchesAVX2 checks that the AVX-512 micro-kernels (6 and 12 rows) give the
// AVX2 kernel's bits, with and without beta, for depths that exercise its unrolled and remainder loops, and
// that both stay within rounding of the pure-Go kernel. It is skipped on CPUs without AVX-512.
func TestKernelAVX512MatchesAVX2(t *testing.T) {
	if setImpl("avx512") != nil {
		t.Skip("this CPU has no AVX-512")
	}
	defer setImpl("")
	r := rand.New(rand.NewPCG(3, 4))
	const ldc = nr + 5
	for _, kc := range []int{1, 2, 3, 4, 5, 8, 63, 256, 257} {
		for _, beta := range []float32{0, 1, -0.75} {
			pa, pb := randSlice(r, kc*mr), randSlice(r, kc*nr)
			c0 := randSlice(r, (mr-1)*ldc+nr)
			run := func(impl string) []float32 {
				if err := setImpl(impl); err != nil {
					t.Fatal(err)
				}
				c := append([]float32(nil), c0...)
				kernel(kc, pa, pb, c, ldc, 1.5, beta)
				return c
			}
			want, got, ref := run("avx2"), run("avx512"), run("go")
			pa2 := randSlice(r, 2*kc*mr)
			c2 := randSlice(r, (2*mr-1)*ldc+nr)
			pair := func(impl string) []float32 {
				if err := setImpl(impl); err != nil {
					t.Fatal(err)
				}
				c := append([]float32(nil), c2...)
				kernelPair(kc, pa2, pb, c, ldc, 1.5, beta)
				return c
			}
			want2, got2 := pair("avx2"), pair("avx512")
			for i := range want2 {
				if math.Float32bits(got2[i]) != math.Float32bits(want2[i]) {
					t.Fatalf("kc=%d beta=%g: the 12-row kernel gives c[%d] = %g, the AVX2 kernel %g", kc, beta, i, got2[i], want2[i])
				}
			}
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("kc=%d beta=%g: c[%d] = %g with AVX-512, %g with AVX2", kc, beta, i, got[i], want[i])
				}
				if d := math.Abs(float64(got[i] - ref[i])); d > 1e-4*float64(kc+1) {
					t.Fatalf("kc=%d beta=%g: c[%d] = %g with AVX-512, %g in pure Go", kc, beta, i, got[i], ref[i])
				}
			}
		}
	}
}

// TestSetImplRejectsUnknownPath checks that forcing a path that does not exist is an error
// that names the environment variable and the paths this CPU has.
func TestSetImplRejectsUnknownPath(t *testing.T) {
	defer setImpl("")
	err := setImpl("avx1024")
	if err == nil || !strings.Contains(err.Error(), ImplEnv) || !strings.Contains(err.Error(), "go") {
		t.Fatalf("setImpl(avx1024) = %v, want an error naming %s and the paths", err, ImplEnv)
	}
	if Impl == "avx1024" {
		t.Fatal("a rejected path was selected")
	}
}

// TestImplEnv checks that FORKRL_GEMM forces each path in a fresh process and that an
// unknown name stops it.
func TestImplEnv(t *testing.T) {
	kernelpath.TestEnv(t, ImplEnv, paths, func() string { return Impl }, setImpl)
}
