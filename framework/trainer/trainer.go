package trainer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/forkrl/forkrl/framework/hooks"
	"github.com/forkrl/forkrl/framework/pluginapi"
	"github.com/forkrl/forkrl/framework/pluginapi/backend"
	"github.com/forkrl/forkrl/framework/pluginapi/selector"
	"github.com/forkrl/forkrl/framework/pluginapi/verifier"
	"github.com/forkrl/forkrl/framework/recipe"
	"github.com/forkrl/forkrl/framework/rundir"
)

// Plugins are a run's opened plugins, by the labels the recipe gives them.
type Plugins struct {
	Backends  map[string]backend.Backend
	Verifiers map[string]verifier.Verifier
	Selectors map[string]selector.Selector
}

// Add puts an opened plugin of a kind under its label. It fails when impl
// does not implement the kind's interface or the kind is not one a run opens.
func (p *Plugins) Add(kind pluginapi.Kind, label string, impl pluginapi.Plugin) error {
	var ok bool
	switch kind {
	case pluginapi.KindBackend:
		ok = add(&p.Backends, label, impl)
	case pluginapi.KindVerifier:
		ok = add(&p.Verifiers, label, impl)
	case pluginapi.KindSelector:
		ok = add(&p.Selectors, label, impl)
	default:
		return fmt.Errorf("a run opens no %s plugins", kind)
	}
	if !ok {
		return fmt.Errorf("%s %q: a %T does not implement the %s interface", kind, label, impl, kind)
	}
	return nil
}

// add puts impl in *m under label when it is a T.
func add[T any](m *map[string]T, label string, impl any) bool {
	x, ok := impl.(T)
	if ok {
		if *m == nil {
			*m = map[string]T{}
		}
		(*m)[label] = x
	}
	return ok
}

// Options are everything a run needs besides its resolved settings.
type Options struct {
	Plugins  Plugins
	Datasets []Dataset     // the datasets the run names, loaded
	Hooks    *hooks.Script // nil: no hooks
	Dir      *rundir.Dir   // the run directory, created or opened
	// Resume continues from the newest checkpoint in Dir (a fresh start
	// when there is none).
	Resume bool
	// Progress receives the progress line after each step; nil: none.
	Progress func(rundir.Progress)
}

// Trainer runs one resolved run of a recipe.
type Trainer struct {
	cfg       *recipe.Config
	alg       recipe.Algorithm
	hp        recipe.Train
	policy    backend.Backend
	critic    backend.Backend // nil: PPO's values come from the policy's value head
	ref       backend.Backend // nil: no KL term
	selector  selector.Selector
	hooks     *hooks.Script
	settable  hooks.Settable // what the schedule hook may set of the selector
	scope     scope          // how the update weighs tokens, from the selector's scope
	losses    lossKinds      // the algorithm's loss names, parsed
	train     *Dataset
	order     trainOrder
	evals     []*Dataset
	verifiers map[string]verifier.Verifier // by dataset name
	model     backend.ModelInfo
	dir       *rundir.Dir
	progress  func(rundir.Progress)
	resume    bool

	state     State
	started   time.Time // when this process started (or resumed) the run
	firstStep int       // the step this process started from
}

// New checks that a run's settings and plugins fit together and returns its
// trainer. The plugins must be configured already.
func New(ctx context.Context, cfg *recipe.Config, opts Options) (*Trainer, error) {
	t := &Trainer{
		cfg: cfg, alg: cfg.Algorithm, hp: cfg.Train,
		hooks: opts.Hooks, dir: opts.Dir, progress: opts.Progress, resume: opts.Resume,
		verifiers: map[string]verifier.Verifier{},
	}
	if t.dir == nil {
		return nil, errors.New("trainer: no run directory")
	}
	var ok bool
	if t.policy, ok = opts.Plugins.Backends[t.alg.Policy]; !ok {
		return nil, fmt.Errorf("the algorithm's policy %q is not an opened backend", t.alg.Policy)
	}
	if t.alg.Critic != "" {
		if t.critic, ok = opts.Plugins.Backends[t.alg.Critic]; !ok {
			return nil, fmt.Errorf("the algorithm's critic %q is not an opened backend", t.alg.Critic)
		}
	}
	if t.alg.KLEstimator != "" && t.alg.KLEstimator != recipe.KLNone {
		label := t.alg.Reference
		if label == "" {
			label = referenceLabel
		}
		if t.ref, ok = opts.Plugins.Backends[label]; !ok {
			return nil, fmt.Errorf("the KL term needs a reference backend %q, which was not opened", label)
		}
	}
	if t.alg.Selector == "" && t.hooks.Has("select") {
		// A select hook without a selector block: the built-in selectors'
		// defaults, each mini-batch on the current policy's entropies. A
		// selector block's scope and entropy settings apply to the hook.
		t.alg.SelectScope, t.alg.SelectEntropy = selector.ScopeMini, recipe.EntropyCurrent
	}
	if t.alg.Selector != "" {
		if t.selector, ok = opts.Plugins.Selectors[t.alg.Selector]; !ok {
			return nil, fmt.Errorf("the algorithm's selector %q is not an opened selector", t.alg.Selector)
		}
		if t.alg.SelectScope == selector.ScopeStep && t.alg.SelectEntropy != recipe.EntropyOld {
			return nil, errors.New(`select_scope "step" needs select_entropy "old": the policy changes between mini-batches, so a whole step's entropies can only come from the scoring pass before the update`)
		}
	}
	if t.hooks.Has("schedule") {
		var err error
		if t.settable, err = t.scheduleSettable(ctx); err != nil {
			return nil, err
		}
	}
	for i := range opts.Datasets {
		d := &opts.Datasets[i]
		if d.Name == t.hp.Dataset {
			t.train = d
		}
		for _, name := range cfg.Eval.Datasets {
			if d.Name == name {
				t.evals = append(t.evals, d)
			}
		}
		if v, ok := opts.Plugins.Verifiers[d.Verifier]; ok {
			t.verifiers[d.Name] = v
		} else if !t.alg.Supervised() || d.Name != t.hp.Dataset {
			return nil, fmt.Errorf("dataset %q is scored by verifier %q, which was not opened", d.Name, d.Verifier)
		}
	}
	if t.train == nil || len(t.train.Train) == 0 {
		return nil, fmt.Errorf("the train dataset %q has no training problems", t.hp.Dataset)
	}
	if len(t.evals) != len(cfg.Eval.Datasets) {
		return nil, fmt.Errorf("eval datasets %v were not all loaded", cfg.Eval.Datasets)
	}
	for _, k := range cfg.Eval.K {
		if k < 1 || k > max(cfg.Eval.N, 1) {
			return nil, fmt.Errorf("eval: pass@%d needs 1 ≤ k ≤ n, and n is %d", k, cfg.Eval.N)
		}
	}
	var trainSpec *recipe.Dataset
	if trainSpec, ok = cfg.Dataset(t.hp.Dataset); !ok {
		return nil, fmt.Errorf("the train dataset %q is not declared", t.hp.Dataset)
	}
	seed := cfg.Seed
	if trainSpec.Seed != 0 {
		seed = trainSpec.Seed
	}
	t.order = trainOrder{shuffle: trainSpec.Shuffle, seed: seed, name: t.train.Name, n: len(t.train.Train)}
	var err error
	if t.model, err = t.policy.Model(ctx); err != nil {
		return nil, err
	}
	if t.alg.Advantage == recipe.AdvantageGAE && t.critic == nil && !t.model.ValueHead {
		return nil, fmt.Errorf("advantage \"gae\" needs values: backend %q has no value head and no critic is named", t.alg.Policy)
	}
	if err := t.prepareUpdate(); err != nil {
		return nil, err
	}
	return t, nil
}

// referenceLabel is the label under which the host opens a frozen copy of the
// policy as the KL reference when the recipe names none.
const referenceLabel = "reference"

// ReferenceLabel returns the label under which the trainer expects the KL
// reference backend of cfg, and whether it must be a frozen copy of the
// policy (opened by the host like the policy, loaded from its initial weights
// by the trainer). ok is false when the run has no KL term.
func ReferenceLabel(cfg *recipe.Config) (label string, copyOfPolicy, ok bool) {
	if cfg.Algorithm.KLEstimator == "" || cfg.Algorithm.KLEstimator == recipe.KLNone {
		return "", false, false
	}
	if cfg.Algorithm.Reference != "" {
		return cfg.Algorithm.Reference, false, true
	}
	return referenceLabel, true, true
}

// Run trains to the last step (or until a hook stops the run), evaluating
// and checkpointing on the way, and returns the run's summary, which is also
// in the run directory. An error leaves the directory consistent: the logs
// hold the completed steps, the newest checkpoint is intact, and
// summary.json says "failed" with the error.
func (t *Trainer) Run(ctx context.Context) (rundir.Summary, error) {
	t.started = time.Now()
	err := t.runSteps(ctx)
	sum := t.summary()
	switch {
	case err != nil && ctx.Err() != nil:
		sum.Status, sum.Error = rundir.StatusInterrupted, err.Error()
	case err != nil:
		sum.Status, sum.Error = rundir.StatusFailed, err.Error()
	case t.state.Stopped:
		sum.Status = rundir.StatusStopped
	default:
		sum.Status = rundir.StatusFinished
	}
	if werr := t.dir.WriteSummary(sum); werr != nil && err == nil {
		err = werr
	}
	return sum, err
}

// runSteps is the outer loop: initial evaluation, steps, periodic
// evaluation and checkpoints, final evaluation.
func (t *Trainer) runSteps(ctx context.Context) error {
	if err := t.restore(ctx); err != nil {
		return err
	}
	if t.state.Step == 0 {
		if err := t.startFresh(ctx); err != nil {
			return err
		}
	}
	if t.cfg.Output.TensorBoard {
		if err := t.rewriteEvents(); err != nil {
			return fmt.Errorf("writing TensorBoard events: %w", err)
		}
	}
	for t.state.Step < t.hp.Steps && !t.state.Stopped {
		if err := ctx.Err(); err != nil {
			return err
		}
		step := t.state.Step + 1
		begin := time.Now()
		tokens := t.state.TokensTrained
		m, err := t.step(ctx, step)
		if err == nil {
			err = checkStep(m, t.state.TokensTrained-tokens, t.criticWarmup(step))
		}
		if err != nil {
			return fmt.Errorf("step %d: %w", step, err)
		}
		m["timing_s/step"] = time.Since(begin).Seconds()
		m["timing_s/elapsed"] = t.wallTime() // the run's wall time so far, evaluations included
		if err := t.finishStep(ctx, step, m); err != nil {
			return fmt.Errorf("step %d: %w", step, err)
		}
	}
	return nil
}

// startFresh begins a run at step 0: the reference copy and the initial
// evaluation.
func (t *Trainer) startFresh(ctx context.Context) error {
	if err := t.dir.Rewind(-1); err != nil {
		return err
	}
	if err := t.initReference(ctx); err != nil {
		return err
	}
	ev, err := t.evaluate(ctx, 0)
	if err != nil {
		return fmt.Errorf("initial evaluation: %w", err)
	}
	t.state.InitialEval = ev
	return t.dir.WriteSummary(t.summary())
}

// finishStep logs a completed step and runs what follows it: the on_step
// hook, the evaluation and the checkpoint when due, and the progress line.
func (t *Trainer) finishStep(ctx context.Context, step int, m rundir.Metrics) error {
	t.state.Step = step
	out, err := t.hooks.OnStep(ctx, step, m)
	if err != nil {
		return err
	}
	for k, v := range out.Metrics {
		m[k] = v
	}
	t.state.Stopped = out.Stop
	if err := t.dir.AppendMetrics(step, m); err != nil {
		return err
	}
	last := step == t.hp.Steps || t.state.Stopped
	var ev rundir.Evaluation
	if last || (t.cfg.Eval.Interval > 0 && step%t.cfg.Eval.Interval == 0) {
		if ev, err = t.evaluate(ctx, step); err != nil {
			return fmt.Errorf("evaluation: %w", err)
		}
	}
	if t.cfg.Output.TensorBoard {
		if err := t.appendEvents(step, m, ev); err != nil {
			return fmt.Errorf("writing TensorBoard events: %w", err)
		}
	}
	if last || (t.hp.CheckpointInterval > 0 && step%t.hp.CheckpointInterval == 0) {
		if err := t.checkpoint(ctx); err != nil {
			return fmt.Errorf("checkpoint: %w", err)
		}
	}
	t.report(step, m)
	return nil
}

// report sends the progress line.
func (t *Trainer) report(step int, m rundir.Metrics) {
	if t.progress == nil {
		return
	}
	elapsed := time.Since(t.started).Seconds()
	done := step - t.firstStep
	left := time.Duration(0)
	if done > 0 {
		left = time.Duration(elapsed / float64(done) * float64(t.hp.Steps-step) * float64(time.Second))
	}
	p := rundir.Progress{
		Step: step, Steps: t.hp.Steps,
		Reward: m["rollout/score/mean"], Accuracy: m["rollout/accuracy"], Entropy: m["actor/entropy"],
		Supervised: t.alg.Supervised(), Loss: m["sft/loss"],
		TokensPerSec: m["perf/throughput"], Left: left,
	}
	switch {
	case m["dynamic_sampling/skipped"] == 1:
		p.Warning = fmt.Sprintf("dynamic sampling kept %.0f/%d prompts: step skipped", m["dynamic_sampling/groups_kept"], t.hp.PromptsPerStep)
	case m["dynamic_sampling/partial"] == 1:
		p.Warning = fmt.Sprintf("partial batch: dynamic sampling kept %.0f/%d prompts", m["dynamic_sampling/groups_kept"], t.hp.PromptsPerStep)
	}
	t.progress(p)
}

// summary is the run's summary as of now.
func (t *Trainer) summary() rundir.Summary {
	return rundir.Summary{
		Name: t.cfg.Name, Status: rundir.StatusRunning,
		Step: t.state.Step, Steps: t.hp.Steps,
		WallTimeS:     t.wallTime(),
		TokensTrained: t.state.TokensTrained,
		InitialEval:   t.state.InitialEval,
		FinalEval:     t.state.LastEval,
		BestEval:      t.state.BestEval,
		BestEvalStep:  t.state.BestEvalStep,
	}
}

// wallTime is the run's wall time over all its processes.
func (t *Trainer) wallTime() float64 {
	return t.state.WallTimeS + time.Since(t.started).Seconds()
}
