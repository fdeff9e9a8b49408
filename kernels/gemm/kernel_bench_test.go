package gemm

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkKernel reports GFLOP/s of the micro-kernel alone on one packed A block of mcBlock
// rows against one B panel, both hot in cache: the ceiling of the packed product.
func BenchmarkKernel(b *testing.B) {
	r := rand.New(rand.NewPCG(7, 8))
	pa := randSlice(r, mcBlock*kcBlock)
	pb := randSlice(r, nr*kcBlock)
	c := make([]float32, mcBlock*nr)
	b.Run(Impl, func(b *testing.B) {
		for b.Loop() {
			for ir := 0; ir < mcBlock/mr; ir++ {
				kernel(kcBlock, pa[ir*mr*kcBlock:], pb, c[ir*mr*nr:], nr, 1, 1)
			}
		}
		b.ReportMetric(2*mcBlock*nr*kcBlock*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	})
}
