package trainer

import (
	"context"
	mrand "math/rand/v2"

	"github.com/forkrl/forkrl/framework/pluginapi/backend"
	"github.com/forkrl/forkrl/framework/pluginapi/selector"
	"github.com/forkrl/forkrl/framework/recipe"
	"github.com/forkrl/forkrl/framework/seeds"
	"github.com/forkrl/forkrl/kernels/loss"
)

// update trains the policy on a step's samples: Epochs passes, each over
// mini-batches of MiniBatchSize responses in a seeded order, one optimizer
// Step per mini-batch.
func (t *Trainer) update(ctx context.Context, s stepSettings, ss []*sample, sums means) error {
	obj, err := t.objective(s)
	if err != nil {
		return err
	}
	var stepWeights [][]float32
	if t.selects() && t.alg.SelectScope == selector.ScopeStep {
		if stepWeights, err = t.selectTokens(ctx, s, ss, oldEntropies(ss), oldLogps(ss), sums, "step"); err != nil {
			return err
		}
	}
	size := t.hp.MiniBatchSize
	if size <= 0 {
		size = len(ss)
	}
	for epoch := range max(t.alg.Epochs, 1) {
		order := t.updateOrder(s.step, epoch, len(ss))
		for mi, lo := 0, 0; lo < len(order); mi, lo = mi+1, lo+size {
			idx := order[lo:min(lo+size, len(order))]
			mini := make([]*sample, len(idx))
			var weights [][]float32
			if stepWeights != nil {
				weights = make([][]float32, len(idx))
			}
			for k, i := range idx {
				mini[k] = ss[i]
				if stepWeights != nil {
					weights[k] = stepWeights[i]
				}
			}
			if err := t.updateMiniBatch(ctx, s, obj, mini, weights, sums, epoch, mi); err != nil {
				return err
			}
		}
	}
	return nil
}

// updateOrder is the order in which an epoch visits a step's samples: as
// collected for a single pass of a single mini-batch, else a seeded shuffle.
func (t *Trainer) updateOrder(step, epoch, n int) []int {
	if (n <= t.hp.MiniBatchSize || t.hp.MiniBatchSize <= 0) && max(t.alg.Epochs, 1) == 1 {
		order := make([]int, n)
		for i := range order {
			order[i] = i
		}
		return order
	}
	return mrand.New(mrand.NewPCG(seeds.Stream(t.cfg.Seed, "minibatch", step, epoch), 0)).Perm(n)
}

// objective is what one micro-batch's loss is made of.
type objective struct {
	policy     loss.Policy
	value      *loss.Value // PPO: the value loss of the policy's value head
	sft        bool        // dL/dlogp = −1/N on reference tokens
	policyOff  bool        // PPO's critic warm-up: only the value loss trains
	valueCoef  float64
	withValues bool
}

// updateMiniBatch is one optimizer step: Forward → selector → loss →
// Backward for each micro-batch, then Step.
func (t *Trainer) updateMiniBatch(ctx context.Context, s stepSettings, obj objective, mini []*sample, weights [][]float32, sums means, epoch, mi int) error {
	micros := splitEvery(len(mini), max(t.hp.MicroBatchSize, 1))
	if obj.policyOff && t.critic != nil {
		return t.updateCritic(ctx, s, *obj.value, mini, micros, sums)
	}
	fwds := make([]backend.ForwardResponse, len(micros))
	// With mini-batch scope on the current policy's entropies, every
	// micro-batch is forwarded before any selection.
	held := t.selects() && t.alg.SelectScope == selector.ScopeMini && t.alg.SelectEntropy == recipe.EntropyCurrent
	var err error
	switch {
	case held:
		var ents, logps [][]float32
		for k, r := range micros {
			if fwds[k], err = t.forward(ctx, s, mini[r[0]:r[1]], obj.withValues); err != nil {
				return err
			}
			ents, logps = append(ents, fwds[k].Entropies...), append(logps, fwds[k].LogProbs...)
		}
		if weights, err = t.selectTokens(ctx, s, mini, ents, logps, sums, "mini", epoch, mi); err != nil {
			return err
		}
	case t.selects() && t.alg.SelectScope == selector.ScopeMini:
		if weights, err = t.selectTokens(ctx, s, mini, oldEntropies(mini), oldLogps(mini), sums, "mini", epoch, mi); err != nil {
			return err
		}
	}
	pol := obj.policy
	pol.SeqCount = float64(len(mini))
	pol.TokenCount = tokenCount(mini, weights, pol.Denominator)
	allTokens := tokenCount(mini, nil, loss.AllTokens)
	pol.ValidTokenCount = allTokens // KL and entropy terms average over every valid token
	for k, r := range micros {
		micro := mini[r[0]:r[1]]
		if !held {
			if fwds[k], err = t.forward(ctx, s, micro, obj.withValues); err != nil {
				return err
			}
		}
		f := fwds[k]
		var w [][]float32
		if weights != nil {
			w = weights[r[0]:r[1]]
		}
		p := pol
		if t.selects() && t.alg.SelectScope == selector.ScopeMicro {
			ents, logps := f.Entropies, f.LogProbs
			if t.alg.SelectEntropy == recipe.EntropyOld {
				ents, logps = oldEntropies(micro), oldLogps(micro)
			}
			if w, err = t.selectTokens(ctx, s, micro, ents, logps, sums, "micro", epoch, mi, k); err != nil {
				return err
			}
			// As in the paper's released code: the micro-batch's own
			// selected tokens, averaged over the mini-batch's micro-batches.
			p.TokenCount = tokenCount(micro, w, p.Denominator) * float64(len(micros))
		}
		sums.add("select/denominator", p.TokenCount, 1)
		req := backend.BackwardRequest{Handle: f.Handle}
		switch {
		case obj.sft:
			req.GradLogProbs = sftGradient(f.LogProbs, f.Entropies, allTokens, len(micros), sums)
		default:
			g := loss.NewGrad(f.LogProbs)
			met := p.Compute(g, t.lossBatch(micro, f, w))
			logPolicyMetrics(sums, met, len(micros))
			req.GradLogProbs = g.Logp
			if p.EntropyCoef != 0 {
				req.GradEntropies = g.Entropy
			}
			if obj.policyOff {
				zero(req.GradLogProbs)
				req.GradEntropies = nil
			}
		}
		if obj.value != nil && t.critic == nil {
			req.GradValues = t.valueGradient(*obj.value, obj.valueCoef, micro, f.Values, allTokens, len(micros), sums)
		}
		resp, err := t.policy.Backward(ctx, req)
		if err != nil {
			return err
		}
		if err := diagErr(backendName(t.alg.Policy), resp.Diagnostics); err != nil {
			return err
		}
		if obj.value != nil && t.critic != nil {
			if err := t.trainCritic(ctx, s, *obj.value, micro, allTokens, len(micros), sums); err != nil {
				return err
			}
		}
		for _, smp := range micro {
			t.state.TokensTrained += int64(len(smp.resp.Tokens))
		}
	}
	if obj.value != nil && t.critic != nil {
		if err := t.stepModel(ctx, t.critic, t.alg.Critic, s, "critic", sums); err != nil {
			return err
		}
	}
	return t.stepModel(ctx, t.policy, t.alg.Policy, s, "actor", sums)
}

// forward runs the policy's Forward on the samples of a micro-batch.
func (t *Trainer) forward(ctx context.Context, s stepSettings, micro []*sample, withValues bool) (backend.ForwardResponse, error) {
	f, err := t.policy.Forward(ctx, backend.ScoreRequest{Sequences: sequences(micro), Temperature: float32(s.temperature), WithValues: withValues})
	if err != nil {
		return f, err
	}
	if err := diagErr(backendName(t.alg.Policy), f.Diagnostics); err != nil {
		return f, err
	}
	if len(f.LogProbs) != len(micro) || (withValues && len(f.Values) != len(micro)) {
		return f, pluginErrorf(backendName(t.alg.Policy), "Forward returned values for %d sequences, sent %d", len(f.LogProbs), len(micro))
	}
	for i, smp := range micro {
		if len(f.LogProbs[i]) != len(smp.resp.Tokens) || len(f.Entropies[i]) != len(smp.resp.Tokens) {
			return f, pluginErrorf(backendName(t.alg.Policy), "Forward returned %d log-probs for a response of %d tokens", len(f.LogProbs[i]), len(smp.resp.Tokens))
		}
	}
	return f, nil
}

// lossBatch assembles the loss kernel's view of a micro-batch.
func (t *Trainer) lossBatch(micro []*sample, f backend.ForwardResponse, w [][]float32) loss.Batch {
	b := loss.Batch{Logp: f.LogProbs, Entropy: f.Entropies, Weight: w, Advantage: make([][]float32, len(micro))}
	for i, smp := range micro {
		b.Advantage[i] = smp.adv
	}
	if micro[0].oldLogp != nil {
		b.OldLogp = oldLogps(micro)
	}
	if micro[0].refLogp != nil {
		b.RefLogp = make([][]float32, len(micro))
		for i, smp := range micro {
			b.RefLogp[i] = smp.refLogp
		}
	}
	return b
}

// stepModel applies a model's accumulated gradients and logs, under the
// metric prefix, their norm before clipping (grad_norm) and the fraction of
// optimizer steps in which max_grad_norm clipped it (grad_clipped): with the
// "all" denominator a top-ρ arm's gradients are about ρ times smaller, so
// clipping may act on some arms and not on others.
func (t *Trainer) stepModel(ctx context.Context, b backend.Backend, label string, s stepSettings, prefix string, sums means) error {
	resp, err := b.Step(ctx, backend.StepRequest{
		LearningRate: s.lr, Beta1: t.hp.Beta1, Beta2: t.hp.Beta2, Epsilon: t.hp.Epsilon,
		WeightDecay: t.hp.WeightDecay, MaxGradNorm: t.hp.MaxGradNorm,
	})
	if err != nil {
		return err
	}
	if err := diagErr(backendName(label), resp.Diagnostics); err != nil {
		return err
	}
	sums.add(prefix+"/grad_norm", resp.GradNorm, 1)
	clipped := 0.0
	if t.hp.MaxGradNorm > 0 && resp.GradNorm > t.hp.MaxGradNorm {
		clipped = 1
	}
	sums.add(prefix+"/grad_clipped", clipped, 1)
	return nil
}

// logPolicyMetrics adds a micro-batch's loss metrics to the step's means.
// The losses of a mini-batch's micros micro-batches add up to the
// mini-batch's loss, so each counts micros times towards the mean over
// mini-batches.
func logPolicyMetrics(sums means, met loss.Metrics, micros int) {
	tokens := float64(met.Tokens)
	sums.add("actor/pg_loss", met.PolicyLoss*float64(micros), 1)
	sums.add("actor/pg_clipfrac", met.ClipFrac, tokens)
	sums.add("actor/pg_clipfrac_lower", met.DualClipFrac, tokens)
	sums.add("actor/ppo_kl", met.ApproxKL, tokens)
	sums.add("actor/entropy", met.EntropyAll, tokens)
	sums.add("actor/kl_loss", met.KL*float64(micros), 1)
	sums.add("select/fraction", met.FracSelected, tokens)
	sums.add("select/entropy_all", met.EntropyAll, tokens)
	sums.add("select/entropy_selected", met.EntropySelected, met.Selected)
	sums.add("select/clipfrac_selected", met.ClipFracSelected, met.Selected)
}

// tokenCount is the token-mean denominator of a set of samples: all their
// response tokens, or the sum of the selector's weights.
func tokenCount(ss []*sample, weights [][]float32, d loss.Denominator) float64 {
	var n float64
	for i, smp := range ss {
		if d == loss.SelectedTokens && weights != nil {
			for _, w := range weights[i] {
				n += float64(w)
			}
		} else {
			n += float64(len(smp.resp.Tokens))
		}
	}
	return n
}

// splitEvery cuts [0, n) into consecutive ranges of at most size elements.
func splitEvery(n, size int) [][2]int {
	var out [][2]int
	for lo := 0; lo < n; lo += size {
		out = append(out, [2]int{lo, min(lo+size, n)})
	}
	return out
}

func oldEntropies(ss []*sample) [][]float32 {
	out := make([][]float32, len(ss))
	for i, s := range ss {
		out[i] = s.oldEntropy
	}
	return out
}

func oldLogps(ss []*sample) [][]float32 {
	out := make([][]float32, len(ss))
	for i, s := range ss {
		out[i] = s.oldLogp
	}
	return out
}

func zero(xs [][]float32) {
	for _, r := range xs {
		clear(r)
	}
}
