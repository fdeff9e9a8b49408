package analysis

import (
	"math"
	"reflect"
	"strings"
	"testing"
)

func TestNewHistogram(t *testing.T) {
	// Bins [0, 0.5), [0.5, 1), [1, 1.5), [1.5, 2]; 2 falls in the last.
	h, err := NewHistogram([][]float32{{0, 0.1, 0.5, 2}, {1.2, -1, 3}}, 4, 0, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := Histogram{Edges: []float64{0, 0.5, 1, 1.5, 2}, Counts: []int{2, 1, 1, 1}, Below: 1, Above: 1}
	if !reflect.DeepEqual(h, want) {
		t.Errorf("histogram %+v, want %+v", h, want)
	}
	if _, err := NewHistogram(nil, 0, 0, 1); err == nil {
		t.Error("0 bins accepted")
	}
	if _, err := NewHistogram(nil, 3, 1, 1); err == nil {
		t.Error("an empty range accepted")
	}
	if m := MaxEntropy([][]float32{{0.5}, {}, {2.5, 1}}); m != 2.5 {
		t.Errorf("MaxEntropy = %v", m)
	}
}

func TestTopOverlap(t *testing.T) {
	// Ten tokens; the top 20% is 2 tokens. Under a: positions (0,0) and
	// (1,2); under b: (0,0) and (1,0). One of two is shared: 50%.
	a := [][]float32{{5, 0, 0, 0}, {0, 0, 4, 0, 0, 0}}
	b := [][]float32{{3, 0, 0, 0}, {9, 0, 0.5, 0, 0, 0}}
	got, err := TopOverlap(a, b, 0.2)
	if err != nil || got != 0.5 {
		t.Errorf("overlap %v, %v; want 0.5", got, err)
	}
	if got, _ := TopOverlap(a, a, 0.2); got != 1 {
		t.Errorf("self-overlap %v, want 1", got)
	}
	// The top 30% (3 tokens): a's third is (0,1), the first of the ties at
	// 0; b's is (1,2). (0,0) and (1,2) are shared: 2/3.
	if got, _ := TopOverlap(a, b, 0.3); math.Abs(got-2.0/3) > 1e-12 {
		t.Errorf("overlap at 30%% = %v, want 2/3", got)
	}
	for _, tc := range []struct {
		a, b [][]float32
		frac float64
		msg  string
	}{
		{a, b[:1], 0.2, "has 2 responses and the second 1"},
		{a, [][]float32{{1}, {1}}, 0.2, "response 0 has 4 tokens in the first scoring and 1 in the second"},
		{a, b, 0, "outside (0, 1]"},
	} {
		if _, err := TopOverlap(tc.a, tc.b, tc.frac); err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("error %v, want one containing %q", err, tc.msg)
		}
	}
}

func TestChangeByBin(t *testing.T) {
	// Eight tokens, four bins of two by base entropy. The trained entropies
	// leave the two lowest bins as they were, lower the third by 0.1 and
	// raise the top one by 1.
	base := [][]float32{{0, 0.01, 0.5, 2}, {0, 0.02, 0.6, 3}}
	after := [][]float32{{0, 0.01, 0.4, 3}, {0, 0.02, 0.5, 4}}
	bins, err := ChangeByBin(base, after, 4)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ base, change float64 }{{0, 0}, {0.015, 0}, {0.55, -0.1}, {2.5, 1}}
	for i, w := range want {
		b := bins[i]
		if b.Tokens != 2 || math.Abs(b.BaseMean-w.base) > 1e-6 || math.Abs(b.MeanChange-w.change) > 1e-6 || math.Abs(b.MeanAbsChange-math.Abs(w.change)) > 1e-6 {
			t.Errorf("bin %d: %+v; want base mean %v, change %v", i, b, w.base, w.change)
		}
	}
	if bins[0].Lo != 0 || bins[3].Hi != 1 || bins[3].HiEntropy != 3 || math.Abs(bins[3].RelChange-0.4) > 1e-6 {
		t.Errorf("bins %+v", bins)
	}
	if _, err := ChangeByBin(base, after[:1], 4); err == nil {
		t.Error("shapes that differ accepted")
	}
}

func TestEntropyOverSteps(t *testing.T) {
	// Step 1: 1..10 (p50 5, p80 8, p90 9, p95 10, p99 10); step 2 has no tokens.
	var ten []float32
	for i := 1; i <= 10; i++ {
		ten = append(ten, float32(i))
	}
	got, err := EntropyOverSteps([]int{1, 2}, [][][]float32{{ten[:4], ten[4:]}, {{}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Step != 1 || got[0].Tokens != 10 || got[0].Mean != 5.5 {
		t.Fatalf("%+v", got)
	}
	for i, want := range []float64{5, 8, 9, 10, 10} {
		if q := got[0].Quantiles[i]; q.P != Percentiles[i] || q.Value != want {
			t.Errorf("quantile %v = %v, want %v", q.P, q.Value, want)
		}
	}
	if _, err := EntropyOverSteps([]int{1}, nil); err == nil {
		t.Error("1 step for 0 sets accepted")
	}
}

func TestSpreadOf(t *testing.T) {
	s := SpreadOf([]float64{1, math.NaN(), 3})
	if s.N != 2 || s.Mean != 2 || math.Abs(s.SD-math.Sqrt2) > 1e-12 {
		t.Errorf("%+v; want n 2, mean 2, sd √2", s)
	}
	if s := SpreadOf([]float64{4}); s != (Spread{N: 1, Mean: 4}) {
		t.Errorf("%+v", s)
	}
	if s := SpreadOf(nil); s != (Spread{}) {
		t.Errorf("%+v", s)
	}
}
