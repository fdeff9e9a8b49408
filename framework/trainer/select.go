package trainer

import (
	"context"

	"github.com/forkrl/forkrl/framework/hooks"
	"github.com/forkrl/forkrl/framework/pluginapi/backend"
	"github.com/forkrl/forkrl/framework/pluginapi/selector"
	"github.com/forkrl/forkrl/framework/recipe"
	"github.com/forkrl/forkrl/framework/seeds"
)

// selects reports whether the run weighs tokens (a selector plugin or a
// select hook); without, every response token has weight 1. A select hook
// takes the scope and entropy source of the selector block when there is
// one, else selects per mini-batch on the current policy's entropies.
func (t *Trainer) selects() bool {
	return t.selector != nil || t.hooks.Has("select")
}

// scope weighs the tokens the policy loss trains on, over the batch the
// selector block's scope names (a micro-batch, a mini-batch or the whole
// step) with the entropies its entropy source names (the current policy's
// Forward or the old policy's scoring pass). chooseScope picks its
// functions once, when the trainer is built; each of them is called at
// every step, mini-batch or micro-batch, and does nothing where its scope
// has nothing to do.
type scope struct {
	// step weighs all of a step's samples before the update.
	step func(ctx context.Context, s stepSettings, ss []*sample, sums means) error
	// mini weighs a mini-batch's tokens before its micro-batches train.
	mini func(ctx context.Context, s stepSettings, mb *miniBatch, sums means) error
	// micro weighs micro-batch k's tokens from its Forward.
	micro func(ctx context.Context, s stepSettings, mb *miniBatch, k int, f backend.ForwardResponse, sums means) error
	// perMicro: each micro-batch's loss divides by its own token count.
	perMicro bool
}

// chooseScope returns the scope of the run's selection: none (every token
// weighs 1) when it selects nothing.
func (t *Trainer) chooseScope() scope {
	sc := scope{step: noStepSelection, mini: noMiniSelection, micro: noMicroSelection}
	if !t.selects() {
		return sc
	}
	old := t.alg.SelectEntropy == recipe.EntropyOld
	switch t.alg.SelectScope {
	case selector.ScopeStep: // always on the old policy's entropies
		sc.step, sc.mini = t.selectStep, weightsOfStep
	case selector.ScopeMicro:
		sc.perMicro = true
		if old {
			sc.mini = t.selectMicrosOld
		} else {
			sc.micro = t.selectMicroCurrent
		}
	default:
		if old {
			sc.mini = t.selectMiniOld
		} else {
			sc.mini = t.selectMiniCurrent
		}
	}
	return sc
}

func noStepSelection(context.Context, stepSettings, []*sample, means) error { return nil }

func noMiniSelection(context.Context, stepSettings, *miniBatch, means) error { return nil }

func noMicroSelection(context.Context, stepSettings, *miniBatch, int, backend.ForwardResponse, means) error {
	return nil
}

// selectStep weighs all of a step's tokens at once, on the old policy's
// entropies; the weights stay on the samples for every mini-batch.
func (t *Trainer) selectStep(ctx context.Context, s stepSettings, ss []*sample, sums means) error {
	_, err := t.selectTokens(ctx, s, ss, oldEntropies(ss), oldLogps(ss), sums, "step")
	return err
}

// weightsOfStep gives a mini-batch the weights the step's selection put on
// its samples.
func weightsOfStep(_ context.Context, _ stepSettings, mb *miniBatch, _ means) error {
	mb.weights = make([][]float32, len(mb.samples))
	for i, smp := range mb.samples {
		mb.weights[i] = smp.weights
	}
	return nil
}

// selectMiniOld weighs a mini-batch's tokens on the old policy's entropies.
func (t *Trainer) selectMiniOld(ctx context.Context, s stepSettings, mb *miniBatch, sums means) error {
	var err error
	mb.weights, err = t.selectTokens(ctx, s, mb.samples, oldEntropies(mb.samples), oldLogps(mb.samples), sums, "mini", mb.epoch, mb.index)
	return err
}

// selectMiniCurrent weighs a mini-batch's tokens on the current policy's
// entropies: every micro-batch is forwarded, and its Forward held for the
// loss, before any selection.
func (t *Trainer) selectMiniCurrent(ctx context.Context, s stepSettings, mb *miniBatch, sums means) error {
	mb.forwards = make([]backend.ForwardResponse, len(mb.micros))
	var ents, logps [][]float32
	for k := range mb.micros {
		f, err := t.forward(ctx, s, mb.micro(k))
		if err != nil {
			return err
		}
		mb.forwards[k] = f
		ents, logps = append(ents, f.Entropies...), append(logps, f.LogProbs...)
	}
	var err error
	mb.weights, err = t.selectTokens(ctx, s, mb.samples, ents, logps, sums, "mini", mb.epoch, mb.index)
	return err
}

// selectMicrosOld weighs each micro-batch's tokens on its own, on the old
// policy's entropies, before the first trains.
func (t *Trainer) selectMicrosOld(ctx context.Context, s stepSettings, mb *miniBatch, sums means) error {
	for k, r := range mb.micros {
		micro := mb.micro(k)
		w, err := t.selectTokens(ctx, s, micro, oldEntropies(micro), oldLogps(micro), sums, "micro", mb.epoch, mb.index, k)
		if err != nil {
			return err
		}
		mb.setWeights(r[0], w)
	}
	return nil
}

// selectMicroCurrent weighs micro-batch k's tokens on the current policy's
// entropies, from the Forward it trains with (the paper's released code).
func (t *Trainer) selectMicroCurrent(ctx context.Context, s stepSettings, mb *miniBatch, k int, f backend.ForwardResponse, sums means) error {
	w, err := t.selectTokens(ctx, s, mb.micro(k), f.Entropies, f.LogProbs, sums, "micro", mb.epoch, mb.index, k)
	if err != nil {
		return err
	}
	mb.setWeights(mb.micros[k][0], w)
	return nil
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
