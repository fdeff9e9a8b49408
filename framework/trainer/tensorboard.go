package trainer

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"sort"

	"github.com/forkrl/forkrl/framework/rundir"
	"github.com/forkrl/forkrl/internal/atomicfile"
	"github.com/forkrl/forkrl/internal/tfevents"
)

// The run's TensorBoard event file (output { tensorboard = true }) holds one
// event per step: the step's metrics and the evaluation at that step, at
// the run's start plus timing_s/elapsed. It is written whole from the logs
// when the trainer starts or resumes (a resumed run drops what it logged
// after its checkpoint, so the file then matches the logs, without
// duplicate steps), and each finished step appends its event. A crash in
// the middle of an append leaves at most a torn last record, which
// TensorBoard skips and the next resume rewrites.

// rewriteEvents writes the run's event file whole from its metrics and
// evaluations so far, and removes any other event file of the folder (one
// of an earlier start time, which --allow-changes moves).
func (t *Trainer) rewriteEvents() error {
	start := rundir.EventStart(t.dir.Path)
	metrics, err := rundir.ReadMetrics(t.dir.Path)
	if err != nil {
		return err
	}
	evals, err := rundir.ReadEvals(t.dir.Path)
	if err != nil {
		return err
	}
	steps := map[int]rundir.Metrics{}
	for _, m := range metrics {
		step := int(m["step"])
		delete(m, "step")
		steps[step] = m
	}
	for step := range evals {
		if steps[step] == nil {
			steps[step] = rundir.Metrics{}
		}
	}
	order := make([]int, 0, len(steps))
	for s := range steps {
		order = append(order, s)
	}
	sort.Ints(order)
	var b bytes.Buffer
	w, err := tfevents.NewWriter(&b, start)
	if err != nil {
		return err
	}
	for _, s := range order {
		if err := writeStepEvent(w, start, s, steps[s], evals[s]); err != nil {
			return err
		}
	}
	dir := filepath.Join(t.dir.Path, rundir.TensorBoardDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	name := rundir.EventFile(start)
	if err := atomicfile.WriteFile(filepath.Join(dir, name), b.Bytes()); err != nil {
		return err
	}
	stale, _ := filepath.Glob(filepath.Join(dir, "events.out.tfevents.*"))
	for _, p := range stale {
		if filepath.Base(p) != name {
			if err := os.Remove(p); err != nil {
				return err
			}
		}
	}
	return nil
}

// appendEvents appends a finished step's event to the run's event file.
func (t *Trainer) appendEvents(step int, m rundir.Metrics, ev rundir.Evaluation) error {
	start := rundir.EventStart(t.dir.Path)
	f, err := os.OpenFile(filepath.Join(t.dir.Path, rundir.TensorBoardDir, rundir.EventFile(start)), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return err
	}
	if err := writeStepEvent(tfevents.AppendWriter(f), start, step, m, ev); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// writeStepEvent writes the event of a step: its metrics as the logs hold
// them (NaN for a value that was not finite) and its evaluation's scalars.
func writeStepEvent(w *tfevents.Writer, start float64, step int, m rundir.Metrics, ev rundir.Evaluation) error {
	values := make(map[string]float64, len(m))
	for k, v := range m {
		if math.IsInf(v, 0) {
			v = math.NaN()
		}
		values[k] = v
	}
	for k, v := range ev.Scalars() {
		values[k] = v
	}
	wall := 0.0
	if e, ok := values["timing_s/elapsed"]; ok && !math.IsNaN(e) {
		wall = e
	}
	return w.WriteScalars(int64(step), start+wall, values)
}
