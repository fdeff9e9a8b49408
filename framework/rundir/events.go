package rundir

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/forkrl/forkrl/internal/atomicfile"
	"github.com/forkrl/forkrl/internal/tfevents"
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
	return tfevents.FileName(time.Unix(int64(start), 0), "forkrl")
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

// WriteEvents writes the metrics and evaluations of the run directory path
// as one TensorBoard event file in out, named EventFile(EventStart(path)),
// and returns its path: one event per step, with the step's metrics under
// their names (NaN for a value that was not finite) and its evaluation's
// Scalars, at EventStart plus the step's timing_s/elapsed. The file is the
// same each time it is written from the same logs, and AppendEvent extends
// it as WriteEvents would write it after the next step.
func WriteEvents(path, out string) (string, error) {
	start := EventStart(path)
	metrics, err := ReadMetrics(path)
	if err != nil {
		return "", err
	}
	evals, err := ReadEvals(path)
	if err != nil {
		return "", err
	}
	steps := map[int]Metrics{}
	for _, m := range metrics {
		step := int(m["step"])
		delete(m, "step")
		steps[step] = m
	}
	for step := range evals {
		if steps[step] == nil {
			steps[step] = Metrics{}
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
		return "", err
	}
	for _, s := range order {
		if err := writeStepEvent(w, start, s, steps[s], evals[s]); err != nil {
			return "", err
		}
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return "", err
	}
	file := filepath.Join(out, EventFile(start))
	return file, atomicfile.WriteFile(file, b.Bytes())
}

// AppendEvent appends the event of a finished step (its metrics, without
// "step", and its evaluation) to the event file that WriteEvents wrote for
// the run directory path in out.
func AppendEvent(path, out string, step int, m Metrics, ev Evaluation) error {
	start := EventStart(path)
	f, err := os.OpenFile(filepath.Join(out, EventFile(start)), os.O_WRONLY|os.O_APPEND, 0)
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
func writeStepEvent(w *tfevents.Writer, start float64, step int, m Metrics, ev Evaluation) error {
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
