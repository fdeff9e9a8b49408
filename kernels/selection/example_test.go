package selection_test

import (
	"fmt"

	"github.com/forkrl/forkrl/kernels/selection"
)

// The paper's top-20% selection over two responses, under both rules.
func ExampleSelect() {
	entropies := [][]float32{{.1, .2, .3, .4, .5, .6}, {.7, .8, .9, 1.0, 1.1, 1.2}}
	mask := [][]bool{{true, true, true, true, true, true}, {true, true, true, true, false, false}}
	weights := [][]float32{make([]float32, 6), make([]float32, 6)}
	for _, rule := range []selection.Rule{selection.TopK, selection.Quantile} {
		res := selection.Select(weights, entropies, mask, selection.Options{Mode: selection.Top, Rule: rule, Rho: 0.2})
		fmt.Printf("%s: threshold %.2f, %d of %d selected: %v\n", rule, res.Threshold, res.Selected, res.Valid, weights)
	}
	// Output:
	// topk: threshold 0.90, 2 of 10 selected: [[0 0 0 0 0 0] [0 0 1 1 0 0]]
	// quantile: threshold 0.82, 2 of 10 selected: [[0 0 0 0 0 0] [0 0 1 1 0 0]]
}
