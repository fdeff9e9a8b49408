package loss_test

import (
	"fmt"

	"github.com/forkrl/forkrl/kernels/loss"
)

// A DAPO-style step on a micro-batch of two responses where a selector kept
// two tokens: clip-higher, token-mean over all valid tokens (the paper's eq. 6).
func ExamplePolicy_Compute() {
	b := loss.Batch{
		Logp:      [][]float32{{-0.5, -1.0, -0.2}, {-2.0, -0.1}},
		OldLogp:   [][]float32{{-0.6, -1.0, -0.2}, {-1.5, -0.1}},
		Advantage: [][]float32{{1, 1, 1}, {-1, -1}},
		Weight:    [][]float32{{1, 0, 0}, {1, 0}},
		Mask:      [][]bool{{true, true, true}, {true, false}},
	}
	p := loss.Policy{ClipLow: 0.2, ClipHigh: 0.28, DualClip: 3,
		Aggregate: loss.Aggregate{Mode: loss.TokenMean, Denominator: loss.AllTokens}}
	g := loss.NewGrad(b.Logp)
	m := p.Compute(g, b)
	fmt.Printf("loss %.4f over %d tokens, %.0f selected\n", m.Loss, m.Tokens, m.Selected)
	fmt.Printf("dL/dlogp %.4f\n", g.Logp)
	// Output:
	// loss -0.0763 over 4 tokens, 2 selected
	// dL/dlogp [[-0.2763 0.0000 0.0000] [0.0000 0.0000]]
}
