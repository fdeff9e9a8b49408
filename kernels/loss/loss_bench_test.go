package loss

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkPolicy times the clipped surrogate and its gradient over 4M tokens
// (1024 responses of 4096 tokens) with old log-probs, advantages, selector
// weights and a mask. Bytes are those read and written per token: four
// float32 inputs, the mask byte and the float32 gradient (21 bytes).
func BenchmarkPolicy(b *testing.B) {
	const rows, cols = 1024, 4096
	rng := rand.New(rand.NewPCG(1, 2))
	mk := func(f func() float32) [][]float32 {
		out := make([][]float32, rows)
		for i := range out {
			out[i] = make([]float32, cols)
			for j := range out[i] {
				out[i][j] = f()
			}
		}
		return out
	}
	logp := mk(func() float32 { return float32(-rng.ExpFloat64()) })
	old := mk(func() float32 { return float32(-rng.ExpFloat64()) })
	adv := mk(func() float32 { return float32(rng.NormFloat64()) })
	w := mk(func() float32 { return float32(rng.IntN(5) / 4) })
	mask := make([][]bool, rows)
	for i := range mask {
		mask[i] = make([]bool, cols)
		for j := range mask[i] {
			mask[i][j] = j < cols-rng.IntN(cols/4)
		}
	}
	g := Grad{Logp: mk(func() float32 { return 0 })}
	batch := Batch{Logp: logp, OldLogp: old, Advantage: adv, Weight: w, Mask: mask}
	p := Policy{ClipLow: 0.2, ClipHigh: 0.28, DualClip: 3, Aggregate: Aggregate{Mode: TokenMean, Denominator: AllTokens}}
	b.SetBytes(rows * cols * 21)
	for b.Loop() {
		p.Compute(g, batch)
	}
}
