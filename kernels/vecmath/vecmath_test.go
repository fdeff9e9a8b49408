package vecmath

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/forkrl/forkrl/kernels/internal/kernelpath"
)

// forEachImpl runs f under every path this CPU and build can run.
func forEachImpl(t *testing.T, f func(t *testing.T)) {
	saved := Impl
	defer setImpl(saved)
	for _, name := range paths {
		if setImpl(name) == nil {
			t.Run(name, f)
		}
	}
}

// forEachAssembly runs f under every assembly path this CPU and build can
// run: the tests that compare a path with the pure-Go reference, which the
// "go" path is.
func forEachAssembly(t *testing.T, f func(t *testing.T)) {
	saved := Impl
	defer setImpl(saved)
	ran := false
	for _, name := range paths[1:] {
		if setImpl(name) == nil {
			ran = true
			t.Run(name, f)
		}
	}
	if !ran {
		t.Skip("no assembly path in this build or on this CPU: the reference is all there is")
	}
}

// TestImplEnv checks that FORKRL_VECMATH forces each path in a fresh
// process and that an unknown name stops it.
func TestImplEnv(t *testing.T) {
	kernelpath.TestEnv(t, ImplEnv, paths, func() string { return Impl }, setImpl)
}

func TestExpAccuracy(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		// Every float32 step across the range would take long; a dense grid plus
		// random points covers the reduction's branch points.
		var x []float32
		for v := float32(-90); v <= 90; v += 0.0137 {
			x = append(x, v)
		}
		rng := rand.New(rand.NewPCG(1, 2))
		for range 10000 {
			x = append(x, float32(rng.NormFloat64()*10))
		}
		x = append(x, 0, -0, float32(math.Inf(-1)), float32(math.Inf(1)), MinArg, MaxArg)
		got := make([]float32, len(x))
		Exp(got, x)
		var worst float64
		for i, v := range x {
			u := float64(min(max(v, MinArg), MaxArg))
			want := math.Exp(u)
			rel := math.Abs(float64(got[i])-want) / want
			worst = math.Max(worst, rel/(2e-7+1e-7*math.Abs(u)))
			// e^u has condition number |u|: a float32 rounding of the argument
			// costs 6e-8·|u| already; the base-2 reduction adds one more.
			if rel > 2e-7+1e-7*math.Abs(u) || math.IsNaN(float64(got[i])) {
				t.Fatalf("Exp(%g) = %g, want %g (relative error %.3g, %s)", v, got[i], want, rel, Impl)
			}
		}
		t.Logf("%s: worst relative error of Exp, in units of 2e-7 + 1e-7·|x|: %.3g", Impl, worst)
	})
}

func TestExpAffineMatchesReference(t *testing.T) {
	forEachAssembly(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(3, 4))
		for _, n := range []int{0, 1, 7, 8, 9, 31, 33, 1000} {
			x := make([]float32, n)
			for i := range x {
				x[i] = float32(rng.NormFloat64() * 5)
			}
			if n > 3 {
				x[2] = float32(math.Inf(-1))
			}
			got, want := make([]float32, n), make([]float32, n)
			ExpAffine(got, x, 0.7, 2.5, -0.3, 1.7)
			expAffineRef(want, x, 0.7, 2.5, -0.3, 1.7)
			for i := range x {
				// u = 0.7x − 2.5 carries float32 rounding of the product and
				// shift (ue), which e^u turns into a relative error; the
				// polynomial adds 2e-7.
				u := float64(min(max(0.7*x[i]-2.5, MinArg), MaxArg))
				ue := 1.2e-7 * (math.Abs(0.7*float64(x[i])) + 2.5)
				tol := math.Exp(u) * ((0.3+1.7*math.Abs(u))*(3e-7+ue) + 1.7*ue)
				if d := math.Abs(float64(got[i] - want[i])); d > tol {
					t.Fatalf("n=%d: ExpAffine[%d](x=%g) = %g, reference %g", n, i, x[i], got[i], want[i])
				}
			}
		}
	})
}

func TestSoftmaxStatsMatchesReference(t *testing.T) {
	forEachAssembly(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(5, 6))
		for _, n := range []int{1, 31, 32, 33, 64, 95, 1000, 262144} {
			for _, shape := range []string{"gauss", "rising", "falling", "late", "masked"} {
				x := make([]float32, n)
				for i := range x {
					switch shape {
					case "gauss":
						x[i] = float32(rng.NormFloat64() * 3)
					case "rising": // the max grows all the time: many rescales
						x[i] = float32(i)*0.01 + float32(rng.NormFloat64())
					case "falling":
						x[i] = -float32(i) * 0.01
					case "late": // the first half masked: lanes start with no finite value
						x[i] = float32(math.Inf(-1))
						if i >= n/2 {
							x[i] = float32(rng.NormFloat64() * 3)
						}
					case "masked":
						x[i] = float32(math.Inf(-1))
						if rng.IntN(10) == 0 || i == n-1 {
							x[i] = float32(rng.NormFloat64())
						}
					}
				}
				m, s, tt := SoftmaxStats(x, 1.3)
				rm, rs, rt := softmaxStatsRef(x, 1.3)
				// Compare the derived quantities: log-sum-exp and entropy. The
				// assembly scales by float32(scale·log2 e), a temperature off by
				// up to 6e-8 relative, which moves both by ~6e-8·|z − m|.
				lse, rlse := m+math.Log(s), rm+math.Log(rs)
				h, rh := math.Log(s)-tt/s, math.Log(rs)-rt/rs
				if math.Abs(lse-rlse) > 4e-6 || math.Abs(h-rh) > 4e-6 {
					t.Errorf("%s n=%d (%s): logZ %g entropy %g, reference %g %g", shape, n, Impl, lse, h, rlse, rh)
				}
			}
		}
	})
}

func TestLengthMismatchPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic")
		}
	}()
	Exp(make([]float32, 2), make([]float32, 3))
}

func TestClippedSurrogateMatchesReference(t *testing.T) {
	forEachAssembly(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(7, 8))
		for _, n := range []int{0, 5, 8, 13, 1024, 3001} {
			for _, dual := range []float32{3, float32(math.Inf(1))} {
				logp, old, adv, w := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
				valid := make([]bool, n)
				for i := range n {
					logp[i] = float32(-rng.ExpFloat64())
					old[i] = logp[i] + float32(rng.NormFloat64()*0.5)
					adv[i] = float32(rng.NormFloat64())
					w[i] = float32(rng.IntN(3)) / 2
					valid[i] = rng.IntN(5) > 0
					if !valid[i] && rng.IntN(2) == 0 {
						logp[i] = float32(math.NaN()) // garbage in padding must not leak
					}
				}
				for _, nilOpt := range []bool{false, true} {
					wv, vv := w, valid
					if nilOpt {
						wv, vv = nil, nil
						for i := range logp {
							if logp[i] != logp[i] {
								logp[i] = -1
							}
						}
					}
					g, rg := make([]float32, n), make([]float32, n)
					s := ClippedSurrogate(g, logp, old, adv, wv, vv, 0.8, 1.28, dual, 0.01)
					r := clippedSurrogateRef(rg, logp, old, adv, wv, vv, 0.8, 1.28, dual, 0.01)
					for i := range g {
						if math.Abs(float64(g[i]-rg[i])) > 1e-6*(1+math.Abs(float64(rg[i]))) {
							t.Fatalf("n=%d nil=%v: grad[%d] = %g, reference %g", n, nilOpt, i, g[i], rg[i])
						}
					}
					counts := [][2]float64{{s.Valid, r.Valid}, {s.Selected, r.Selected}, {s.Clipped, r.Clipped},
						{s.ClippedSelected, r.ClippedSelected}, {s.Dual, r.Dual}, {s.Weight, r.Weight}}
					for k, c := range counts {
						// A ratio within float32 rounding of a clip bound may land on
						// either side: allow one such token per thousand.
						if math.Abs(c[0]-c[1]) > float64(n)/1000 {
							t.Fatalf("n=%d nil=%v: count %d is %g, reference %g", n, nilOpt, k, c[0], c[1])
						}
					}
					if math.Abs(s.Loss-r.Loss) > 1e-5*(1+math.Abs(r.Loss)) || math.Abs(s.NegLogRatio-r.NegLogRatio) > 1e-4 {
						t.Fatalf("n=%d nil=%v: sums %+v, reference %+v", n, nilOpt, s, r)
					}
				}
			}
		}
	})
}
