package tinylm

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/forkrl/forkrl/framework/pluginapi"
	"github.com/forkrl/forkrl/framework/pluginapi/backend"
)

// tinySettings is a configuration small enough for finite differences.
func tinySettings(tie, valueHead bool) pluginapi.Settings {
	return pluginapi.Settings{
		"layers": 2.0, "width": 8.0, "heads": 4.0, "kv_heads": 2.0, "head_dim": 4.0, "mlp_width": 12.0,
		"context": 16.0, "tie_embeddings": tie, "value_head": valueHead, "alphabet": "abcdef",
		"rope_theta": 100.0, "rms_norm_eps": 1e-5,
	}
}

func newBackend(t testing.TB, s pluginapi.Settings, seed uint64) *Backend {
	t.Helper()
	b := New()
	resp, err := b.Configure(context.Background(), pluginapi.ConfigureRequest{Settings: s, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	if err := resp.Diagnostics.Err(); err != nil {
		t.Fatal(err)
	}
	return b
}

// randomise gives every parameter a random value of a useful scale, so that
// no gradient is trivially zero (norm gains near 1, the value head nonzero).
func randomise(m *model, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 1))
	for _, t := range m.lay.tensors {
		for i := t.off; i < t.off+t.size(); i++ {
			if len(t.shape) == 1 && t.name != "value_head.bias" {
				m.params[i] = float32(1 + 0.3*rng.NormFloat64())
			} else {
				m.params[i] = float32(0.5 * rng.NormFloat64())
			}
		}
	}
}

func randomSequences(rng *rand.Rand, vocab, n, maxLen int) []backend.Sequence {
	seqs := make([]backend.Sequence, n)
	for i := range seqs {
		p := 1 + rng.IntN(maxLen/2)
		r := 1 + rng.IntN(maxLen-p)
		s := backend.Sequence{Prompt: make([]int32, p), Response: make([]int32, r)}
		for j := range s.Prompt {
			s.Prompt[j] = int32(rng.IntN(vocab))
		}
		for j := range s.Response {
			s.Response[j] = int32(rng.IntN(vocab))
		}
		seqs[i] = s
	}
	return seqs
}

func randomCoefficients(rng *rand.Rand, like [][]float32) [][]float32 {
	out := make([][]float32, len(like))
	for i, row := range like {
		out[i] = make([]float32, len(row))
		for j := range row {
			out[i][j] = float32(rng.NormFloat64())
		}
	}
	return out
}

// TestGradientFiniteDifference checks the gradient of Σ gl·logp + gh·H + gv·v
// against central differences, on a sample of entries of every parameter
// tensor, for tied and untied embeddings.
func TestGradientFiniteDifference(t *testing.T) {
	for _, tc := range []struct {
		name      string
		tie, vh   bool
		temp      float32
		withValue bool
	}{
		{"untied+value head", false, true, 0.7, true},
		{"tied", true, false, 1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			b := newBackend(t, tinySettings(tc.tie, tc.vh), 1)
			m := b.m
			randomise(m, 2)
			rng := rand.New(rand.NewPCG(3, 3))
			seqs := randomSequences(rng, m.vocab, 3, m.cfg.Context)
			req := backend.ScoreRequest{Sequences: seqs, Temperature: tc.temp, WithValues: tc.withValue}
			fwd, _ := b.Forward(ctx, req)
			if err := fwd.Diagnostics.Err(); err != nil {
				t.Fatal(err)
			}
			gl, gh := randomCoefficients(rng, fwd.LogProbs), randomCoefficients(rng, fwd.LogProbs)
			var gv [][]float32
			if tc.withValue {
				gv = randomCoefficients(rng, fwd.LogProbs)
			}
			loss := func() float64 {
				r, _ := b.Score(ctx, req)
				var l float64
				for i := range r.LogProbs {
					for j := range r.LogProbs[i] {
						l += float64(gl[i][j])*float64(r.LogProbs[i][j]) + float64(gh[i][j])*float64(r.Entropies[i][j])
						if gv != nil {
							l += float64(gv[i][j]) * float64(r.Values[i][j])
						}
					}
				}
				return l
			}
			bw, _ := b.Backward(ctx, backend.BackwardRequest{Handle: fwd.Handle, GradLogProbs: gl, GradEntropies: gh, GradValues: gv})
			if err := bw.Diagnostics.Err(); err != nil {
				t.Fatal(err)
			}
			const eps = 5e-3
			worst := 0.0
			for _, tn := range m.lay.tensors {
				for k := range 4 {
					i := tn.off + (k*7919)%tn.size()
					old := m.params[i]
					m.params[i] = old + eps
					up := loss()
					m.params[i] = old - eps
					down := loss()
					m.params[i] = old
					fd, an := (up-down)/(2*eps), float64(m.grads[i])
					err := math.Abs(fd-an) / (math.Max(math.Abs(fd), math.Abs(an)) + 0.05)
					worst = max(worst, err)
					if err > 0.02 {
						t.Errorf("%s[%d]: analytic %.6g, finite difference %.6g", tn.name, i-tn.off, an, fd)
					}
				}
			}
			t.Logf("worst relative error %.3g", worst)
		})
	}
}

// TestAdamW checks one optimizer step against the formulas, with and without
// clipping, on weights (decayed) and norm gains (not decayed).
func TestAdamW(t *testing.T) {
	for _, tc := range []struct {
		name    string
		maxNorm float64
	}{{"no clipping", 0}, {"clipped", 0.5}, {"norm below the limit", 1e9}} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBackend(t, tinySettings(true, false), 1)
			m := b.m
			m.trainState()
			rng := rand.New(rand.NewPCG(4, 4))
			for i := range m.grads {
				m.grads[i] = float32(rng.NormFloat64())
				m.m1[i] = float32(0.1 * rng.NormFloat64())
				m.m2[i] = float32(0.1 * rng.Float64())
			}
			m.step = 3
			p0, g0, m10, m20 := append([]float32{}, m.params...), append([]float32{}, m.grads...), append([]float32{}, m.m1...), append([]float32{}, m.m2...)
			var ss float64
			for _, g := range g0 {
				ss += float64(g) * float64(g)
			}
			norm := math.Sqrt(ss)
			o := adamW{lr: 0.01, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0.1, maxGradNorm: tc.maxNorm}
			got, err := m.applyAdamW(o)
			if err != nil || math.Abs(got-norm) > 1e-9*norm {
				t.Fatalf("grad norm %v (%v), want %v", got, err, norm)
			}
			clip := 1.0
			if tc.maxNorm > 0 && norm > tc.maxNorm {
				clip = tc.maxNorm / (norm + 1e-6)
			}
			for _, tn := range m.lay.tensors {
				decay := 0.0
				if tn.decay {
					decay = o.weightDecay
				}
				for i := tn.off; i < tn.off+tn.size(); i++ {
					g := float64(g0[i]) * clip
					m1 := 0.9*float64(m10[i]) + 0.1*g
					m2 := 0.99*float64(m20[i]) + 0.01*g*g
					want := float64(p0[i])*(1-o.lr*decay) - o.lr*(m1/(1-math.Pow(0.9, 4)))/(math.Sqrt(m2/(1-math.Pow(0.99, 4)))+o.eps)
					if math.Abs(float64(m.params[i])-want) > 1e-6 {
						t.Fatalf("%s[%d]: %v, want %v", tn.name, i-tn.off, m.params[i], want)
					}
				}
			}
			if m.step != 4 || slices.ContainsFunc(m.grads, func(g float32) bool { return g != 0 }) {
				t.Errorf("step %d; gradients must be cleared", m.step)
			}
		})
	}
}
