package trainer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"github.com/forkrl/forkrl/framework/pluginapi"
	"github.com/forkrl/forkrl/framework/pluginapi/backend"
	"github.com/forkrl/forkrl/framework/pluginapi/selector"
	"github.com/forkrl/forkrl/framework/pluginapi/verifier"
	"github.com/forkrl/forkrl/kernels/selection"
)

// toyVocab is the toy model's vocabulary; token 0 ends a response.
const toyVocab = ".abcd"

// toyModel is a bigram policy over toyVocab — logits[prev][next] — with
// exact gradients and AdamW: a backend small enough to check by hand and
// fast enough to train in a test.
type toyModel struct {
	Logits [][]float64 `json:"logits"`
	M      [][]float64 `json:"m"`
	V      [][]float64 `json:"v"`
	Steps  int         `json:"steps"`
	// Value is the value head: one value per previous token, trained with
	// plain SGD at the step's learning rate.
	Value []float64 `json:"value"`

	valueGrad []float64
	grad      [][]float64
	handles   map[uint64][]backend.Sequence
	next      uint64
	temp      float32

	// failAt makes the given call (e.g. "Generate") fail on its n-th use,
	// like a plugin whose process died.
	failCall  string
	failAfter int
	calls     map[string]int
	backwards []backend.BackwardRequest // every Backward call, for inspection
	gates     []*backend.EntropyGate    // the entropy gate of every Generate call
	prompts   []int                     // the number of prompts of every Generate call
}

func newToyModel() *toyModel {
	v := len(toyVocab)
	m := &toyModel{handles: map[uint64][]backend.Sequence{}, calls: map[string]int{}}
	m.Logits, m.M, m.V, m.grad = square(v), square(v), square(v), square(v)
	m.Value, m.valueGrad = make([]float64, v), make([]float64, v)
	for i := range v {
		for j := range v {
			m.Logits[i][j] = 0.1 * float64((i*7+j*3)%5)
		}
	}
	return m
}

func square(n int) [][]float64 {
	out := make([][]float64, n)
	for i := range out {
		out[i] = make([]float64, n)
	}
	return out
}

func (m *toyModel) call(name string) error {
	m.calls[name]++
	if name == m.failCall && m.calls[name] > m.failAfter {
		return fmt.Errorf("backend \"policy\": %s: the plugin's process exited unexpectedly", name)
	}
	return nil
}

func (m *toyModel) Info(context.Context) (pluginapi.Info, error) {
	return pluginapi.Info{Name: "toy", Kinds: []pluginapi.Kind{pluginapi.KindBackend}}, nil
}

func (m *toyModel) Configure(context.Context, pluginapi.ConfigureRequest) (pluginapi.ConfigureResponse, error) {
	return pluginapi.ConfigureResponse{}, nil
}

func (m *toyModel) Model(context.Context) (backend.ModelInfo, error) {
	return backend.ModelInfo{VocabSize: len(toyVocab), ContextLength: 64, Tokenizer: "char:toy", StopTokens: []int32{0}, ValueHead: true}, nil
}

func (m *toyModel) Encode(_ context.Context, req backend.EncodeRequest) (backend.EncodeResponse, error) {
	var resp backend.EncodeResponse
	for _, s := range req.Texts {
		ids := []int32{}
		for _, c := range s {
			ids = append(ids, int32(strings.IndexRune(toyVocab, c)))
		}
		resp.IDs = append(resp.IDs, ids)
	}
	return resp, m.call("Encode")
}

func (m *toyModel) Decode(_ context.Context, req backend.DecodeRequest) (backend.DecodeResponse, error) {
	var resp backend.DecodeResponse
	for _, ids := range req.IDs {
		var b strings.Builder
		for _, id := range ids {
			b.WriteByte(toyVocab[id])
		}
		resp.Texts = append(resp.Texts, b.String())
	}
	return resp, nil
}

// dist returns the next-token probabilities after prev at temperature temp.
func (m *toyModel) dist(prev int32, temp float32) []float64 {
	if temp == 0 {
		temp = 1
	}
	row := m.Logits[prev]
	p := make([]float64, len(row))
	hi := math.Inf(-1)
	for _, z := range row {
		hi = max(hi, z/float64(temp))
	}
	var sum float64
	for j, z := range row {
		p[j] = math.Exp(z/float64(temp) - hi)
		sum += p[j]
	}
	for j := range p {
		p[j] /= sum
	}
	return p
}

func entropyOf(p []float64) float64 {
	var h float64
	for _, q := range p {
		if q > 0 {
			h -= q * math.Log(q)
		}
	}
	return h
}

func (m *toyModel) Generate(_ context.Context, req backend.GenerateRequest) (backend.GenerateResponse, error) {
	if err := m.call("Generate"); err != nil {
		return backend.GenerateResponse{}, err
	}
	m.gates = append(m.gates, req.Sampling.EntropyGate)
	m.prompts = append(m.prompts, len(req.Prompts))
	r := mrand.New(mrand.NewPCG(req.Seed, 1))
	var resp backend.GenerateResponse
	for pi, prompt := range req.Prompts {
		for range req.N {
			out := backend.Response{Prompt: pi, Finish: backend.FinishLength}
			prev := prompt[len(prompt)-1]
			for len(out.Tokens) < req.Sampling.MaxTokens {
				p := m.dist(prev, req.Sampling.Temperature)
				u, tok := r.Float64(), 0
				for acc := p[0]; u > acc && tok < len(p)-1; acc += p[tok] {
					tok++
				}
				out.Tokens = append(out.Tokens, int32(tok))
				out.Pieces = append(out.Pieces, string(toyVocab[tok]))
				out.LogProbs = append(out.LogProbs, float32(math.Log(p[tok])))
				out.Entropies = append(out.Entropies, float32(entropyOf(m.dist(prev, 1))))
				prev = int32(tok)
				if tok == 0 {
					out.Finish = backend.FinishStop
					break
				}
			}
			resp.Responses = append(resp.Responses, out)
		}
	}
	return resp, nil
}

func (m *toyModel) Score(_ context.Context, req backend.ScoreRequest) (backend.ScoreResponse, error) {
	if err := m.call("Score"); err != nil {
		return backend.ScoreResponse{}, err
	}
	var resp backend.ScoreResponse
	for _, s := range req.Sequences {
		prev := s.Prompt[len(s.Prompt)-1]
		lp := make([]float32, len(s.Response))
		h := make([]float32, len(s.Response))
		v := make([]float32, len(s.Response))
		for i, tok := range s.Response {
			p := m.dist(prev, req.Temperature)
			lp[i], h[i], v[i] = float32(math.Log(p[tok])), float32(entropyOf(p)), float32(m.Value[prev])
			prev = tok
		}
		resp.LogProbs = append(resp.LogProbs, lp)
		resp.Entropies = append(resp.Entropies, h)
		if req.WithValues {
			resp.Values = append(resp.Values, v)
		}
	}
	return resp, nil
}

func (m *toyModel) Forward(ctx context.Context, req backend.ScoreRequest) (backend.ForwardResponse, error) {
	if err := m.call("Forward"); err != nil {
		return backend.ForwardResponse{}, err
	}
	s, err := m.Score(ctx, req)
	m.next++
	m.handles[m.next] = req.Sequences
	m.temp = req.Temperature
	return backend.ForwardResponse{ScoreResponse: s, Handle: m.next}, err
}

// Backward adds Σ gLogp·∂logp/∂z + gH·∂H/∂z to the logits' gradient, with
// ∂logp(y)/∂z = onehot(y) − p and ∂H/∂z_j = −p_j(log p_j + H) (at T = 1).
func (m *toyModel) Backward(_ context.Context, req backend.BackwardRequest) (backend.BackwardResponse, error) {
	if err := m.call("Backward"); err != nil {
		return backend.BackwardResponse{}, err
	}
	seqs, ok := m.handles[req.Handle]
	if !ok {
		return backend.BackwardResponse{}, errors.New("unknown handle")
	}
	delete(m.handles, req.Handle)
	m.backwards = append(m.backwards, req)
	for si, s := range seqs {
		prev := s.Prompt[len(s.Prompt)-1]
		for i, tok := range s.Response {
			p := m.dist(prev, 1)
			h := entropyOf(p)
			if req.GradValues != nil {
				m.valueGrad[prev] += float64(req.GradValues[si][i])
			}
			gl := float64(req.GradLogProbs[si][i])
			gh := 0.0
			if req.GradEntropies != nil {
				gh = float64(req.GradEntropies[si][i])
			}
			for j := range p {
				d := -p[j]
				if int32(j) == tok {
					d++
				}
				m.grad[prev][j] += gl * d
				if p[j] > 0 {
					m.grad[prev][j] += gh * -p[j] * (math.Log(p[j]) + h)
				}
			}
			prev = tok
		}
	}
	return backend.BackwardResponse{}, nil
}

func (m *toyModel) Step(_ context.Context, req backend.StepRequest) (backend.StepResponse, error) {
	if err := m.call("Step"); err != nil {
		return backend.StepResponse{}, err
	}
	var norm float64
	for _, row := range m.grad {
		for _, g := range row {
			norm += g * g
		}
	}
	for _, g := range m.valueGrad {
		norm += g * g
	}
	norm = math.Sqrt(norm)
	scale := 1.0
	if req.MaxGradNorm > 0 && norm > req.MaxGradNorm {
		scale = req.MaxGradNorm / norm
	}
	m.Steps++
	for i, g := range m.valueGrad {
		m.Value[i] -= req.LearningRate * g
		m.valueGrad[i] = 0
	}
	b1, b2 := req.Beta1, req.Beta2
	for i, row := range m.grad {
		for j, g := range row {
			g *= scale
			m.M[i][j] = b1*m.M[i][j] + (1-b1)*g
			m.V[i][j] = b2*m.V[i][j] + (1-b2)*g*g
			mh := m.M[i][j] / (1 - math.Pow(b1, float64(m.Steps)))
			vh := m.V[i][j] / (1 - math.Pow(b2, float64(m.Steps)))
			m.Logits[i][j] -= req.LearningRate * (mh/(math.Sqrt(vh)+req.Epsilon) + req.WeightDecay*m.Logits[i][j])
			row[j] = 0
		}
	}
	return backend.StepResponse{GradNorm: norm}, nil
}

func (m *toyModel) Save(_ context.Context, req backend.SaveRequest) (backend.SaveResponse, error) {
	if err := m.call("Save"); err != nil {
		return backend.SaveResponse{}, err
	}
	data, err := json.Marshal(m)
	if err != nil {
		return backend.SaveResponse{}, err
	}
	return backend.SaveResponse{}, os.WriteFile(filepath.Join(req.Dir, "toy.json"), data, 0o644)
}

func (m *toyModel) Load(_ context.Context, req backend.LoadRequest) (backend.LoadResponse, error) {
	data, err := os.ReadFile(filepath.Join(req.Dir, "toy.json"))
	if err != nil {
		return backend.LoadResponse{}, err
	}
	return backend.LoadResponse{}, json.Unmarshal(data, m)
}

// toyVerifier rewards a response that contains the reference letter.
type toyVerifier struct{}

func (toyVerifier) Info(context.Context) (pluginapi.Info, error) {
	return pluginapi.Info{Name: "toy"}, nil
}
func (toyVerifier) Configure(context.Context, pluginapi.ConfigureRequest) (pluginapi.ConfigureResponse, error) {
	return pluginapi.ConfigureResponse{}, nil
}
func (toyVerifier) Verify(_ context.Context, req verifier.VerifyRequest) (verifier.VerifyResponse, error) {
	var resp verifier.VerifyResponse
	for _, it := range req.Items {
		r := verifier.Result{Reason: "no " + it.Reference}
		if strings.Contains(it.Response, it.Reference) {
			r = verifier.Result{Reward: 1, Answer: it.Reference}
		}
		resp.Results = append(resp.Results, r)
	}
	return resp, nil
}

// toySelector keeps the top-ρ entropy tokens with the selection kernel.
// With crashAt > 0 its process exits on that Select call, like a plugin
// that crashed.
type toySelector struct {
	rho     float64
	crashAt int
	calls   int
}

func (s *toySelector) Info(context.Context) (pluginapi.Info, error) {
	return pluginapi.Info{Name: "toy", Protocol: pluginapi.ProtocolVersion, Kinds: []pluginapi.Kind{pluginapi.KindSelector}}, nil
}
func (s *toySelector) Configure(_ context.Context, req pluginapi.ConfigureRequest) (pluginapi.ConfigureResponse, error) {
	if r, ok := req.Settings["rho"].(float64); ok {
		s.rho = r
	}
	return pluginapi.ConfigureResponse{}, nil
}
func (s *toySelector) Select(_ context.Context, req selector.SelectRequest) (selector.SelectResponse, error) {
	s.calls++
	if s.calls == s.crashAt {
		fmt.Fprintln(os.Stderr, "toy selector: crashing on purpose")
		os.Exit(3)
	}
	w := make([][]float32, len(req.Entropies))
	for i, e := range req.Entropies {
		w[i] = make([]float32, len(e))
	}
	res := selection.Select(w, req.Entropies, req.Masks, selection.Options{Mode: selection.Top, Rule: selection.TopK, Rho: s.rho})
	return selector.SelectResponse{Weights: w, Threshold: res.Threshold, Selected: res.Selected}, nil
}
