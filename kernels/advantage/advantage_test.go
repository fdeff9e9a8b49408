package advantage

import (
	"math"
	"math/rand/v2"
	"testing"
)

func near(a []float32, b []float64, tol float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Abs(float64(a[i])-b[i]) > tol {
			return false
		}
	}
	return true
}

func TestGroupFacts(t *testing.T) {
	r := []float32{1, 0, 0, 0}
	third := 1.0 / 3
	tests := []struct {
		name string
		f    func(dst []float32)
		want []float64
		tol  float64
	}{
		{"GRPO", func(d []float32) { GRPO(d, r, []int{4}, 0) }, []float64{1.5, -.5, -.5, -.5}, 1e-7},
		{"GRPO eps", func(d []float32) { GRPO(d, r, []int{4}, 1e-6) }, []float64{1.499997, -.499999, -.499999, -.499999}, 1e-6},
		{"Dr.GRPO", func(d []float32) { DrGRPO(d, r, []int{4}) }, []float64{.75, -.25, -.25, -.25}, 1e-7},
		{"RLOO", func(d []float32) { RLOO(d, r, []int{4}) }, []float64{1, -third, -third, -third}, 1e-7},
		{"GRPO two groups", func(d []float32) { GRPO(d, r, []int{1, 3}, 0) }, []float64{1, 0, 0, 0}, 0},
		{"RLOO singleton", func(d []float32) { RLOO(d, r, []int{1, 1, 2}) }, []float64{1, 0, 0, 0}, 0},
		{"all equal", func(d []float32) { GRPO(d, []float32{1, 1, 1, 1}, []int{4}, 1e-6) }, []float64{0, 0, 0, 0}, 0},
	}
	for _, tt := range tests {
		d := make([]float32, 4)
		tt.f(d)
		if !near(d, tt.want, tt.tol) {
			t.Errorf("%s: %v, want %v", tt.name, d, tt.want)
		}
	}
}

func TestGroupSizesChecked(t *testing.T) {
	for _, sizes := range [][]int{{3}, {2, 3}, {0, 4}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("sizes %v accepted for 4 rewards", sizes)
				}
			}()
			GRPO(make([]float32, 4), make([]float32, 4), sizes, 0)
		}()
	}
}

func TestRLOOIsLeaveOneOut(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	r := make([]float32, 7)
	for i := range r {
		r[i] = float32(rng.NormFloat64())
	}
	d := make([]float32, 7)
	RLOO(d, r, []int{7})
	for i := range r {
		var others float64
		for j := range r {
			if j != i {
				others += float64(r[j])
			}
		}
		if want := float64(r[i]) - others/6; math.Abs(float64(d[i])-want) > 1e-6 {
			t.Errorf("RLOO[%d] = %g, want %g", i, d[i], want)
		}
	}
}

func TestGAE(t *testing.T) {
	// One response of 3 tokens, γ=0.9, λ=0.8, reward at the end.
	rewards := [][]float32{{0, 0, 1}}
	values := [][]float32{{0.5, 0.6, 0.7}}
	adv := [][]float32{make([]float32, 3)}
	ret := [][]float32{make([]float32, 3)}
	GAE(adv, ret, rewards, values, nil, 0.9, 0.8)
	d2 := 1 - 0.7
	d1 := 0 + 0.9*0.7 - 0.6
	d0 := 0 + 0.9*0.6 - 0.5
	a2 := d2
	a1 := d1 + 0.72*a2
	a0 := d0 + 0.72*a1
	if !near(adv[0], []float64{a0, a1, a2}, 1e-6) || !near(ret[0], []float64{a0 + .5, a1 + .6, a2 + .7}, 1e-6) {
		t.Errorf("GAE advantages %v returns %v", adv[0], ret[0])
	}
	// γ = λ = 1 with zero values: the advantage is the return to go.
	GAE(adv, ret, [][]float32{{1, 2, 3}}, [][]float32{{0, 0, 0}}, [][]bool{{true, true, false}}, 1, 1)
	if !near(adv[0], []float64{3, 2, 0}, 0) {
		t.Errorf("return to go with a masked tail: %v", adv[0])
	}
}

func TestReinforcePlusPlus(t *testing.T) {
	// Outcome rewards on the last token, γ = 1: every token carries its
	// response's reward; whitening is over tokens.
	rewards := [][]float32{{0, 0, 1}, {0, 0}}
	dst := [][]float32{make([]float32, 3), make([]float32, 2)}
	ReinforcePlusPlus(dst, rewards, nil, 1)
	// Returns [1,1,1,0,0]: mean .6, unbiased var .3.
	s := 1 / math.Sqrt(0.3+1e-8)
	if !near(dst[0], []float64{.4 * s, .4 * s, .4 * s}, 1e-6) || !near(dst[1], []float64{-.6 * s, -.6 * s}, 1e-6) {
		t.Errorf("REINFORCE++: %v", dst)
	}
}

func TestWhiten(t *testing.T) {
	x := [][]float32{{1, 2, 100}, {3}}
	m := [][]bool{{true, true, false}, {true}}
	d := [][]float32{make([]float32, 3), make([]float32, 1)}
	Whiten(d, x, m, true)
	if !near(d[0], []float64{-1, 0, 0}, 1e-6) || !near(d[1], []float64{1}, 1e-6) {
		t.Errorf("whitened %v", d)
	}
	Whiten(d, x, m, false)
	if !near(d[0], []float64{1, 2, 0}, 1e-6) {
		t.Errorf("whitened without shift %v", d)
	}
	Whiten(d, x, [][]bool{{false, false, false}, {false}}, true)
	if !near(d[0], []float64{0, 0, 0}, 0) {
		t.Errorf("nothing valid: %v", d)
	}
}
