package sweep

import (
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"
)

// TestTQuantileMatchesPublishedTable checks the two-sided 95% critical
// values of Student's t against a published table (e.g. NIST/SEMATECH
// e-Handbook, table 1.4.2.3, column 0.975).
func TestTQuantileMatchesPublishedTable(t *testing.T) {
	table := map[int]float64{
		1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447,
		10: 2.228, 20: 2.086, 30: 2.042, 100: 1.984,
	}
	for df, want := range table {
		if got := TQuantile(0.975, df); math.Abs(got-want) > 5e-4 {
			t.Errorf("t(0.975, %d) = %.4f, table %.3f", df, got, want)
		}
	}
	if got := TQuantile(0.025, 4); math.Abs(got+2.776) > 5e-4 {
		t.Errorf("t(0.025, 4) = %.4f, want -2.776", got)
	}
}

// TestComparePairsBySeed works one comparison through by hand: the seeds
// both arms have are 1, 2 and 3, with differences 1, 2, 3; their mean is 2
// and sd 1, so the paired t interval is 2 ± 4.302653/√3 = 2 ± 2.48414. The
// bootstrap means of three values lie in [1, 3], and each end has
// probability 1/27 = 3.7% > 2.5%, so the percentile interval is [1, 3].
func TestComparePairsBySeed(t *testing.T) {
	a := map[uint64]float64{1: 10, 2: 12, 3: 15, 4: 9}
	b := map[uint64]float64{1: 9, 2: 10, 3: 12, 5: 30}
	p := Compare("top20", "all", a, b)
	if !slices.Equal(p.Seeds, []uint64{1, 2, 3}) || !slices.Equal(p.Diffs, []float64{1, 2, 3}) {
		t.Fatalf("seeds %v diffs %v, want [1 2 3] [1 2 3]", p.Seeds, p.Diffs)
	}
	if p.Diff.N != 3 || !near(p.Diff.Mean, 2) || !near(p.Diff.SD, 1) {
		t.Errorf("n %d mean %g sd %g, want 3, 2, 1", p.Diff.N, p.Diff.Mean, p.Diff.SD)
	}
	if !near(p.Diff.CI.Lo, -0.48414) || !near(p.Diff.CI.Hi, 4.48414) {
		t.Errorf("paired t interval %+v, want [-0.48414, 4.48414]", p.Diff.CI)
	}
	if p.Bootstrap != (Interval{1, 3}) {
		t.Errorf("bootstrap interval %+v, want [1, 3]", p.Bootstrap)
	}
	if p.Verdict != "within noise at 3 seeds" {
		t.Errorf("verdict %q", p.Verdict)
	}
	if again := Compare("top20", "all", a, b); again.Bootstrap != p.Bootstrap {
		t.Errorf("the bootstrap is not deterministic: %+v then %+v", p.Bootstrap, again.Bootstrap)
	}
}

// TestVerdicts: differences 4, 5, 6 (mean 5, sd 1) give the interval
// 5 ± 2.48414, which leaves out 0.
func TestVerdicts(t *testing.T) {
	a := map[uint64]float64{1: 4, 2: 5, 3: 6}
	zero := map[uint64]float64{1: 0, 2: 0, 3: 0}
	if v := Compare("top20", "bottom80", a, zero).Verdict; v != "top20 > bottom80" {
		t.Errorf("verdict %q, want top20 > bottom80", v)
	}
	if v := Compare("bottom80", "top20", zero, a).Verdict; v != "bottom80 < top20" {
		t.Errorf("verdict %q, want bottom80 < top20", v)
	}
	p := Compare("x", "y", map[uint64]float64{7: 3}, map[uint64]float64{7: 1})
	if p.Verdict != "within noise at 1 seed" || p.Diff.CI.Defined() || p.Bootstrap != (Interval{2, 2}) {
		t.Errorf("one seed: verdict %q, t %+v, bootstrap %+v", p.Verdict, p.Diff.CI, p.Bootstrap)
	}
	if v := Compare("x", "y", map[uint64]float64{1: 1}, map[uint64]float64{2: 1}).Verdict; v != "no seed in common" {
		t.Errorf("verdict %q", v)
	}
}

func TestBootstrapOfTwoValues(t *testing.T) {
	// Resample means of {0, 1}: 0 (1/4), 0.5 (1/2), 1 (1/4).
	if iv := BootstrapInterval([]float64{0, 1}, 42); iv != (Interval{0, 1}) {
		t.Errorf("bootstrap of {0, 1}: %+v, want [0, 1]", iv)
	}
}

func TestSummarize(t *testing.T) {
	// Final avg@2 gains of the README's top-20% arm: +20.5, +23.1, +9.5.
	s := Summarize([]float64{20.5, 23.1, 9.5})
	// mean 17.7; sd √((2.8² + 5.4² + 8.2²)/2) = √52.12 = 7.2195;
	// interval 17.7 ± 4.302653 · 7.2195 / √3.
	half := 4.302653 * 7.219418 / math.Sqrt(3)
	if !near(s.Mean, 17.7) || !near(s.SD, 7.219418) || !near(s.CI.Lo, 17.7-half) || !near(s.CI.Hi, 17.7+half) {
		t.Errorf("summary %+v, want mean 17.7 sd 7.2194 interval ±%.4f", s, half)
	}
	one := Summarize([]float64{3})
	if one.Mean != 3 || one.SD != 0 || one.CI.Defined() {
		t.Errorf("one value: %+v", one)
	}
	b, err := json.Marshal(Summarize(nil))
	if err != nil || !strings.Contains(string(b), `"mean":null`) || !strings.Contains(string(b), `"ci95":null`) {
		t.Errorf("JSON of an empty sample: %s, %v", b, err)
	}
	// A missing value (NaN) is left out, as analysis.SpreadOf leaves it out.
	if s := Summarize([]float64{1, math.NaN(), 3}); s.N != 2 || s.Mean != 2 || !near(s.SD, math.Sqrt2) || !s.CI.Defined() {
		t.Errorf("with a NaN: %+v, want n 2, mean 2, sd √2", s)
	}
	if s := Summarize([]float64{math.NaN()}); s.N != 0 || !math.IsNaN(s.Mean) || s.CI.Defined() {
		t.Errorf("only a NaN: %+v, want an empty sample", s)
	}
}

func near(x, y float64) bool { return math.Abs(x-y) < 1e-4 }
