package trainer

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/forkrl/forkrl/framework/recipe"
	"github.com/forkrl/forkrl/framework/rundir"
)

// step runs one training step, the loop of ARCHITECTURE.md, and returns
// its metrics line.
func (t *Trainer) step(ctx context.Context, step int) (rundir.Metrics, error) {
	m, sums := rundir.Metrics{}, means{}
	s, err := t.schedule(ctx, step)
	if err != nil {
		return nil, err
	}
	var groups []*group
	clock := time.Now()
	if t.alg.Supervised() {
		if groups, err = t.sftBatch(ctx); err != nil {
			return nil, err
		}
	} else {
		// Rollout → verify → filter, sampling more prompts until the batch
		// is full or dynamic sampling runs out of retries.
		var generated []*sample
		rounds := 0
		for round := 0; len(groups) < t.hp.PromptsPerStep; round++ {
			if round > 0 && (!t.alg.DynamicSampling || round > t.alg.DynamicSamplingMaxRetries) {
				break
			}
			more, err := t.rollout(ctx, s, round, t.refillSize(round, len(groups), len(generated)))
			if err != nil {
				return nil, err
			}
			drawn := samplesOf(more)
			if err := t.verify(ctx, t.train, drawn); err != nil {
				return nil, err
			}
			if err := t.shapeRewards(ctx, step, drawn); err != nil {
				return nil, err
			}
			kept, err := t.filterGroups(ctx, step, more)
			if err != nil {
				return nil, err
			}
			generated = append(generated, drawn...)
			groups = append(groups, kept...)
			rounds = round + 1
			m["dynamic_sampling/rounds"] = float64(rounds)
		}
		if t.alg.DynamicSamplingFirstRound == recipe.FirstRoundKeepRate && len(generated) > 0 {
			t.state.KeepRate = float64(len(groups)*t.hp.ResponsesPerPrompt) / float64(len(generated))
		}
		groups = groups[:min(len(groups), t.hp.PromptsPerStep)]
		logRollouts(m, generated, len(groups), t.hp.ResponsesPerPrompt)
		if t.alg.DynamicSampling {
			if groups, err = t.onExhausted(m, groups, rounds); err != nil {
				return nil, err
			}
		}
	}
	m["timing_s/gen"] = time.Since(clock).Seconds()
	ss := samplesOf(groups)
	if len(ss) > 0 {
		clock = time.Now()
		if err := t.score(ctx, s, ss); err != nil {
			return nil, err
		}
		m["timing_s/old_log_prob"] = time.Since(clock).Seconds()
		if !t.alg.Supervised() {
			t.advantages(groups, s.klCoef)
		}
		clock = time.Now()
		tokensBefore := t.state.TokensTrained
		if err := t.update(ctx, s, ss, sums); err != nil {
			return nil, err
		}
		m["timing_s/update_actor"] = time.Since(clock).Seconds()
		m["perf/throughput"] = float64(t.state.TokensTrained-tokensBefore) / max(time.Since(clock).Seconds(), 1e-9)
	}
	sums.into(m)
	logBatch(m, ss, !t.alg.Supervised())
	m["actor/lr"] = s.lr
	m["perf/total_tokens"] = float64(t.state.TokensTrained)
	if err := t.writeSamples(step, groups); err != nil {
		return nil, err
	}
	return m, nil
}

// onExhausted applies dynamic_sampling_on_exhausted when the generation
// rounds ran out before the batch was full, and logs dynamic_sampling/partial
// (1 for a partial batch, else 0; groups_kept is the prompts kept) and
// dynamic_sampling/skipped (1 when the step trains nothing for it). It
// returns the groups to train on.
func (t *Trainer) onExhausted(m rundir.Metrics, groups []*group, rounds int) ([]*group, error) {
	m["dynamic_sampling/partial"], m["dynamic_sampling/skipped"] = 0, 0
	if len(groups) >= t.hp.PromptsPerStep {
		return groups, nil
	}
	m["dynamic_sampling/partial"] = 1
	switch t.alg.DynamicSamplingOnExhausted {
	case recipe.ExhaustedError:
		return nil, fmt.Errorf("dynamic sampling kept %d of the %d prompts of the batch after %d generation rounds (dynamic_sampling_max_retries = %d): too few groups have rewards that differ; dynamic_sampling_on_exhausted = %q stops the run (%q trains on the partial batch, %q skips the step)",
			len(groups), t.hp.PromptsPerStep, rounds, t.alg.DynamicSamplingMaxRetries, recipe.ExhaustedError, recipe.ExhaustedTrain, recipe.ExhaustedSkip)
	case recipe.ExhaustedSkip:
		m["dynamic_sampling/skipped"] = 1
		return nil, nil
	}
	return groups, nil
}

// refillSize is the number of prompts a generation round draws: enough to
// fill the batch at the keep rate seen so far in the step, and in the first
// round the whole step's, or with dynamic_sampling_first_round = "keep_rate"
// enough at the previous step's keep rate. The keep rate counts as at least
// 0.1; a later round draws at most prompts_per_step.
func (t *Trainer) refillSize(round, kept, generated int) int {
	want := t.hp.PromptsPerStep - kept
	if round == 0 {
		if t.alg.DynamicSamplingFirstRound == recipe.FirstRoundKeepRate && t.state.KeepRate > 0 {
			return int(math.Ceil(float64(want) / max(t.state.KeepRate, 0.1)))
		}
		return want
	}
	if generated == 0 {
		return want
	}
	rate := max(float64(kept*t.hp.ResponsesPerPrompt)/float64(generated), 0.1)
	return min(int(math.Ceil(float64(want)/rate)), t.hp.PromptsPerStep)
}

// samplesOf returns the samples of groups, group after group.
func samplesOf(groups []*group) []*sample {
	var out []*sample
	for _, g := range groups {
		out = append(out, g.samples...)
	}
	return out
}

// logRollouts logs what the step generated before filtering, and what
// dynamic sampling kept.
func logRollouts(m rundir.Metrics, generated []*sample, keptGroups, groupSize int) {
	var correct, score float64
	for _, s := range generated {
		score += s.score
		if s.correct {
			correct++
		}
	}
	if n := float64(len(generated)); n > 0 {
		m["rollout/score/mean"], m["rollout/accuracy"] = score/n, correct/n
	}
	groups := len(generated) / max(groupSize, 1)
	m["dynamic_sampling/groups_generated"] = float64(groups)
	m["dynamic_sampling/groups_kept"] = float64(keptGroups)
	m["dynamic_sampling/groups_dropped"] = float64(groups - keptGroups)
}

// logBatch logs the trained batch in verl's names: response lengths, and
// for sampled responses their scores, rewards and advantages.
func logBatch(m rundir.Metrics, ss []*sample, sampled bool) {
	if len(ss) == 0 {
		return
	}
	score, reward, length, adv := make([]float64, len(ss)), make([]float64, len(ss)), make([]float64, len(ss)), []float64{}
	var correct, clipped float64
	for i, s := range ss {
		score[i], reward[i], length[i] = s.score, s.reward, float64(len(s.resp.Tokens))
		if s.correct {
			correct++
		}
		if s.resp.Finish != "stop" {
			clipped++
		}
		if len(s.adv) > 0 {
			adv = append(adv, float64(s.adv[0]))
		}
	}
	n := float64(len(ss))
	stats(m, "response_length", length)
	if !sampled {
		return
	}
	stats(m, "critic/score", score)
	stats(m, "critic/rewards", reward)
	stats(m, "critic/advantages", adv)
	m["critic/accuracy/mean"] = correct / n
	m["response_length/clip_ratio"] = clipped / n
}

// writeSamples writes the first rollouts of the step, as many as the recipe
// asks for, with their per-token entropies (sft has no rollouts).
func (t *Trainer) writeSamples(step int, groups []*group) error {
	n := t.cfg.Output.RolloutSamples
	if n <= 0 || t.alg.Supervised() {
		return nil
	}
	var out []rundir.Sample
	for gi, g := range groups {
		for _, s := range g.samples {
			if len(out) == n {
				break
			}
			adv := 0.0
			if len(s.adv) > 0 {
				adv = float64(s.adv[0])
			}
			out = append(out, rundir.Sample{
				Group: gi, Prompt: s.problem.Prompt, Response: s.text, Reward: s.reward, Advantage: adv,
				Finish: s.resp.Finish, Pieces: s.resp.Pieces, Entropies: s.resp.Entropies, Weights: s.weights,
			})
		}
	}
	if err := t.dir.WriteSamples(step, out); err != nil {
		return fmt.Errorf("writing rollout samples: %w", err)
	}
	return nil
}
