package analysis

import (
	"fmt"
	"math"
	"sort"

	"gonum.org/v1/gonum/stat"
)

// Histogram counts values in equal-width bins: bin i holds the values in
// [Edges[i], Edges[i+1]); the last bin also holds its upper edge. Values
// outside [Edges[0], Edges[last]] are counted in Below and Above.
type Histogram struct {
	Edges  []float64 `json:"edges"`
	Counts []int     `json:"counts"`
	Below  int       `json:"below,omitempty"`
	Above  int       `json:"above,omitempty"`
}

// NewHistogram counts the entropies of all tokens in bins equal-width bins
// over [lo, hi].
func NewHistogram(entropies [][]float32, bins int, lo, hi float64) (Histogram, error) {
	if bins < 1 || !(hi > lo) {
		return Histogram{}, fmt.Errorf("analysis: a histogram needs at least one bin and lo < hi; got %d bins over [%g, %g]", bins, lo, hi)
	}
	h := Histogram{Edges: make([]float64, bins+1), Counts: make([]int, bins)}
	width := (hi - lo) / float64(bins)
	for i := range h.Edges {
		h.Edges[i] = lo + float64(i)*width
	}
	h.Edges[bins] = hi
	for _, row := range entropies {
		for _, e := range row {
			x := float64(e)
			switch {
			case x < lo:
				h.Below++
			case x > hi:
				h.Above++
			default:
				h.Counts[min(int((x-lo)/width), bins-1)]++
			}
		}
	}
	return h, nil
}

// MaxEntropy is the largest entropy of the tokens (0 without tokens).
func MaxEntropy(entropies [][]float32) float64 {
	m := 0.0
	for _, row := range entropies {
		for _, e := range row {
			m = max(m, float64(e))
		}
	}
	return m
}

// position is one token of one response.
type position struct{ resp, tok int }

// ranked returns the positions of all tokens from the highest entropy down
// (from the lowest up if ascending); ties keep the order of the positions.
func ranked(entropies [][]float32, ascending bool) []position {
	var ps []position
	for i, row := range entropies {
		for j := range row {
			ps = append(ps, position{i, j})
		}
	}
	sort.SliceStable(ps, func(a, b int) bool {
		x, y := entropies[ps[a].resp][ps[a].tok], entropies[ps[b].resp][ps[b].tok]
		if ascending {
			return x < y
		}
		return x > y
	})
	return ps
}

// topCount is the number of tokens in the top fraction of n.
func topCount(fraction float64, n int) int { return int(math.Ceil(fraction * float64(n))) }

// sameShape reports an error when two ragged sets of per-token values do
// not have one value per token of the same responses.
func sameShape(a, b [][]float32, nameA, nameB string) error {
	if len(a) != len(b) {
		return fmt.Errorf("analysis: %s has %d responses and %s %d", nameA, len(a), nameB, len(b))
	}
	for i := range a {
		if len(a[i]) != len(b[i]) {
			return fmt.Errorf("analysis: response %d has %d tokens in %s and %d in %s", i, len(a[i]), nameA, len(b[i]), nameB)
		}
	}
	return nil
}

// TopOverlap is the fraction of the top-fraction highest-entropy positions
// under a that are also among the top-fraction positions under b: a and b
// are the entropies of the same responses' tokens scored by two models.
// The paper reports it for fraction 0.2, the base model against a policy
// trained from it.
func TopOverlap(a, b [][]float32, fraction float64) (float64, error) {
	if fraction <= 0 || fraction > 1 {
		return 0, fmt.Errorf("analysis: fraction %g is outside (0, 1]", fraction)
	}
	if err := sameShape(a, b, "the first scoring", "the second"); err != nil {
		return 0, err
	}
	ra, rb := ranked(a, false), ranked(b, false)
	k := topCount(fraction, len(ra))
	if k == 0 {
		return 0, nil
	}
	inB := make(map[position]bool, k)
	for _, p := range rb[:k] {
		inB[p] = true
	}
	both := 0
	for _, p := range ra[:k] {
		if inB[p] {
			both++
		}
	}
	return float64(both) / float64(k), nil
}

// BinChange is how the entropy of the tokens in one percentile bin of the
// base entropies moved after training.
type BinChange struct {
	Lo            float64 `json:"lo"` // the bin's percentile range [Lo, Hi) in [0, 1], by base entropy
	Hi            float64 `json:"hi"`
	Tokens        int     `json:"tokens"`            // tokens in the bin
	BaseMean      float64 `json:"base_mean"`         // their mean entropy under the base model
	AfterMean     float64 `json:"after_mean"`        // and after training
	MeanChange    float64 `json:"mean_change"`       // AfterMean − BaseMean
	MeanAbsChange float64 `json:"mean_abs_change"`   // the mean of |after − base| over the bin's tokens
	RelChange     float64 `json:"relative_change"`   // MeanChange / BaseMean (0 when BaseMean is 0)
	HiEntropy     float64 `json:"base_entropy_high"` // the highest base entropy in the bin
}

// ChangeByBin splits the tokens into bins of equal count by their base
// entropy (lowest first; ties by position) and reports how the entropy of
// each bin changed from base to after, the same tokens scored by the base
// model and by a trained one. The paper finds the high-entropy bins change
// most.
func ChangeByBin(base, after [][]float32, bins int) ([]BinChange, error) {
	if bins < 1 {
		return nil, fmt.Errorf("analysis: %d bins", bins)
	}
	if err := sameShape(base, after, "the base scoring", "the trained"); err != nil {
		return nil, err
	}
	ps := ranked(base, true)
	n := len(ps)
	out := make([]BinChange, 0, bins)
	for b := range bins {
		lo, hi := b*n/bins, (b+1)*n/bins
		c := BinChange{Lo: float64(b) / float64(bins), Hi: float64(b+1) / float64(bins), Tokens: hi - lo}
		var sumBase, sumAfter, sumAbs float64
		for _, p := range ps[lo:hi] {
			x, y := float64(base[p.resp][p.tok]), float64(after[p.resp][p.tok])
			sumBase, sumAfter, sumAbs = sumBase+x, sumAfter+y, sumAbs+math.Abs(y-x)
			c.HiEntropy = max(c.HiEntropy, x)
		}
		if c.Tokens > 0 {
			t := float64(c.Tokens)
			c.BaseMean, c.AfterMean, c.MeanAbsChange = sumBase/t, sumAfter/t, sumAbs/t
			c.MeanChange = c.AfterMean - c.BaseMean
			if c.BaseMean != 0 {
				c.RelChange = c.MeanChange / c.BaseMean
			}
		}
		out = append(out, c)
	}
	return out, nil
}

// StepEntropy is the distribution of the entropy of one step's saved
// rollouts.
type StepEntropy struct {
	Step      int        `json:"step"`
	Tokens    int        `json:"tokens"`
	Mean      float64    `json:"mean"`
	Quantiles []Quantile `json:"quantiles"`
}

// Percentiles are the quantiles EntropyOverSteps reports.
var Percentiles = []float64{0.5, 0.8, 0.9, 0.95, 0.99}

// EntropyOverSteps gives the mean and the Percentiles of the token
// entropies of each step: entropies[i] are the responses of steps[i].
// Steps without tokens are left out.
func EntropyOverSteps(steps []int, entropies [][][]float32) ([]StepEntropy, error) {
	if len(steps) != len(entropies) {
		return nil, fmt.Errorf("analysis: %d steps for %d sets of responses", len(steps), len(entropies))
	}
	var out []StepEntropy
	for i, step := range steps {
		var xs []float64
		for _, row := range entropies[i] {
			for _, e := range row {
				xs = append(xs, float64(e))
			}
		}
		if len(xs) == 0 {
			continue
		}
		sort.Float64s(xs)
		s := StepEntropy{Step: step, Tokens: len(xs), Mean: stat.Mean(xs, nil)}
		for _, p := range Percentiles {
			s.Quantiles = append(s.Quantiles, Quantile{P: p, Value: stat.Quantile(p, stat.Empirical, xs, nil)})
		}
		out = append(out, s)
	}
	return out, nil
}

// Spread is the mean and sample standard deviation of values across seeds.
type Spread struct {
	N    int     `json:"n"`
	Mean float64 `json:"mean"`
	SD   float64 `json:"sd"` // 0 for a single value
}

// SpreadOf returns the spread of xs; NaN values (missing runs) are left out.
func SpreadOf(xs []float64) Spread {
	var keep []float64
	for _, x := range xs {
		if !math.IsNaN(x) {
			keep = append(keep, x)
		}
	}
	switch len(keep) {
	case 0:
		return Spread{}
	case 1:
		return Spread{N: 1, Mean: keep[0]}
	}
	m, sd := stat.MeanStdDev(keep, nil)
	return Spread{N: len(keep), Mean: m, SD: sd}
}
