package gemm

import (
	"math/rand/v2"
	"testing"

	"github.com/forkrl/forkrl/kernels/internal/cputime"
)

// benchShapes are the square sizes of the speed goal and the products of a small
// transformer (width 512, MLP 1536, head_dim 64, 128 tokens, generation of 1, 16 or 64
// sequences at a time).
var benchShapes = []struct {
	name           string
	transA, transB bool
	m, n, k        int
}{
	{"square256", false, false, 256, 256, 256},
	{"square512", false, false, 512, 512, 512},
	{"square1024", false, false, 1024, 1024, 1024},
	{"square1024_NT", false, true, 1024, 1024, 1024},
	{"square1024_TN", true, false, 1024, 1024, 1024},
	{"xWt_512x1536x512", false, true, 512, 1536, 512},       // x·Wᵀ, MLP up-projection
	{"dYW_512x512x1536", false, false, 512, 512, 1536},      // dX = dY·W
	{"dYtX_1536x512x512", true, false, 1536, 512, 512},      // dW += dYᵀ·X
	{"tiny_xWt_8192x768x128", false, true, 8192, 768, 128},  // the quickstart's MLP gate+up, 8192 tokens
	{"tiny_dYW_8192x128x768", false, false, 8192, 128, 768}, // its dX
	{"tiny_dYtX_768x128x8192", true, false, 768, 128, 8192}, // its dW
	{"QKt_128x128x64", false, true, 128, 128, 64},           // attention scores, one head
	{"PV_128x64x128", false, false, 128, 64, 128},           // attention output, one head
	{"gen_xWt_1x1536x512", false, true, 1, 1536, 512},       // generation, one token
	{"gen_xWt_16x1536x512", false, true, 16, 1536, 512},     // generation, 16 sequences
	{"gen_xWt_64x1536x512", false, true, 64, 1536, 512},     // generation, 64 sequences
	{"gen_QKt_1x256x64", false, true, 1, 256, 64},           // generation with a KV cache
	{"gen_PV_1x64x256", false, false, 1, 64, 256},
}

// BenchmarkSgemm reports GFLOP/s of Sgemm at the benchShapes, per second of wall time and,
// where measured, per second of CPU time (the work per CPU-second, which other processes on
// a loaded machine disturb less; meaningful on one thread).
func BenchmarkSgemm(b *testing.B) {
	for _, s := range benchShapes {
		b.Run(s.name, func(b *testing.B) {
			r := rand.New(rand.NewPCG(3, 4))
			a := randSlice(r, s.m*s.k)
			bm := randSlice(r, s.k*s.n)
			c := randSlice(r, s.m*s.n)
			lda, ldb := s.k, s.n
			if s.transA {
				lda = s.m
			}
			if s.transB {
				ldb = s.k
			}
			flops := 2 * float64(s.m) * float64(s.n) * float64(s.k)
			Sgemm(s.transA, s.transB, s.m, s.n, s.k, 1, a, lda, bm, ldb, 0, c, s.n)
			cpu0, cpuOK := cputime.Process()
			b.ResetTimer()
			for b.Loop() {
				Sgemm(s.transA, s.transB, s.m, s.n, s.k, 1, a, lda, bm, ldb, 0, c, s.n)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			if cpu1, _ := cputime.Process(); cpuOK && cpu1 > cpu0 {
				b.ReportMetric(flops*float64(b.N)/(cpu1-cpu0).Seconds()/1e9, "GFLOP/cpu-s")
			}
		})
	}
}
