package logits

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// reference computes entropy and log-prob of softmax(row/T) in float64, two passes.
func reference(row []float32, id int32, T float32) (h, logp float64) {
	m := math.Inf(-1)
	for _, v := range row {
		m = math.Max(m, float64(v)/float64(T))
	}
	var s float64
	for _, v := range row {
		s += math.Exp(float64(v)/float64(T) - m)
	}
	logZ := m + math.Log(s)
	for _, v := range row {
		lp := float64(v)/float64(T) - logZ
		if p := math.Exp(lp); p > 0 {
			h -= p * lp
		}
	}
	if id >= 0 {
		logp = float64(row[id])/float64(T) - logZ
	}
	return h, logp
}

// randomLogits draws rows shaped like a language model's: a broad Gaussian
// background plus a few peaked entries, so entropies range from near 0 to several nats.
func randomLogits(rng *rand.Rand, rows, V int) ([]float32, []int32) {
	x := make([]float32, rows*V)
	ids := make([]int32, rows)
	for r := range rows {
		scale := float32(0.5 + 4*rng.Float64())
		for i := range V {
			x[r*V+i] = scale * float32(rng.NormFloat64())
		}
		peaks := rng.IntN(4)
		for range peaks {
			x[r*V+rng.IntN(V)] += float32(5 + 20*rng.Float64())
		}
		ids[r] = int32(rng.IntN(V))
	}
	return x, ids
}

func TestForwardMatchesFloat64Reference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, V := range []int{1, 7, 512, 32000, 151936} {
		for _, T := range []float32{1, 0.6, 1.3} {
			rows := max(2, 200000/V)
			x, ids := randomLogits(rng, rows, V)
			ids[0] = -1
			h := make([]float32, rows)
			lp := make([]float32, rows)
			Forward(h, lp, x, V, ids, T)
			var worstH, worstL float64
			for r := range rows {
				rh, rl := reference(x[r*V:(r+1)*V], ids[r], T)
				worstH = math.Max(worstH, math.Abs(float64(h[r])-rh))
				worstL = math.Max(worstL, math.Abs(float64(lp[r])-rl))
			}
			if lp[0] != 0 {
				t.Errorf("V=%d: logp for id −1 = %g, want 0", V, lp[0])
			}
			t.Logf("V=%d T=%g: worst |ΔH| = %.2g, |Δlogp| = %.2g nats", V, T, worstH, worstL)
			if worstH > 1e-5 || worstL > 1e-5 {
				t.Errorf("V=%d T=%g: worst |ΔH| = %.3g, |Δlogp| = %.3g nats", V, T, worstH, worstL)
			}
		}
	}
}

func TestForwardFacts(t *testing.T) {
	ln := func(v float64) float32 { return float32(math.Log(v)) }
	tests := []struct {
		name     string
		row      []float32
		id       int32
		T        float32
		wantH    float64
		wantLogp float64
	}{
		{"uniform of 4", []float32{3, 3, 3, 3}, 2, 1, math.Log(4), -math.Log(4)},
		{"one-hot-like", []float32{0, 200, 0}, 1, 1, 0, 0},
		{"two equal of three with -inf", []float32{0, 0, float32(math.Inf(-1))}, 0, 1, math.Log(2), -math.Log(2)},
		{"probabilities .5 .25 .25", []float32{ln(.5), ln(.25), ln(.25)}, 1, 1, 1.5 * math.Ln2, math.Log(.25)},
		{"temperature 2 flattens", []float32{2, 0}, 0, 2, entropy2(1 / (1 + math.Exp(-1))), -math.Log(1 + math.Exp(-1))},
		{"ignored id", []float32{1, 2}, -1, 1, entropy2(1 / (1 + math.Exp(-1))), 0},
	}
	for _, tt := range tests {
		h := make([]float32, 1)
		lp := make([]float32, 1)
		Forward(h, lp, tt.row, len(tt.row), []int32{tt.id}, tt.T)
		if math.Abs(float64(h[0])-tt.wantH) > 1e-6 || math.Abs(float64(lp[0])-tt.wantLogp) > 1e-6 {
			t.Errorf("%s: H=%g logp=%g, want %g %g", tt.name, h[0], lp[0], tt.wantH, tt.wantLogp)
		}
	}
}

func entropy2(p float64) float64 { return -p*math.Log(p) - (1-p)*math.Log(1-p) }

func TestForwardIndependentOfGOMAXPROCS(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const rows, V = 64, 4096
	x, ids := randomLogits(rng, rows, V)
	run := func(procs int) ([]float32, []float32, []float32) {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		h, lp, dx := make([]float32, rows), make([]float32, rows), make([]float32, rows*V)
		Forward(h, lp, x, V, ids, 0.7)
		Backward(dx, x, V, ids, 0.7, h, lp)
		return h, lp, dx
	}
	h1, l1, d1 := run(1)
	for _, p := range []int{2, 3, 8} {
		h, l, d := run(p)
		if fmt.Sprint(h, l) != fmt.Sprint(h1, l1) || fmt.Sprint(d) != fmt.Sprint(d1) {
			t.Fatalf("GOMAXPROCS=%d changed the results", p)
		}
	}
}

// TestBackwardFiniteDifference checks the gradient of gl·logp + gh·H against
// central differences of the float64 reference.
func TestBackwardFiniteDifference(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, V := range []int{3, 17, 300} {
		for _, T := range []float32{1, 0.7} {
			x, ids := randomLogits(rng, 2, V)
			ids[1] = -1
			gl := []float32{float32(rng.NormFloat64()), float32(rng.NormFloat64())}
			gh := []float32{float32(rng.NormFloat64()), float32(rng.NormFloat64())}
			dx := make([]float32, len(x))
			Backward(dx, x, V, ids, T, gl, gh)
			for r := range 2 {
				row := x[r*V : (r+1)*V]
				f := func(i int, delta float64) float64 {
					z := make([]float64, V)
					for j, v := range row {
						z[j] = float64(v)
					}
					z[i] += delta
					h, lp := reference64(z, ids[r], float64(T))
					return float64(gl[r])*lp + float64(gh[r])*h
				}
				for i := 0; i < V; i += 1 + V/40 {
					const eps = 1e-4
					num := (f(i, eps) - f(i, -eps)) / (2 * eps)
					if got := float64(dx[r*V+i]); math.Abs(got-num) > 2e-4*(1+math.Abs(num)) {
						t.Errorf("V=%d T=%g row %d logit %d: gradient %g, finite difference %g", V, T, r, i, got, num)
					}
				}
			}
		}
	}
}

func reference64(z []float64, id int32, T float64) (h, logp float64) {
	m := math.Inf(-1)
	for _, v := range z {
		m = math.Max(m, v/T)
	}
	var s float64
	for _, v := range z {
		s += math.Exp(v/T - m)
	}
	logZ := m + math.Log(s)
	for _, v := range z {
		lp := v/T - logZ
		h -= math.Exp(lp) * lp
	}
	if id >= 0 {
		logp = z[id]/T - logZ
	}
	return h, logp
}

func TestBackwardInPlace(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	const rows, V = 5, 1000
	x, ids := randomLogits(rng, rows, V)
	gl := []float32{1, -2, 0.5, 0, 3}
	gh := []float32{0.3, 0, -1, 2, 0.1}
	want := make([]float32, len(x))
	Backward(want, x, V, ids, 0.9, gl, gh)
	Backward(x, x, V, ids, 0.9, gl, gh)
	for i := range x {
		if x[i] != want[i] {
			t.Fatalf("in-place gradient differs at %d: %g vs %g", i, x[i], want[i])
		}
	}
	// The gradient of a log-prob and of an entropy both sum to zero over the row.
	for r := range rows {
		var s float64
		for _, v := range x[r*V : (r+1)*V] {
			s += float64(v)
		}
		if math.Abs(s) > 1e-4 {
			t.Errorf("row %d: gradient sums to %g, want 0", r, s)
		}
	}
}

func TestSoftmax(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, V := range []int{1, 5, 33, 50000} {
		x, _ := randomLogits(rng, 1, V)
		p := make([]float32, V)
		h := Softmax(p, x, 0.8)
		rh, _ := reference(x, -1, 0.8)
		if math.Abs(float64(h)-rh) > 1e-5 {
			t.Errorf("V=%d: entropy %g, want %g", V, h, rh)
		}
		var s float64
		for _, v := range p {
			s += float64(v)
		}
		if math.Abs(s-1) > 1e-5 {
			t.Errorf("V=%d: probabilities sum to %g", V, s)
		}
		if e := Entropy(x, 0.8); math.Float32bits(e) != math.Float32bits(h) {
			t.Errorf("V=%d: Entropy %g, Softmax's entropy %g: not the same bits", V, e, h)
		}
	}
}

func TestPanicsOnBadShapes(t *testing.T) {
	tests := []struct {
		name string
		f    func()
	}{
		{"rows", func() { Forward(make([]float32, 1), make([]float32, 1), make([]float32, 5), 2, []int32{0}, 1) }},
		{"id", func() { Forward(make([]float32, 1), make([]float32, 1), make([]float32, 2), 2, []int32{2}, 1) }},
		{"T", func() { Forward(make([]float32, 1), make([]float32, 1), make([]float32, 2), 2, []int32{0}, 0) }},
		{"dx", func() { Backward(make([]float32, 1), make([]float32, 2), 2, []int32{0}, 1, nil, nil) }},
	}
	for _, tt := range tests {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", tt.name)
				}
			}()
			tt.f()
		}()
	}
}
