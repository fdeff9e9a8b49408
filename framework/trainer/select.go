package trainer

import (
	"context"

	"github.com/forkrl/forkrl/framework/hooks"
	"github.com/forkrl/forkrl/framework/pluginapi/selector"
	"github.com/forkrl/forkrl/framework/seeds"
)

// selects reports whether the run weighs tokens (a selector plugin or a
// select hook); without, every response token has weight 1. A select hook
// takes the scope and entropy source of the selector block when there is
// one, else selects per mini-batch on the current policy's entropies.
func (t *Trainer) selects() bool {
	return t.selector != nil || t.hooks.Has("select")
}

// selectTokens asks the select hook, or else the selector plugin, for a
// weight per token of the samples, given the entropies and log-probs the
// selection scope sees. The parts name the call's random stream.
func (t *Trainer) selectTokens(ctx context.Context, s stepSettings, ss []*sample, entropies, logps [][]float32, sums means, parts ...any) ([][]float32, error) {
	w, err := t.selectWeights(ctx, s, ss, entropies, logps, sums, parts...)
	if err != nil {
		return nil, err
	}
	for i := range min(len(w), len(ss)) {
		ss[i].weights = w[i]
	}
	return w, nil
}

// selectWeights is selectTokens without keeping the weights on the samples.
func (t *Trainer) selectWeights(ctx context.Context, s stepSettings, ss []*sample, entropies, logps [][]float32, sums means, parts ...any) ([][]float32, error) {
	adv := make([][]float32, len(ss))
	for i, smp := range ss {
		adv[i] = smp.adv
	}
	if t.hooks.Has("select") {
		w, err := t.hooks.Select(ctx, hooks.Batch{Entropies: entropies, LogProbs: logps, Advantages: adv, Step: s.step, Rho: t.rho(s)})
		return w, err
	}
	resp, err := t.selector.Select(ctx, selector.SelectRequest{
		Entropies: entropies, LogProbs: logps, Advantages: adv, Step: s.step,
		Seed: seeds.Stream(t.cfg.Seed, append([]any{"select", s.step}, parts...)...),
	})
	if err != nil {
		return nil, err
	}
	if err := diagErr(selectorName(t.alg.Selector), resp.Diagnostics); err != nil {
		return nil, err
	}
	if len(resp.Weights) != len(ss) {
		return nil, pluginErrorf(selectorName(t.alg.Selector), "Select returned weights for %d responses, sent %d", len(resp.Weights), len(ss))
	}
	for i, w := range resp.Weights {
		if len(w) != len(entropies[i]) {
			return nil, pluginErrorf(selectorName(t.alg.Selector), "Select returned %d weights for a response of %d tokens", len(w), len(entropies[i]))
		}
	}
	sums.add("select/threshold", resp.Threshold, 1)
	return resp.Weights, nil
}

// rho is the ρ a select hook sees: the "rho" the schedule hook set, else
// the selector block's, else 1.
func (t *Trainer) rho(s stepSettings) float64 {
	if r, ok := s.selector["rho"].(float64); ok {
		return r
	}
	if b, ok := t.cfg.Selector(t.alg.Selector); ok {
		if r, ok := b.Settings["rho"].(float64); ok {
			return r
		}
	}
	return 1
}
