package torch

import (
	"context"
	"math/rand/v2"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/forkrl/forkrl/framework/pluginapi"
	"github.com/forkrl/forkrl/framework/pluginapi/backend"
)

// BenchmarkTrain times one training step of the countdown base model through
// the torch backend (Forward, Backward and Step over the plugin protocol, one
// worker, one thread) on 16 sequences of 32 prompt + 96 response tokens, and
// the same work run directly in PyTorch by peer/direct.py, alternating the
// two. It reports response tokens per second of each and their ratio
// (medians over the iterations):
//
//	go test -run '^$' -bench Train -benchtime 5x ./plugins/backend/torch
func BenchmarkTrain(b *testing.B) {
	needTorch(b)
	ctx := context.Background()
	in, diags := openTorch(b, pluginapi.Settings{"checkpoint": baseCheckpoint(b), "threads": float64(1)})
	if diags.HasErrors() {
		b.Fatal(diags)
	}
	tb := in.Backend()
	rng := rand.New(rand.NewPCG(1, 1))
	const seqs, prompt, response = 16, 32, 96
	req := backend.ScoreRequest{Temperature: 1}
	for range seqs {
		s := backend.Sequence{Prompt: make([]int32, prompt), Response: make([]int32, response)}
		for i := range s.Prompt {
			s.Prompt[i] = int32(rng.IntN(25))
		}
		for i := range s.Response {
			s.Response[i] = int32(rng.IntN(25))
		}
		req.Sequences = append(req.Sequences, s)
	}
	gl, gh := coefficients(rng, req.Sequences), coefficients(rng, req.Sequences)
	step := func() {
		f, err := tb.Forward(ctx, req)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := tb.Backward(ctx, backend.BackwardRequest{Handle: f.Handle, GradLogProbs: gl, GradEntropies: gh}); err != nil {
			b.Fatal(err)
		}
		if _, err := tb.Step(ctx, backend.StepRequest{LearningRate: 1e-4, Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-8, WeightDecay: 0.1, MaxGradNorm: 1}); err != nil {
			b.Fatal(err)
		}
	}
	step() // warm-up
	var plugin, direct []float64
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		step()
		plugin = append(plugin, seqs*response/time.Since(start).Seconds())
		b.StopTimer()
		out, err := exec.Command(Python(), "peer/direct.py", "--checkpoint", baseCheckpoint(b), "--threads", "1", "--reps", "1").Output()
		if err != nil {
			b.Fatal(err)
		}
		r, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
		if err != nil {
			b.Fatal(err)
		}
		direct = append(direct, r)
		b.StartTimer()
	}
	p, d := median(plugin), median(direct)
	b.ReportMetric(p, "tok/s")
	b.ReportMetric(d, "direct-tok/s")
	b.ReportMetric(p/d, "ratio")
}

func median(x []float64) float64 {
	s := append([]float64(nil), x...)
	sort.Float64s(s)
	return s[len(s)/2]
}
