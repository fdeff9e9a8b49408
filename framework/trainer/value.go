package trainer

import (
	"github.com/forkrl/forkrl/framework/pluginapi/backend"
	"github.com/forkrl/forkrl/kernels/loss"
)

// valueGradient is the gradient of PPO's clipped value loss with respect to
// the value head's outputs on a micro-batch, scaled by the value
// coefficient; tokens is the mini-batch's token count (the loss's
// denominator) and micros the number of its micro-batches.
func (t *Trainer) valueGradient(v loss.Value, coef float64, micro []*sample, f backend.ForwardResponse, tokens float64, micros int, acc means) [][]float32 {
	v.TokenCount = tokens
	grad := make([][]float32, len(micro))
	old := make([][]float32, len(micro))
	returns := make([][]float32, len(micro))
	for i, s := range micro {
		grad[i] = make([]float32, len(s.resp.Tokens))
		old[i], returns[i] = s.oldValues, s.returns
	}
	met := v.Compute(grad, f.Values, old, returns, nil)
	for _, row := range grad {
		for j := range row {
			row[j] *= float32(coef)
		}
	}
	acc.add("critic/vf_loss", met.Loss*float64(micros), 1)
	acc.add("critic/vf_clipfrac", met.ClipFrac, float64(met.Tokens))
	return grad
}
