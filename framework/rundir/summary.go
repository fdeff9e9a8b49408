package rundir

import (
	"encoding/json"
	"os"
	"path/filepath"

	"github.com/forkrl/forkrl/internal/atomicfile"
)

// Run states recorded in summary.json.
const (
	StatusRunning     = "running"     // the run is going, or was killed without a chance to say so
	StatusFinished    = "finished"    // all steps done and the final evaluation written
	StatusStopped     = "stopped"     // a hook asked to stop early
	StatusInterrupted = "interrupted" // cancelled (Ctrl-C, SIGTERM); resumable
	StatusFailed      = "failed"      // an error stopped the run; see Error
)

// Summary is summary.json: what a finished (or failed) run amounts to. The
// names of its fields are read by other tools.
type Summary struct {
	Name          string     `json:"name"`
	Status        string     `json:"status"`
	Error         string     `json:"error,omitempty"`
	Step          int        `json:"step"`  // the last completed step
	Steps         int        `json:"steps"` // the steps the recipe asks for
	WallTimeS     float64    `json:"wall_time_s"`
	TokensTrained int64      `json:"tokens_trained"`
	InitialEval   Evaluation `json:"initial_eval"`
	FinalEval     Evaluation `json:"final_eval"`
	BestEval      Evaluation `json:"best_eval"`
	BestEvalStep  int        `json:"best_eval_step"`
}

// WriteSummary writes summary.json.
func (d *Dir) WriteSummary(s Summary) error {
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(d.Path, SummaryFile), append(data, '\n'))
}

// ReadSummary reads the summary.json of the run directory at path.
func ReadSummary(path string) (Summary, error) {
	var s Summary
	data, err := os.ReadFile(filepath.Join(path, SummaryFile))
	if err != nil {
		return s, err
	}
	err = json.Unmarshal(data, &s)
	return s, err
}
