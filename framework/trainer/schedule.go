package trainer

import (
	"context"
	"fmt"
	"math"

	"github.com/forkrl/forkrl/framework/hooks"
	"github.com/forkrl/forkrl/framework/pluginapi"
	"github.com/forkrl/forkrl/framework/recipe"
	"github.com/forkrl/forkrl/framework/seeds"
)

// stepSettings are the settings that may change from step to step: the
// learning-rate schedule, then whatever the schedule hook returns.
type stepSettings struct {
	step                int
	lr                  float64
	temperature         float64
	clipLow, clipHigh   float64
	entropyCoef, klCoef float64
	// selector holds the selector settings the schedule hook set, which
	// override the selector block's for this step; nil when it set none.
	selector pluginapi.Settings
}

// schedule returns the settings of a step.
func (t *Trainer) schedule(ctx context.Context, step int) (stepSettings, error) {
	s := stepSettings{
		step:        step,
		lr:          learningRate(t.hp, step),
		temperature: t.hp.Temperature,
		clipLow:     t.alg.ClipLow, clipHigh: t.alg.ClipHigh,
		entropyCoef: t.alg.EntropyCoef, klCoef: t.alg.KLCoef,
	}
	set, err := t.hooks.Schedule(ctx, step, t.settable)
	if err != nil {
		return s, err
	}
	for k, v := range set {
		switch k {
		case "lr":
			s.lr = v
		case "temperature":
			if !(v > 0) {
				return s, fmt.Errorf("the schedule hook (%s) set temperature %v for step %d: training samples at a temperature greater than 0 (greedy sampling has log-probs of 0, not the policy's)", t.hooks.Path(), v, step)
			}
			s.temperature = v
		case "clip_low":
			s.clipLow = v
		case "clip_high":
			s.clipHigh = v
		case "entropy_coef":
			s.entropyCoef = v
		case "kl_coef":
			s.klCoef = v
		default: // a selector setting, checked against its schema by the hook
			if s.selector == nil {
				s.selector = pluginapi.Settings{}
			}
			s.selector[k] = v
		}
	}
	if s.selector != nil && t.selector != nil {
		if err := t.configureSelector(ctx, s.selector); err != nil {
			return s, err
		}
	}
	return s, nil
}

// learningRate is the learning rate of a step: a linear warm-up from 0 over
// WarmupSteps, then constant, or a linear or cosine decay to
// MinLRRatio·LearningRate at the last step.
func learningRate(hp recipe.Train, step int) float64 {
	if step <= hp.WarmupSteps {
		return hp.LearningRate * float64(step) / float64(hp.WarmupSteps+1)
	}
	span := hp.Steps - hp.WarmupSteps
	if span <= 1 || hp.LRSchedule == recipe.ScheduleConstant || hp.LRSchedule == "" {
		return hp.LearningRate
	}
	progress := float64(step-hp.WarmupSteps-1) / float64(span-1)
	floor := hp.MinLRRatio
	switch hp.LRSchedule {
	case recipe.ScheduleLinear:
		return hp.LearningRate * (floor + (1-floor)*(1-progress))
	case recipe.ScheduleCosine:
		return hp.LearningRate * (floor + (1-floor)*0.5*(1+math.Cos(math.Pi*progress)))
	}
	return hp.LearningRate
}

// PluginSeed is the seed a plugin instance is configured with: the stream
// "plugin/KIND/LABEL" of the run seed.
func PluginSeed(cfg *recipe.Config, kind pluginapi.Kind, label string) uint64 {
	return seeds.Stream(cfg.Seed, "plugin", kind, label)
}

// configureSelector configures the selector again with the selector
// block's settings overridden by those the schedule hook set.
func (t *Trainer) configureSelector(ctx context.Context, set pluginapi.Settings) error {
	block, _ := t.cfg.Selector(t.alg.Selector)
	settings := pluginapi.Settings{}
	if block != nil {
		for k, v := range block.Settings {
			settings[k] = v
		}
	}
	for k, v := range set {
		settings[k] = v
	}
	resp, err := t.selector.Configure(ctx, pluginapi.ConfigureRequest{
		Settings: settings,
		Seed:     PluginSeed(t.cfg, pluginapi.KindSelector, t.alg.Selector),
	})
	if err != nil {
		return err
	}
	return diagErr(selectorName(t.alg.Selector), resp.Diagnostics)
}

// scheduleSettable is what the schedule hook may set of the selector: the
// number settings of the selector plugin's schema, or the ρ a select hook
// sees when the run selects with a select hook alone.
func (t *Trainer) scheduleSettable(ctx context.Context) (hooks.Settable, error) {
	switch {
	case t.selector != nil:
		info, err := t.selector.Info(ctx)
		if err != nil {
			return hooks.Settable{}, err
		}
		st := hooks.Settable{Owner: fmt.Sprintf("selector %q (block %q)", info.Name, t.alg.Selector)}
		for _, a := range info.Settings.Attributes {
			if a.Type == "number" {
				st.Settings = append(st.Settings, a.Name)
			}
		}
		return st, nil
	case t.hooks.Has("select"):
		return hooks.Settable{Owner: "the select hook", Settings: []string{"rho"}}, nil
	}
	return hooks.Settable{}, nil
}
