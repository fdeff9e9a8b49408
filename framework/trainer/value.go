package trainer

import (
	"context"

	"github.com/forkrl/forkrl/framework/pluginapi/backend"
	"github.com/forkrl/forkrl/framework/recipe"
	"github.com/forkrl/forkrl/kernels/loss"
)

// valueHead reports whether PPO's values come from the policy's value head:
// GAE without a separate critic. The policy's Forward then returns values,
// and its Backward takes the value loss's gradient.
func (t *Trainer) valueHead() bool {
	return t.alg.Advantage == recipe.AdvantageGAE && t.critic == nil
}

// valueGradient is the gradient of PPO's clipped value loss with respect to
// the predicted values of a micro-batch, scaled by coef; tokens is the
// mini-batch's token count (the loss's denominator) and micros the number of
// its micro-batches.
func valueGradient(v *loss.Value, coef float64, micro []*sample, values [][]float32, tokens float64, micros int, sums means) [][]float32 {
	vl := *v
	vl.TokenCount = tokens
	grad := make([][]float32, len(micro))
	old := make([][]float32, len(micro))
	returns := make([][]float32, len(micro))
	for i, s := range micro {
		grad[i] = make([]float32, len(s.resp.Tokens))
		old[i], returns[i] = s.oldValues, s.returns
	}
	met := vl.Compute(grad, values, old, returns, nil)
	for _, row := range grad {
		for j := range row {
			row[j] *= float32(coef)
		}
	}
	sums.add("critic/vf_loss", met.Loss*float64(micros), 1)
	sums.add("critic/vf_clipfrac", met.ClipFrac, float64(met.Tokens))
	return grad
}

// trainCritic runs the critic backend's Forward and Backward on a
// micro-batch with the value loss; its Step follows the mini-batch.
func (t *Trainer) trainCritic(ctx context.Context, s stepSettings, v *loss.Value, micro []*sample, tokens float64, micros int, sums means) error {
	who := backendName(t.alg.Critic)
	f, err := t.critic.Forward(ctx, backend.ScoreRequest{Sequences: sequences(micro), Temperature: float32(s.temperature), WithValues: true})
	if err != nil {
		return err
	}
	if err := diagErr(who, f.Diagnostics); err != nil {
		return err
	}
	if len(f.Values) != len(micro) {
		return pluginErrorf(who, "Forward returned values for %d sequences, sent %d", len(f.Values), len(micro))
	}
	for i, smp := range micro {
		if len(f.Values[i]) != len(smp.resp.Tokens) {
			return pluginErrorf(who, "Forward returned %d values for a response of %d tokens", len(f.Values[i]), len(smp.resp.Tokens))
		}
	}
	req := backend.BackwardRequest{Handle: f.Handle, GradLogProbs: make([][]float32, len(micro))}
	for i, smp := range micro {
		req.GradLogProbs[i] = make([]float32, len(smp.resp.Tokens))
	}
	req.GradValues = valueGradient(v, 1, micro, f.Values, tokens, micros, sums)
	return t.backward(ctx, t.critic, t.alg.Critic, req)
}

// warmUpCritic is a mini-batch of PPO's critic warm-up with a separate
// critic: only the critic trains, and the policy is left untouched.
func (t *Trainer) warmUpCritic(ctx context.Context, s stepSettings, v *loss.Value, mb *miniBatch, sums means) error {
	tokens := tokenCount(mb.samples, nil, loss.AllTokens)
	for k := range mb.micros {
		if err := t.trainCritic(ctx, s, v, mb.micro(k), tokens, len(mb.micros), sums); err != nil {
			return err
		}
	}
	return t.stepModel(ctx, t.critic, t.alg.Critic, s, "critic", sums)
}
