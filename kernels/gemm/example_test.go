package gemm

import "fmt"

func ExampleSgemm() {
	// y = x·Wᵀ for a batch of two inputs x (2×3) and weights W stored out×in (2×3), as in
	// Hugging Face checkpoints.
	x := []float32{1, 2, 3, 4, 5, 6}
	w := []float32{1, 0, 1, 0, 1, 0}
	y := make([]float32, 4)
	Sgemm(false, true, 2, 2, 3, 1, x, 3, w, 3, 0, y, 2)
	fmt.Println(y)
	// Output: [4 2 10 5]
}

func ExampleParallelFor() {
	// Attention scores S_h = Q_h·K_hᵀ for every head h, with Q and K stored [tokens, heads*dim]:
	// the heads run in parallel and each product on one goroutine.
	const tokens, heads, dim = 2, 2, 2
	q := []float32{1, 0, 0, 1, 0, 1, 1, 1}
	k := []float32{1, 1, 2, 0, 1, 0, 1, 3}
	scores := make([]float32, heads*tokens*tokens)
	ParallelFor(heads, func(lo, hi int) {
		for h := lo; h < hi; h++ {
			SgemmSerial(false, true, tokens, tokens, dim, 1, q[h*dim:], heads*dim, k[h*dim:], heads*dim,
				0, scores[h*tokens*tokens:], tokens)
		}
	})
	fmt.Println(scores)
	// Output: [1 1 1 0 0 3 2 4]
}
