package trainer

import (
	"context"

	"github.com/forkrl/forkrl/framework/hooks"
	"github.com/forkrl/forkrl/framework/pluginapi/verifier"
	"github.com/forkrl/forkrl/framework/rollout"
	"github.com/forkrl/forkrl/kernels/reward"
)

// verify scores the samples of a dataset with its verifier: the verifier's
// reward, whether it accepted the answer, and the answer it parsed.
func (t *Trainer) verify(ctx context.Context, ds *Dataset, ss []*sample) error {
	items := make([]verifier.Item, len(ss))
	for i, s := range ss {
		items[i] = rollout.Item(s.problem, s.text)
	}
	results, err := rollout.Verify(ctx, t.verifiers[ds.Name], verifierName(ds.Verifier), items)
	if err != nil {
		return err
	}
	for i, s := range ss {
		r := results[i]
		s.score, s.answer, s.correct = r.Reward, r.Answer, r.Reward > 0
		s.reward = r.Reward
	}
	return nil
}

// shapeRewards turns the verifier's rewards into the rewards trained on:
// the recipe's reward hook (which sees the verifier's reward), plus DAPO's
// soft overlong punishment.
func (t *Trainer) shapeRewards(ctx context.Context, step int, ss []*sample) error {
	for _, s := range ss {
		r, err := t.hooks.Reward(ctx, step, hooks.Sample{
			Problem: s.problem.Problem, Response: s.text, Tokens: len(s.resp.Tokens),
			Finish: s.resp.Finish, Reward: s.score, Answer: s.answer,
		})
		if err != nil {
			return err
		}
		s.reward = r
		if t.alg.Overlong {
			s.reward += reward.Overlong{MaxLength: t.alg.OverlongLength, Buffer: t.alg.OverlongBuffer, Factor: t.alg.OverlongPenalty}.Penalty(len(s.resp.Tokens))
		}
	}
	return nil
}
