package trainer

import (
	"github.com/forkrl/forkrl/framework/recipe"
	"github.com/forkrl/forkrl/kernels/advantage"
)

// grpoEpsilon is added to the group's standard deviation (verl's default).
const grpoEpsilon = 1e-6

// advantages computes each sample's per-token advantage: a group baseline
// (GRPO, Dr.GRPO, RLOO) broadcast over the response, or GAE with the
// critic's values and whitening for PPO (which also sets the value targets).
// klCoef is the step's KL coefficient, for a KL penalty in the reward.
func (t *Trainer) advantages(groups []*group, klCoef float64) {
	var ss []*sample
	var sizes []int
	for _, g := range groups {
		ss = append(ss, g.samples...)
		sizes = append(sizes, len(g.samples))
	}
	if t.alg.Advantage == recipe.AdvantageGAE {
		t.gae(ss, klCoef)
		return
	}
	rewards := make([]float32, len(ss))
	for i, s := range ss {
		rewards[i] = float32(s.reward)
	}
	adv := make([]float32, len(ss))
	switch t.alg.Advantage {
	case recipe.AdvantageDrGRPO:
		advantage.DrGRPO(adv, rewards, sizes)
	case recipe.AdvantageRLOO:
		advantage.RLOO(adv, rewards, sizes)
	default:
		advantage.GRPO(adv, rewards, sizes, grpoEpsilon)
	}
	for i, s := range ss {
		s.adv = make([]float32, len(s.resp.Tokens))
		for j := range s.adv {
			s.adv[j] = adv[i]
		}
	}
}

// gae computes PPO's advantages and returns: the outcome reward on the last
// token (minus the KL penalty on every token when it goes in the reward,
// by the recipe's kl_estimator as verl does), GAE over the old values, then
// whitening over the batch.
func (t *Trainer) gae(ss []*sample, klCoef float64) {
	rewards := make([][]float32, len(ss))
	values := make([][]float32, len(ss))
	adv := make([][]float32, len(ss))
	returns := make([][]float32, len(ss))
	for i, s := range ss {
		n := len(s.resp.Tokens)
		rewards[i] = make([]float32, n)
		if n > 0 {
			rewards[i][n-1] = float32(s.reward)
		}
		if s.refLogp != nil && t.alg.KLPenalty == recipe.KLInReward {
			for j := range rewards[i] {
				kl, _ := t.losses.kl.Value(float64(s.oldLogp[j]), float64(s.refLogp[j]))
				rewards[i][j] -= float32(klCoef * kl)
			}
		}
		values[i] = s.oldValues
		adv[i], returns[i] = make([]float32, n), make([]float32, n)
	}
	advantage.GAE(adv, returns, rewards, values, nil, t.alg.Gamma, t.alg.Lambda)
	advantage.Whiten(adv, adv, nil, true)
	for i, s := range ss {
		s.adv, s.returns = adv[i], returns[i]
	}
}
