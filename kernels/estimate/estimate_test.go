package estimate

import (
	"math"
	"testing"
)

func TestFacts(t *testing.T) {
	if got := AvgAtK([]bool{true, false, false, false}); got != 0.25 {
		t.Errorf("avg@4 = %g, want 0.25", got)
	}
	if got := PassAtK(4, 1, 4); got != 1 {
		t.Errorf("pass@4 with 1 of 4 correct = %g, want 1", got)
	}
	if got := AvgAtK(nil); got != 0 {
		t.Errorf("avg of nothing = %g", got)
	}
}

// binom is C(n, k) in float64.
func binom(n, k int) float64 {
	if k < 0 || k > n {
		return 0
	}
	r := 1.0
	for i := range k {
		r = r * float64(n-i) / float64(i+1)
	}
	return r
}

func TestPassAtKAgainstBinomials(t *testing.T) {
	tests := []struct {
		n, c, k int
		want    float64
	}{
		{4, 1, 1, 0.25}, {4, 0, 2, 0}, {4, 4, 1, 1}, {10, 3, 2, 1 - binom(7, 2)/binom(10, 2)},
		{16, 2, 8, 1 - binom(14, 8)/binom(16, 8)},
	}
	for _, tt := range tests {
		if got := PassAtK(tt.n, tt.c, tt.k); math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("PassAtK(%d, %d, %d) = %g, want %g", tt.n, tt.c, tt.k, got, tt.want)
		}
	}
	for n := 1; n <= 30; n++ {
		for c := 0; c <= n; c++ {
			for k := 1; k <= n; k++ {
				want := 1 - binom(n-c, k)/binom(n, k)
				if got := PassAtK(n, c, k); math.Abs(got-want) > 1e-9 {
					t.Fatalf("PassAtK(%d, %d, %d) = %g, want %g", n, c, k, got, want)
				}
			}
			// pass@1 is the mean accuracy.
			if got := PassAtK(n, c, 1); math.Abs(got-float64(c)/float64(n)) > 1e-12 {
				t.Fatalf("pass@1 = %g, want %g", got, float64(c)/float64(n))
			}
		}
	}
}

func TestPassAtKPanics(t *testing.T) {
	for _, a := range [][3]int{{4, 1, 5}, {4, 5, 1}, {4, 1, 0}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("PassAtK%v did not panic", a)
				}
			}()
			PassAtK(a[0], a[1], a[2])
		}()
	}
}
