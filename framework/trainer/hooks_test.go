package trainer

import (
	"context"
	"math"
	"path/filepath"
	"testing"

	"github.com/forkrl/forkrl/framework/hooks"
	"github.com/forkrl/forkrl/framework/rundir"
)

// TestHooksShapeTheRun runs the toy task with testdata/hooks.star: its
// reward, schedule and on_step hooks must show in the metrics, and its stop
// must end the run early with a final evaluation and checkpoint.
func TestHooksShapeTheRun(t *testing.T) {
	cfg := toyRun()
	cfg.Algorithm.Overlong = false
	script, err := hooks.Load(filepath.Join("testdata", "hooks.star"), hooks.Options{Seed: cfg.Seed})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "hooks")
	tr := toyTrainer(t, cfg, dir, newToyModel(), false)
	tr.hooks = script
	sum, err := tr.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if sum.Status != rundir.StatusStopped || sum.Step != 3 {
		t.Errorf("status %q after step %d; want stopped after step 3", sum.Status, sum.Step)
	}
	if _, _, ok, _ := tr.dir.LatestCheckpoint(); !ok {
		t.Error("no checkpoint after the hook stopped the run")
	}
	lines, err := rundir.ReadMetrics(dir)
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range lines {
		lr := 0.01 * float64(i+1)
		if math.Abs(m["actor/lr"]-lr) > 1e-12 || math.Abs(m["hook/lr_seen"]-lr) > 1e-12 {
			t.Errorf("step %d: actor/lr %v, hook/lr_seen %v; want %v", i+1, m["actor/lr"], m["hook/lr_seen"], lr)
		}
		bonus := m["critic/rewards/mean"] - m["critic/score/mean"]
		if want := 0.5 * (1 - m["response_length/clip_ratio"]); math.Abs(bonus-want) > 1e-9 {
			t.Errorf("step %d: the reward hook added %v on average, want %v", i+1, bonus, want)
		}
	}
}
