package analysis

import (
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/stat"
)

// EntropyOptions choose the figures of Entropy. The zero value of a field
// selects its default.
type EntropyOptions struct {
	// Thresholds: report the fraction of tokens whose entropy is below
	// each. Default {0.01, 0.1}.
	Thresholds []float64
	// TopFraction: report the share of the total entropy held by this
	// fraction of the tokens, the highest first. Default 0.2.
	TopFraction float64
	// MinCount: only tokens seen at least this often are ranked by their
	// average entropy. Default 100.
	MinCount int
	// Listed is how many tokens the highest and lowest lists hold.
	// Default 5.
	Listed int
}

func (o EntropyOptions) withDefaults() EntropyOptions {
	if len(o.Thresholds) == 0 {
		o.Thresholds = []float64{0.01, 0.1}
	}
	if o.TopFraction == 0 {
		o.TopFraction = 0.2
	}
	if o.MinCount == 0 {
		o.MinCount = 100
	}
	if o.Listed == 0 {
		o.Listed = 5
	}
	return o
}

// EntropyFigures describe the distribution of per-token entropy over a set
// of responses (in nats, as backends report it).
type EntropyFigures struct {
	Responses   int              `json:"responses"`
	Tokens      int              `json:"tokens"`
	Mean        float64          `json:"mean"`
	Below       []ThresholdShare `json:"below"`        // fraction of tokens below each threshold
	Quantiles   []Quantile       `json:"quantiles"`    // entropy at the 50th, 80th, 90th and 99th percentiles
	TopFraction float64          `json:"top_fraction"` // e.g. 0.2
	TopShare    float64          `json:"top_share"`    // share of the total entropy held by the top TopFraction of tokens
	MinCount    int              `json:"min_count"`
	Highest     []GroupStat      `json:"highest"` // tokens seen at least MinCount times, highest average entropy first
	Lowest      []GroupStat      `json:"lowest"`  // the same, lowest first
}

// ThresholdShare is the fraction of tokens with entropy below Threshold.
type ThresholdShare struct {
	Threshold float64 `json:"threshold"`
	Fraction  float64 `json:"fraction"`
}

// Quantile is the entropy at a quantile P in [0, 1] (the nearest rank).
type Quantile struct {
	P     float64 `json:"p"`
	Value float64 `json:"value"`
}

// GroupStat is the average entropy of the tokens with one key (a token's
// text, or a label such as its role in the task).
type GroupStat struct {
	Key   string  `json:"key"`
	Count int     `json:"count"`
	Mean  float64 `json:"mean"`
}

// Entropy computes the entropy figures of responses: pieces[i][j] is the
// text of token j of response i and entropies[i][j] its entropy. Tokens
// are ranked by their text (GroupMeans over pieces).
func Entropy(pieces [][]string, entropies [][]float32, opts EntropyOptions) (EntropyFigures, error) {
	opts = opts.withDefaults()
	if opts.TopFraction <= 0 || opts.TopFraction > 1 {
		return EntropyFigures{}, fmt.Errorf("analysis: TopFraction %g is outside (0, 1]", opts.TopFraction)
	}
	groups, err := GroupMeans(pieces, entropies, opts.MinCount)
	if err != nil {
		return EntropyFigures{}, err
	}
	var all []float64
	for _, row := range entropies {
		for _, h := range row {
			all = append(all, float64(h))
		}
	}
	f := EntropyFigures{Responses: len(entropies), Tokens: len(all), TopFraction: opts.TopFraction, MinCount: opts.MinCount}
	// Sorted from the highest down, so that sums run in a fixed order.
	sort.Sort(sort.Reverse(sort.Float64Slice(all)))
	total := 0.0
	for _, h := range all {
		total += h
	}
	for _, th := range opts.Thresholds {
		below := len(all) - sort.Search(len(all), func(i int) bool { return all[i] < th })
		f.Below = append(f.Below, ThresholdShare{Threshold: th, Fraction: ratio(below, len(all))})
	}
	if len(all) == 0 {
		return f, nil
	}
	f.Mean = total / float64(len(all))
	for _, p := range []float64{0.5, 0.8, 0.9, 0.99} {
		rank := int(math.Ceil(p*float64(len(all)))) - 1 // ascending rank
		f.Quantiles = append(f.Quantiles, Quantile{P: p, Value: all[len(all)-1-max(rank, 0)]})
	}
	top := int(math.Ceil(opts.TopFraction * float64(len(all))))
	topSum := 0.0
	for _, h := range all[:top] {
		topSum += h
	}
	if total > 0 {
		f.TopShare = topSum / total
	}
	n := min(opts.Listed, len(groups))
	f.Highest = groups[:n]
	f.Lowest = slices.Clone(groups[len(groups)-n:])
	slices.Reverse(f.Lowest)
	return f, nil
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// GroupMeans averages entropies by key: keys[i][j] is the key of token j of
// response i. It returns the keys seen at least minCount times, highest
// average first (ties by key). Ragged shapes must match.
func GroupMeans(keys [][]string, entropies [][]float32, minCount int) ([]GroupStat, error) {
	if len(keys) != len(entropies) {
		return nil, fmt.Errorf("analysis: %d key rows for %d entropy rows", len(keys), len(entropies))
	}
	sums := map[string]float64{}
	counts := map[string]int{}
	for i, row := range entropies {
		if len(keys[i]) != len(row) {
			return nil, fmt.Errorf("analysis: response %d has %d keys for %d entropies", i, len(keys[i]), len(row))
		}
		for j, h := range row {
			sums[keys[i][j]] += float64(h)
			counts[keys[i][j]]++
		}
	}
	var out []GroupStat
	for k, c := range counts {
		if c >= minCount {
			out = append(out, GroupStat{Key: k, Count: c, Mean: sums[k] / float64(c)})
		}
	}
	sort.Slice(out, func(a, b int) bool {
		if out[a].Mean != out[b].Mean {
			return out[a].Mean > out[b].Mean
		}
		return out[a].Key < out[b].Key
	})
	return out, nil
}

// WriteText writes the figures as a short plain-text report.
func (f EntropyFigures) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%d tokens in %d responses, mean entropy %.4f\n", f.Tokens, f.Responses, f.Mean)
	for _, s := range f.Below {
		fmt.Fprintf(&b, "entropy below %g: %.2f%% of tokens\n", s.Threshold, 100*s.Fraction)
	}
	fmt.Fprintf(&b, "top %g%% of tokens hold %.2f%% of the total entropy\n", 100*f.TopFraction, 100*f.TopShare)
	for _, q := range f.Quantiles {
		fmt.Fprintf(&b, "p%g: %.4f  ", 100*q.P, q.Value)
	}
	if len(f.Quantiles) > 0 {
		b.WriteString("\n")
	}
	list := func(title string, gs []GroupStat) {
		fmt.Fprintf(&b, "%s (seen at least %d times):", title, f.MinCount)
		for _, g := range gs {
			fmt.Fprintf(&b, " %s %.3f (%d)", strconv.Quote(g.Key), g.Mean, g.Count)
		}
		b.WriteString("\n")
	}
	list("highest average entropy", f.Highest)
	list("lowest average entropy", f.Lowest)
	_, err := io.WriteString(w, b.String())
	return err
}

// EntropyQuantile is the p-quantile (nearest rank: stat.Empirical) of the
// entropies of every token of every response; 0 without tokens.
func EntropyQuantile(entropies [][]float32, p float64) float64 {
	var xs []float64
	for _, row := range entropies {
		for _, h := range row {
			xs = append(xs, float64(h))
		}
	}
	if len(xs) == 0 {
		return 0
	}
	sort.Float64s(xs)
	return stat.Quantile(p, stat.Empirical, xs, nil)
}
