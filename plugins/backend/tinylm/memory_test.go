package tinylm

import (
	"context"
	"math"
	"math/rand/v2"
	"runtime"
	"runtime/debug"
	"slices"
	"testing"

	"github.com/forkrl/forkrl/framework/pluginapi"
	"github.com/forkrl/forkrl/framework/pluginapi/backend"
)

// TestMLPChunks checks the token ranges of the MLP's chunks: every token once, in order,
// boundaries at multiples of mlpChunk, and a short last chunk joined to the one before.
func TestMLPChunks(t *testing.T) {
	defer func(c int) { mlpChunk = c }(mlpChunk)
	mlpChunk = 1024
	for _, tc := range []struct {
		n    int
		want [][2]int
	}{
		{1, [][2]int{{0, 1}}},
		{1024, [][2]int{{0, 1024}}},
		{1200, [][2]int{{0, 1200}}},
		{1280, [][2]int{{0, 1024}, {1024, 1280}}},
		{3000, [][2]int{{0, 1024}, {1024, 2048}, {2048, 3000}}},
		{3100, [][2]int{{0, 1024}, {1024, 2048}, {2048, 3100}}},
	} {
		if got := mlpChunks(tc.n); !slices.Equal(got, tc.want) {
			t.Errorf("mlpChunks(%d) = %v, want %v", tc.n, got, tc.want)
		}
	}
}

// TestMLPChunksKeepBits checks that running the MLP in chunks of tokens gives the bits of
// running it over the whole batch at once: log-probs, entropies and every gradient.
func TestMLPChunksKeepBits(t *testing.T) {
	defer func(c int) { mlpChunk = c }(mlpChunk)
	settings := pluginapi.Settings{"layers": 2.0, "width": 32.0, "heads": 4.0, "kv_heads": 2.0, "mlp_width": 96.0,
		"context": 96.0, "alphabet": "abcdefghij"}
	run := func(chunk int) (out []uint32) {
		mlpChunk = chunk
		b := newBackend(t, settings, 1)
		randomise(b.m, 2)
		rng := rand.New(rand.NewPCG(3, 3))
		seqs := randomSequences(rng, b.m.vocab, 48, b.m.cfg.Context) // about 2300 tokens
		ctx := context.Background()
		fwd, err := b.Forward(ctx, backend.ScoreRequest{Sequences: seqs, Temperature: 1})
		if err != nil || fwd.Diagnostics.HasErrors() {
			t.Fatal(err, fwd.Diagnostics)
		}
		if n := b.handles[fwd.Handle].b.n; n < 3*chunk && chunk < 1<<20 {
			t.Fatalf("the batch has %d tokens, too few for three chunks of %d", n, chunk)
		}
		gl, gh := randomCoefficients(rng, fwd.LogProbs), randomCoefficients(rng, fwd.LogProbs)
		bw, err := b.Backward(ctx, backend.BackwardRequest{Handle: fwd.Handle, GradLogProbs: gl, GradEntropies: gh})
		if err != nil || bw.Diagnostics.HasErrors() {
			t.Fatal(err, bw.Diagnostics)
		}
		for i := range fwd.LogProbs {
			for j := range fwd.LogProbs[i] {
				out = append(out, math.Float32bits(fwd.LogProbs[i][j]), math.Float32bits(fwd.Entropies[i][j]))
			}
		}
		for _, g := range b.m.grads {
			out = append(out, math.Float32bits(g))
		}
		return out
	}
	whole, chunked := run(1<<30), run(256)
	if len(whole) != len(chunked) {
		t.Fatalf("%d values whole, %d chunked", len(whole), len(chunked))
	}
	for i := range whole {
		if whole[i] != chunked[i] {
			t.Fatalf("value %d of %d differs: %#x whole, %#x in chunks", i, len(whole), whole[i], chunked[i])
		}
	}
}

// TestPhasesDropEachOthersBuffers checks that Generate lets go of the training
// buffers no handle holds, and Forward of generation's KV cache.
func TestPhasesDropEachOthersBuffers(t *testing.T) {
	b := newBackend(t, tinySettings(false, false), 1)
	ctx := context.Background()
	seqs := randomSequences(rand.New(rand.NewPCG(1, 1)), b.m.vocab, 3, b.m.cfg.Context)
	fwd, err := b.Forward(ctx, backend.ScoreRequest{Sequences: seqs, Temperature: 1})
	if err != nil || fwd.Diagnostics.HasErrors() {
		t.Fatal(err, fwd.Diagnostics)
	}
	gl := randomCoefficients(rand.New(rand.NewPCG(2, 2)), fwd.LogProbs)
	if _, err := b.Backward(ctx, backend.BackwardRequest{Handle: fwd.Handle, GradLogProbs: gl}); err != nil {
		t.Fatal(err)
	}
	if len(b.free) == 0 || b.m.scratch.dres == nil {
		t.Fatal("no training buffers after Backward")
	}
	gen, err := b.Generate(ctx, backend.GenerateRequest{Prompts: [][]int32{{0, 1}}, N: 2, Sampling: backend.Sampling{Temperature: 1, MaxTokens: 4}, Seed: 1})
	if err != nil || gen.Diagnostics.HasErrors() {
		t.Fatal(err, gen.Diagnostics)
	}
	if b.free != nil || b.m.scratch.dres != nil {
		t.Error("Generate kept the training buffers")
	}
	if b.m.gen.kc == nil {
		t.Fatal("no KV cache after Generate")
	}
	if _, err := b.Score(ctx, backend.ScoreRequest{Sequences: seqs, Temperature: 1}); err != nil {
		t.Fatal(err)
	}
	if b.m.gen.kc != nil || b.m.gen.vc != nil {
		t.Error("Score kept the KV cache")
	}
}

// TestPaceGC checks the collector's pacing: below 100 once the live heap is
// large, untouched when the environment sets GOGC.
func TestPaceGC(t *testing.T) {
	old := debug.SetGCPercent(100)
	defer func() { debug.SetGCPercent(old); gcPercent.Store(0) }()
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	big := make([]float32, 64<<20/4) // 64 MB live
	runtime.GC()
	gcPercent.Store(0)
	paceGC()
	if got := debug.SetGCPercent(100); got >= 100 || got < 10 {
		t.Errorf("with 64 MB live, GOGC is %d; want about %d", got, gcHeadroom*100/(64<<20))
	}
	runtime.KeepAlive(big)
	t.Setenv("GOGC", "100")
	gcPercent.Store(0)
	paceGC()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("with GOGC set, paceGC changed GOGC to %d", got)
	}
}
