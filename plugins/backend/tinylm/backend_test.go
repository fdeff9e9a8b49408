package tinylm

import (
	"context"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/forkrl/forkrl/framework/pluginapi"
	"github.com/forkrl/forkrl/framework/pluginapi/backend"
)

// smallSettings is a configuration big enough for the matrix kernels to
// split their work over goroutines.
func smallSettings() pluginapi.Settings {
	return pluginapi.Settings{
		"layers": 2.0, "width": 64.0, "heads": 4.0, "kv_heads": 2.0, "mlp_width": 160.0,
		"context": 48.0, "tie_embeddings": false, "value_head": true, "alphabet": "0123456789+-*/= ",
	}
}

var adam = backend.StepRequest{LearningRate: 1e-2, Beta1: 0.9, Beta2: 0.95, Epsilon: 1e-8, WeightDecay: 0.1, MaxGradNorm: 1}

// trainSteps runs steps of forward, backward (log-prob and entropy
// coefficients from a fixed stream) and AdamW, returning the gradient norms.
func trainSteps(t testing.TB, b *Backend, seqs []backend.Sequence, steps int) []float64 {
	t.Helper()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(7, 7))
	var norms []float64
	for range steps {
		for half := range 2 { // two micro-batches per step
			f, _ := b.Forward(ctx, backend.ScoreRequest{Sequences: seqs[half*len(seqs)/2 : (half+1)*len(seqs)/2], WithValues: true})
			if err := f.Diagnostics.Err(); err != nil {
				t.Fatal(err)
			}
			bw, _ := b.Backward(ctx, backend.BackwardRequest{Handle: f.Handle, GradLogProbs: randomCoefficients(rng, f.LogProbs),
				GradEntropies: randomCoefficients(rng, f.LogProbs), GradValues: randomCoefficients(rng, f.LogProbs)})
			if err := bw.Diagnostics.Err(); err != nil {
				t.Fatal(err)
			}
		}
		s, _ := b.Step(ctx, adam)
		if err := s.Diagnostics.Err(); err != nil {
			t.Fatal(err)
		}
		norms = append(norms, s.GradNorm)
	}
	return norms
}

func generate(t testing.TB, b *Backend, req backend.GenerateRequest) []backend.Response {
	t.Helper()
	r, err := b.Generate(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Diagnostics.Err(); err != nil {
		t.Fatal(err)
	}
	return r.Responses
}

// TestGenerateMatchesScore checks that the log-probs and entropies that
// generation computes with its KV cache equal those of a full recomputation.
func TestGenerateMatchesScore(t *testing.T) {
	b := newBackend(t, smallSettings(), 1)
	randomise(b.m, 5)
	prompts := [][]int32{{1, 2, 3}, {4, 5, 6, 7, 8, 9, 10}, {11}}
	resps := generate(t, b, backend.GenerateRequest{Prompts: prompts, N: 3, Seed: 9, Sampling: backend.Sampling{Temperature: 1, MaxTokens: 30}})
	if len(resps) != 9 {
		t.Fatalf("got %d responses, want 9", len(resps))
	}
	var seqs []backend.Sequence
	for i, r := range resps {
		if r.Prompt != i/3 {
			t.Fatalf("response %d belongs to prompt %d, want %d", i, r.Prompt, i/3)
		}
		seqs = append(seqs, backend.Sequence{Prompt: prompts[r.Prompt], Response: r.Tokens})
	}
	sc, _ := b.Score(context.Background(), backend.ScoreRequest{Sequences: seqs, Temperature: 1})
	worst := 0.0
	for i, r := range resps {
		for j := range r.Tokens {
			worst = max(worst, math.Abs(float64(r.LogProbs[j]-sc.LogProbs[i][j])), math.Abs(float64(r.Entropies[j]-sc.Entropies[i][j])))
		}
	}
	if worst > 1e-4 {
		t.Errorf("generation and recomputation differ by up to %g", worst)
	}
	t.Logf("generation and recomputation differ by up to %g", worst)
	if resps[0].Finish == "" || slices.Equal(resps[0].Tokens, resps[1].Tokens) && slices.Equal(resps[1].Tokens, resps[2].Tokens) {
		t.Errorf("responses of one prompt should differ and finish: %+v", resps[:3])
	}
}

// TestSamplingSettings checks greedy decoding, max tokens, stop tokens, top-p
// and the entropy gate on a model whose distributions are sharp.
func TestSamplingSettings(t *testing.T) {
	b := newBackend(t, smallSettings(), 1)
	randomise(b.m, 5)
	prompts := [][]int32{{1, 2, 3}, {4, 5}}
	greedy := generate(t, b, backend.GenerateRequest{Prompts: prompts, N: 2, Seed: 1, Sampling: backend.Sampling{MaxTokens: 12}})
	for i, r := range greedy {
		if !slices.Equal(r.Tokens, greedy[i/2*2].Tokens) {
			t.Errorf("greedy responses of one prompt differ: %v vs %v", r.Tokens, greedy[i/2*2].Tokens)
		}
		if r.Finish == backend.FinishLength && len(r.Tokens) != 12 {
			t.Errorf("finish length after %d tokens, want 12", len(r.Tokens))
		}
	}
	stopAt := greedy[0].Tokens[2]
	stopped := generate(t, b, backend.GenerateRequest{Prompts: prompts[:1], N: 1, Seed: 1, Sampling: backend.Sampling{MaxTokens: 12, StopTokens: []int32{stopAt}}})
	if r := stopped[0]; r.Finish != backend.FinishStop || r.Tokens[len(r.Tokens)-1] != stopAt || len(r.Tokens) > 3 {
		t.Errorf("stop token %d: got %v finish %s", stopAt, r.Tokens, r.Finish)
	}
	// A tiny top-p keeps only the most likely token: the sampler's log-prob is 0.
	nucleus := generate(t, b, backend.GenerateRequest{Prompts: prompts, N: 2, Seed: 3, Sampling: backend.Sampling{Temperature: 1, TopP: 1e-6, MaxTokens: 12}})
	for i, r := range nucleus {
		if !slices.Equal(r.Tokens, greedy[i].Tokens) || slices.ContainsFunc(r.LogProbs, func(v float32) bool { return v != 0 }) {
			t.Errorf("top-p 1e-6 should be greedy with log-prob 0: %v %v vs %v", r.Tokens, r.LogProbs, greedy[i].Tokens)
		}
	}
	// A gate whose threshold no entropy exceeds samples everything at T_low = 0: greedy.
	gated := generate(t, b, backend.GenerateRequest{Prompts: prompts, N: 2, Seed: 3, Sampling: backend.Sampling{Temperature: 1, MaxTokens: 12,
		EntropyGate: &backend.EntropyGate{Threshold: 100, THigh: 5, TLow: 0}}})
	for i, r := range gated {
		if !slices.Equal(r.Tokens, greedy[i].Tokens) {
			t.Errorf("gated at T_low = 0 should be greedy: %v vs %v", r.Tokens, greedy[i].Tokens)
		}
	}
	// The streams of a response depend on the seed and its place only.
	one := generate(t, b, backend.GenerateRequest{Prompts: prompts, N: 3, Seed: 4, Sampling: backend.Sampling{Temperature: 1, MaxTokens: 12}})
	alone := generate(t, b, backend.GenerateRequest{Prompts: prompts[:1], N: 1, Seed: 4, Sampling: backend.Sampling{Temperature: 1, MaxTokens: 12}})
	if !slices.Equal(one[0].Tokens, alone[0].Tokens) {
		t.Errorf("a response changed with the batch around it: %v vs %v", one[0].Tokens, alone[0].Tokens)
	}
}

// run is a short session of generation and training whose every number is
// returned as bits.
func run(t *testing.T) []uint32 {
	b := newBackend(t, smallSettings(), 11)
	rng := rand.New(rand.NewPCG(1, 2))
	seqs := randomSequences(rng, b.m.vocab, 8, 48)
	var bits []uint32
	for _, g := range trainSteps(t, b, seqs, 3) {
		bits = append(bits, math.Float32bits(float32(g)))
	}
	for _, r := range generate(t, b, backend.GenerateRequest{Prompts: [][]int32{{1, 2}, {3, 4, 5}}, N: 4, Seed: 5, Sampling: backend.Sampling{Temperature: 1, MaxTokens: 20}}) {
		for j := range r.Tokens {
			bits = append(bits, uint32(r.Tokens[j]), math.Float32bits(r.LogProbs[j]), math.Float32bits(r.Entropies[j]))
		}
	}
	for _, p := range b.m.params {
		bits = append(bits, math.Float32bits(p))
	}
	return bits
}

// TestDeterminismAcrossThreads checks bit-identical training and generation
// with GOMAXPROCS 1 and 2.
func TestDeterminismAcrossThreads(t *testing.T) {
	old := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(old)
	one := run(t)
	runtime.GOMAXPROCS(2)
	two := run(t)
	if i := slices.Compare(one, two); i != 0 {
		for j := range one {
			if one[j] != two[j] {
				t.Fatalf("GOMAXPROCS 1 and 2 differ first at value %d of %d", j, len(one))
			}
		}
	}
}

// TestCheckpointResume checks that Save→Load is bit-exact and that training
// resumed from a checkpoint ends where uninterrupted training ends.
func TestCheckpointResume(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ckpt")
	rng := rand.New(rand.NewPCG(1, 2))
	a := newBackend(t, smallSettings(), 3)
	seqs := randomSequences(rng, a.m.vocab, 6, 48)
	trainSteps(t, a, seqs, 2)
	if r, _ := a.Save(context.Background(), backend.SaveRequest{Dir: dir}); r.Diagnostics.HasErrors() {
		t.Fatal(r.Diagnostics.Err())
	}
	saved := slices.Clone(a.m.params)
	trainSteps(t, a, seqs, 2)

	s := smallSettings()
	s["checkpoint"] = dir
	b := newBackend(t, s, 99) // another seed: everything must come from the checkpoint
	if !slices.Equal(b.m.params, saved) || b.m.step != 2 {
		t.Fatalf("loaded parameters differ from the saved ones (step %d)", b.m.step)
	}
	trainSteps(t, b, seqs, 2)
	if !slices.Equal(a.m.params, b.m.params) || !slices.Equal(a.m.m2, b.m.m2) {
		t.Error("training resumed from the checkpoint differs from uninterrupted training")
	}
	for _, f := range []string{weightsFile, configFile, optimizerFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	cfg, _ := os.ReadFile(filepath.Join(dir, configFile))
	for _, want := range []string{`"model_type": "qwen3"`, `"num_key_value_heads": 2`, `"tie_word_embeddings": false`} {
		if !strings.Contains(string(cfg), want) {
			t.Errorf("config.json lacks %s:\n%s", want, cfg)
		}
	}
}

// TestBadInput checks that bad input gets errors that say what is wrong.
func TestBadInput(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	b := newBackend(t, smallSettings(), 1)
	if r, _ := b.Save(ctx, backend.SaveRequest{Dir: dir}); r.Diagnostics.HasErrors() {
		t.Fatal(r.Diagnostics.Err())
	}
	V := int32(b.m.vocab)
	long := make([]int32, 48)
	f, _ := b.Forward(ctx, backend.ScoreRequest{Sequences: []backend.Sequence{{Prompt: []int32{1}, Response: []int32{2, 3}}}})
	wider := smallSettings()
	wider["width"] = 32.0
	for _, tc := range []struct {
		name string
		call func() pluginapi.Diagnostics
		want string
	}{
		{"generate id out of range", func() pluginapi.Diagnostics {
			r, _ := b.Generate(ctx, backend.GenerateRequest{Prompts: [][]int32{{1, V}}, N: 1})
			return r.Diagnostics
		}, "prompt 0: token 1 has id 19, outside the vocabulary [0, 19)"},
		{"generate prompt too long", func() pluginapi.Diagnostics {
			r, _ := b.Generate(ctx, backend.GenerateRequest{Prompts: [][]int32{long}, N: 1})
			return r.Diagnostics
		}, "prompt 0 has 48 tokens; the context holds 48"},
		{"generate empty prompt", func() pluginapi.Diagnostics {
			r, _ := b.Generate(ctx, backend.GenerateRequest{Prompts: [][]int32{{}}, N: 1})
			return r.Diagnostics
		}, "prompt 0 is empty"},
		{"score too long", func() pluginapi.Diagnostics {
			r, _ := b.Score(ctx, backend.ScoreRequest{Sequences: []backend.Sequence{{Prompt: long, Response: []int32{1}}}})
			return r.Diagnostics
		}, "sequence 0 has 49 tokens (prompt 48 + response 1); the context holds 48"},
		{"score negative id", func() pluginapi.Diagnostics {
			r, _ := b.Score(ctx, backend.ScoreRequest{Sequences: []backend.Sequence{{Prompt: []int32{1}, Response: []int32{-1}}}})
			return r.Diagnostics
		}, "sequence 0 response: token 0 has id -1"},
		{"values without a value head", func() pluginapi.Diagnostics {
			c := newBackend(t, tinySettings(true, false), 1)
			r, _ := c.Score(ctx, backend.ScoreRequest{Sequences: []backend.Sequence{{Prompt: []int32{1}, Response: []int32{1}}}, WithValues: true})
			return r.Diagnostics
		}, "no value head"},
		{"backward shape", func() pluginapi.Diagnostics {
			r, _ := b.Backward(ctx, backend.BackwardRequest{Handle: f.Handle, GradLogProbs: [][]float32{{1}}})
			return r.Diagnostics
		}, "the log-prob gradient of sequence 0 has 1 values, its response has 2 tokens"},
		{"backward unknown handle", func() pluginapi.Diagnostics {
			r, _ := b.Backward(ctx, backend.BackwardRequest{Handle: 1234})
			return r.Diagnostics
		}, "unknown forward handle 1234"},
		{"encode outside the alphabet", func() pluginapi.Diagnostics {
			r, _ := b.Encode(ctx, backend.EncodeRequest{Texts: []string{"1+2", "3x4"}})
			return r.Diagnostics
		}, `text 1: character 'x' (U+0078) at byte 1 is not in the tokenizer's alphabet`},
		{"checkpoint shape mismatch", func() pluginapi.Diagnostics {
			c := New()
			wider["checkpoint"] = dir
			r, _ := c.Configure(ctx, pluginapi.ConfigureRequest{Settings: wider})
			return r.Diagnostics
		}, "tensor model.embed_tokens.weight has shape [19 64], the configuration needs [19 32]"},
		{"unknown setting", func() pluginapi.Diagnostics {
			r, _ := New().Configure(ctx, pluginapi.ConfigureRequest{Settings: pluginapi.Settings{"widht": 3.0}})
			return r.Diagnostics
		}, `widht: unknown setting "widht"`},
		{"kv heads", func() pluginapi.Diagnostics {
			r, _ := New().Configure(ctx, pluginapi.ConfigureRequest{Settings: pluginapi.Settings{"heads": 4.0, "kv_heads": 3.0}})
			return r.Diagnostics
		}, "kv_heads 3 must divide heads 4"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call().Err()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestTokenizer checks the round trip and the special tokens.
func TestTokenizer(t *testing.T) {
	ctx := context.Background()
	b := newBackend(t, smallSettings(), 1)
	enc, _ := b.Encode(ctx, backend.EncodeRequest{Texts: []string{"12+3=15", ""}})
	if enc.Diagnostics.HasErrors() || len(enc.IDs) != 2 || len(enc.IDs[0]) != 7 || len(enc.IDs[1]) != 0 {
		t.Fatalf("encode: %+v", enc)
	}
	info, _ := b.Model(ctx)
	ids := append(enc.IDs[0], info.Special["eos"])
	dec, _ := b.Decode(ctx, backend.DecodeRequest{IDs: [][]int32{ids}})
	if dec.Texts[0] != "12+3=15" {
		t.Errorf("decode: %q", dec.Texts[0])
	}
	if info.VocabSize != 19 || info.Special["bos"] != 16 || info.Special["pad"] != 18 || !slices.Equal(info.StopTokens, []int32{17}) {
		t.Errorf("model info: %+v", info)
	}
}

// TestEntropyGateReadsTemperatureOne checks that the entropy gate reads the
// entropy at T = 1 (the paper's eq. 5), not at the base temperature: at base
// temperature 0.5, with T_high = 0 (greedy, log-prob 0) and T_low = 1, a token
// whose entropy is above the threshold at T = 1 but not at T = 0.5 is greedy.
func TestEntropyGateReadsTemperatureOne(t *testing.T) {
	b := newBackend(t, smallSettings(), 1)
	randomise(b.m, 1)
	ctx := context.Background()
	prompts := [][]int32{{1, 2, 3}, {4, 5}}
	const threshold = 1.0
	resps := generate(t, b, backend.GenerateRequest{Prompts: prompts, N: 4, Seed: 3, Sampling: backend.Sampling{Temperature: 0.5, MaxTokens: 16,
		EntropyGate: &backend.EntropyGate{Threshold: threshold, THigh: 0, TLow: 1}}})
	seqs := make([]backend.Sequence, len(resps))
	for i, r := range resps {
		seqs[i] = backend.Sequence{Prompt: prompts[r.Prompt], Response: r.Tokens}
	}
	at1, err := b.Score(ctx, backend.ScoreRequest{Sequences: seqs, Temperature: 1})
	if err != nil {
		t.Fatal(err)
	}
	between, greedy := 0, 0
	for i, r := range resps {
		for j, h1 := range at1.Entropies[i] {
			high := h1 > threshold
			if high != (r.LogProbs[j] == 0) {
				t.Errorf("response %d token %d: entropy %.3f at T = 1 (%.3f at T = 0.5), log-prob %g: the gate decided on another entropy", i, j, h1, r.Entropies[j], r.LogProbs[j])
			}
			if high && r.Entropies[j] <= threshold {
				between++
			}
			if high {
				greedy++
			}
		}
	}
	if between == 0 || greedy == 0 {
		t.Fatalf("no token has its entropy above the threshold at T = 1 and not at T = 0.5 (%d above at T = 1): the test says nothing", greedy)
	}
	t.Logf("%d tokens above the threshold at T = 1, %d of them not at T = 0.5", greedy, between)
}
