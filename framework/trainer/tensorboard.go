package trainer

import (
	"os"
	"path/filepath"

	"github.com/forkrl/forkrl/framework/rundir"
)

// The run's TensorBoard event file (output { tensorboard = true }) holds one
// event per step (rundir.WriteEvents). It is written whole from the logs
// when the trainer starts or resumes (a resumed run drops what it logged
// after its checkpoint, so the file then matches the logs, without
// duplicate steps), and each finished step appends its event. A crash in
// the middle of an append leaves at most a torn last record, which
// TensorBoard skips and the next resume rewrites.

// rewriteEvents writes the run's event file whole from its metrics and
// evaluations so far, and removes any other event file of the folder (one
// of an earlier start time, which --allow-changes moves).
func (t *Trainer) rewriteEvents() error {
	dir := filepath.Join(t.dir.Path, rundir.TensorBoardDir)
	file, err := rundir.WriteEvents(t.dir.Path, dir)
	if err != nil {
		return err
	}
	stale, _ := filepath.Glob(filepath.Join(dir, "events.out.tfevents.*"))
	for _, p := range stale {
		if p != file {
			if err := os.Remove(p); err != nil {
				return err
			}
		}
	}
	return nil
}

// appendEvents appends a finished step's event to the run's event file.
func (t *Trainer) appendEvents(step int, m rundir.Metrics, ev rundir.Evaluation) error {
	return rundir.AppendEvent(t.dir.Path, filepath.Join(t.dir.Path, rundir.TensorBoardDir), step, m, ev)
}
