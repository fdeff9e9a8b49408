package trainer

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/forkrl/forkrl/framework/pluginapi/backend"
	"github.com/forkrl/forkrl/framework/rundir"

	"github.com/forkrl/forkrl/internal/atomicfile"
)

// State is the trainer's own part of a checkpoint (trainer.json): with the
// models' checkpoints it is everything a resumed run needs to continue as if
// it had never stopped. Random streams need no state: they derive from the
// run seed and the step.
type State struct {
	Step          int               `json:"step"`           // the last completed step
	Drawn         int               `json:"drawn"`          // training problems drawn so far
	TokensTrained int64             `json:"tokens_trained"` // response tokens that got a gradient
	WallTimeS     float64           `json:"wall_time_s"`    // wall time of the run up to the checkpoint
	InitialEval   rundir.Evaluation `json:"initial_eval"`
	LastEval      rundir.Evaluation `json:"last_eval"`
	LastEvalStep  int               `json:"last_eval_step"`
	BestEval      rundir.Evaluation `json:"best_eval"`
	BestEvalStep  int               `json:"best_eval_step"`
	Stopped       bool              `json:"stopped"` // a hook asked to stop
	// KeepRate is the fraction of the groups generated in the last step that
	// dynamic sampling kept, with dynamic_sampling_first_round = "keep_rate"
	// (0 before the first step, or with the setting off).
	KeepRate float64 `json:"keep_rate,omitempty"`
}

// Names inside a checkpoint directory and the run directory.
const (
	stateFile       = "trainer.json"
	policyDir       = "policy"
	criticDir       = "critic"
	referenceDir    = "reference" // in the run directory: the frozen KL reference
	keepCheckpoints = 2
)

// checkpoint saves the trainer's state and the models after the current step.
func (t *Trainer) checkpoint(ctx context.Context) error {
	tmp, err := t.dir.BeginCheckpoint(t.state.Step)
	if err != nil {
		return err
	}
	if err := save(ctx, t.policy, backendName(t.alg.Policy), filepath.Join(tmp, policyDir)); err != nil {
		return err
	}
	if t.critic != nil {
		if err := save(ctx, t.critic, backendName(t.alg.Critic), filepath.Join(tmp, criticDir)); err != nil {
			return err
		}
	}
	st := t.state
	st.WallTimeS = t.wallTime()
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(filepath.Join(tmp, stateFile), data); err != nil {
		return err
	}
	if err := t.dir.CommitCheckpoint(t.state.Step, tmp, keepCheckpoints); err != nil {
		return err
	}
	return t.dir.WriteSummary(t.summary())
}

// restore continues from the newest checkpoint when resuming; otherwise, or
// when there is none, the run starts at step 0.
func (t *Trainer) restore(ctx context.Context) error {
	t.state = State{}
	if !t.resume {
		return nil
	}
	step, dir, ok, err := t.dir.LatestCheckpoint()
	if err != nil || !ok {
		return err
	}
	data, err := os.ReadFile(filepath.Join(dir, stateFile))
	if err != nil {
		return fmt.Errorf("reading the checkpoint of step %d: %w", step, err)
	}
	if err := json.Unmarshal(data, &t.state); err != nil {
		return fmt.Errorf("reading the checkpoint of step %d: %w", step, err)
	}
	if err := load(ctx, t.policy, backendName(t.alg.Policy), filepath.Join(dir, policyDir)); err != nil {
		return err
	}
	if t.critic != nil {
		if err := load(ctx, t.critic, backendName(t.alg.Critic), filepath.Join(dir, criticDir)); err != nil {
			return err
		}
	}
	if t.ref != nil && t.alg.Reference == "" {
		if err := load(ctx, t.ref, backendName(referenceLabel), filepath.Join(t.dir.Path, referenceDir)); err != nil {
			return err
		}
	}
	t.firstStep = t.state.Step
	return t.dir.Rewind(t.state.Step)
}

// initReference makes the KL reference a frozen copy of the initial policy
// when the recipe names no reference backend.
func (t *Trainer) initReference(ctx context.Context) error {
	if t.ref == nil || t.alg.Reference != "" {
		return nil
	}
	dir := filepath.Join(t.dir.Path, referenceDir)
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	if err := save(ctx, t.policy, backendName(t.alg.Policy), dir); err != nil {
		return err
	}
	return load(ctx, t.ref, backendName(referenceLabel), dir)
}

// save writes a model's checkpoint into dir.
func save(ctx context.Context, b backend.Backend, who, dir string) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return err
	}
	resp, err := b.Save(ctx, backend.SaveRequest{Dir: abs})
	if err != nil {
		return err
	}
	return diagErr(who, resp.Diagnostics)
}

// load restores a model's checkpoint from dir.
func load(ctx context.Context, b backend.Backend, who, dir string) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	resp, err := b.Load(ctx, backend.LoadRequest{Dir: abs})
	if err != nil {
		return err
	}
	return diagErr(who, resp.Diagnostics)
}
