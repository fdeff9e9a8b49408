package sweep

import "os"

// The README's ablation (recipes/forking-tokens.hcl, 100 steps, 3 seeds):
// each run's gain in held-out avg@2 over its start, in points, as the
// README's table gives them.
var readmeGains = map[string][3]float64{
	"all":      {17.0, 20.7, 8.3},
	"top50":    {21.4, 18.9, 21.0},
	"top20":    {20.5, 23.1, 9.5},
	"top10":    {16.7, 15.5, 19.5},
	"bottom80": {-2.3, -2.6, -0.8},
}

// Example_readmeAblation compares the arms of the README's ablation, paired
// by seed, from the gains its table gives (the run directories themselves
// are not in the repository). forkrl sweep prints the same table from the
// runs' summaries.
func Example_readmeAblation() {
	arms := []string{"all", "top50", "top20", "top10", "bottom80"}
	runs := matrix(arms, 1, 2, 3)
	var outcomes []Outcome
	for _, a := range arms {
		for _, g := range readmeGains[a] {
			outcomes = append(outcomes, finished(0, g))
		}
	}
	pairs := [][2]string{{"top50", "all"}, {"top20", "all"}, {"top10", "all"}, {"top20", "bottom80"}, {"top10", "bottom80"}, {"top50", "bottom80"}}
	rep := NewReport(runs, outcomes, pairs)
	if err := rep.WriteComparisons(os.Stdout); err != nil {
		panic(err)
	}
	// Output:
	// paired by seed: gain of A − gain of B, with 95% intervals (3 seeds)
	//
	// A − B             mean   paired t        bootstrap       verdict
	// top50 − all       +5.1   [-13.0, +23.2]  [-1.8, +12.7]   within noise at 3 seeds
	// top20 − all       +2.4   [-0.5, +5.2]    [+1.2, +3.5]    within noise at 3 seeds
	// top10 − all       +1.9   [-19.0, +22.8]  [-5.2, +11.2]   within noise at 3 seeds
	// top20 − bottom80  +19.6  [-0.7, +39.9]   [+10.3, +25.7]  within noise at 3 seeds
	// top10 − bottom80  +19.1  [+16.4, +21.9]  [+18.1, +20.3]  top10 > bottom80
	// top50 − bottom80  +22.3  [+19.4, +25.3]  [+21.5, +23.7]  top50 > bottom80
}
