package trainer

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/forkrl/forkrl/framework/hooks"
	"github.com/forkrl/forkrl/framework/pluginapi/backend"
	"github.com/forkrl/forkrl/framework/pluginapi/selector"
	"github.com/forkrl/forkrl/framework/pluginapi/verifier"
	"github.com/forkrl/forkrl/framework/recipe"
	"github.com/forkrl/forkrl/framework/rundir"
	"github.com/forkrl/forkrl/kernels/loss"
)

// runToy trains cfg on the toy task with a policy, a critic and a reference
// backend, and the hooks script if not nil, and returns the run's metrics lines.
func runToy(t *testing.T, cfg *recipe.Config, script *hooks.Script) []rundir.Metrics {
	t.Helper()
	d, err := rundir.Create(filepath.Join(t.TempDir(), "r"), rundir.Inputs{Settings: cfg})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := New(context.Background(), cfg, Options{
		Plugins: Plugins{
			Backends:  map[string]backend.Backend{"policy": newToyModel(), "critic": newToyModel(), "reference": newToyModel()},
			Verifiers: map[string]verifier.Verifier{"letters": toyVerifier{}},
			Selectors: map[string]selector.Selector{"top": &toySelector{rho: 0.2}},
		},
		Datasets: toyDatasets(), Dir: d, Hooks: script,
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	lines, err := rundir.ReadMetrics(d.Path)
	if err != nil {
		t.Fatal(err)
	}
	return lines
}

// TestPPOCriticKLInRewardOnePass trains PPO with a separate critic and the
// KL penalty in the reward in one on-policy pass (the ppo preset's epochs 1
// and one mini-batch): the KL in the reward needs the old log-probs, which
// only the scoring pass gives.
func TestPPOCriticKLInRewardOnePass(t *testing.T) {
	cfg := toyRun()
	cfg.Train.Steps = 2
	cfg.Train.MiniBatchSize = cfg.Train.PromptsPerStep * cfg.Train.ResponsesPerPrompt
	cfg.Eval.Datasets = nil
	cfg.Algorithm.Preset, cfg.Algorithm.Critic, cfg.Algorithm.Selector, cfg.Selectors = recipe.PresetPPO, "critic", "", nil
	cfg.Algorithm.Advantage, cfg.Algorithm.Gamma, cfg.Algorithm.Lambda = recipe.AdvantageGAE, 1, 0.95
	cfg.Algorithm.ValueCoef, cfg.Algorithm.DynamicSampling = 0.5, false
	cfg.Algorithm.KLEstimator, cfg.Algorithm.KLCoef, cfg.Algorithm.KLPenalty = loss.K1.String(), 0.1, recipe.KLInReward
	lines := runToy(t, cfg, nil)
	if v := lines[len(lines)-1]["critic/vf_loss"]; len(lines) != 2 || v == 0 || math.IsNaN(v) {
		t.Errorf("%d metrics lines, critic/vf_loss %v", len(lines), v)
	}
}

// TestKLInRewardUsesEstimator checks that the KL penalty in PPO's token
// rewards is the recipe's kl_estimator (verl's kl_penalty), at the step's
// coefficient: with γ = λ = 1 and zero values, the first token's return is
// the outcome reward minus the coefficient times the sum of the estimates.
func TestKLInRewardUsesEstimator(t *testing.T) {
	old := []float32{-0.5, -1, -2}
	ref := []float32{-1.5, -0.25, -2}
	for _, tc := range []struct {
		estimator string
		kl        float64 // Σ over the tokens, d = ref − old
	}{
		{loss.K1.String(), 1 - 0.75 + 0},                                         // −d
		{loss.K2.String(), 0.5 + 0.75*0.75/2 + 0},                                // d²/2
		{loss.K3.String(), math.Exp(-1) + 1 - 1 + math.Exp(0.75) - 0.75 - 1 + 0}, // e^d − d − 1
	} {
		tr := &Trainer{alg: recipe.Algorithm{KLEstimator: tc.estimator, KLCoef: 0.5, KLPenalty: recipe.KLInReward, Gamma: 1, Lambda: 1}}
		var err error
		if tr.losses, err = parseLossKinds(tr.alg, true); err != nil {
			t.Fatal(err)
		}
		s := &sample{resp: backend.Response{Tokens: []int32{1, 2, 0}}, reward: 1, oldLogp: old, refLogp: ref, oldValues: make([]float32, 3)}
		tr.gae([]*sample{s}, 0.25) // the step's coefficient, not the recipe's 0.5
		if want := 1 - 0.25*tc.kl; math.Abs(float64(s.returns[0])-want) > 1e-6 {
			t.Errorf("%s: return of the first token %.6f, want %.6f", tc.estimator, s.returns[0], want)
		}
	}
}

// loadHooks writes a hooks file with the given source and loads it.
func loadHooks(t *testing.T, src string) *hooks.Script {
	t.Helper()
	path := filepath.Join(t.TempDir(), "hooks.star")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	script, err := hooks.Load(path, hooks.Options{Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	return script
}

// TestUnknownLossNamesFail checks that a loss aggregation, denominator or KL
// estimator the loss kernels do not know stops the trainer from being built,
// with the kernels' error, instead of training with another one; among them
// the estimator of a KL penalty in GAE's rewards, which used to fall back to
// k3 without a word.
func TestUnknownLossNamesFail(t *testing.T) {
	for _, tc := range []struct {
		set  func(a *recipe.Algorithm)
		want string
	}{
		{func(a *recipe.Algorithm) { a.LossAgg = "token_mean" }, `unknown loss aggregation "token_mean"`},
		{func(a *recipe.Algorithm) { a.LossDenominator = "valid" }, `unknown loss denominator "valid"`},
		{func(a *recipe.Algorithm) {
			a.Preset, a.Critic, a.Selector = recipe.PresetPPO, "critic", ""
			a.Advantage, a.Gamma, a.Lambda, a.ValueCoef = recipe.AdvantageGAE, 1, 0.95, 0.5
			a.KLEstimator, a.KLCoef, a.KLPenalty = "k4", 0.1, recipe.KLInReward
		}, `unknown KL estimator "k4"`},
	} {
		cfg := toyRun()
		tc.set(&cfg.Algorithm)
		d, err := rundir.Create(filepath.Join(t.TempDir(), "r"), rundir.Inputs{Settings: cfg})
		if err != nil {
			t.Fatal(err)
		}
		_, err = New(context.Background(), cfg, Options{
			Plugins: Plugins{
				Backends:  map[string]backend.Backend{"policy": newToyModel(), "critic": newToyModel(), "reference": newToyModel()},
				Verifiers: map[string]verifier.Verifier{"letters": toyVerifier{}},
				Selectors: map[string]selector.Selector{"top": &toySelector{rho: 0.2}},
			},
			Datasets: toyDatasets(), Dir: d,
		})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("error %v; want: %s", err, tc.want)
		}
	}
}

// TestScheduleRefusesGreedyTraining checks that a schedule hook cannot
// make training sample greedily (temperature 0), which the recipe refuses too.
func TestScheduleRefusesGreedyTraining(t *testing.T) {
	tr := toyTrainer(t, toyRun(), filepath.Join(t.TempDir(), "r"), newToyModel(), false)
	tr.hooks = loadHooks(t, "def schedule(step):\n    return {\"temperature\": 0.0 if step == 2 else 1.0}\n")
	sum, err := tr.Run(context.Background())
	if err == nil || sum.Status != rundir.StatusFailed || sum.Step != 1 || !strings.Contains(err.Error(), "step 2") || !strings.Contains(err.Error(), "temperature 0") {
		t.Errorf("status %q after step %d, error %v; want a failure at step 2 naming temperature 0", sum.Status, sum.Step, err)
	}
}

// TestSelectHookWithoutSelector trains with a select hook and no selector
// block: the hook's weights are trained on (per mini-batch, on the current
// policy's entropies), not every token.
func TestSelectHookWithoutSelector(t *testing.T) {
	cfg := toyRun()
	cfg.Algorithm.Selector, cfg.Algorithm.SelectScope, cfg.Algorithm.SelectEntropy, cfg.Selectors = "", "", "", nil
	cfg.Train.Steps, cfg.Eval.Datasets = 2, nil
	script := loadHooks(t, `
def select(batch):
    return ge(batch.entropies, quantile(batch.entropies, 0.5, mask = batch.valid)) * batch.valid
`)
	lines := runToy(t, cfg, script)
	for i, m := range lines {
		// The toy's entropies take few values: ties at the median keep more than half.
		if f, ok := m["select/fraction"]; !ok || f < 0.4 || f > 0.9 {
			t.Errorf("step %d: select/fraction %v (present: %v), want the hook's selection: the upper half and its ties", i+1, f, ok)
		}
	}
}

// TestDynamicSamplingExhausted runs dynamic sampling on a task where few
// groups have rewards that differ (only the prompts "a" can be answered), so
// that its retries run out before the batch is full, under each
// dynamic_sampling_on_exhausted.
func TestDynamicSamplingExhausted(t *testing.T) {
	ds := toyDatasets()
	for i := range ds[0].Train {
		if ds[0].Train[i].Prompt != "a" {
			ds[0].Train[i].Answer = "z" // never written: all-wrong groups
		}
	}
	for _, mode := range []string{recipe.ExhaustedTrain, recipe.ExhaustedSkip, recipe.ExhaustedError} {
		t.Run(mode, func(t *testing.T) {
			cfg := toyRun()
			cfg.Train.Steps, cfg.Eval.Datasets = 2, nil
			cfg.Algorithm.DynamicSamplingOnExhausted = mode
			d, err := rundir.Create(filepath.Join(t.TempDir(), "r"), rundir.Inputs{Settings: cfg})
			if err != nil {
				t.Fatal(err)
			}
			model := newToyModel()
			tr, err := newToyTrainerWith(cfg, d, model, ds)
			if err != nil {
				t.Fatal(err)
			}
			var progress []string
			tr.progress = func(p rundir.Progress) { progress = append(progress, p.String()) }
			sum, err := tr.Run(context.Background())
			if mode == recipe.ExhaustedError {
				if err == nil || sum.Status != rundir.StatusFailed || !strings.Contains(err.Error(), "step 1: dynamic sampling kept") || !strings.Contains(err.Error(), `dynamic_sampling_on_exhausted = "error"`) {
					t.Errorf("status %q, error %v; want the run to fail at step 1 naming the setting", sum.Status, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			lines, err := rundir.ReadMetrics(d.Path)
			if err != nil {
				t.Fatal(err)
			}
			for i, m := range lines {
				if m["dynamic_sampling/partial"] != 1 || m["dynamic_sampling/groups_kept"] >= 4 || m["dynamic_sampling/rounds"] != 3 {
					t.Errorf("step %d: partial %v, groups kept %v, rounds %v; want a partial batch after 3 rounds", i+1, m["dynamic_sampling/partial"], m["dynamic_sampling/groups_kept"], m["dynamic_sampling/rounds"])
				}
				if !strings.Contains(progress[i], "dynamic sampling kept") {
					t.Errorf("step %d: the progress line %q does not warn", i+1, progress[i])
				}
			}
			skipped := mode == recipe.ExhaustedSkip
			if trained := model.calls["Backward"] > 0; trained == skipped || (sum.TokensTrained == 0) != skipped || (lines[0]["dynamic_sampling/skipped"] == 1) != skipped {
				t.Errorf("%d Backward calls, %d tokens trained, skipped %v", model.calls["Backward"], sum.TokensTrained, lines[0]["dynamic_sampling/skipped"])
			}
		})
	}
}

// TestDynamicSamplingFullBatchNotPartial checks that a step whose batch
// filled logs dynamic_sampling/partial 0 and no warning.
func TestDynamicSamplingFullBatchNotPartial(t *testing.T) {
	cfg := toyRun()
	cfg.Train.Steps, cfg.Eval.Datasets = 1, nil
	cfg.Algorithm.DynamicSamplingMaxRetries = 50
	lines := runToy(t, cfg, nil)
	if m := lines[0]; m["dynamic_sampling/partial"] != 0 || m["dynamic_sampling/groups_kept"] != 4 {
		t.Errorf("partial %v, groups kept %v; want a full batch of 4", m["dynamic_sampling/partial"], m["dynamic_sampling/groups_kept"])
	}
}

// TestGradClipped checks actor/grad_clipped: the fraction of optimizer steps
// whose gradient norm max_grad_norm clipped.
func TestGradClipped(t *testing.T) {
	for _, tc := range []struct {
		maxNorm float64
		want    float64
	}{{1e-9, 1}, {1e9, 0}, {0, 0}} {
		cfg := toyRun()
		cfg.Train.Steps, cfg.Eval.Datasets, cfg.Train.MaxGradNorm = 1, nil, tc.maxNorm
		m := runToy(t, cfg, nil)[0]
		if got, ok := m["actor/grad_clipped"]; !ok || got != tc.want || m["actor/grad_norm"] == 0 {
			t.Errorf("max_grad_norm %g: actor/grad_clipped %v (present: %v), grad norm %v; want %v", tc.maxNorm, got, ok, m["actor/grad_norm"], tc.want)
		}
	}
}

// TestEvalNSamplesPassAtK evaluates with n = 8 samples per problem and
// pass@k for k = 1, 4, 8: the unbiased pass@1 is avg@n, pass@k grows with
// k, and pass@8 is the fraction of problems with a right sample.
func TestEvalNSamplesPassAtK(t *testing.T) {
	cfg := toyRun()
	cfg.Train.Steps, cfg.Eval.N, cfg.Eval.K, cfg.Eval.Interval = 1, 8, []int{1, 4, 8}, 0
	d, err := rundir.Create(filepath.Join(t.TempDir(), "r"), rundir.Inputs{Settings: cfg})
	if err != nil {
		t.Fatal(err)
	}
	model := newToyModel()
	tr, err := newToyTrainerWith(cfg, d, model, toyDatasets())
	if err != nil {
		t.Fatal(err)
	}
	sum, err := tr.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	r := sum.InitialEval["letters"]
	if r.N != 8 || !reflect.DeepEqual(r.Ks(), []int{1, 4, 8}) {
		t.Fatalf("initial evaluation %+v; want n = 8 and pass@1, 4, 8", r)
	}
	p1, p4, p8 := r.PassAtK[1], r.PassAtK[4], r.PassAtK[8]
	if math.Abs(p1-r.AvgAtN) > 1e-12 || !(p1 <= p4 && p4 <= p8) || p8 == 0 || p8 > 1 || p1 == p8 {
		t.Errorf("avg@8 %v, pass@1 %v, pass@4 %v, pass@8 %v; want pass@1 = avg@8 ≤ pass@4 ≤ pass@8, not all equal", r.AvgAtN, p1, p4, p8)
	}
	// pass@8 from 8 samples is the fraction of problems with a right one:
	// a multiple of 1/4 over the toy's 4 held-out problems.
	if q := p8 * 4; math.Abs(q-math.Round(q)) > 1e-12 {
		t.Errorf("pass@8 = %v is not a fraction of the 4 problems", p8)
	}
}

// TestEvalRefusesKBeyondN checks that the trainer refuses pass@k with k > n.
func TestEvalRefusesKBeyondN(t *testing.T) {
	cfg := toyRun()
	cfg.Eval.N, cfg.Eval.K = 2, []int{4}
	if _, err := newToyTrainer(cfg, filepath.Join(t.TempDir(), "r"), newToyModel(), false); err == nil || !strings.Contains(err.Error(), "pass@4") {
		t.Errorf("error %v; want pass@4 refused with n = 2", err)
	}
}

// TestRefillSize checks the number of prompts each generation round draws:
// the step's at first, or with dynamic_sampling_first_round = "keep_rate" the
// step's divided by the previous step's keep rate (at least 0.1); later rounds
// enough at the step's keep rate so far, at most the step's.
func TestRefillSize(t *testing.T) {
	for _, tc := range []struct {
		firstRound                   string
		keepRate                     float64
		round, kept, generated, want int
	}{
		{"", 0.25, 0, 0, 0, 32},
		{recipe.FirstRoundBatch, 0.25, 0, 0, 0, 32},
		{recipe.FirstRoundKeepRate, 0, 0, 0, 0, 32}, // the first step
		{recipe.FirstRoundKeepRate, 0.25, 0, 0, 0, 128},
		{recipe.FirstRoundKeepRate, 0.3, 0, 0, 0, 107},
		{recipe.FirstRoundKeepRate, 0.01, 0, 0, 0, 320},
		{recipe.FirstRoundKeepRate, 1, 0, 0, 0, 32},
		{recipe.FirstRoundKeepRate, 0.25, 1, 20, 640, 32}, // later rounds as without the setting
		{recipe.FirstRoundBatch, 0, 1, 20, 640, 32},       // rate 0.25 wants 48, at most the step's
		{recipe.FirstRoundBatch, 0, 1, 24, 128 * 8, 32},   // rate 0.1875 wants 43
		{recipe.FirstRoundBatch, 0, 1, 30, 40 * 8, 3},     // rate 0.75 wants 2.67
	} {
		tr := &Trainer{hp: recipe.Train{PromptsPerStep: 32, ResponsesPerPrompt: 8},
			alg: recipe.Algorithm{DynamicSampling: true, DynamicSamplingFirstRound: tc.firstRound}}
		tr.state.KeepRate = tc.keepRate
		if got := tr.refillSize(tc.round, tc.kept, tc.generated); got != tc.want {
			t.Errorf("%+v: refillSize = %d, want %d", tc, got, tc.want)
		}
	}
}

// TestDynamicSamplingFirstRoundKeepRate trains the toy task with
// dynamic_sampling_first_round = "keep_rate": the first round of every step
// after the first draws the step's prompts divided by the keep rate of the
// step before, which the checkpoint keeps for a resumed run.
func TestDynamicSamplingFirstRoundKeepRate(t *testing.T) {
	cfg := toyRun()
	cfg.Train.Steps, cfg.Train.CheckpointInterval, cfg.Eval.Datasets = 4, 1, nil
	cfg.Algorithm.DynamicSamplingMaxRetries = 50
	cfg.Algorithm.DynamicSamplingFirstRound = recipe.FirstRoundKeepRate
	dir := filepath.Join(t.TempDir(), "r")
	model := newToyModel()
	if _, err := toyTrainer(t, cfg, dir, model, false).Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	lines, err := rundir.ReadMetrics(dir)
	if err != nil {
		t.Fatal(err)
	}
	// The checkpoints of the last two steps are kept: the last step's first
	// round must follow from the keep rate in the one before.
	b, err := os.ReadFile(filepath.Join(dir, rundir.CheckpointsDir, fmt.Sprintf("step-%06d", len(lines)-1), stateFile))
	if err != nil {
		t.Fatal(err)
	}
	var st State
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	if st.KeepRate <= 0 || st.KeepRate > 1 {
		t.Fatalf("the checkpoint of step %d has keep rate %v", len(lines)-1, st.KeepRate)
	}
	call, oversized := 0, 0
	for i, m := range lines {
		first := model.prompts[call]
		switch {
		case i == 0 && first != cfg.Train.PromptsPerStep:
			t.Errorf("step 1: the first round drew %d prompts, want %d", first, cfg.Train.PromptsPerStep)
		case i == len(lines)-1:
			if want := int(math.Ceil(float64(cfg.Train.PromptsPerStep) / max(st.KeepRate, 0.1))); first != want {
				t.Errorf("step %d: the first round drew %d prompts, want %d at keep rate %v", i+1, first, want, st.KeepRate)
			}
		}
		if first > cfg.Train.PromptsPerStep {
			oversized++
		}
		call += int(m["dynamic_sampling/rounds"])
	}
	if call != len(model.prompts) {
		t.Errorf("%d generation rounds logged, %d Generate calls", call, len(model.prompts))
	}
	if oversized == 0 {
		t.Errorf("no step's first round drew more than %d prompts (calls: %v)", cfg.Train.PromptsPerStep, model.prompts)
	}
}
