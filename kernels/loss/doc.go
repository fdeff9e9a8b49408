// Package loss computes the policy-gradient losses of PPO, GRPO and DAPO over
// a ragged micro-batch, with their gradients with respect to each token's
// log-prob and entropy, and the metrics a trainer logs.
//
// A trainer calls it once per micro-batch, between the backend's Forward and
// Backward:
//
//	b := loss.Batch{Logp: logp, OldLogp: old, Advantage: adv, Weight: w, Mask: m, Entropy: h}
//	g := loss.NewGrad(b.Logp) // or reuse one: Grad.Logp/Entropy are same-shaped [][]float32
//	met := cfg.Compute(g, b)  // cfg is a loss.Policy
//	backend.Backward(handle, g.Logp, g.Entropy)
//
// The loss is linear in per-token terms, L = Σ_i Σ_t c_it·ℓ_it, where the
// coefficients c_it come from the aggregation mode (see Aggregation) and the
// selector weights; Compute writes c_it·∂ℓ_it/∂logp_it and c_it·∂ℓ_it/∂H_it.
// When a mini-batch is split into micro-batches, set the Aggregate's
// TokenCount (valid or selected tokens, per Denominator), ValidTokenCount and
// SeqCount to the mini-batch totals: then the micro-batch losses and gradients
// add up to exactly the mini-batch's.
//
// The surrogate's inner loop (ratio, clips, weights, gradient and the metric
// sums) is one vectorised pass per response, vecmath.ClippedSurrogate.
//
// Conventions follow verl's core_algos (compute_policy_loss, agg_loss,
// kl_penalty, compute_value_loss), so numbers can be compared with it.
package loss
