package sweep

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/forkrl/forkrl/framework/analysis"
	"github.com/forkrl/forkrl/framework/seeds"
)

// Level is the confidence level of every interval the sweep reports.
const Level = 0.95

// BootstrapResamples is how many resamples of the seeds a bootstrap
// interval draws.
const BootstrapResamples = 10000

// Interval is a two-sided confidence interval. Both ends are NaN where the
// data cannot give one (fewer than two values for a t interval).
type Interval struct {
	Lo float64 `json:"lo"`
	Hi float64 `json:"hi"`
}

// Defined reports whether the interval has finite ends.
func (iv Interval) Defined() bool { return !math.IsNaN(iv.Lo) && !math.IsNaN(iv.Hi) }

// undefined is the interval of too few values.
var undefined = Interval{math.NaN(), math.NaN()}

// MarshalJSON writes an undefined interval as null.
func (iv Interval) MarshalJSON() ([]byte, error) {
	if !iv.Defined() {
		return []byte("null"), nil
	}
	return json.Marshal(struct {
		Lo float64 `json:"lo"`
		Hi float64 `json:"hi"`
	}{iv.Lo, iv.Hi})
}

// MarshalJSON writes the mean and standard deviation of an empty sample as
// null.
func (s Summary) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		N    int      `json:"n"`
		Mean *float64 `json:"mean"`
		SD   *float64 `json:"sd"`
		CI   Interval `json:"ci95"`
	}{s.N, finite(s.Mean), finite(s.SD), s.CI})
}

// finite is x, or nil for NaN.
func finite(x float64) *float64 {
	if math.IsNaN(x) {
		return nil
	}
	return &x
}

// Summary describes a sample: its size, mean and standard deviation
// (n − 1), as analysis.SpreadOf gives them, and the Student-t interval of
// its mean at Level.
type Summary struct {
	analysis.Spread
	CI Interval `json:"ci95"`
}

// Summarize describes xs, leaving out NaN values. The standard deviation of
// one value is 0 and its interval undefined; the mean and standard
// deviation of none are NaN.
func Summarize(xs []float64) Summary {
	s := Summary{Spread: analysis.SpreadOf(xs)}
	if s.N == 0 {
		s.Mean, s.SD = math.NaN(), math.NaN()
	}
	s.CI = TInterval(s.Mean, s.SD, s.N)
	return s
}

// TQuantile is the p-quantile of Student's t distribution with df degrees of
// freedom.
func TQuantile(p float64, df int) float64 {
	return distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(df)}.Quantile(p)
}

// TInterval is the Student-t interval at Level of the mean of n values with
// the given mean and standard deviation: mean ± t(n−1) · sd / √n.
func TInterval(mean, sd float64, n int) Interval {
	if n < 2 {
		return undefined
	}
	half := TQuantile(1-(1-Level)/2, n-1) * sd / math.Sqrt(float64(n))
	return Interval{mean - half, mean + half}
}

// BootstrapInterval is the percentile bootstrap interval at Level of the
// mean of xs: the means of BootstrapResamples resamples of xs drawn with
// replacement, cut at their 2.5% and 97.5% empirical quantiles. The
// resamples come from the random stream seed, so the interval is the same
// on every call. With n values there are only C(2n−1, n) distinct
// resamples, so few values give a coarse, optimistic interval.
func BootstrapInterval(xs []float64, seed uint64) Interval {
	if len(xs) == 0 {
		return undefined
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	means := make([]float64, BootstrapResamples)
	for i := range means {
		var sum float64
		for range xs {
			sum += xs[rng.IntN(len(xs))]
		}
		means[i] = sum / float64(len(xs))
	}
	slices.Sort(means)
	alpha := (1 - Level) / 2
	return Interval{stat.Quantile(alpha, stat.Empirical, means, nil), stat.Quantile(1-alpha, stat.Empirical, means, nil)}
}

// Paired compares two arms by the differences of their runs with the same
// seed (A − B): runs of different arms with one seed share their random
// streams, the same prompts and the same evaluation samples.
type Paired struct {
	A     string    `json:"a"`
	B     string    `json:"b"`
	Seeds []uint64  `json:"seeds"` // the seeds both arms have a result for, ascending
	Diffs []float64 `json:"diffs"` // A − B for each seed
	// Diff describes the differences; Diff.CI is the paired t interval.
	Diff Summary `json:"diff"`
	// Bootstrap is the percentile bootstrap interval over seeds.
	Bootstrap Interval `json:"bootstrap95"`
	// Verdict is "A > B", "A < B" or "within noise at N seeds", from the
	// paired t interval (Diff.CI): one arm wins only when it leaves out 0.
	Verdict string `json:"verdict"`
}

// Compare pairs the values of arms a and b by seed and describes their
// differences. Seeds that only one arm has are left out. The bootstrap's
// resamples come from the stream named sweep/bootstrap/A/B (seeds.Stream
// of seed 0), so a comparison is the same on every machine.
func Compare(a, b string, va, vb map[uint64]float64) Paired {
	p := Paired{A: a, B: b, Seeds: []uint64{}, Diffs: []float64{}}
	for seed := range va {
		if _, ok := vb[seed]; ok {
			p.Seeds = append(p.Seeds, seed)
		}
	}
	slices.Sort(p.Seeds)
	for _, seed := range p.Seeds {
		p.Diffs = append(p.Diffs, va[seed]-vb[seed])
	}
	p.Diff = Summarize(p.Diffs)
	p.Bootstrap = BootstrapInterval(p.Diffs, seeds.Stream(0, "sweep", "bootstrap", a, b))
	p.Verdict = verdict(a, b, p.Diff.CI, p.Diff.N)
	return p
}

// verdict names the winner of a paired comparison whose t interval leaves
// out zero.
func verdict(a, b string, t Interval, n int) string {
	switch {
	case n == 0:
		return "no seed in common"
	case t.Defined() && t.Lo > 0:
		return a + " > " + b
	case t.Defined() && t.Hi < 0:
		return a + " < " + b
	case n == 1:
		return "within noise at 1 seed"
	}
	return fmt.Sprintf("within noise at %d seeds", n)
}
