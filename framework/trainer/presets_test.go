package trainer

import (
	"context"
	"math"
	"path/filepath"
	"testing"

	"github.com/forkrl/forkrl/framework/pluginapi/backend"
	"github.com/forkrl/forkrl/framework/pluginapi/selector"
	"github.com/forkrl/forkrl/framework/pluginapi/verifier"
	"github.com/forkrl/forkrl/framework/recipe"
	"github.com/forkrl/forkrl/framework/rundir"
	"github.com/forkrl/forkrl/kernels/loss"
)

// TestPresets runs each algorithm family on the toy task and checks the
// metrics that only it produces.
func TestPresets(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(cfg *recipe.Config)
		metrics []string // must be present, finite and, unless noted, non-zero
	}{
		{"grpo with a k3 KL to a frozen copy of the policy", func(cfg *recipe.Config) {
			cfg.Algorithm.Preset, cfg.Algorithm.Selector, cfg.Selectors = recipe.PresetGRPO, "", nil
			cfg.Algorithm.ClipHigh, cfg.Algorithm.DynamicSampling, cfg.Algorithm.Overlong = 0.2, false, false
			cfg.Algorithm.KLEstimator, cfg.Algorithm.KLCoef, cfg.Algorithm.KLPenalty = loss.K3.String(), 0.1, recipe.KLInLoss
		}, []string{"actor/kl_loss", "actor/pg_loss"}},
		{"ppo with the policy's value head", func(cfg *recipe.Config) {
			cfg.Algorithm.Preset, cfg.Algorithm.Selector, cfg.Selectors = recipe.PresetPPO, "", nil
			cfg.Algorithm.Advantage, cfg.Algorithm.Gamma, cfg.Algorithm.Lambda = recipe.AdvantageGAE, 1, 0.95
			cfg.Algorithm.ValueCoef, cfg.Algorithm.ValueClip, cfg.Algorithm.DynamicSampling = 0.5, 0.2, false
		}, []string{"critic/vf_loss", "actor/pg_loss"}},
		{"ppo with a critic backend", func(cfg *recipe.Config) {
			cfg.Algorithm.Preset, cfg.Algorithm.Critic = recipe.PresetPPO, "critic"
			cfg.Algorithm.Advantage, cfg.Algorithm.Gamma, cfg.Algorithm.Lambda = recipe.AdvantageGAE, 1, 0.95
			cfg.Algorithm.ValueCoef, cfg.Algorithm.DynamicSampling, cfg.Algorithm.CriticWarmupSteps = 0.5, false, 1
		}, []string{"critic/vf_loss", "critic/grad_norm", "select/fraction"}},
		{"dr.grpo, seq-mean-token-sum-norm, selected denominator, mini-batch scope", func(cfg *recipe.Config) {
			cfg.Algorithm.Advantage, cfg.Algorithm.LossAgg = recipe.AdvantageDrGRPO, loss.SeqMeanTokenSumNorm.String()
			cfg.Algorithm.LossDenominator, cfg.Algorithm.SelectScope = loss.SelectedTokens.String(), selector.ScopeMini
		}, []string{"select/denominator", "actor/pg_loss"}},
		{"rloo, step scope on the old policy's entropies, two epochs", func(cfg *recipe.Config) {
			cfg.Algorithm.Advantage, cfg.Algorithm.Epochs = recipe.AdvantageRLOO, 2
			cfg.Algorithm.SelectScope, cfg.Algorithm.SelectEntropy = selector.ScopeStep, recipe.EntropyOld
		}, []string{"select/threshold", "actor/ppo_kl"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := toyRun()
			cfg.Train.Steps = 3
			tt.edit(cfg)
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
				Datasets: toyDatasets(), Dir: d,
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
			for _, name := range tt.metrics {
				v, ok := lines[len(lines)-1][name]
				if !ok || math.IsNaN(v) || math.IsInf(v, 0) || v == 0 {
					t.Errorf("%s = %v (present: %v) at the last step", name, v, ok)
				}
			}
		})
	}
}

// TestCriticWarmUpLeavesPolicyAlone checks that during PPO's critic warm-up
// with a separate critic only the critic takes optimizer steps.
func TestCriticWarmUpLeavesPolicyAlone(t *testing.T) {
	cfg := toyRun()
	cfg.Train.Steps = 2
	cfg.Algorithm.Preset, cfg.Algorithm.Critic, cfg.Algorithm.CriticWarmupSteps = recipe.PresetPPO, "critic", 2
	cfg.Algorithm.Advantage, cfg.Algorithm.Gamma, cfg.Algorithm.Lambda = recipe.AdvantageGAE, 1, 0.95
	cfg.Algorithm.DynamicSampling = false
	d, err := rundir.Create(filepath.Join(t.TempDir(), "r"), rundir.Inputs{Settings: cfg})
	if err != nil {
		t.Fatal(err)
	}
	policy, critic := newToyModel(), newToyModel()
	tr, err := New(context.Background(), cfg, Options{
		Plugins: Plugins{
			Backends:  map[string]backend.Backend{"policy": policy, "critic": critic},
			Verifiers: map[string]verifier.Verifier{"letters": toyVerifier{}},
			Selectors: map[string]selector.Selector{"top": &toySelector{rho: 0.2}},
		},
		Datasets: toyDatasets(), Dir: d,
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if policy.Steps != 0 || policy.calls["Backward"] != 0 || critic.Steps == 0 {
		t.Errorf("after the warm-up the policy took %d steps (%d Backward calls) and the critic %d; want 0, 0 and some",
			policy.Steps, policy.calls["Backward"], critic.Steps)
	}
}
