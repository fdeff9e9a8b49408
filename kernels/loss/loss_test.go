package loss

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestSurrogateFacts(t *testing.T) {
	p := Policy{ClipLow: 0.2, ClipHigh: 0.28, DualClip: 3}
	tests := []struct {
		name          string
		r, A          float64
		want, wantD   float64
		clipped, dual bool
	}{
		{"dual clip bounds a negative advantage", 5, -1, 3, 0, false, true},
		{"clip-higher", 1.5, 1, -1.28, 0, true, false},
		{"below the low clip, positive advantage: unclipped", 0.5, 1, -0.5, -0.5, false, false},
		{"inside the range", 1.1, 2, -2.2, -2.2, false, false},
		{"negative advantage, low ratio: clipped", 0.5, -1, 0.8, 0, true, false},
		{"negative advantage, high ratio below c", 2, -1, 2, 2, false, false},
	}
	for _, tt := range tests {
		l, d, c, dc := p.Surrogate(tt.r, tt.A)
		if math.Abs(l-tt.want) > 1e-12 || math.Abs(d-tt.wantD) > 1e-12 || c != tt.clipped || dc != tt.dual {
			t.Errorf("%s: got %g %g %v %v, want %g %g %v %v", tt.name, l, d, c, dc, tt.want, tt.wantD, tt.clipped, tt.dual)
		}
	}
}

func TestDenominatorFact(t *testing.T) {
	// 10 valid tokens, 2 selected, per-token loss 1 each (A = −1, r = 1).
	logp := [][]float32{make([]float32, 6), make([]float32, 4)}
	adv := [][]float32{{-1, -1, -1, -1, -1, -1}, {-1, -1, -1, -1}}
	w := [][]float32{{0, 1, 0, 0, 0, 0}, {0, 0, 0, 1}}
	tests := []struct {
		d    Denominator
		want float64
	}{{SelectedTokens, 1.0}, {AllTokens, 0.2}}
	for _, tt := range tests {
		p := Policy{ClipLow: 0.2, ClipHigh: 0.2, Aggregate: Aggregate{Mode: TokenMean, Denominator: tt.d}}
		m := p.Compute(NewGrad(logp), Batch{Logp: logp, OldLogp: logp, Advantage: adv, Weight: w})
		if math.Abs(m.Loss-tt.want) > 1e-9 || m.Tokens != 10 || m.Selected != 2 || m.FracSelected != 0.2 {
			t.Errorf("denominator %v: loss %g (metrics %+v), want %g", tt.d, m.Loss, m, tt.want)
		}
	}
}

func TestAggregationModes(t *testing.T) {
	// Per-token losses equal −A when r = 1: sequence a has losses 1,2,3 (one
	// masked), sequence b has 4.
	logp := [][]float32{{0, 0, 0, 0}, {0}}
	adv := [][]float32{{-1, -2, -3, -100}, {-4}}
	mask := [][]bool{{true, true, true, false}, {true}}
	w := [][]float32{{1, 0, 1, 1}, {1}}
	tests := []struct {
		agg  Aggregate
		w    [][]float32
		want float64
	}{
		{Aggregate{Mode: TokenMean}, nil, 10.0 / 4},
		{Aggregate{Mode: SeqMeanTokenSum}, nil, (6.0 + 4) / 2},
		{Aggregate{Mode: SeqMeanTokenMean}, nil, (2.0 + 4) / 2},
		{Aggregate{Mode: SeqMeanTokenSumNorm}, nil, (6.0/4 + 4.0/4) / 2}, // longest sequence: 4
		{Aggregate{Mode: SeqMeanTokenSumNorm, NormLength: 10}, nil, (0.6 + 0.4) / 2},
		{Aggregate{Mode: TokenMean, TokenCount: 8}, nil, 10.0 / 8},
		{Aggregate{Mode: SeqMeanTokenSum, SeqCount: 4}, nil, 10.0 / 4},
		{Aggregate{Mode: TokenMean, Denominator: SelectedTokens}, w, 8.0 / 3},
		{Aggregate{Mode: TokenMean, Denominator: AllTokens}, w, 8.0 / 4},
		{Aggregate{Mode: SeqMeanTokenMean, Denominator: SelectedTokens}, w, (4.0/2 + 4) / 2},
		{Aggregate{Mode: SeqMeanTokenMean, Denominator: AllTokens}, w, (4.0/3 + 4) / 2},
		{Aggregate{Mode: SeqMeanTokenSum}, w, (4.0 + 4) / 2},
	}
	for _, tt := range tests {
		p := Policy{ClipLow: 0.2, ClipHigh: 0.2, Aggregate: tt.agg}
		m := p.Compute(NewGrad(logp), Batch{Logp: logp, Advantage: adv, Mask: mask, Weight: tt.w})
		if math.Abs(m.Loss-tt.want) > 1e-9 {
			t.Errorf("%+v weights %v: loss %g, want %g", tt.agg, tt.w, m.Loss, tt.want)
		}
	}
}

func TestNames(t *testing.T) {
	for a := TokenMean; a <= SeqMeanTokenSumNorm; a++ {
		if got, err := ParseAggregation(a.String()); got != a || err != nil {
			t.Errorf("ParseAggregation(%q) = %v, %v", a, got, err)
		}
	}
	for _, d := range []Denominator{AllTokens, SelectedTokens} {
		if got, err := ParseDenominator(d.String()); got != d || err != nil {
			t.Errorf("ParseDenominator(%q) = %v, %v", d, got, err)
		}
	}
	for _, e := range []Estimator{K1, K2, K3} {
		if got, err := ParseEstimator(e.String()); got != e || err != nil {
			t.Errorf("ParseEstimator(%q) = %v, %v", e, got, err)
		}
	}
	for _, bad := range []func() error{
		func() error { _, err := ParseAggregation("mean"); return err },
		func() error { _, err := ParseDenominator("some"); return err },
		func() error { _, err := ParseEstimator("k4"); return err },
	} {
		if bad() == nil {
			t.Error("an unknown name was accepted")
		}
	}
}

func TestKLFacts(t *testing.T) {
	tests := []struct {
		e             Estimator
		logp, ref     float64
		want, wantDlp float64
	}{
		{K3, 0, 1, math.E - 2, 1 - math.E},
		{K3, 0, -1, math.Exp(-1), 1 - math.Exp(-1)},
		{K3, 0, 0, 0, 0},
		{K3, 0, 30, 10, 0}, // both clamps active
		{K1, -1, -3, 2, 1},
		{K2, -1, -3, 2, 2},
	}
	for _, tt := range tests {
		k, d := tt.e.Value(tt.logp, tt.ref)
		if math.Abs(k-tt.want) > 1e-5 || math.Abs(d-tt.wantDlp) > 1e-9 {
			t.Errorf("%v(logp %g, ref %g) = %g, %g; want %g, %g", tt.e, tt.logp, tt.ref, k, d, tt.want, tt.wantDlp)
		}
	}
	if k, _ := K3.Value(0, 1); math.Abs(k-0.71828) > 1e-5 {
		t.Errorf("k3(d=1) = %g, want 0.71828", k)
	}
	if k, _ := K3.Value(0, -1); math.Abs(k-0.36788) > 1e-5 {
		t.Errorf("k3(d=−1) = %g, want 0.36788", k)
	}
}

// randomBatch draws a ragged batch whose ratios stay away from the clip kinks
// by at least kinkGap, so finite differences are valid everywhere.
func randomBatch(rng *rand.Rand, p Policy) Batch {
	const kinkGap = 0.03
	rows := 1 + rng.IntN(5)
	b := Batch{}
	for range rows {
		n := rng.IntN(12)
		var lp, old, ref, h, adv, w []float32
		var m []bool
		for range n {
			logp := float32(-3 * rng.Float64())
			var d float64
			for {
				d = rng.NormFloat64() * 0.4
				r := math.Exp(d)
				far := func(x float64) bool { return x <= 0 || math.Abs(r-x) > kinkGap }
				if far(1-p.ClipLow) && far(1+p.ClipHigh) && far(p.DualClip) {
					break
				}
			}
			lp = append(lp, logp)
			old = append(old, float32(float64(logp)-d))
			ref = append(ref, logp+float32(rng.NormFloat64()))
			h = append(h, float32(2*rng.Float64()))
			a := float32(rng.NormFloat64())
			adv = append(adv, a)
			w = append(w, float32(rng.IntN(2)))
			m = append(m, rng.IntN(4) > 0)
		}
		b.Logp, b.OldLogp, b.RefLogp = append(b.Logp, lp), append(b.OldLogp, old), append(b.RefLogp, ref)
		b.Entropy, b.Advantage, b.Weight, b.Mask = append(b.Entropy, h), append(b.Advantage, adv), append(b.Weight, w), append(b.Mask, m)
	}
	return b
}

func TestPolicyGradientFiniteDifference(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for mode := TokenMean; mode <= SeqMeanTokenSumNorm; mode++ {
		for _, den := range []Denominator{AllTokens, SelectedTokens} {
			for _, est := range []Estimator{K1, K2, K3} {
				p := Policy{ClipLow: 0.2, ClipHigh: 0.28, DualClip: 3, KLCoef: 0.1, KL: est, EntropyCoef: 0.01,
					Aggregate: Aggregate{Mode: mode, Denominator: den}}
				for range 5 {
					b := randomBatch(rng, p)
					g := NewGrad(b.Logp)
					p.Compute(g, b)
					lossAt := func(x *float32, delta float32) float64 {
						old := *x
						*x += delta
						defer func() { *x = old }()
						return p.Compute(NewGrad(b.Logp), b).Loss
					}
					for i := range b.Logp {
						for j := range b.Logp[i] {
							const eps = 1e-3
							num := (lossAt(&b.Logp[i][j], eps) - lossAt(&b.Logp[i][j], -eps)) / (2 * eps)
							if got := float64(g.Logp[i][j]); math.Abs(got-num) > 2e-3*(1+math.Abs(num)) {
								t.Errorf("%v/%v/%v: dL/dlogp[%d][%d] = %g, finite difference %g", mode, den, est, i, j, got, num)
							}
							numH := (lossAt(&b.Entropy[i][j], eps) - lossAt(&b.Entropy[i][j], -eps)) / (2 * eps)
							if got := float64(g.Entropy[i][j]); math.Abs(got-numH) > 1e-4*(1+math.Abs(numH)) {
								t.Errorf("%v/%v: dL/dH[%d][%d] = %g, finite difference %g", mode, den, i, j, got, numH)
							}
						}
					}
				}
			}
		}
	}
}

func TestMicroBatchesAddUp(t *testing.T) {
	// Splitting a mini-batch into micro-batches with the mini-batch's counts
	// gives the same total loss.
	rng := rand.New(rand.NewPCG(23, 24))
	for mode := TokenMean; mode <= SeqMeanTokenSumNorm; mode++ {
		if mode == SeqMeanTokenMean {
			continue // per-sequence means need no global count
		}
		p := Policy{ClipLow: 0.2, ClipHigh: 0.2, Aggregate: Aggregate{Mode: mode, Denominator: SelectedTokens, NormLength: 16}}
		b := randomBatch(rng, p)
		for len(b.Logp) < 2 {
			b = randomBatch(rng, p)
		}
		whole := p.Compute(NewGrad(b.Logp), b)
		sel := 0.0
		for i := range b.Logp {
			for j := range b.Logp[i] {
				if b.Mask[i][j] {
					sel += float64(b.Weight[i][j])
				}
			}
		}
		q := p
		q.TokenCount, q.SeqCount = sel, float64(len(b.Logp))
		h := len(b.Logp) / 2
		part := func(lo, hi int) Batch {
			return Batch{Logp: b.Logp[lo:hi], OldLogp: b.OldLogp[lo:hi], Advantage: b.Advantage[lo:hi], Weight: b.Weight[lo:hi], Mask: b.Mask[lo:hi]}
		}
		sum := q.Compute(NewGrad(b.Logp[:h]), part(0, h)).Loss + q.Compute(NewGrad(b.Logp[h:]), part(h, len(b.Logp))).Loss
		if math.Abs(sum-whole.Loss) > 1e-9*(1+math.Abs(whole.Loss)) {
			t.Errorf("%v: micro-batches sum to %g, mini-batch %g", mode, sum, whole.Loss)
		}
	}
}

func TestKLAndEntropyCountAllTokens(t *testing.T) {
	// Two valid tokens, one selected; per-token KL (k1) = 1 and entropy = 1.
	b := Batch{
		Logp:      [][]float32{{0, 0}},
		RefLogp:   [][]float32{{-1, -1}},
		Entropy:   [][]float32{{1, 1}},
		Advantage: [][]float32{{0, 0}},
		Weight:    [][]float32{{1, 0}},
	}
	tests := []struct {
		agg          Aggregate
		wantKL, want float64
	}{
		{Aggregate{Mode: TokenMean, Denominator: SelectedTokens}, 1, 1},
		{Aggregate{Mode: TokenMean, Denominator: SelectedTokens, TokenCount: 5}, 1, 1}, // micro-batch count
		{Aggregate{Mode: TokenMean, Denominator: SelectedTokens, TokenCount: 5, ValidTokenCount: 8}, 0.25, 0.25},
		{Aggregate{Mode: TokenMean, Denominator: AllTokens, TokenCount: 4}, 0.5, 0.5},
	}
	for _, tt := range tests {
		p := Policy{KLCoef: 1, KL: K1, EntropyCoef: 1, Aggregate: tt.agg}
		m := p.Compute(NewGrad(b.Logp), b)
		if math.Abs(m.KL-tt.wantKL) > 1e-9 || math.Abs(m.Entropy-tt.want) > 1e-9 {
			t.Errorf("%+v: KL %g entropy %g, want %g %g", tt.agg, m.KL, m.Entropy, tt.wantKL, tt.want)
		}
	}
}

func TestPolicyMetrics(t *testing.T) {
	logp := [][]float32{{0, 0, 0, 0}}
	old := [][]float32{{float32(-math.Log(1.5)), 0, float32(-math.Log(5)), 0}}
	b := Batch{
		Logp: logp, OldLogp: old,
		Advantage: [][]float32{{1, 1, -1, 1}},
		Weight:    [][]float32{{1, 0, 1, 0}},
		Mask:      [][]bool{{true, true, true, false}},
		Entropy:   [][]float32{{1, 2, 3, 100}},
	}
	p := Policy{ClipLow: 0.2, ClipHigh: 0.28, DualClip: 3}
	m := p.Compute(NewGrad(logp), b)
	// Token 0 is clipped (r=1.5 > 1.28, A>0), token 2 dual-clipped (r=5, A<0).
	want := Metrics{Tokens: 3, Selected: 2, FracSelected: 2.0 / 3, ClipFrac: 1.0 / 3, ClipFracSelected: 0.5,
		DualClipFrac: 1.0 / 3, EntropyAll: 2, EntropySelected: 2, ApproxKL: (-math.Log(1.5) - math.Log(5)) / 3}
	got := m
	got.Loss, got.PolicyLoss = 0, 0
	if !close(got, want) {
		t.Errorf("metrics %+v\nwant    %+v", got, want)
	}
	if math.Abs(m.Loss-(-1.28+3)/3) > 1e-6 {
		t.Errorf("loss %g, want %g", m.Loss, (-1.28+3)/3)
	}
}

func close(a, b Metrics) bool {
	f := func(x, y float64) bool { return math.Abs(x-y) < 1e-6 }
	return a.Tokens == b.Tokens && f(a.Selected, b.Selected) && f(a.FracSelected, b.FracSelected) &&
		f(a.ClipFrac, b.ClipFrac) && f(a.ClipFracSelected, b.ClipFracSelected) && f(a.DualClipFrac, b.DualClipFrac) &&
		f(a.EntropyAll, b.EntropyAll) && f(a.EntropySelected, b.EntropySelected) && f(a.ApproxKL, b.ApproxKL)
}

func TestValueLoss(t *testing.T) {
	v := Value{ClipRange: 0.5, Aggregate: Aggregate{Mode: TokenMean}}
	values := [][]float32{{1, 3}, {0}}
	old := [][]float32{{1, 1}, {0}}
	ret := [][]float32{{2, 0}, {1}}
	grad := [][]float32{{0, 0}, {0}}
	m := v.Compute(grad, values, old, ret, nil)
	// Token 0: ½(1−2)² = 0.5, grad −1. Token 1: v=3 clipped to 1.5; ½·9=4.5 vs ½·2.25: unclipped wins, grad 3.
	// Token 2: ½, grad −1.
	if math.Abs(m.Loss-(0.5+4.5+0.5)/3) > 1e-9 || grad[0][0] != float32(-1.0/3) || grad[0][1] != 1 || m.ClipFrac != 0 {
		t.Errorf("loss %g clipfrac %g grad %v", m.Loss, m.ClipFrac, grad)
	}
	grad = [][]float32{{0}}
	m = v.Compute(grad, [][]float32{{-2}}, [][]float32{{0}}, [][]float32{{1}}, nil)
	if m.Loss != 4.5 || m.ClipFrac != 0 || grad[0][0] != -3 {
		t.Errorf("loss %g clipfrac %g grad %v", m.Loss, m.ClipFrac, grad[0])
	}
	m = v.Compute(grad, [][]float32{{2}}, [][]float32{{0}}, [][]float32{{-3}}, nil)
	if m.Loss != 12.5 || grad[0][0] != 5 {
		t.Errorf("loss %g grad %v", m.Loss, grad[0])
	}
	m = v.Compute(grad, [][]float32{{0.8}}, [][]float32{{0}}, [][]float32{{3}}, nil)
	// v=0.8 clipped to 0.5: ½(0.5−3)² = 3.125 > ½(0.8−3)² = 2.42: clipped, gradient 0.
	if math.Abs(m.Loss-3.125) > 1e-6 || m.ClipFrac != 1 || grad[0][0] != 0 {
		t.Errorf("loss %g clipfrac %g grad %v", m.Loss, m.ClipFrac, grad[0])
	}
}

func TestValueGradientFiniteDifference(t *testing.T) {
	rng := rand.New(rand.NewPCG(25, 26))
	for mode := TokenMean; mode <= SeqMeanTokenSumNorm; mode++ {
		v := Value{ClipRange: 0.2, Aggregate: Aggregate{Mode: mode}}
		vals, old, ret, grad := make([][]float32, 3), make([][]float32, 3), make([][]float32, 3), make([][]float32, 3)
		for i := range vals {
			for range 1 + rng.IntN(6) {
				o := float32(rng.NormFloat64())
				x := o + float32(rng.NormFloat64()*0.3)
				if math.Abs(float64(x-o)) > 0.17 && math.Abs(float64(x-o)) < 0.23 {
					x = o // stay away from the clip kink
				}
				vals[i] = append(vals[i], x)
				old[i] = append(old[i], o)
				ret[i] = append(ret[i], float32(rng.NormFloat64()))
				grad[i] = append(grad[i], 0)
			}
		}
		v.Compute(grad, vals, old, ret, nil)
		scratch := [][]float32{make([]float32, len(vals[0])), make([]float32, len(vals[1])), make([]float32, len(vals[2]))}
		for i := range vals {
			for j := range vals[i] {
				const eps = 1e-3
				x := vals[i][j]
				vals[i][j] = x + eps
				up := v.Compute(scratch, vals, old, ret, nil).Loss
				vals[i][j] = x - eps
				down := v.Compute(scratch, vals, old, ret, nil).Loss
				vals[i][j] = x
				num := (up - down) / (2 * eps)
				if math.Abs(float64(grad[i][j])-num) > 1e-3*(1+math.Abs(num)) {
					t.Errorf("%v: dL/dv[%d][%d] = %g, finite difference %g", mode, i, j, grad[i][j], num)
				}
			}
		}
	}
}
