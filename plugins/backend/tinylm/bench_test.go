package tinylm

import (
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"github.com/forkrl/forkrl/framework/pluginapi"
	"github.com/forkrl/forkrl/framework/pluginapi/backend"
)

// The benchmark sizes; peer/bench.py builds the same models in PyTorch.
var benchSizes = []struct {
	name     string
	settings pluginapi.Settings
}{
	{"1M", pluginapi.Settings{"layers": 4.0, "width": 128.0, "heads": 4.0, "kv_heads": 2.0, "mlp_width": 512.0, "context": 128.0,
		"alphabet": "0123456789+-*/=() \nabcdefghi"}},
	{"10M", pluginapi.Settings{"layers": 8.0, "width": 320.0, "heads": 8.0, "kv_heads": 4.0, "mlp_width": 960.0, "context": 128.0,
		"alphabet": "0123456789+-*/=() \nabcdefghi"}},
}

// The benchmark workloads, as in peer/bench.py.
const (
	benchTrainSeqs  = 16 // sequences per training step
	benchPrompt     = 32 // prompt tokens
	benchResponse   = 96 // response tokens
	benchGenPrompts = 8  // prompts per generation call
	benchGenSamples = 8  // responses per prompt
)

// BenchmarkTrain measures training tokens/s: forward, backward and AdamW on
// 16 sequences of 32+96 tokens per step.
func BenchmarkTrain(b *testing.B) {
	for _, size := range benchSizes {
		b.Run(size.name, func(b *testing.B) {
			be := newBackend(b, size.settings, 1)
			m := be.m
			rng := rand.New(rand.NewPCG(1, 1))
			seqs := make([][2][]int32, benchTrainSeqs)
			for i := range seqs {
				seqs[i] = [2][]int32{make([]int32, benchPrompt), make([]int32, benchResponse)}
				for _, s := range seqs[i] {
					for j := range s {
						s[j] = int32(rng.IntN(m.vocab))
					}
				}
			}
			gl, gh := make([]float32, benchTrainSeqs*benchResponse), make([]float32, benchTrainSeqs*benchResponse)
			for i := range gl {
				gl[i], gh[i] = float32(rng.NormFloat64()), float32(rng.NormFloat64())
			}
			a := &acts{}
			opt := adamW{lr: 1e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, maxGradNorm: 1}
			step := func() {
				a.b.set(seqs)
				m.forward(a, 1)
				m.backward(a, gl, gh, nil)
				if _, err := m.applyAdamW(opt); err != nil {
					b.Fatal(err)
				}
			}
			step() // touch every buffer once
			reportTokens(b, benchTrainSeqs*(benchPrompt+benchResponse), step)
			b.ReportMetric(float64(m.lay.size), "params")
		})
	}
}

// BenchmarkGenerate measures generation tokens/s: 8 prompts of 32 tokens, 8
// responses each, 96 new tokens per response at temperature 1, KV cache.
func BenchmarkGenerate(b *testing.B) {
	for _, size := range benchSizes {
		b.Run(size.name, func(b *testing.B) {
			be := newBackend(b, size.settings, 1)
			m := be.m
			rng := rand.New(rand.NewPCG(2, 2))
			prompts := make([][]int32, benchGenPrompts)
			for i := range prompts {
				prompts[i] = make([]int32, benchPrompt)
				for j := range prompts[i] {
					prompts[i][j] = int32(rng.IntN(m.vocab))
				}
			}
			s := backend.Sampling{Temperature: 1, MaxTokens: benchResponse}
			gen := func() {
				// No stop tokens: every response has exactly 96 tokens, as in the peer.
				m.generate(prompts, benchGenSamples, s, 1, nil)
			}
			gen()
			reportTokens(b, benchGenPrompts*benchGenSamples*benchResponse, gen)
		})
	}
}

// reportTokens runs f b.N times and reports tokens per second of wall time
// and per second of the process's CPU time (user+system, all threads), which
// a loaded machine disturbs less.
func reportTokens(b *testing.B, tokens int, f func()) {
	cpu0 := cpuSeconds()
	b.ResetTimer()
	for b.Loop() {
		f()
	}
	b.ReportMetric(float64(b.N*tokens)/b.Elapsed().Seconds(), "tokens/s")
	b.ReportMetric(float64(b.N*tokens)/(cpuSeconds()-cpu0), "tokens/cpu-s")
}

func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}
