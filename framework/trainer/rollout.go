package trainer

import (
	"context"
	"strings"

	"github.com/forkrl/forkrl/framework/pluginapi/backend"
	"github.com/forkrl/forkrl/framework/seeds"
)

// rollout draws the next n training problems and samples the group of
// responses to each from the policy. The attempt numbers dynamic sampling's
// generation rounds within a step, each with its own sampling stream.
func (t *Trainer) rollout(ctx context.Context, s stepSettings, attempt, n int) ([]*group, error) {
	problems := make([]*Problem, n)
	for i := range problems {
		problems[i] = &t.train.Train[t.order.at(t.state.Drawn)]
		t.state.Drawn++
	}
	sampling := backend.Sampling{
		Temperature: float32(s.temperature),
		TopP:        float32(t.hp.TopP),
		MaxTokens:   t.hp.MaxResponseTokens,
	}
	return t.generate(ctx, problems, t.hp.ResponsesPerPrompt, sampling, seeds.Stream(t.cfg.Seed, "rollout", s.step, attempt))
}

// generate encodes the problems' prompts and samples n responses to each.
func (t *Trainer) generate(ctx context.Context, problems []*Problem, n int, sampling backend.Sampling, seed uint64) ([]*group, error) {
	texts := make([]string, len(problems))
	for i, p := range problems {
		texts[i] = p.Prompt
	}
	enc, err := t.policy.Encode(ctx, backend.EncodeRequest{Texts: texts})
	if err != nil {
		return nil, err
	}
	if err := diagErr(backendName(t.alg.Policy), enc.Diagnostics); err != nil {
		return nil, err
	}
	gen, err := t.policy.Generate(ctx, backend.GenerateRequest{Prompts: enc.IDs, N: n, Sampling: sampling, Seed: seed})
	if err != nil {
		return nil, err
	}
	if err := diagErr(backendName(t.alg.Policy), gen.Diagnostics); err != nil {
		return nil, err
	}
	if len(gen.Responses) != len(problems)*n {
		return nil, pluginErrorf(backendName(t.alg.Policy), "Generate returned %d responses for %d prompts × %d", len(gen.Responses), len(problems), n)
	}
	groups := make([]*group, len(problems))
	for i, p := range problems {
		g := &group{problem: p}
		for j := range n {
			r := gen.Responses[i*n+j]
			// A response cut mid-character, or a model emitting stray bytes,
			// is not valid UTF-8: the verifier sees U+FFFD there, as
			// Hugging Face's decoding gives.
			text := strings.ToValidUTF8(strings.Join(r.Pieces, ""), "\uFFFD")
			g.samples = append(g.samples, &sample{problem: p, prompt: enc.IDs[i], resp: r, text: text})
		}
		groups[i] = g
	}
	return groups, nil
}
