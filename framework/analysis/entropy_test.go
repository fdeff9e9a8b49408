package analysis

import (
	"math"
	"strings"
	"testing"
)

func TestEntropy(t *testing.T) {
	// Ten tokens: six determined ones (entropy 0 or 0.005), four decisions.
	pieces := [][]string{
		{"+", "=", "1", "\n"},
		{"*", "=", "2", "+", "=", "\n"},
	}
	entropies := [][]float32{
		{1.0, 0, 0.005, 0},
		{0.5, 0, 0.05, 2.0, 0, 0},
	}
	f, err := Entropy(pieces, entropies, EntropyOptions{MinCount: 1, Listed: 2})
	if err != nil {
		t.Fatal(err)
	}
	near := func(name string, got, want float64) {
		t.Helper()
		if math.Abs(got-want) > 1e-6 {
			t.Errorf("%s = %g, want %g", name, got, want)
		}
	}
	if f.Tokens != 10 || f.Responses != 2 {
		t.Errorf("tokens %d, responses %d", f.Tokens, f.Responses)
	}
	near("mean", f.Mean, 3.555/10)
	near("below 0.01", f.Below[0].Fraction, 0.6)
	near("below 0.1", f.Below[1].Fraction, 0.7)
	near("top share", f.TopShare, 3.0/3.555) // the top 2 of 10 tokens: 2.0 and 1.0
	near("p50", f.Quantiles[0].Value, 0)
	near("p80", f.Quantiles[1].Value, 0.5)
	near("p90", f.Quantiles[2].Value, 1.0)
	near("p99", f.Quantiles[3].Value, 2.0)
	// "+" averages 1.5, "*" 0.5, "1" 0.005, "2" 0.05, "=" and "\n" 0 (ties by key).
	wantHigh := []string{"+", "*"}
	wantLow := []string{"=", "\n"}
	for i := range 2 {
		if f.Highest[i].Key != wantHigh[i] || f.Lowest[i].Key != wantLow[i] {
			t.Fatalf("highest %+v, lowest %+v; want keys %q and %q", f.Highest, f.Lowest, wantHigh, wantLow)
		}
	}
	near("mean of +", f.Highest[0].Mean, 1.5)
	if f.Highest[0].Count != 2 || f.Lowest[0].Count != 3 {
		t.Errorf("counts %+v %+v", f.Highest[0], f.Lowest[0])
	}

	var b strings.Builder
	if err := f.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"10 tokens in 2 responses", "entropy below 0.01: 60.00% of tokens", "top 20% of tokens hold 84.39% of the total entropy", `"+" 1.500 (2)`} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, b.String())
		}
	}
}

func TestEntropyMinCount(t *testing.T) {
	f, err := Entropy([][]string{{"a", "a", "b"}}, [][]float32{{1, 1, 3}}, EntropyOptions{MinCount: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Highest) != 1 || f.Highest[0].Key != "a" || len(f.Lowest) != 1 {
		t.Fatalf("highest %+v lowest %+v: only \"a\" is seen twice", f.Highest, f.Lowest)
	}
}

func TestEntropyEmptyAndErrors(t *testing.T) {
	f, err := Entropy(nil, nil, EntropyOptions{})
	if err != nil || f.Tokens != 0 || f.TopShare != 0 || len(f.Highest) != 0 {
		t.Fatalf("empty input: %+v, %v", f, err)
	}
	tests := []struct {
		pieces    [][]string
		entropies [][]float32
		opts      EntropyOptions
		msg       string
	}{
		{[][]string{{"a"}}, nil, EntropyOptions{}, "1 key rows for 0 entropy rows"},
		{[][]string{{"a"}}, [][]float32{{1, 2}}, EntropyOptions{}, "response 0 has 1 keys for 2 entropies"},
		{nil, nil, EntropyOptions{TopFraction: 1.5}, "TopFraction"},
	}
	for _, tt := range tests {
		if _, err := Entropy(tt.pieces, tt.entropies, tt.opts); err == nil || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("error %v, want one containing %q", err, tt.msg)
		}
	}
}

// TestEntropyQuantile: the nearest-rank quantile over all tokens, as the
// entropy gate's threshold takes it: the smallest value with at least a
// fraction p of the tokens at or below it.
func TestEntropyQuantile(t *testing.T) {
	ents := [][]float32{{0.5, 0.1}, {}, {0.9, 0.3, 0.7}}
	for _, tt := range []struct{ p, want float64 }{{0.2, 0.1}, {0.21, 0.3}, {0.5, 0.5}, {0.8, 0.7}, {0.81, 0.9}, {1, 0.9}} {
		if got := EntropyQuantile(ents, tt.p); math.Abs(got-tt.want) > 1e-7 {
			t.Errorf("p %g: %v, want %v", tt.p, got, tt.want)
		}
	}
	if got := EntropyQuantile(nil, 0.8); got != 0 {
		t.Errorf("no tokens: %v, want 0", got)
	}
}
