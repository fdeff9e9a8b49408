package recipe

import (
	"fmt"
	"slices"

	"github.com/forkrl/forkrl/kernels/loss"
	"github.com/hashicorp/hcl/v2"
)

// presetAlgorithm returns the values of a preset before the recipe's
// overrides. Values of features a preset leaves off (KL for dapo, dynamic
// sampling for grpo, …) are the defaults used when the recipe turns the
// feature on; normalize zeroes them when it does not.
//
// Sources: DAPO (Yu et al. 2025) and verl's recipe/dapo for dapo; DeepSeekMath's
// GRPO and verl's defaults (use_kl_loss, kl_loss_type low_var_kl = k3,
// kl_loss_coef 0.001) for grpo; verl's PPO defaults (gamma = lam = 1,
// cliprange_value 0.5, clip_ratio_c 3) and cleanrl's vf_coef 0.5 for ppo.
func presetAlgorithm(name string) Algorithm {
	a := Algorithm{
		Preset:                     name,
		Advantage:                  AdvantageGRPO,
		ClipLow:                    0.2,
		ClipHigh:                   0.2,
		DualClip:                   3,
		LossAgg:                    loss.TokenMean.String(),
		LossDenominator:            loss.AllTokens.String(),
		KLEstimator:                KLNone,
		KLCoef:                     0.001,
		KLPenalty:                  KLInLoss,
		DynamicSamplingMaxRetries:  10,
		DynamicSamplingOnExhausted: ExhaustedTrain,
		OverlongPenalty:            1,
		Gamma:                      1,
		Lambda:                     1,
		ValueCoef:                  0.5,
		ValueClip:                  0.5,
		Epochs:                     1,
	}
	switch name {
	case PresetDAPO:
		a.ClipHigh = 0.28 // clip-higher
		a.DualClip = 10   // verl recipe/dapo clip_ratio_c
		a.DynamicSampling = true
		a.Overlong = true
	case PresetGRPO:
		a.LossAgg = loss.SeqMeanTokenMean.String() // the GRPO objective: mean over responses of token means
		a.KLEstimator = loss.K3.String()
	case PresetPPO:
		a.Advantage = AdvantageGAE
		a.KLPenalty = KLInReward
	case PresetSFT:
		a.Advantage = AdvantageNone
	}
	return a
}

var presets = []string{PresetDAPO, PresetGRPO, PresetPPO, PresetSFT}

// applicability says, for each attribute of the algorithm block, when it has
// an effect: it returns "" when it does, or why it does not. Setting an
// attribute that would have no effect is an error, so that no setting is
// silently ignored.
var applicability = map[string]func(a *Algorithm) string{
	"advantage":                     notSFT,
	"clip_low":                      notSFT,
	"clip_high":                     notSFT,
	"dual_clip":                     notSFT,
	"kl_estimator":                  notSFT,
	"entropy_coef":                  notSFT,
	"dynamic_sampling":              notSFT,
	"overlong":                      notSFT,
	"epochs":                        func(*Algorithm) string { return "" },
	"loss_agg":                      func(*Algorithm) string { return "" },
	"loss_denominator":              func(*Algorithm) string { return "" },
	"policy":                        func(*Algorithm) string { return "" },
	"selector":                      func(*Algorithm) string { return "" },
	"kl_coef":                       needsKL,
	"kl_penalty":                    needsKL,
	"reference":                     needsKL,
	"dynamic_sampling_max_retries":  func(a *Algorithm) string { return needsFlag(a, a.DynamicSampling, "dynamic_sampling") },
	"dynamic_sampling_on_exhausted": func(a *Algorithm) string { return needsFlag(a, a.DynamicSampling, "dynamic_sampling") },
	"dynamic_sampling_first_round":  func(a *Algorithm) string { return needsFlag(a, a.DynamicSampling, "dynamic_sampling") },
	"overlong_length":               func(a *Algorithm) string { return needsFlag(a, a.Overlong, "overlong") },
	"overlong_buffer":               func(a *Algorithm) string { return needsFlag(a, a.Overlong, "overlong") },
	"overlong_penalty":              func(a *Algorithm) string { return needsFlag(a, a.Overlong, "overlong") },
	"gamma":                         needsGAE,
	"lambda":                        needsGAE,
	"value_coef":                    needsGAE,
	"value_clip":                    needsGAE,
	"critic_warmup_steps":           needsGAE,
	"critic":                        needsGAE,
}

func notSFT(a *Algorithm) string {
	if a.Supervised() {
		return "the sft preset trains on reference tokens without a policy-gradient loss"
	}
	return ""
}

func needsKL(a *Algorithm) string {
	if m := notSFT(a); m != "" {
		return m
	}
	if a.KLEstimator == KLNone {
		return fmt.Sprintf("kl_estimator is %q; set kl_estimator to k1, k2 or k3 to use a KL term", KLNone)
	}
	return ""
}

func needsFlag(a *Algorithm, on bool, flag string) string {
	if m := notSFT(a); m != "" {
		return m
	}
	if !on {
		return flag + " is false"
	}
	return ""
}

func needsGAE(a *Algorithm) string {
	if a.Advantage != AdvantageGAE {
		return fmt.Sprintf("it belongs to the %q advantage estimator and this run uses %q", AdvantageGAE, a.Advantage)
	}
	return ""
}

// decodeAlgorithm decodes the algorithm block over its preset. Checks that
// involve the train block are in checkRun.
func (r *resolver) decodeAlgorithm(b *hcl.Block, run *Config) (decoded, hcl.Diagnostics) {
	preset := b.Labels[0]
	if checkEnum("preset", preset, presets, b.LabelRanges[0].Ptr()).HasErrors() {
		return decoded{}, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Unknown algorithm preset",
			Detail:   fmt.Sprintf("The algorithm preset must be %s; got %q.%s", quotedList(presets), preset, didYouMean(preset, presets)),
			Subject:  b.LabelRanges[0].Ptr(),
		}}
	}
	a := presetAlgorithm(preset)
	specs := algorithmSpecs(r, &a)
	d, diags := decodeBody("algorithm", b.Body, b.DefRange, r.ctx, specs)
	if diags.HasErrors() {
		return d, diags
	}
	if !a.Supervised() && a.Advantage == AdvantageNone {
		diags = append(diags, invalid("advantage", d.at("advantage"), "advantage %q is for sft only.", AdvantageNone))
	}
	if r.defaultRef(&a.Policy, "backend", "policy", d) {
		diags = append(diags, invalid("policy", d.def.Ptr(), "The recipe has several backends; say which one is trained: policy = backend.NAME."))
	}
	if r.defaultRef(&a.Selector, "selector", "selector", d) {
		diags = append(diags, invalid("selector", d.def.Ptr(), "The recipe has several selectors; say which one this run uses: selector = selector.NAME."))
	}
	if sel, ok := run.Selector(a.Selector); ok {
		a.SelectScope, a.SelectEntropy = sel.Scope, sel.Entropy
	}
	for _, role := range []struct {
		name  string
		label string
	}{{"reference", a.Reference}, {"critic", a.Critic}} {
		if role.label != "" && role.label == a.Policy {
			diags = append(diags, invalid(role.name, d.at(role.name), "The %s must be another backend than the policy %q.", role.name, a.Policy))
		}
	}
	for _, s := range specs {
		if !d.has(s.name) {
			continue
		}
		if why := applicability[s.name](&a); why != "" {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  fmt.Sprintf("%s has no effect here", s.name),
				Detail:   fmt.Sprintf("%s is set, but %s. Remove it, or change the setting it depends on.", s.name, why),
				Subject:  d.content.Attributes[s.name].NameRange.Ptr(),
			})
		}
	}
	if a.KLEstimator != KLNone && a.KLPenalty == KLInReward && a.Advantage != AdvantageGAE {
		diags = append(diags, invalid("kl_penalty", d.at("kl_penalty"), "kl_penalty %q needs per-token rewards, which only the %q advantage uses; use %q.", KLInReward, AdvantageGAE, KLInLoss))
	}
	r.algorithm = a
	return d, diags
}

func dualClip(x float64) string {
	if x != 0 && x <= 1 {
		return "0 (off) or greater than 1"
	}
	return ""
}

// normalize zeroes the fields that do not apply, so that the resolved
// settings show only what runs.
func (a *Algorithm) normalize() {
	if a.Supervised() {
		a.ClipLow, a.ClipHigh, a.DualClip = 0, 0, 0
		a.KLEstimator, a.EntropyCoef = KLNone, 0
		a.DynamicSampling, a.Overlong = false, false
	}
	if a.KLEstimator == KLNone {
		a.KLCoef, a.KLPenalty, a.Reference = 0, "", ""
	}
	if !a.DynamicSampling {
		a.DynamicSamplingMaxRetries, a.DynamicSamplingOnExhausted, a.DynamicSamplingFirstRound = 0, "", ""
	}
	if !a.Overlong {
		a.OverlongLength, a.OverlongBuffer, a.OverlongPenalty = 0, 0, 0
	}
	if a.Advantage != AdvantageGAE {
		a.Gamma, a.Lambda, a.ValueCoef, a.ValueClip, a.CriticWarmupSteps, a.Critic = 0, 0, 0, 0, 0, ""
	}
}

// algorithmSpecs are the attributes of the algorithm block, decoded into a.
func algorithmSpecs(r *resolver, a *Algorithm) []spec {
	return []spec{
		r.ref("policy", "backend", &a.Policy),
		r.ref("reference", "backend", &a.Reference),
		r.ref("critic", "backend", &a.Critic),
		r.ref("selector", "selector", &a.Selector),
		str("advantage", &a.Advantage, AdvantageGRPO, AdvantageDrGRPO, AdvantageRLOO, AdvantageGAE),
		num("clip_low", &a.ClipLow, atLeast(0), below(1)),
		num("clip_high", &a.ClipHigh, atLeast(0)),
		num("dual_clip", &a.DualClip, dualClip),
		str("loss_agg", &a.LossAgg, loss.AggregationNames()...),
		str("loss_denominator", &a.LossDenominator, loss.DenominatorNames()...),
		str("kl_estimator", &a.KLEstimator, append([]string{KLNone}, slices.Sorted(slices.Values(loss.EstimatorNames()))...)...),
		num("kl_coef", &a.KLCoef, above(0)),
		str("kl_penalty", &a.KLPenalty, KLInLoss, KLInReward),
		num("entropy_coef", &a.EntropyCoef, atLeast(0)),
		boolean("dynamic_sampling", &a.DynamicSampling),
		integer("dynamic_sampling_max_retries", &a.DynamicSamplingMaxRetries, atLeast(0)),
		str("dynamic_sampling_on_exhausted", &a.DynamicSamplingOnExhausted, ExhaustedTrain, ExhaustedError, ExhaustedSkip),
		str("dynamic_sampling_first_round", &a.DynamicSamplingFirstRound, FirstRoundBatch, FirstRoundKeepRate),
		boolean("overlong", &a.Overlong),
		integer("overlong_length", &a.OverlongLength, atLeast(1)),
		integer("overlong_buffer", &a.OverlongBuffer, atLeast(1)),
		num("overlong_penalty", &a.OverlongPenalty, atLeast(0)),
		num("gamma", &a.Gamma, atLeast(0), atMost(1)),
		num("lambda", &a.Lambda, atLeast(0), atMost(1)),
		num("value_coef", &a.ValueCoef, atLeast(0)),
		num("value_clip", &a.ValueClip, atLeast(0)),
		integer("critic_warmup_steps", &a.CriticWarmupSteps, atLeast(0)),
		integer("epochs", &a.Epochs, atLeast(1)),
	}
}
