package rundir

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// TensorBoardDir is the folder of a run directory that output {
// tensorboard = true } keeps TensorBoard events in while the run trains.
const TensorBoardDir = "tensorboard"

// EventStart is the wall time that a run's TensorBoard events count from:
// the run's start, settings.json's modification time in whole seconds (0
// when it cannot be read), so that the event file is the same each time it
// is written. A step's event is at EventStart plus its timing_s/elapsed.
func EventStart(path string) float64 {
	if info, err := os.Stat(filepath.Join(path, SettingsFile)); err == nil {
		return float64(info.ModTime().Unix())
	}
	return 0
}

// EventFile is the name of a run's TensorBoard event file, from its
// EventStart.
func EventFile(start float64) string {
	return fmt.Sprintf("events.out.tfevents.%d.forkrl", int64(start))
}

// Scalars returns the evaluation's values by their TensorBoard tags:
// eval/DATASET/avg_at_n, pass_at_K, mean_length and mean_entropy.
func (e Evaluation) Scalars() map[string]float64 {
	m := map[string]float64{}
	for name, r := range e {
		p := "eval/" + name + "/"
		m[p+"avg_at_n"], m[p+"mean_length"], m[p+"mean_entropy"] = r.AvgAtN, r.MeanLength, r.MeanEntropy
		for k, v := range r.PassAtK {
			m[fmt.Sprintf("%spass_at_%d", p, k)] = v
		}
	}
	return m
}

// ReadEvals returns the evaluations that eval.jsonl of a run directory
// holds, by step.
func ReadEvals(path string) (map[int]Evaluation, error) {
	recs, _, err := readRecords(filepath.Join(path, EvalFile))
	if err != nil {
		return nil, err
	}
	out := map[int]Evaluation{}
	for _, r := range recs {
		var line struct {
			Dataset string `json:"dataset"`
			EvalResult
		}
		if err := json.Unmarshal(r.line, &line); err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Join(path, EvalFile), err)
		}
		if out[r.step] == nil {
			out[r.step] = Evaluation{}
		}
		out[r.step][line.Dataset] = line.EvalResult
	}
	return out, nil
}
