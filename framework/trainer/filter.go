package trainer

import (
	"context"

	"github.com/forkrl/forkrl/framework/hooks"
	"github.com/forkrl/forkrl/kernels/reward"
)

// filterGroups is dynamic sampling's filter: it keeps the groups whose
// rewards are not all equal (they carry no advantage), or what the recipe's
// keep_group hook decides. Without dynamic sampling every group is kept.
func (t *Trainer) filterGroups(ctx context.Context, step int, groups []*group) ([]*group, error) {
	if !t.alg.DynamicSampling {
		return groups, nil
	}
	var kept []*group
	for _, g := range groups {
		rewards := make([]float64, len(g.samples))
		rewards32 := make([]float32, len(g.samples))
		lengths := make([]int, len(g.samples))
		for i, s := range g.samples {
			rewards[i], rewards32[i], lengths[i] = s.reward, float32(s.reward), len(s.resp.Tokens)
		}
		keep, err := t.hooks.KeepGroup(ctx, step, hooks.Group{
			Problem: g.problem.Problem, Rewards: rewards, Lengths: lengths, Keep: reward.HasSignal(rewards32),
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
