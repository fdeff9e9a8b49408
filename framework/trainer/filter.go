package trainer

import (
	"context"

	"github.com/forkrl/forkrl/framework/hooks"
	"github.com/forkrl/forkrl/kernels/reward"
)

// filterGroups is dynamic sampling's filter: it keeps the groups whose
// verifier rewards are not all equal — all right or all wrong carries no
// signal — as DAPO does (its filter reads accuracy, before overlong
// shaping), or what the recipe's keep_group hook decides given that verdict
// and the shaped rewards. Without dynamic sampling every group is kept.
func (t *Trainer) filterGroups(ctx context.Context, step int, groups []*group) ([]*group, error) {
	if !t.alg.DynamicSampling {
		return groups, nil
	}
	var kept []*group
	for _, g := range groups {
		rewards := make([]float64, len(g.samples))
		scores := make([]float32, len(g.samples))
		lengths := make([]int, len(g.samples))
		for i, s := range g.samples {
			rewards[i], scores[i], lengths[i] = s.reward, float32(s.score), len(s.resp.Tokens)
		}
		keep, err := t.hooks.KeepGroup(ctx, step, hooks.Group{
			Problem: g.problem.Problem, Rewards: rewards, Lengths: lengths, Keep: reward.HasSignal(scores),
		})
		if err != nil {
			return nil, err
		}
		if keep {
			kept = append(kept, g)
		}
	}
	return kept, nil
}
