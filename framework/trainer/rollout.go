package trainer

import (
	"context"

	"github.com/forkrl/forkrl/framework/pluginapi/backend"
	"github.com/forkrl/forkrl/framework/rollout"
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

// generate samples n responses to each problem (rollout.Generate) into
// groups.
func (t *Trainer) generate(ctx context.Context, problems []*Problem, n int, sampling backend.Sampling, seed uint64) ([]*group, error) {
	samples, err := rollout.Generate(ctx, t.policy, backendName(t.alg.Policy), problems, n, sampling, seed)
	if err != nil {
		return nil, err
	}
	groups := make([]*group, len(problems))
	for i, p := range problems {
		g := &group{problem: p}
		for _, s := range samples[i*n : (i+1)*n] {
			g.samples = append(g.samples, &sample{problem: p, prompt: s.Prompt, resp: s.Response, text: s.Text})
		}
		groups[i] = g
	}
	return groups, nil
}
