package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/forkrl/forkrl/framework/analysis"
	"github.com/forkrl/forkrl/framework/rundir"
)

// Run is what a run directory holds, read leniently: lines and files that
// cannot be read are left out and named in Warnings.
type Run struct {
	Path     string
	Name     string                  // settings.json's name, else the directory's
	Settings map[string]any          // settings.json as decoded JSON; nil when missing
	Summary  map[string]any          // summary.json; nil when missing
	Metrics  []StepMetrics           // metrics.jsonl, in file order
	Evals    []EvalLine              // eval.jsonl, in file order
	Samples  []StepSamples           // samples/step-*.jsonl, by step
	Overlap  *analysis.OverlapResult // analysis/overlap.json, when forkrl analyze overlap saved one
	Grid     *analysis.GridResult    // analysis/grid.json, when forkrl analyze grid saved one
	Warnings []string                // what could not be read, by file (and line)
}

// StepMetrics is one line of metrics.jsonl.
type StepMetrics struct {
	Step   int
	Values rundir.Metrics
}

// EvalLine is one line of eval.jsonl.
type EvalLine struct {
	Step    int    `json:"step"`
	Dataset string `json:"dataset"`
	rundir.EvalResult
}

// StepSamples are the rollouts saved at one step.
type StepSamples struct {
	Step    int
	Samples []rundir.Sample
}

// Load reads the run directory at path. It fails only when path is not a
// directory or holds none of a run's files; everything else that cannot be
// read becomes a warning.
func Load(path string) (*Run, error) { return load(path, true) }

// LoadLogs is Load without the saved rollouts and analyses: the settings,
// summary, metrics and evaluations.
func LoadLogs(path string) (*Run, error) { return load(path, false) }

func load(path string, all bool) (*Run, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("%s is not a run directory", path)
	}
	r := &Run{Path: path, Name: filepath.Base(filepath.Clean(path))}
	found := false
	if b, ok := r.readFile(rundir.SettingsFile); ok {
		found = true
		if err := json.Unmarshal(b, &r.Settings); err != nil {
			r.warn("%s: %v", r.file(rundir.SettingsFile), err)
		} else if name, ok := r.Settings["name"].(string); ok && name != "" {
			r.Name = name
		}
	}
	if b, ok := r.readFile(rundir.SummaryFile); ok {
		found = true
		if err := json.Unmarshal(b, &r.Summary); err != nil {
			r.warn("%s: %v", r.file(rundir.SummaryFile), err)
		}
	}
	if b, ok := r.readFile(rundir.MetricsFile); ok {
		found = true
		r.jsonLines(rundir.MetricsFile, b, func(line []byte) error {
			var head struct {
				Step *int `json:"step"`
			}
			var m rundir.Metrics
			if err := json.Unmarshal(line, &head); err != nil {
				return err
			}
			if head.Step == nil {
				return errors.New("no step")
			}
			if err := json.Unmarshal(line, &m); err != nil {
				return err
			}
			delete(m, "step")
			r.Metrics = append(r.Metrics, StepMetrics{Step: *head.Step, Values: m})
			return nil
		})
	}
	if b, ok := r.readFile(rundir.EvalFile); ok {
		found = true
		r.jsonLines(rundir.EvalFile, b, func(line []byte) error {
			var e EvalLine
			if err := json.Unmarshal(line, &e); err != nil {
				return err
			}
			if e.Dataset == "" {
				return errors.New("no dataset")
			}
			r.Evals = append(r.Evals, e)
			return nil
		})
	}
	if !all {
		if !found {
			return nil, fmt.Errorf("%s is not a run directory: it has no %s, %s or %s", path, rundir.SettingsFile, rundir.MetricsFile, rundir.EvalFile)
		}
		return r, nil
	}
	entries, err := os.ReadDir(filepath.Join(path, rundir.SamplesDir))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		r.warn("%s: %v", r.file(rundir.SamplesDir), err)
	}
	for _, e := range entries {
		step, ok := rundir.ParseStepName(e.Name())
		if !ok {
			continue
		}
		found = true
		name := filepath.Join(rundir.SamplesDir, e.Name())
		b, ok := r.readFile(name)
		if !ok {
			continue
		}
		ss := StepSamples{Step: step}
		r.jsonLines(name, b, func(line []byte) error {
			var s rundir.Sample
			if err := json.Unmarshal(line, &s); err != nil {
				return err
			}
			if len(s.Pieces) != len(s.Entropies) || (s.Weights != nil && len(s.Weights) != len(s.Entropies)) {
				return fmt.Errorf("%d pieces, %d entropies and %d weights", len(s.Pieces), len(s.Entropies), len(s.Weights))
			}
			ss.Samples = append(ss.Samples, s)
			return nil
		})
		r.Samples = append(r.Samples, ss)
	}
	sort.Slice(r.Samples, func(a, b int) bool { return r.Samples[a].Step < r.Samples[b].Step })
	r.readJSON(filepath.Join(AnalysisDir, OverlapFile), &r.Overlap)
	r.readJSON(filepath.Join(AnalysisDir, GridFile), &r.Grid)
	if !found {
		return nil, fmt.Errorf("%s is not a run directory: it has no %s, %s, %s or %s/", path, rundir.SettingsFile, rundir.MetricsFile, rundir.EvalFile, rundir.SamplesDir)
	}
	if len(r.Metrics) == 0 {
		r.warn("%s: no training steps logged", r.file(rundir.MetricsFile))
	}
	if len(r.Samples) == 0 {
		r.warn("%s: no saved rollouts (output { rollout_samples = N } saves them): no entropy analyses or token view", r.file(rundir.SamplesDir))
	}
	return r, nil
}

func (r *Run) file(name string) string { return filepath.Join(r.Path, name) }

func (r *Run) warn(format string, args ...any) {
	r.Warnings = append(r.Warnings, fmt.Sprintf(format, args...))
}

// readFile reads a file of the run; a missing file is not an error.
func (r *Run) readFile(name string) ([]byte, bool) {
	b, err := os.ReadFile(r.file(name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false
	}
	if err != nil {
		r.warn("%v", err)
		return nil, false
	}
	return b, true
}

// readJSON decodes a JSON file of the run into *dst, a pointer to a
// pointer that stays nil when the file is missing or cannot be read.
func (r *Run) readJSON(name string, dst any) {
	b, ok := r.readFile(name)
	if !ok {
		return
	}
	if err := json.Unmarshal(b, dst); err != nil {
		r.warn("%s: left out: %v", r.file(name), err)
	}
}

// jsonLines calls f on each non-empty line of a JSONL file and turns its
// errors into warnings naming the file and line.
func (r *Run) jsonLines(name string, b []byte, f func([]byte) error) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 1<<16), 1<<28)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		if err := f(line); err != nil {
			r.warn("%s:%d: left out: %v", r.file(name), n, err)
		}
	}
	if err := sc.Err(); err != nil {
		r.warn("%s: %v", r.file(name), err)
	}
}

// MetricNames returns the names of the metrics logged at any step, sorted.
func (r *Run) MetricNames() []string {
	seen := map[string]bool{}
	for _, m := range r.Metrics {
		for k := range m.Values {
			seen[k] = true
		}
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Series returns the steps and values of one metric, where logged.
func (r *Run) Series(name string) (steps, values []float64) {
	for _, m := range r.Metrics {
		if v, ok := m.Values[name]; ok {
			steps, values = append(steps, float64(m.Step)), append(values, v)
		}
	}
	return steps, values
}
