package trainer

import (
	"context"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/forkrl/forkrl/framework/pluginapi/backend"
	"github.com/forkrl/forkrl/framework/pluginapi/selector"
	"github.com/forkrl/forkrl/framework/pluginapi/verifier"
	"github.com/forkrl/forkrl/framework/rundir"
)

// divergingModel is the toy model whose gradient norm turns NaN from its
// at-th optimizer step on (the toy run takes two per training step).
type divergingModel struct {
	*toyModel
	at, steps int
}

func (m *divergingModel) Step(ctx context.Context, req backend.StepRequest) (backend.StepResponse, error) {
	resp, err := m.toyModel.Step(ctx, req)
	if m.steps++; m.steps >= m.at {
		resp.GradNorm = math.NaN()
	}
	return resp, err
}

// wrongVerifier rewards nothing, so dynamic sampling drops every group.
type wrongVerifier struct{ toyVerifier }

func (wrongVerifier) Verify(_ context.Context, req verifier.VerifyRequest) (verifier.VerifyResponse, error) {
	return verifier.VerifyResponse{Results: make([]verifier.Result, len(req.Items))}, nil
}

// runFaulty trains the toy run with the given policy and verifier and
// returns the run's error and its summary as written in the directory.
func runFaulty(t *testing.T, policy backend.Backend, v verifier.Verifier) (rundir.Summary, error) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "toy")
	cfg := toyRun()
	d, err := rundir.Create(dir, rundir.Inputs{Settings: cfg})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := New(context.Background(), cfg, Options{
		Plugins: Plugins{
			Backends:  map[string]backend.Backend{"policy": policy},
			Verifiers: map[string]verifier.Verifier{"letters": v},
			Selectors: map[string]selector.Selector{"top": &toySelector{rho: 0.2}},
		},
		Datasets: toyDatasets(), Dir: d,
	})
	if err != nil {
		t.Fatal(err)
	}
	_, runErr := tr.Run(context.Background())
	sum, err := rundir.ReadSummary(dir)
	if err != nil {
		t.Fatal(err)
	}
	return sum, runErr
}

func TestNaNGradientFailsTheRun(t *testing.T) {
	sum, err := runFaulty(t, &divergingModel{toyModel: newToyModel(), at: 5}, toyVerifier{})
	if err == nil || !strings.Contains(err.Error(), "step 3: ") || !strings.Contains(err.Error(), "actor/grad_norm is NaN") {
		t.Fatalf("error = %v, want step 3 with a NaN actor/grad_norm", err)
	}
	if sum.Status != rundir.StatusFailed || sum.Step != 2 || !strings.Contains(sum.Error, "step 3") {
		t.Errorf("summary = %s after step %d (%q), want failed after step 2", sum.Status, sum.Step, sum.Error)
	}
}

func TestStepThatTrainsNothingFailsTheRun(t *testing.T) {
	sum, err := runFaulty(t, newToyModel(), wrongVerifier{})
	if err == nil || !strings.Contains(err.Error(), "step 1: no token was trained") {
		t.Fatalf("error = %v, want step 1 training no token", err)
	}
	if sum.Status != rundir.StatusFailed || sum.Step != 0 || sum.TokensTrained != 0 {
		t.Errorf("summary = %+v, want failed at step 0", sum)
	}
}
