package trainer

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/forkrl/forkrl/framework/pluginapi/backend"
	"github.com/forkrl/forkrl/framework/pluginapi/selector"
	"github.com/forkrl/forkrl/framework/pluginapi/verifier"
	"github.com/forkrl/forkrl/framework/recipe"
	"github.com/forkrl/forkrl/framework/rundir"
	"github.com/forkrl/forkrl/kernels/loss"
)

// toyRun is a small DAPO run on the toy task: top-20% tokens, dynamic
// sampling, two mini-batches of two micro-batches per step.
func toyRun() *recipe.Config {
	return &recipe.Config{
		Name: "toy", Seed: 7,
		Selectors: []recipe.PluginBlock{{Kind: "selector", Type: "toy", Label: "top", Settings: map[string]any{"rho": 0.2}}},
		Datasets:  []recipe.Dataset{{Name: "letters", Verifier: "letters", Shuffle: true}},
		Algorithm: recipe.Algorithm{
			Preset: recipe.PresetDAPO, Policy: "policy", Selector: "top",
			SelectScope: selector.ScopeMicro, SelectEntropy: recipe.EntropyCurrent,
			Advantage: recipe.AdvantageGRPO, ClipLow: 0.2, ClipHigh: 0.28,
			LossAgg: loss.TokenMean.String(), LossDenominator: loss.AllTokens.String(),
			KLEstimator: recipe.KLNone, DynamicSampling: true, DynamicSamplingMaxRetries: 2,
			Overlong: true, OverlongLength: 6, OverlongBuffer: 2, OverlongPenalty: 1, Epochs: 1,
		},
		Train: recipe.Train{
			Dataset: "letters", Steps: 6, PromptsPerStep: 4, ResponsesPerPrompt: 4,
			MiniBatchSize: 8, MicroBatchSize: 4, Temperature: 1, TopP: 1, MaxResponseTokens: 6,
			LearningRate: 0.05, LRSchedule: recipe.ScheduleConstant, Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-8,
			Seed: 7, CheckpointInterval: 2,
		},
		Eval:   recipe.Eval{Datasets: []string{"letters"}, N: 2, K: []int{2}, Temperature: 1, TopP: 1, MaxResponseTokens: 6, Interval: 3},
		Output: recipe.Output{RolloutSamples: 3},
	}
}

// toyDatasets is the toy task: from a prompt letter, write a response that
// contains the answer letter.
func toyDatasets() []Dataset {
	d := Dataset{Name: "letters", Verifier: "letters"}
	for i := range 12 {
		p := Problem{ID: fmt.Sprint(i), Prompt: string("abcd"[i%4]), Answer: string("bcd"[i%3])}
		p.Problem = p.Prompt
		if i < 8 {
			d.Train = append(d.Train, p)
		} else {
			d.Eval = append(d.Eval, p)
		}
	}
	return []Dataset{d}
}

// newToyTrainer opens a fresh or resumed toy run in dir with the given model.
func newToyTrainer(cfg *recipe.Config, dir string, model *toyModel, resume bool) (*Trainer, error) {
	var d *rundir.Dir
	var err error
	if resume {
		d, err = rundir.Open(dir)
	} else {
		d, err = rundir.Create(dir, rundir.Inputs{Settings: cfg})
	}
	if err != nil {
		return nil, err
	}
	tr, err := newToyTrainerWith(cfg, d, model, toyDatasets())
	if tr != nil {
		tr.resume = resume
	}
	return tr, err
}

// newToyTrainerWith opens a fresh toy run in d on the given datasets.
func newToyTrainerWith(cfg *recipe.Config, d *rundir.Dir, model *toyModel, ds []Dataset) (*Trainer, error) {
	return New(context.Background(), cfg, Options{
		Plugins: Plugins{
			Backends:  map[string]backend.Backend{"policy": model},
			Verifiers: map[string]verifier.Verifier{"letters": toyVerifier{}},
			Selectors: map[string]selector.Selector{"top": &toySelector{rho: 0.2}},
		},
		Datasets: ds, Dir: d,
	})
}

// toyTrainer is newToyTrainer for a test.
func toyTrainer(t testing.TB, cfg *recipe.Config, dir string, model *toyModel, resume bool) *Trainer {
	t.Helper()
	tr, err := newToyTrainer(cfg, dir, model, resume)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// withoutTimings returns the metrics lines without wall-clock measurements.
func withoutTimings(t testing.TB, dir string) []rundir.Metrics {
	t.Helper()
	lines, err := rundir.ReadMetrics(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range lines {
		for k := range m {
			if strings.HasPrefix(k, "timing_s/") || strings.HasPrefix(k, "perf/throughput") {
				delete(m, k)
			}
		}
	}
	return lines
}

func TestRunWritesRunDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "toy")
	var lines []string
	tr := toyTrainer(t, toyRun(), dir, newToyModel(), false)
	tr.progress = func(p rundir.Progress) { lines = append(lines, p.String()) }
	sum, err := tr.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if sum.Status != rundir.StatusFinished || sum.Step != 6 || sum.TokensTrained == 0 {
		t.Errorf("summary = %+v", sum)
	}
	for _, ev := range []rundir.Evaluation{sum.InitialEval, sum.FinalEval, sum.BestEval} {
		if r, ok := ev["letters"]; !ok || r.N != 2 || r.MeanLength == 0 {
			t.Errorf("evaluation %+v lacks the letters dataset", ev)
		}
	}
	m := withoutTimings(t, dir)
	if len(m) != 6 {
		t.Fatalf("%d metrics lines, want 6", len(m))
	}
	for _, name := range []string{"actor/pg_loss", "actor/pg_clipfrac", "actor/ppo_kl", "actor/entropy", "actor/grad_norm",
		"critic/score/mean", "response_length/mean", "select/threshold", "select/fraction", "select/entropy_selected",
		"select/entropy_all", "select/clipfrac_selected", "select/denominator", "dynamic_sampling/groups_dropped"} {
		if _, ok := m[0][name]; !ok {
			t.Errorf("metrics lack %s: %v", name, m[0])
		}
	}
	if f := m[0]["select/fraction"]; f < 0.2 || f > 0.5 {
		t.Errorf("select/fraction = %v, want about 0.2 (top-20%% of each micro-batch, at least one token)", f)
	}
	evals, _ := os.ReadFile(filepath.Join(dir, rundir.EvalFile))
	if n := strings.Count(string(evals), "\n"); n != 3 {
		t.Errorf("eval.jsonl has %d lines, want 3 (start, step 3, end)", n)
	}
	if len(lines) != 6 || !strings.HasPrefix(lines[5], "step 6/6") {
		t.Errorf("progress lines %q", lines)
	}
	if _, err := os.Stat(filepath.Join(dir, rundir.SamplesDir, "step-000006.jsonl")); err != nil {
		t.Error(err)
	}
}

func TestRunIsDeterministic(t *testing.T) {
	var runs [2][]rundir.Metrics
	for i := range runs {
		dir := filepath.Join(t.TempDir(), "toy")
		if _, err := toyTrainer(t, toyRun(), dir, newToyModel(), false).Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		runs[i] = withoutTimings(t, dir)
	}
	if !reflect.DeepEqual(runs[0], runs[1]) {
		t.Errorf("two runs of the same recipe differ:\n%v\n%v", runs[0], runs[1])
	}
}
