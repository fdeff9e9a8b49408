package trainer

import (
	"context"

	"github.com/forkrl/forkrl/framework/pluginapi/backend"
	"github.com/forkrl/forkrl/framework/recipe"
)

// score is the scoring pass before the update: the old policy's log-probs
// and entropies (needed when the update is off-policy — several mini-batches
// or epochs — or when selection uses the old policy's entropies), the
// critic's values for GAE, and the KL reference's log-probs. When the update
// is a single on-policy pass nothing is scored: the ratio is exactly 1 —
// unless the KL penalty goes in the reward, which reads the old log-probs.
//
// When the rollout sampled from the policy's own distribution at the
// training temperature (no nucleus truncation), the sampler's log-probs and
// entropies are the old policy's, and the policy is not scored again.
func (t *Trainer) score(ctx context.Context, s stepSettings, ss []*sample) error {
	gae := t.alg.Advantage == recipe.AdvantageGAE
	offPolicy := (t.hp.MiniBatchSize > 0 && len(ss) > t.hp.MiniBatchSize) || max(t.alg.Epochs, 1) > 1
	oldEntropy := t.selects() && t.alg.SelectEntropy == recipe.EntropyOld
	klInReward := t.ref != nil && t.alg.KLPenalty == recipe.KLInReward
	needOld := offPolicy || oldEntropy || klInReward
	if needOld && !gae && t.rolloutIsPolicy() {
		for _, smp := range ss {
			smp.oldLogp, smp.oldEntropy = smp.resp.LogProbs, smp.resp.Entropies
		}
		needOld = false
	}
	if needOld || (gae && t.critic == nil) {
		err := t.scoreWith(ctx, t.policy, t.alg.Policy, s, ss, gae && t.critic == nil, func(smp *sample, lp, h, v []float32) {
			smp.oldLogp, smp.oldEntropy, smp.oldValues = lp, h, v
		})
		if err != nil {
			return err
		}
	}
	if gae && t.critic != nil {
		err := t.scoreWith(ctx, t.critic, t.alg.Critic, s, ss, true, func(smp *sample, _, _, v []float32) { smp.oldValues = v })
		if err != nil {
			return err
		}
	}
	if t.ref != nil {
		label, _, _ := ReferenceLabel(t.cfg)
		err := t.scoreWith(ctx, t.ref, label, s, ss, false, func(smp *sample, lp, _, _ []float32) { smp.refLogp = lp })
		if err != nil {
			return err
		}
	}
	return nil
}

// scoreWith runs a backend's Score over the samples, micro-batch by
// micro-batch, and hands each sample's values to keep.
func (t *Trainer) scoreWith(ctx context.Context, b backend.Backend, label string, s stepSettings, ss []*sample, values bool, keep func(smp *sample, logp, entropy, value []float32)) error {
	for _, r := range splitEvery(len(ss), max(t.hp.MicroBatchSize, 1)) {
		part := ss[r[0]:r[1]]
		resp, err := b.Score(ctx, backend.ScoreRequest{Sequences: sequences(part), Temperature: float32(s.temperature), WithValues: values})
		if err != nil {
			return err
		}
		if err := diagErr(backendName(label), resp.Diagnostics); err != nil {
			return err
		}
		if len(resp.LogProbs) != len(part) || (values && len(resp.Values) != len(part)) {
			return pluginErrorf(backendName(label), "Score returned values for %d sequences, sent %d", len(resp.LogProbs), len(part))
		}
		for i, smp := range part {
			var v []float32
			if values {
				v = resp.Values[i]
			}
			var h []float32
			if resp.Entropies != nil {
				h = resp.Entropies[i]
			}
			keep(smp, resp.LogProbs[i], h, v)
		}
	}
	return nil
}

// rolloutIsPolicy reports whether the rollout's log-probs are the policy's at
// the training temperature: sampling without nucleus truncation. SFT's
// reference responses were not sampled.
func (t *Trainer) rolloutIsPolicy() bool {
	return !t.alg.Supervised() && (t.hp.TopP == 0 || t.hp.TopP == 1)
}
