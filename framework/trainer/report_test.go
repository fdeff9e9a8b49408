package trainer

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/forkrl/forkrl/framework/recipe"
	"github.com/forkrl/forkrl/framework/rundir"
	"github.com/forkrl/forkrl/internal/tfevents"
)

// TestSamplesCarrySelection checks that the saved rollouts carry the token
// selection's weights: one per token, each 0 or 1, some of each (the toy's
// selector keeps the top 20%).
func TestSamplesCarrySelection(t *testing.T) {
	cfg := toyRun()
	cfg.Train.Steps = 1
	dir := filepath.Join(t.TempDir(), "r")
	if _, err := toyTrainer(t, cfg, dir, newToyModel(), false).Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(dir, rundir.SamplesDir, "step-000001.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var ones, zeros, lines int
	for sc := bufio.NewScanner(f); sc.Scan(); lines++ {
		var s rundir.Sample
		if err := json.Unmarshal(sc.Bytes(), &s); err != nil {
			t.Fatal(err)
		}
		if len(s.Weights) != len(s.Entropies) {
			t.Fatalf("sample %d: %d weights for %d tokens", lines, len(s.Weights), len(s.Entropies))
		}
		for _, w := range s.Weights {
			switch w {
			case 0:
				zeros++
			case 1:
				ones++
			default:
				t.Fatalf("weight %v", w)
			}
		}
	}
	if lines != cfg.Output.RolloutSamples || ones == 0 || zeros == 0 {
		t.Errorf("%d samples, %d selected and %d left-out tokens", lines, ones, zeros)
	}
}

// TestEvalEntropyGate checks that the eval block's entropy gate reaches the
// backend in evaluation and not in training rollouts.
func TestEvalEntropyGate(t *testing.T) {
	cfg := toyRun()
	cfg.Train.Steps, cfg.Eval.Interval = 1, 0
	cfg.Eval.EntropyGate = &recipe.EntropyGate{Threshold: 0.5, THigh: 1.5, TLow: 0.5}
	model := newToyModel()
	if _, err := toyTrainer(t, cfg, filepath.Join(t.TempDir(), "r"), model, false).Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	gated, plain := 0, 0
	for _, g := range model.gates {
		switch {
		case g == nil:
			plain++
		case g.Threshold == 0.5 && g.THigh == 1.5 && g.TLow == 0.5:
			gated++
		default:
			t.Fatalf("gate %+v", g)
		}
	}
	// Evaluation at the start and the end; rollouts in between.
	if gated != 2 || plain == 0 {
		t.Errorf("%d gated and %d plain Generate calls; want 2 gated (the evaluations) and the rollouts plain", gated, plain)
	}
}

// TestTensorBoardWhileTraining checks output { tensorboard = true }: after
// the run, its event file holds every step's metrics and every evaluation.
func TestTensorBoardWhileTraining(t *testing.T) {
	cfg := toyRun()
	cfg.Train.Steps, cfg.Output.TensorBoard = 3, true
	dir := filepath.Join(t.TempDir(), "r")
	if _, err := toyTrainer(t, cfg, dir, newToyModel(), false).Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, rundir.TensorBoardDir, "events.out.tfevents.*"))
	if len(files) != 1 {
		t.Fatalf("event files %v", files)
	}
	f, err := os.Open(files[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	events, err := tfevents.Read(f)
	if err != nil {
		t.Fatal(err)
	}
	metrics, err := rundir.ReadMetrics(dir)
	if err != nil {
		t.Fatal(err)
	}
	got := map[int64]map[string]float32{}
	for _, ev := range events {
		for _, s := range ev.Scalars {
			if got[ev.Step] == nil {
				got[ev.Step] = map[string]float32{}
			}
			got[ev.Step][s.Tag] = s.Value
		}
	}
	for i, m := range metrics {
		step := int64(i + 1)
		if v, ok := got[step]["actor/entropy"]; !ok || v != float32(m["actor/entropy"]) {
			t.Errorf("step %d: actor/entropy %v in the events, %v in metrics.jsonl", step, v, m["actor/entropy"])
		}
	}
	// Evaluations at the start, at step 3 (the interval) and the end.
	for _, step := range []int64{0, 3} {
		if _, ok := got[step]["eval/letters/avg_at_n"]; !ok {
			t.Errorf("no evaluation at step %d in the events", step)
		}
	}
}

// TestTensorBoardAppendsAsTheRewriteWrote checks that the event file the
// trainer appends step by step is, byte for byte, the one rundir.WriteEvents
// writes whole from the run's logs, and that a run resumed from an earlier
// checkpoint than its last step leaves one event per step, none twice.
func TestTensorBoardAppendsAsTheRewriteWrote(t *testing.T) {
	cfg := toyRun()
	cfg.Train.Steps, cfg.Train.CheckpointInterval, cfg.Output.TensorBoard = 3, 2, true
	dir := filepath.Join(t.TempDir(), "r")
	if _, err := toyTrainer(t, cfg, dir, newToyModel(), false).Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	checkEvents := func(when string, steps []int64) {
		t.Helper()
		files, _ := filepath.Glob(filepath.Join(dir, rundir.TensorBoardDir, "events.out.tfevents.*"))
		if len(files) != 1 {
			t.Fatalf("%s: event files %v", when, files)
		}
		got, err := os.ReadFile(files[0])
		if err != nil {
			t.Fatal(err)
		}
		path, err := rundir.WriteEvents(dir, t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if filepath.Base(path) != filepath.Base(files[0]) || !bytes.Equal(got, want) {
			t.Errorf("%s: the appended event file %s (%d bytes) differs from the rewrite %s (%d bytes)", when, filepath.Base(files[0]), len(got), filepath.Base(path), len(want))
		}
		events, err := tfevents.Read(bytes.NewReader(got))
		if err != nil {
			t.Fatal(err)
		}
		var seen []int64
		for _, ev := range events[1:] { // after the file_version event
			seen = append(seen, ev.Step)
		}
		if !slices.Equal(seen, steps) {
			t.Errorf("%s: events of steps %v, want %v", when, seen, steps)
		}
	}
	checkEvents("after the run", []int64{0, 1, 2, 3})

	// Resumed from step 2's checkpoint, as after a kill during step 3's.
	if err := os.RemoveAll(filepath.Join(dir, rundir.CheckpointsDir, "step-000003")); err != nil {
		t.Fatal(err)
	}
	if _, err := toyTrainer(t, cfg, dir, newToyModel(), true).Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	checkEvents("after the resume", []int64{0, 1, 2, 3})
}
