package trainer

import (
	"context"

	"github.com/forkrl/forkrl/framework/pluginapi/backend"
	"github.com/forkrl/forkrl/kernels/loss"
)

// valueGradient is the gradient of PPO's clipped value loss with respect to
// the predicted values of a micro-batch, scaled by coef; tokens is the
// mini-batch's token count (the loss's denominator) and micros the number of
// its micro-batches.
func (t *Trainer) valueGradient(v loss.Value, coef float64, micro []*sample, values [][]float32, tokens float64, micros int, sums means) [][]float32 {
	v.TokenCount = tokens
	grad := make([][]float32, len(micro))
	old := make([][]float32, len(micro))
	returns := make([][]float32, len(micro))
	for i, s := range micro {
		grad[i] = make([]float32, len(s.resp.Tokens))
		old[i], returns[i] = s.oldValues, s.returns
	}
	met := v.Compute(grad, values, old, returns, nil)
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
func (t *Trainer) trainCritic(ctx context.Context, s stepSettings, v loss.Value, micro []*sample, tokens float64, micros int, sums means) error {
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
	req.GradValues = t.valueGradient(v, 1, micro, f.Values, tokens, micros, sums)
	resp, err := t.critic.Backward(ctx, req)
	if err != nil {
		return err
	}
	return diagErr(who, resp.Diagnostics)
}

// updateCritic is a mini-batch of PPO's critic warm-up with a separate
// critic: only the critic trains, and the policy is left untouched.
func (t *Trainer) updateCritic(ctx context.Context, s stepSettings, v loss.Value, mini []*sample, micros [][2]int, sums means) error {
	tokens := tokenCount(mini, nil, loss.AllTokens)
	for _, r := range micros {
		if err := t.trainCritic(ctx, s, v, mini[r[0]:r[1]], tokens, len(micros), sums); err != nil {
			return err
		}
	}
	return t.stepModel(ctx, t.critic, t.alg.Critic, s, "critic", sums)
}
