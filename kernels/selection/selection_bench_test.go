package selection

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// entropyLike draws n values shaped like token entropies of a reasoning
// model: most near 0, a high-entropy minority spread up to a few nats.
func entropyLike(n int) []float32 {
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float32, n)
	for i := range x {
		if rng.IntN(5) > 0 {
			x[i] = float32(rng.ExpFloat64() * 0.02)
		} else {
			x[i] = float32(rng.Float64() * 3)
		}
	}
	return x
}

// BenchmarkTopThreshold finds the top-20% cut (k-th largest, k = ⌈0.2n⌉) of n
// values on one goroutine; bytes are the values read.
func BenchmarkTopThreshold(b *testing.B) {
	for _, n := range []int{1e6, 1e7} {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			x := entropyLike(n)
			var s Selector
			k := TopKCount(n, 0.2)
			b.SetBytes(int64(4 * n))
			for b.Loop() {
				s.KthLargest(x, k)
			}
		})
	}
}

// BenchmarkQuantile is the quantile rule's cut at 0.8 over the same values.
func BenchmarkQuantile(b *testing.B) {
	for _, n := range []int{1e6, 1e7} {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			x := entropyLike(n)
			var s Selector
			b.SetBytes(int64(4 * n))
			for b.Loop() {
				s.Quantile(x, 0.8)
			}
		})
	}
}

// BenchmarkSelect runs a whole top-20% selection over a ragged batch of 1e6
// tokens (256 responses of 3906 tokens, 10% masked); bytes are the entropies read.
func BenchmarkSelect(b *testing.B) {
	const rows, cols = 256, 3906
	flat := entropyLike(rows * cols)
	e, w, m := make([][]float32, rows), make([][]float32, rows), make([][]bool, rows)
	for i := range e {
		e[i] = flat[i*cols : (i+1)*cols]
		w[i] = make([]float32, cols)
		m[i] = make([]bool, cols)
		for j := range m[i] {
			m[i][j] = j%10 != 0
		}
	}
	for _, rule := range []Rule{TopK, Quantile} {
		b.Run(rule.String(), func(b *testing.B) {
			var s Selector
			b.SetBytes(int64(4 * rows * cols))
			for b.Loop() {
				s.Select(w, e, m, Options{Mode: Top, Rule: rule, Rho: 0.2})
			}
		})
	}
}
