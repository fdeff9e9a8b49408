package tinylm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/forkrl/forkrl/formats/gguf"
	"github.com/forkrl/forkrl/formats/gguf/llamacpp"
)

// parityAlphabet has 297 distinct characters, so that the vocabulary (with
// the three special tokens) reaches the 260 tokens llama.cpp's loader needs.
func parityAlphabet() string {
	var b strings.Builder
	for r := rune(0x100); r < 0x100+297; r++ {
		b.WriteRune(r)
	}
	return b.String()
}

// exportGGUF writes m's weights as a GGUF file for llama.cpp.
func exportGGUF(t testing.TB, m *model) string {
	t.Helper()
	c := m.cfg
	cfg := gguf.Qwen3Config{
		VocabSize: m.vocab, HiddenSize: c.Width, IntermediateSize: c.MLPWidth, NumLayers: c.Layers,
		NumHeads: c.Heads, NumKVHeads: c.KVHeads, HeadDim: c.HeadDim, MaxPositions: c.Context,
		RopeTheta: c.RopeTheta, RMSNormEps: float64(c.NormEps), TieWordEmbeddings: c.Tie,
	}
	tensors := map[string]gguf.Tensor{}
	for _, ts := range m.lay.tensors {
		tensors[ts.name] = gguf.Tensor{Shape: ts.shape, Data: m.params[ts.off : ts.off+ts.size()]}
	}
	path := filepath.Join(t.TempDir(), "model.gguf")
	if err := gguf.WriteQwen3(path, cfg, tensors); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestLlamaCppParity: tinylm and llama.cpp, running the same random weights
// exported as GGUF, give the same log-softmax at every position of a
// 300-token sequence, for several attention shapes.
func TestLlamaCppParity(t *testing.T) {
	llamacpp.Require(t)
	shapes := []struct {
		name                              string
		width, heads, kvHeads, headDim, F int
		tie                               bool
	}{
		{"grouped-query 4:1", 64, 8, 2, 8, 96, false},
		{"one kv head", 48, 4, 1, 12, 80, true},
		{"kv heads = heads", 32, 4, 4, 8, 64, false},
		{"head width != width/heads", 40, 4, 2, 16, 72, true},
	}
	for i, s := range shapes {
		t.Run(s.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Layers, cfg.Width, cfg.Heads, cfg.KVHeads, cfg.HeadDim, cfg.MLPWidth = 2, s.width, s.heads, s.kvHeads, s.headDim, s.F
			cfg.Context, cfg.Tie, cfg.InitStd, cfg.RopeTheta = 320, s.tie, 0.3, 10000
			cfg.Alphabet = parityAlphabet()
			tok, err := newCharTokenizer(cfg.Alphabet)
			if err != nil {
				t.Fatal(err)
			}
			m := newModel(cfg, tok, tok.vocabSize())
			m.init(uint64(10 + i))
			// Norm gains away from 1, so that a misplaced norm shows.
			r := rand.New(rand.NewPCG(uint64(i), 7))
			for _, ts := range m.lay.tensors {
				if len(ts.shape) == 1 {
					for j := range ts.size() {
						m.params[ts.off+j] = float32(1 + 0.3*r.NormFloat64())
					}
				}
			}
			ids := make([]int32, 300)
			for j := range ids {
				ids[j] = int32(r.IntN(m.vocab))
			}
			var a acts
			a.b.set([][2][]int32{{ids[:1], ids[1:]}})
			m.forward(&a, 1)

			ref := llamacpp.LogProbs(t, exportGGUF(t, m), ids, 1)
			worst, where := 0.0, ""
			for p := 0; p < len(ids)-1; p++ {
				row := a.logits[p*m.vocab : (p+1)*m.vocab]
				lse := logSumExp(row)
				for v := range m.vocab {
					d := math.Abs(float64(row[v]) - lse - ref[p][v])
					if d > worst {
						worst, where = d, fmt.Sprintf("position %d, token %d", p, v)
					}
				}
			}
			t.Logf("max |Δ log p| = %.3g at %s", worst, where)
			if worst > 1e-4 {
				t.Fatalf("max |Δ log p| = %.3g at %s, want ≤ 1e-4", worst, where)
			}
		})
	}
}

func logSumExp(row []float32) float64 {
	mx := math.Inf(-1)
	for _, x := range row {
		mx = math.Max(mx, float64(x))
	}
	s := 0.0
	for _, x := range row {
		s += math.Exp(float64(x) - mx)
	}
	return mx + math.Log(s)
}
