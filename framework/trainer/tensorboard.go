package trainer

import (
	"path/filepath"

	"github.com/forkrl/forkrl/framework/report"
)

// writeEvents rewrites the run's TensorBoard event file whole from its
// metrics and evaluations so far (output { tensorboard = true }), so that
// a resumed run, which drops what it logged after its checkpoint, keeps a
// file that matches its logs.
func (t *Trainer) writeEvents() error {
	r, err := report.LoadLogs(t.dir.Path)
	if err != nil {
		return err
	}
	_, err = report.WriteEvents(r, filepath.Join(t.dir.Path, report.TensorBoardDir))
	return err
}
