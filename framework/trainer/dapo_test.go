package trainer

import (
	"context"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/forkrl/forkrl/framework/pluginapi"
	"github.com/forkrl/forkrl/framework/pluginapi/backend"
	"github.com/forkrl/forkrl/framework/pluginapi/selector"
	"github.com/forkrl/forkrl/framework/pluginapi/verifier"
	"github.com/forkrl/forkrl/framework/recipe"
	"github.com/forkrl/forkrl/framework/rundir"
)

// scriptedModel is a backend whose every answer is fixed in advance: four
// responses to one prompt, their entropies, the old policy's log-probs and
// the current policy's shift from them. It records what Backward receives.
type scriptedModel struct {
	toyModel
	responses []string
	entropy   [][]float32
	oldLogp   [][]float32
	shift     [][]float32 // Forward's log-probs minus Score's
	got       map[string][][]float32
}

func (m *scriptedModel) Generate(_ context.Context, req backend.GenerateRequest) (backend.GenerateResponse, error) {
	var resp backend.GenerateResponse
	for _, text := range m.responses {
		r := backend.Response{Finish: backend.FinishLength}
		for i, c := range text {
			r.Tokens = append(r.Tokens, int32(strings.IndexRune(toyVocab, c)))
			r.Pieces = append(r.Pieces, string(c))
			r.LogProbs = append(r.LogProbs, m.oldLogp[len(resp.Responses)][i])
			r.Entropies = append(r.Entropies, m.entropy[len(resp.Responses)][i])
			if c == '.' {
				r.Finish = backend.FinishStop
			}
		}
		resp.Responses = append(resp.Responses, r)
	}
	return resp, nil
}

// index finds a scripted response by its tokens.
func (m *scriptedModel) index(tokens []int32) int {
	for i, text := range m.responses {
		if len(text) == len(tokens) && strings.IndexRune(toyVocab, rune(text[0])) == int(tokens[0]) && strings.IndexRune(toyVocab, rune(text[len(text)-1])) == int(tokens[len(tokens)-1]) {
			return i
		}
	}
	panic("unknown response")
}

func (m *scriptedModel) Score(_ context.Context, req backend.ScoreRequest) (backend.ScoreResponse, error) {
	var resp backend.ScoreResponse
	for _, s := range req.Sequences {
		i := m.index(s.Response)
		resp.LogProbs = append(resp.LogProbs, m.oldLogp[i])
		resp.Entropies = append(resp.Entropies, m.entropy[i])
	}
	return resp, nil
}

func (m *scriptedModel) Forward(ctx context.Context, req backend.ScoreRequest) (backend.ForwardResponse, error) {
	s, _ := m.Score(ctx, req)
	for k, seq := range req.Sequences {
		i := m.index(seq.Response)
		lp := make([]float32, len(s.LogProbs[k]))
		for t := range lp {
			lp[t] = m.oldLogp[i][t] + m.shift[i][t]
		}
		s.LogProbs[k] = lp
	}
	m.next++
	m.handles[m.next] = req.Sequences
	return backend.ForwardResponse{ScoreResponse: s, Handle: m.next}, nil
}

func (m *scriptedModel) Backward(_ context.Context, req backend.BackwardRequest) (backend.BackwardResponse, error) {
	for k, seq := range m.handles[req.Handle] {
		i := m.responses[m.index(seq.Response)]
		m.got[i] = append(m.got[i], req.GradLogProbs[k])
	}
	return backend.BackwardResponse{}, nil
}

func (m *scriptedModel) Step(context.Context, backend.StepRequest) (backend.StepResponse, error) {
	return backend.StepResponse{GradNorm: 1}, nil
}

// TestOneDAPOStepByHand checks the gradient the trainer sends to Backward in
// one DAPO step against numbers worked out by hand: overlong shaping, GRPO
// advantages, top-20% selection, clip-higher and the token-mean denominator.
func TestOneDAPOStepByHand(t *testing.T) {
	ln := func(x float64) float32 { return float32(math.Log(x)) }
	m := &scriptedModel{
		toyModel: *newToyModel(),
		// Rewards 1, 0, 0, 0 ("b" is the answer); lengths 3, 5, 2, 6 tokens.
		responses: []string{"cb.", "cccc.", "d.", "cdcdcd"},
		entropy: [][]float32{
			{0.9, 0.1, 0.05},
			{0.3, 1.2, 0.2, 0.15, 0.02},
			{0.7, 0.01},
			{1.0, 0.25, 0.4, 0.12, 0.08, 0.03},
		},
		oldLogp: [][]float32{{-1, -2, -3}, {-1, -1, -1, -1, -1}, {-2, -2}, {-1, -1, -1, -1, -1, -1}},
		shift: [][]float32{
			{ln(1.5), 0, 0},       // ratio 1.5
			{0, ln(1.1), 0, 0, 0}, // ratio 1.1
			{0, 0},
			{ln(0.7), 0, 0, 0, 0, 0}, // ratio 0.7
		},
		got: map[string][][]float32{},
	}
	cfg := toyRun()
	cfg.Datasets[0].Shuffle = false
	cfg.Algorithm.DynamicSampling = false
	cfg.Algorithm.Epochs = 2 // off-policy: the scoring pass gives the old log-probs
	cfg.Train = recipe.Train{
		Dataset: "letters", Steps: 1, PromptsPerStep: 1, ResponsesPerPrompt: 4,
		MiniBatchSize: 4, MicroBatchSize: 4, Temperature: 1, MaxResponseTokens: 6,
		LearningRate: 1e-3, Beta1: 0.9, Beta2: 0.999, Seed: 7,
	}
	cfg.Eval.Datasets = nil
	d, err := rundir.Create(filepath.Join(t.TempDir(), "dapo"), rundir.Inputs{Settings: cfg})
	if err != nil {
		t.Fatal(err)
	}
	ds := toyDatasets()
	ds[0].Train = []Problem{{ID: "0", Prompt: "a", Problem: "a", Answer: "b"}}
	tr, err := New(context.Background(), cfg, Options{
		Plugins: Plugins{
			Backends:  map[string]backend.Backend{"policy": m},
			Verifiers: map[string]verifier.Verifier{"letters": toyVerifier{}},
			Selectors: map[string]selector.Selector{"top": &toySelector{rho: 0.2}},
		},
		Datasets: ds, Dir: d,
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Run(context.Background()); err != nil {
		t.Fatal(err)
	}

	// Shaped rewards: overlong length 6 with a buffer of 2 costs (len−4)/2:
	// r = [1, 0−0.5, 0, 0−1] = [1, −0.5, 0, −1]; mean −0.125; unbiased std
	// √(2.1875/3) = 0.853913; A = (r − mean)/(std + 1e-6) =
	// [1.317464, −0.439155, 0.146385, −1.024694].
	// Top 20% of the 16 tokens: ⌈3.2⌉ = 4, entropies 1.2, 1.0, 0.9, 0.7.
	// dL/dlogp = −A·ratio/16 unless the clip is active:
	//   "cb."    token 0: A > 0, ratio 1.5 > 1.28: clipped, 0
	//   "cccc."  token 1: A < 0, ratio 1.1:  0.439155·1.1/16 = 0.0301919
	//   "d."     token 0: ratio 1:           −0.146385/16   = −0.0091491
	//   "cdcdcd" token 0: A < 0, ratio 0.7 < 0.8: clipped, 0
	want := map[string][]float32{
		"cb.":    {0, 0, 0},
		"cccc.":  {0, 0.0301919, 0, 0, 0},
		"d.":     {-0.0091491, 0},
		"cdcdcd": {0, 0, 0, 0, 0, 0},
	}
	for resp, w := range want {
		got := m.got[resp]
		if len(got) != 2 {
			t.Fatalf("%q got %d Backward calls, want one per epoch (2)", resp, len(got))
		}
		for _, g := range got {
			for i := range w {
				if math.Abs(float64(g[i]-w[i])) > 1e-6 {
					t.Errorf("%q token %d: dL/dlogp = %.7f, want %.7f", resp, i, g[i], w[i])
				}
			}
		}
	}
	lines, err := rundir.ReadMetrics(d.Path)
	if err != nil {
		t.Fatal(err)
	}
	// pg_loss = Σ over the selected tokens of max(−A·r, −A·clip(r))/16 =
	// (−1.686353 + 0.483070 − 0.146385 + 0.819755)/16 = −0.0331196.
	for name, want := range map[string]float64{
		"actor/pg_loss":            -0.0331196,
		"actor/pg_clipfrac":        2.0 / 16,
		"select/clipfrac_selected": 2.0 / 4,
		"select/fraction":          4.0 / 16,
		"select/denominator":       16,
		"select/threshold":         0.7,
		"actor/ppo_kl":             -0.0090063, // mean of old − new log-prob: −(ln 1.5 + ln 1.1 + ln 0.7)/16
		"critic/score/mean":        0.25,
		"critic/rewards/mean":      -0.125,
		"response_length/mean":     4,
	} {
		if got := lines[0][name]; math.Abs(got-want) > 1e-6 {
			t.Errorf("%s = %.7f, want %.7f", name, got, want)
		}
	}
}

var _ pluginapi.Plugin = (*scriptedModel)(nil)
