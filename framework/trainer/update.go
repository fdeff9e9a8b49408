package trainer

import (
	"context"
	mrand "math/rand/v2"

	"github.com/forkrl/forkrl/framework/pluginapi/backend"
	"github.com/forkrl/forkrl/framework/recipe"
	"github.com/forkrl/forkrl/framework/seeds"
	"github.com/forkrl/forkrl/kernels/loss"
)

// update trains the policy on a step's samples: Epochs passes, each over
// mini-batches of MiniBatchSize responses in a seeded order, one optimizer
// Step per mini-batch.
func (t *Trainer) update(ctx context.Context, s stepSettings, ss []*sample, sums means) error {
	obj := t.objective(s)
	if err := t.scope.step(ctx, s, ss, sums); err != nil {
		return err
	}
	size := t.hp.MiniBatchSize
	if size <= 0 {
		size = len(ss)
	}
	for epoch := range max(t.alg.Epochs, 1) {
		order := t.updateOrder(s.step, epoch, len(ss))
		for mi, lo := 0, 0; lo < len(order); mi, lo = mi+1, lo+size {
			mb := &miniBatch{epoch: epoch, index: mi}
			for _, i := range order[lo:min(lo+size, len(order))] {
				mb.samples = append(mb.samples, ss[i])
			}
			mb.micros = splitEvery(len(mb.samples), max(t.hp.MicroBatchSize, 1))
			if err := t.updateMiniBatch(ctx, s, obj, mb, sums); err != nil {
				return err
			}
		}
	}
	return nil
}

// updateMiniBatch is one optimizer step, the algorithm itself: the tokens'
// weights, then for each micro-batch Forward → loss → Backward, then Step.
// During PPO's warm-up of a separate critic only the critic trains.
func (t *Trainer) updateMiniBatch(ctx context.Context, s stepSettings, obj objective, mb *miniBatch, sums means) error {
	if obj.criticWarmup && t.critic != nil {
		return t.warmUpCritic(ctx, s, obj.value, mb, sums)
	}
	if err := t.scope.mini(ctx, s, mb, sums); err != nil {
		return err
	}
	pol := obj.policy
	pol.SeqCount = float64(len(mb.samples))
	pol.TokenCount = tokenCount(mb.samples, mb.weights, pol.Denominator)
	pol.ValidTokenCount = tokenCount(mb.samples, nil, loss.AllTokens) // KL and entropy terms average over every valid token
	for k := range mb.micros {
		micro := mb.micro(k)
		f, err := t.forwardMicro(ctx, s, mb, k)
		if err != nil {
			return err
		}
		if err := t.scope.micro(ctx, s, mb, k, f, sums); err != nil {
			return err
		}
		w := mb.microWeights(k)
		p := pol
		if t.scope.perMicro {
			// As in the paper's released code: the micro-batch's own
			// selected tokens, averaged over the mini-batch's micro-batches.
			p.TokenCount = tokenCount(micro, w, p.Denominator) * float64(len(mb.micros))
		}
		sums.add("select/denominator", p.TokenCount, 1)
		req := backend.BackwardRequest{Handle: f.Handle}
		req.GradLogProbs, req.GradEntropies = t.policyGradient(obj, p, micro, f, w, len(mb.micros), sums)
		if t.valueHead() {
			req.GradValues = valueGradient(obj.value, obj.valueCoef, micro, f.Values, pol.ValidTokenCount, len(mb.micros), sums)
		}
		if err := t.backward(ctx, t.policy, t.alg.Policy, req); err != nil {
			return err
		}
		if t.critic != nil && obj.value != nil {
			if err := t.trainCritic(ctx, s, obj.value, micro, pol.ValidTokenCount, len(mb.micros), sums); err != nil {
				return err
			}
		}
		for _, smp := range micro {
			t.state.TokensTrained += int64(len(smp.resp.Tokens))
		}
	}
	if t.critic != nil && obj.value != nil {
		if err := t.stepModel(ctx, t.critic, t.alg.Critic, s, "critic", sums); err != nil {
			return err
		}
	}
	return t.stepModel(ctx, t.policy, t.alg.Policy, s, "actor", sums)
}

// miniBatch is the samples of one optimizer step, cut into micro-batches,
// with the weights the selection gave their tokens.
type miniBatch struct {
	samples      []*sample
	micros       [][2]int // the micro-batches, as ranges of samples
	epoch, index int      // the epoch and the mini-batch's place in it
	// weights holds a weight per token of each sample (nil: every token
	// weighs 1), set by the scope before or as each micro-batch trains.
	weights [][]float32
	// forwards holds each micro-batch's Forward when the selection needed
	// them all before the first Backward; nil: forwarded as each trains.
	forwards []backend.ForwardResponse
}

// micro returns the samples of micro-batch k.
func (mb *miniBatch) micro(k int) []*sample {
	return mb.samples[mb.micros[k][0]:mb.micros[k][1]]
}

// microWeights returns the weights of micro-batch k; nil: all tokens.
func (mb *miniBatch) microWeights(k int) [][]float32 {
	if mb.weights == nil {
		return nil
	}
	return mb.weights[mb.micros[k][0]:mb.micros[k][1]]
}

// setWeights sets the weights of the samples from index lo on.
func (mb *miniBatch) setWeights(lo int, w [][]float32) {
	if mb.weights == nil {
		mb.weights = make([][]float32, len(mb.samples))
	}
	copy(mb.weights[lo:], w)
}

// forwardMicro returns micro-batch k's Forward: the one the selection held,
// else a new one.
func (t *Trainer) forwardMicro(ctx context.Context, s stepSettings, mb *miniBatch, k int) (backend.ForwardResponse, error) {
	if mb.forwards != nil {
		return mb.forwards[k], nil
	}
	return t.forward(ctx, s, mb.micro(k))
}

// policyGradient returns the gradients of a micro-batch's policy loss with
// respect to its log-probs and entropies: supervised fine-tuning's negative
// log-likelihood of the reference tokens, or the policy-gradient loss p.
// During PPO's critic warm-up the policy loss is logged but its gradient
// is zero.
func (t *Trainer) policyGradient(obj objective, p loss.Policy, micro []*sample, f backend.ForwardResponse, w [][]float32, micros int, sums means) (logp, entropy [][]float32) {
	if obj.sft {
		return sftGradient(f.LogProbs, f.Entropies, p.ValidTokenCount, micros, sums), nil
	}
	g := loss.NewGrad(f.LogProbs)
	met := p.Compute(g, t.lossBatch(micro, f, w))
	logPolicyMetrics(sums, met, micros)
	switch {
	case obj.criticWarmup:
		zero(g.Logp)
		return g.Logp, nil
	case p.EntropyCoef != 0:
		return g.Logp, g.Entropy
	}
	return g.Logp, nil
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
	policy loss.Policy
	sft    bool // supervised: dL/dlogp = −1/N on reference tokens
	// value is PPO's value loss (of the policy's value head, or of the
	// critic), weighted valueCoef in the policy's loss; nil without GAE.
	value     *loss.Value
	valueCoef float64
	// criticWarmup: PPO's critic warm-up, in which only the value loss trains.
	criticWarmup bool
}

// lossKinds are the algorithm's loss names, parsed once when the trainer
// is built.
type lossKinds struct {
	agg loss.Aggregation
	den loss.Denominator
	kl  loss.Estimator // the KL estimator, when the run has a KL term
}

// parseLossKinds parses the algorithm's loss names: an empty loss_agg or
// loss_denominator is the default (token-mean over all tokens); a name the
// loss kernels do not know is an error.
func parseLossKinds(a recipe.Algorithm, kl bool) (lossKinds, error) {
	k := lossKinds{agg: loss.TokenMean, den: loss.AllTokens}
	var err error
	if a.LossAgg != "" {
		if k.agg, err = loss.ParseAggregation(a.LossAgg); err != nil {
			return k, err
		}
	}
	if a.LossDenominator != "" {
		if k.den, err = loss.ParseDenominator(a.LossDenominator); err != nil {
			return k, err
		}
	}
	if kl {
		if k.kl, err = loss.ParseEstimator(a.KLEstimator); err != nil {
			return k, err
		}
	}
	return k, nil
}

// prepareUpdate parses the loss names and chooses the selection scope, once
// when the trainer is built.
func (t *Trainer) prepareUpdate() error {
	var err error
	if t.losses, err = parseLossKinds(t.alg, t.ref != nil); err != nil {
		return err
	}
	t.scope = t.chooseScope()
	return nil
}

// objective is what the step's loss is made of, from the algorithm's
// settings and this step's schedule.
func (t *Trainer) objective(s stepSettings) objective {
	obj := objective{sft: t.alg.Supervised()}
	obj.policy = loss.Policy{
		ClipLow: s.clipLow, ClipHigh: s.clipHigh, DualClip: t.alg.DualClip,
		EntropyCoef: s.entropyCoef,
		Aggregate:   loss.Aggregate{Mode: t.losses.agg, Denominator: t.losses.den, NormLength: float64(t.hp.MaxResponseTokens)},
	}
	if t.ref != nil && t.alg.KLPenalty != recipe.KLInReward {
		obj.policy.KLCoef, obj.policy.KL = s.klCoef, t.losses.kl
	}
	if t.alg.Advantage == recipe.AdvantageGAE {
		obj.value = &loss.Value{ClipRange: t.alg.ValueClip, Aggregate: loss.Aggregate{Mode: loss.TokenMean}}
		obj.valueCoef = t.alg.ValueCoef
		obj.criticWarmup = s.step <= t.alg.CriticWarmupSteps
	}
	return obj
}

// forward runs the policy's Forward on the samples of a micro-batch, with
// the value head's values when PPO's values come from it.
func (t *Trainer) forward(ctx context.Context, s stepSettings, micro []*sample) (backend.ForwardResponse, error) {
	withValues := t.valueHead()
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

// backward runs a backend's Backward.
func (t *Trainer) backward(ctx context.Context, b backend.Backend, label string, req backend.BackwardRequest) error {
	resp, err := b.Backward(ctx, req)
	if err != nil {
		return err
	}
	return diagErr(backendName(label), resp.Diagnostics)
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
