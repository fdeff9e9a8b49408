package vecmath

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/forkrl/forkrl/kernels/internal/cputime"
)

func benchInput(n int) []float32 {
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(rng.NormFloat64() * 3)
	}
	return x
}

// BenchmarkSoftmaxStats streams rows of 151936 floats from a cache-resident
// (n=151936) and a memory-resident (n=16M) buffer; bytes are the floats read.
func BenchmarkSoftmaxStats(b *testing.B) {
	const V = 151936
	for _, n := range []int{V, 110 * V} {
		b.Run(fmt.Sprintf("%s/n=%d", Impl, n), func(b *testing.B) {
			x := benchInput(n)
			cputime.BenchMB(b, int64(4*n), func() {
				for b.Loop() {
					for lo := 0; lo < n; lo += V {
						SoftmaxStats(x[lo:lo+V], 1)
					}
				}
			})
		})
	}
}

// BenchmarkExp times Exp in place over a cache-resident slice; bytes are the floats read.
func BenchmarkExp(b *testing.B) {
	x := benchInput(1 << 14)
	b.Run(Impl, func(b *testing.B) {
		b.SetBytes(4 << 14)
		for b.Loop() {
			Exp(x, x)
			for i := range x {
				x[i] = -x[i] * 1e-3
			}
		}
	})
}
