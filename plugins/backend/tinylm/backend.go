package tinylm

import (
	"context"
	"fmt"
	"sync"

	"github.com/forkrl/forkrl/framework/pluginapi"
	"github.com/forkrl/forkrl/framework/pluginapi/backend"
)

// Name is the plugin's name in recipes.
const Name = "tinylm"

// Version is the plugin's version.
const Version = "0.1.0"

// Backend is the tinylm backend plugin. Its methods are safe for concurrent
// use; they run one at a time.
type Backend struct {
	mu      sync.Mutex
	m       *model
	handles map[uint64]*acts // Forward passes awaiting their Backward
	next    uint64
	free    []*acts // activation buffers to reuse
}

var _ backend.Backend = (*Backend)(nil)

// New returns an unconfigured tinylm backend.
func New() *Backend { return &Backend{handles: map[uint64]*acts{}} }

// Info describes the plugin and its settings.
func (b *Backend) Info(context.Context) (pluginapi.Info, error) {
	return pluginapi.Info{
		Name: Name, Version: Version, Protocol: pluginapi.ProtocolVersion,
		Kinds:       []pluginapi.Kind{pluginapi.KindBackend},
		Description: "a small Qwen3-style transformer in pure Go (float32, CPU) with a character tokenizer",
		Settings:    Schema(),
	}, nil
}

// Configure builds the model from the settings, initialised from req.Seed or
// loaded from the checkpoint setting.
func (b *Backend) Configure(_ context.Context, req pluginapi.ConfigureRequest) (pluginapi.ConfigureResponse, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	cfg, diags := ParseSettings(req.Settings)
	if diags.HasErrors() {
		return pluginapi.ConfigureResponse{Diagnostics: diags}, nil
	}
	if isHFFolder(cfg.Checkpoint) {
		m, err := loadHF(cfg, req.Settings)
		if err != nil {
			return pluginapi.ConfigureResponse{Diagnostics: append(diags, pluginapi.Diagnostic{
				Summary: "cannot load the Hugging Face checkpoint: " + err.Error(), Attribute: "checkpoint"})}, nil
		}
		b.m = m
		b.handles = map[uint64]*acts{}
		return pluginapi.ConfigureResponse{Diagnostics: diags}, nil
	}
	tok, err := newCharTokenizer(cfg.Alphabet)
	if err != nil {
		return pluginapi.ConfigureResponse{Diagnostics: diags.Errorf("%v", err)}, nil
	}
	m := newModel(cfg, tok, tok.vocabSize())
	if cfg.Checkpoint == "" {
		m.init(req.Seed)
	} else {
		if err := m.load(cfg.Checkpoint); err != nil {
			return pluginapi.ConfigureResponse{Diagnostics: append(diags, pluginapi.Diagnostic{
				Summary: "cannot load the checkpoint: " + err.Error(), Attribute: "checkpoint",
				Detail: "the checkpoint must have been written by tinylm with the same shapes and alphabet"})}, nil
		}
	}
	b.m = m
	b.handles = map[uint64]*acts{}
	return pluginapi.ConfigureResponse{Diagnostics: diags}, nil
}

var errNotConfigured = pluginapi.Diagnostics{}.Errorf("tinylm is not configured: call Configure first")

// Model describes the configured model.
func (b *Backend) Model(context.Context) (backend.ModelInfo, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.m == nil {
		return backend.ModelInfo{}, errNotConfigured.Err()
	}
	t := b.m.tok
	return backend.ModelInfo{
		VocabSize: b.m.vocab, ContextLength: b.m.cfg.Context,
		Tokenizer:  t.name(),
		Special:    t.roles(),
		StopTokens: t.stops(),
		Parameters: int64(b.m.lay.size),
		ValueHead:  b.m.cfg.ValueHead,
	}, nil
}

// Encode returns the token ids of each text, one per character; no special
// token is added.
func (b *Backend) Encode(_ context.Context, req backend.EncodeRequest) (backend.EncodeResponse, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.m == nil {
		return backend.EncodeResponse{Diagnostics: errNotConfigured}, nil
	}
	var resp backend.EncodeResponse
	for i, text := range req.Texts {
		ids, err := b.m.tok.encode(text)
		if err != nil {
			resp.Diagnostics = resp.Diagnostics.Errorf("text %d: %v", i, err)
		}
		resp.IDs = append(resp.IDs, ids)
	}
	if resp.Diagnostics.HasErrors() {
		resp.IDs = nil
	}
	return resp, nil
}

// Decode returns the text of each id sequence; special tokens have no text.
func (b *Backend) Decode(_ context.Context, req backend.DecodeRequest) (backend.DecodeResponse, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.m == nil {
		return backend.DecodeResponse{Diagnostics: errNotConfigured}, nil
	}
	var resp backend.DecodeResponse
	for i, ids := range req.IDs {
		text, err := b.m.tok.decode(ids)
		if err != nil {
			resp.Diagnostics = resp.Diagnostics.Errorf("sequence %d: %v", i, err)
		}
		resp.Texts = append(resp.Texts, text)
	}
	if resp.Diagnostics.HasErrors() {
		resp.Texts = nil
	}
	return resp, nil
}

// checkIDs reports the first id outside the vocabulary.
func (m *model) checkIDs(what string, ids []int32) error {
	for j, id := range ids {
		if id < 0 || int(id) >= m.vocab {
			return fmt.Errorf("%s: token %d has id %d, outside the vocabulary [0, %d)", what, j, id, m.vocab)
		}
	}
	return nil
}

// Generate samples req.N responses for each prompt.
func (b *Backend) Generate(_ context.Context, req backend.GenerateRequest) (backend.GenerateResponse, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	m := b.m
	if m == nil {
		return backend.GenerateResponse{Diagnostics: errNotConfigured}, nil
	}
	var diags pluginapi.Diagnostics
	s := req.Sampling
	if req.N < 1 {
		diags = diags.Errorf("N must be at least 1, got %d", req.N)
	}
	if s.Temperature < 0 || s.TopP < 0 || s.TopP > 1 || s.MaxTokens < 0 {
		diags = diags.Errorf("bad sampling settings: temperature %g (≥ 0), top_p %g (in [0, 1]), max tokens %d (≥ 0; 0: up to the context)", s.Temperature, s.TopP, s.MaxTokens)
	}
	if gt := s.EntropyGate; gt != nil && (gt.THigh < 0 || gt.TLow < 0) {
		diags = diags.Errorf("bad entropy gate: temperatures %g and %g must be ≥ 0", gt.THigh, gt.TLow)
	}
	for i, p := range req.Prompts {
		if len(p) == 0 {
			diags = diags.Errorf("prompt %d is empty; start it with a token (tinylm's character tokenizer has <bos> = %d)", i, m.tok.roles()["bos"])
		} else if len(p) >= m.cfg.Context {
			diags = diags.Errorf("prompt %d has %d tokens; the context holds %d, so prompts must be shorter than that", i, len(p), m.cfg.Context)
		}
		if err := m.checkIDs(fmt.Sprintf("prompt %d", i), p); err != nil {
			diags = diags.Errorf("%v", err)
		}
	}
	stop := map[int32]bool{}
	for _, id := range m.tok.stops() {
		stop[id] = true
	}
	if err := m.checkIDs("stop tokens", s.StopTokens); err != nil {
		diags = diags.Errorf("%v", err)
	}
	for _, id := range s.StopTokens {
		stop[id] = true
	}
	if diags.HasErrors() || len(req.Prompts) == 0 {
		return backend.GenerateResponse{Diagnostics: diags}, nil
	}
	b.dropTrainBuffers()
	defer paceGC()
	return backend.GenerateResponse{Responses: m.generate(req.Prompts, req.N, s, req.Seed, stop)}, nil
}

// prepare checks a score request and runs its forward pass into buffers
// taken from the pool.
func (b *Backend) prepare(req backend.ScoreRequest) (*acts, pluginapi.Diagnostics) {
	m := b.m
	if m == nil {
		return nil, errNotConfigured
	}
	var diags pluginapi.Diagnostics
	if req.WithValues && !m.cfg.ValueHead {
		diags = diags.Errorf("values were requested but the model has no value head (set value_head = true)")
	}
	if req.Temperature < 0 {
		diags = diags.Errorf("temperature must be ≥ 0 (0 means 1), got %g", req.Temperature)
	}
	seqs := make([][2][]int32, len(req.Sequences))
	for i, s := range req.Sequences {
		if len(s.Prompt) == 0 && len(s.Response) > 0 {
			diags = diags.Errorf("sequence %d has an empty prompt; the first response token needs a token before it", i)
		}
		if n := len(s.Prompt) + len(s.Response); n > m.cfg.Context {
			diags = diags.Errorf("sequence %d has %d tokens (prompt %d + response %d); the context holds %d", i, n, len(s.Prompt), len(s.Response), m.cfg.Context)
		}
		for _, e := range []error{m.checkIDs(fmt.Sprintf("sequence %d prompt", i), s.Prompt), m.checkIDs(fmt.Sprintf("sequence %d response", i), s.Response)} {
			if e != nil {
				diags = diags.Errorf("%v", e)
			}
		}
		seqs[i] = [2][]int32{s.Prompt, s.Response}
	}
	if diags.HasErrors() {
		return nil, diags
	}
	m.dropGenBuffers()
	defer paceGC()
	var a *acts
	if n := len(b.free); n > 0 {
		a, b.free = b.free[n-1], b.free[:n-1]
	} else {
		a = &acts{}
	}
	a.b.set(seqs)
	T := req.Temperature
	if T == 0 {
		T = 1
	}
	m.forward(a, T)
	return a, diags
}

// scoreResponse splits the flat per-target outputs of a into sequences.
func scoreResponse(a *acts, values bool) backend.ScoreResponse {
	var r backend.ScoreResponse
	for s := range a.b.starts {
		lo, hi := a.b.targetRange(s)
		r.LogProbs = append(r.LogProbs, append([]float32{}, a.logp[lo:hi]...))
		r.Entropies = append(r.Entropies, append([]float32{}, a.ent[lo:hi]...))
		if values {
			r.Values = append(r.Values, append([]float32{}, a.values[lo:hi]...))
		}
	}
	return r
}

// Score returns per-token log-probs and entropies of the response tokens.
func (b *Backend) Score(_ context.Context, req backend.ScoreRequest) (backend.ScoreResponse, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	a, diags := b.prepare(req)
	if a == nil {
		return backend.ScoreResponse{Diagnostics: diags}, nil
	}
	r := scoreResponse(a, req.WithValues)
	b.free = append(b.free, a)
	return r, nil
}

// Forward is Score keeping the activations for Backward.
func (b *Backend) Forward(_ context.Context, req backend.ScoreRequest) (backend.ForwardResponse, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	a, diags := b.prepare(req)
	if a == nil {
		return backend.ForwardResponse{ScoreResponse: backend.ScoreResponse{Diagnostics: diags}}, nil
	}
	b.next++
	b.handles[b.next] = a
	return backend.ForwardResponse{ScoreResponse: scoreResponse(a, req.WithValues), Handle: b.next}, nil
}

// flatten checks that per-sequence coefficients match the response lengths
// of a and concatenates them (nil stays nil).
func flatten(what string, g [][]float32, a *acts) ([]float32, error) {
	if g == nil {
		return nil, nil
	}
	if len(g) != len(a.b.starts) {
		return nil, fmt.Errorf("%s has %d sequences, the forward pass had %d", what, len(g), len(a.b.starts))
	}
	flat := make([]float32, 0, a.b.m)
	for s, row := range g {
		lo, hi := a.b.targetRange(s)
		if want := hi - lo; len(row) != want {
			return nil, fmt.Errorf("%s of sequence %d has %d values, its response has %d tokens", what, s, len(row), want)
		}
		flat = append(flat, row...)
	}
	return flat, nil
}

// Backward accumulates the gradients of Σ gLogp·logp + gH·H + gV·value over
// the response tokens of a Forward pass and releases its handle.
func (b *Backend) Backward(_ context.Context, req backend.BackwardRequest) (backend.BackwardResponse, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.m == nil {
		return backend.BackwardResponse{Diagnostics: errNotConfigured}, nil
	}
	a, ok := b.handles[req.Handle]
	if !ok {
		return backend.BackwardResponse{Diagnostics: pluginapi.Diagnostics{}.Errorf("unknown forward handle %d (each handle takes one Backward)", req.Handle)}, nil
	}
	var diags pluginapi.Diagnostics
	gl, err1 := flatten("the log-prob gradient", req.GradLogProbs, a)
	gh, err2 := flatten("the entropy gradient", req.GradEntropies, a)
	gv, err3 := flatten("the value gradient", req.GradValues, a)
	for _, err := range []error{err1, err2, err3} {
		if err != nil {
			diags = diags.Errorf("%v", err)
		}
	}
	if gv != nil && !b.m.cfg.ValueHead {
		diags = diags.Errorf("a value gradient was given but the model has no value head")
	}
	if diags.HasErrors() {
		return backend.BackwardResponse{Diagnostics: diags}, nil
	}
	b.m.backward(a, gl, gh, gv)
	paceGC()
	delete(b.handles, req.Handle)
	b.free = append(b.free, a)
	return backend.BackwardResponse{}, nil
}

// Step applies the accumulated gradients with AdamW and clears them.
func (b *Backend) Step(_ context.Context, req backend.StepRequest) (backend.StepResponse, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.m == nil {
		return backend.StepResponse{Diagnostics: errNotConfigured}, nil
	}
	if req.LearningRate < 0 || req.Beta1 < 0 || req.Beta1 >= 1 || req.Beta2 < 0 || req.Beta2 >= 1 || req.Epsilon <= 0 || req.WeightDecay < 0 || req.MaxGradNorm < 0 {
		return backend.StepResponse{Diagnostics: pluginapi.Diagnostics{}.Errorf(
			"bad optimizer settings: learning rate %g (≥ 0), betas %g and %g (in [0, 1)), epsilon %g (> 0), weight decay %g (≥ 0), max grad norm %g (≥ 0)",
			req.LearningRate, req.Beta1, req.Beta2, req.Epsilon, req.WeightDecay, req.MaxGradNorm)}, nil
	}
	norm, err := b.m.applyAdamW(adamW{lr: req.LearningRate, beta1: req.Beta1, beta2: req.Beta2, eps: req.Epsilon, weightDecay: req.WeightDecay, maxGradNorm: req.MaxGradNorm})
	resp := backend.StepResponse{GradNorm: norm}
	if err != nil {
		resp.Diagnostics = resp.Diagnostics.Errorf("%v", err)
	}
	return resp, nil
}

// Save writes a checkpoint into req.Dir.
func (b *Backend) Save(_ context.Context, req backend.SaveRequest) (backend.SaveResponse, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.m == nil {
		return backend.SaveResponse{Diagnostics: errNotConfigured}, nil
	}
	if err := b.m.save(req.Dir); err != nil {
		return backend.SaveResponse{Diagnostics: pluginapi.Diagnostics{}.Errorf("cannot save the checkpoint: %v", err)}, nil
	}
	return backend.SaveResponse{}, nil
}

// Load restores a checkpoint from req.Dir; pending Forward handles are dropped.
func (b *Backend) Load(_ context.Context, req backend.LoadRequest) (backend.LoadResponse, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.m == nil {
		return backend.LoadResponse{Diagnostics: errNotConfigured}, nil
	}
	if err := b.m.load(req.Dir); err != nil {
		return backend.LoadResponse{Diagnostics: pluginapi.Diagnostics{}.Errorf("cannot load the checkpoint: %v", err)}, nil
	}
	for h, a := range b.handles {
		b.free = append(b.free, a)
		delete(b.handles, h)
	}
	return backend.LoadResponse{}, nil
}
