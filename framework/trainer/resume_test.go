package trainer

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/forkrl/forkrl/framework/plugin"
	"github.com/forkrl/forkrl/framework/pluginapi"
	"github.com/forkrl/forkrl/framework/pluginapi/selector"
	"github.com/forkrl/forkrl/framework/recipe"
	"github.com/forkrl/forkrl/framework/rundir"
)

// The test binary doubles as a plugin binary (forkrl's "plugin serve"
// arguments) and as a training process that a test kills.
func TestMain(m *testing.M) {
	if len(os.Args) > 2 {
		switch os.Args[1] {
		case "plugin":
			os.Exit(plugin.ServeCommand(os.Args[2:]))
		case "train-child":
			os.Exit(trainChild(os.Args[2], os.Args[3] == "resume"))
		}
	}
	os.Exit(m.Run())
}

func init() {
	// A selector whose process crashes on its 15th Select call (step 4, after
	// the checkpoint of step 2).
	plugin.Register(plugin.Builtin{Kind: pluginapi.KindSelector, Name: "toy-crash", New: func() any {
		return &toySelector{rho: 0.2, crashAt: 15}
	}})
}

// longToyRun is toyRun with more steps, for killing mid-run.
func longToyRun() *recipe.Config {
	cfg := toyRun()
	cfg.Train.Steps = 30
	cfg.Train.CheckpointInterval = 3
	return cfg
}

// trainChild runs the long toy run in dir, slowly, until it ends or is killed.
func trainChild(dir string, resume bool) int {
	tr, err := newToyTrainer(longToyRun(), dir, newToyModel(), resume)
	if err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		return 1
	}
	tr.progress = func(rundir.Progress) { time.Sleep(30 * time.Millisecond) }
	if _, err := tr.Run(context.Background()); err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		return 1
	}
	return 0
}

// finalState is what must be equal between a run that was interrupted and
// one that was not: the metrics lines without timings and the evaluations.
func finalState(t testing.TB, dir string) ([]rundir.Metrics, rundir.Summary) {
	t.Helper()
	sum, err := rundir.ReadSummary(dir)
	if err != nil {
		t.Fatal(err)
	}
	sum.WallTimeS = 0
	return withoutTimings(t, dir), sum
}

func TestKilledAndResumedEqualsUninterrupted(t *testing.T) {
	if testing.Short() {
		t.Skip("starts training processes")
	}
	ref := filepath.Join(t.TempDir(), "ref")
	if _, err := toyTrainer(t, longToyRun(), ref, newToyModel(), false).Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	wantMetrics, wantSummary := finalState(t, ref)

	dir := filepath.Join(t.TempDir(), "killed")
	cmd := exec.Command(os.Args[0], "train-child", dir, "fresh")
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Kill it between checkpoints, once it is well into the run.
	deadline := time.Now().Add(30 * time.Second)
	for {
		lines, _ := rundir.ReadMetrics(dir)
		if len(lines) >= 8 || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	lines, _ := rundir.ReadMetrics(dir)
	if len(lines) < 8 || len(lines) >= 30 {
		t.Fatalf("killed after %d steps; want it killed mid-run", len(lines))
	}
	sum, err := rundir.ReadSummary(dir)
	if err != nil || sum.Status != rundir.StatusRunning {
		t.Fatalf("summary after SIGKILL: %+v, %v; want the last checkpoint's, status running", sum, err)
	}

	resume := exec.Command(os.Args[0], "train-child", dir, "resume")
	resume.Stderr = os.Stderr
	if err := resume.Run(); err != nil {
		t.Fatalf("resumed run: %v", err)
	}
	gotMetrics, gotSummary := finalState(t, dir)
	if !reflect.DeepEqual(gotMetrics, wantMetrics) {
		for i := range min(len(gotMetrics), len(wantMetrics)) {
			if !reflect.DeepEqual(gotMetrics[i], wantMetrics[i]) {
				t.Fatalf("step %d differs after kill and resume:\n got %v\nwant %v", i+1, gotMetrics[i], wantMetrics[i])
			}
		}
		t.Fatalf("%d metrics lines after kill and resume, want %d", len(gotMetrics), len(wantMetrics))
	}
	if !reflect.DeepEqual(gotSummary, wantSummary) {
		t.Errorf("summary after kill and resume:\n got %+v\nwant %+v", gotSummary, wantSummary)
	}
}

func TestPluginCrashLeavesRunResumable(t *testing.T) {
	if testing.Short() {
		t.Skip("starts plugin processes")
	}
	ref := filepath.Join(t.TempDir(), "ref")
	if _, err := toyTrainer(t, toyRun(), ref, newToyModel(), false).Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	wantMetrics, wantSummary := finalState(t, ref)

	ctx := context.Background()
	crashy, err := plugin.Open(ctx, plugin.Spec{Kind: pluginapi.KindSelector, Name: "toy-crash", Label: "top"})
	if err != nil {
		t.Fatal(err)
	}
	defer crashy.Close()
	dir := filepath.Join(t.TempDir(), "crash")
	tr := toyTrainer(t, toyRun(), dir, newToyModel(), false)
	tr.selector = crashy.Selector()
	_, err = tr.Run(ctx)
	if err == nil || !strings.Contains(err.Error(), `selector plugin "top"`) {
		t.Fatalf("Run = %v; want an error naming the selector plugin", err)
	}
	sum, rerr := rundir.ReadSummary(dir)
	if rerr != nil || sum.Status != rundir.StatusFailed || !strings.Contains(sum.Error, `selector plugin "top"`) {
		t.Fatalf("summary = %+v, %v; want status failed with the plugin's name", sum, rerr)
	}
	lines := withoutTimings(t, dir)
	if len(lines) != sum.Step || !reflect.DeepEqual(lines, wantMetrics[:len(lines)]) {
		t.Errorf("after the crash the log holds %d lines for %d completed steps, or differs from the uninterrupted run", len(lines), sum.Step)
	}

	// Resumed with a working selector, the run ends as if nothing happened.
	if _, err := toyTrainer(t, toyRun(), dir, newToyModel(), true).Run(ctx); err != nil {
		t.Fatal(err)
	}
	gotMetrics, gotSummary := finalState(t, dir)
	if !reflect.DeepEqual(gotMetrics, wantMetrics) || !reflect.DeepEqual(gotSummary, wantSummary) {
		t.Errorf("resumed after the crash:\n got %v\n     %+v\nwant %v\n     %+v", gotMetrics, gotSummary, wantMetrics, wantSummary)
	}
}

var _ selector.Selector = (*toySelector)(nil)

func TestResumeFallsBackFromADamagedCheckpoint(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "toy")
	if _, err := toyTrainer(t, toyRun(), dir, newToyModel(), false).Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	wantMetrics, wantSummary := finalState(t, dir)
	weights := filepath.Join(dir, rundir.CheckpointsDir, "step-000006", policyDir, "toy.json")
	b, err := os.ReadFile(weights)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0x01
	if err := os.WriteFile(weights, b, 0o644); err != nil {
		t.Fatal(err)
	}
	tr := toyTrainer(t, toyRun(), dir, newToyModel(), true)
	var warnings []string
	tr.dir.Warn = func(msg string) { warnings = append(warnings, msg) }
	if _, err := tr.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], weights) || !strings.Contains(warnings[0], "resumes from the checkpoint of step 4") {
		t.Errorf("warnings %q, want one naming %s", warnings, weights)
	}
	gotMetrics, gotSummary := finalState(t, dir)
	if !reflect.DeepEqual(gotMetrics, wantMetrics) || !reflect.DeepEqual(gotSummary, wantSummary) {
		t.Errorf("resumed from step 4:\n got %v\n     %+v\nwant %v\n     %+v", gotMetrics, gotSummary, wantMetrics, wantSummary)
	}
}
