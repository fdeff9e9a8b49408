// Package kernels is the numeric core of forkrl: pure functions over float32
// slices with no I/O and no dependency on the rest of the project.
//
//   - kernels/vecmath: vectorised exp and softmax statistics (Go assembly on
//     amd64, chosen at run time; pure Go under the noasm build tag).
//   - kernels/logits: entropy and log-prob of the chosen token from logits,
//     and their gradient with respect to the logits.
//   - kernels/selection: top-ρ, bottom-ρ, random-ρ and all-token selection
//     over a ragged batch, under the topk and quantile rules.
//   - kernels/loss: PPO clipped surrogate (clip-higher, dual clip) with token
//     weights, aggregation modes and denominators; KL estimators; entropy
//     bonus; clipped value loss.
//   - kernels/advantage: GRPO, Dr.GRPO, RLOO, REINFORCE++ and GAE.
//   - kernels/reward: DAPO's overlong shaping and the dynamic-sampling filter.
//   - kernels/estimate: avg@k and the unbiased pass@k estimator.
package kernels
