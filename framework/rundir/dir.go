package rundir

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/forkrl/forkrl/internal/atomicfile"
)

// File names inside a run directory.
const (
	SettingsFile   = "settings.json"
	MetricsFile    = "metrics.jsonl"
	EvalFile       = "eval.jsonl"
	SummaryFile    = "summary.json"
	LogFile        = "log.txt"
	DataFile       = "data.sha256"
	SamplesDir     = "samples"
	CheckpointsDir = "checkpoints"
)

// Dir is an open run directory. Its methods are not safe for concurrent use.
type Dir struct {
	Path string
	// Warn receives the messages about damage found and worked around (a
	// damaged checkpoint set aside), which also go to log.txt; nil: log.txt
	// only.
	Warn    func(msg string)
	metrics []record // the lines of metrics.jsonl, in step order
	evals   []record // the lines of eval.jsonl, in step order
}

// record is one line of a JSONL log and the step it belongs to.
type record struct {
	step int
	line []byte
}

// Inputs are what makes a run reproducible: the files it was started from
// (the recipe and hooks, by their names inside the run directory), the
// fingerprints of its data files and its fully resolved settings.
type Inputs struct {
	Files map[string][]byte
	// Data maps each data file of the run to its hex sha256 (written as
	// data.sha256); nil: the run reads no data file.
	Data     map[string]string
	Settings any // written as settings.json
	// Upgrade, when not nil, brings settings.json as an earlier version
	// recorded it to the current format before Changes compares it with
	// Settings.
	Upgrade func(recorded []byte) ([]byte, error)
}

// Create makes a new run directory at path and writes the run's inputs into
// it. It refuses a directory that already holds a run, so a run is never
// overwritten by accident.
func Create(path string, in Inputs) (*Dir, error) {
	if Exists(path) {
		return nil, fmt.Errorf("run directory %s already holds a run: continue it with --resume, or name another with --run", path)
	}
	if err := os.MkdirAll(filepath.Join(path, CheckpointsDir), 0o755); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(path, SamplesDir), 0o755); err != nil {
		return nil, err
	}
	if err := writeInputFiles(path, in); err != nil {
		return nil, err
	}
	settings, err := json.MarshalIndent(in.Settings, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding the run's settings: %w", err)
	}
	if err := atomicfile.WriteFile(filepath.Join(path, SettingsFile), append(settings, '\n')); err != nil {
		return nil, err
	}
	return &Dir{Path: path}, nil
}

// Exists reports whether path holds a run (its settings have been written).
func Exists(path string) bool {
	_, err := os.Stat(filepath.Join(path, SettingsFile))
	return err == nil
}

// Open opens an existing run directory, to resume it or read it.
func Open(path string) (*Dir, error) {
	if !Exists(path) {
		return nil, fmt.Errorf("%s is not a run directory (it has no %s)", path, SettingsFile)
	}
	d := &Dir{Path: path}
	for _, log := range []struct {
		name string
		recs *[]record
	}{{MetricsFile, &d.metrics}, {EvalFile, &d.evals}} {
		recs, torn, err := readRecords(filepath.Join(path, log.name))
		if err != nil {
			return nil, err
		}
		*log.recs = recs
		if torn {
			// A resumed run rewinds the logs to its checkpoint anyway.
			_ = d.Logf("%s: its last line was torn and is left out", log.name)
		}
	}
	return d, nil
}

// Settings returns the content of settings.json.
func (d *Dir) Settings() ([]byte, error) {
	return os.ReadFile(filepath.Join(d.Path, SettingsFile))
}

// readRecords reads a JSONL log whose lines carry a "step". A last line
// that is not one (torn by a crash of the disk or of a copy) is left out,
// and torn says so; any other bad line is an error.
func readRecords(path string) (recs []record, torn bool, err error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	lines := bytes.Split(bytes.TrimRight(data, "\n"), []byte("\n"))
	for i, line := range lines {
		if len(line) == 0 {
			continue
		}
		var head struct {
			Step *int `json:"step"`
		}
		if err := json.Unmarshal(line, &head); err != nil || head.Step == nil {
			if i == len(lines)-1 {
				return recs, true, nil
			}
			return nil, false, fmt.Errorf("%s:%d: not a log line with a step", path, i+1)
		}
		recs = append(recs, record{step: *head.Step, line: line})
	}
	return recs, false, nil
}

// writeRecords rewrites a JSONL log whole (atomically).
func writeRecords(path string, recs []record) error {
	var b bytes.Buffer
	for _, r := range recs {
		b.Write(r.line)
		b.WriteByte('\n')
	}
	return atomicfile.WriteFile(path, b.Bytes())
}

// Metrics are the named values of one training step, e.g. "actor/pg_loss".
type Metrics map[string]float64

// MarshalJSON writes the metrics with sorted keys; NaN and ±Inf become null.
func (m Metrics) MarshalJSON() ([]byte, error) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kj, _ := json.Marshal(k)
		b.Write(kj)
		b.WriteByte(':')
		b.WriteString(formatFloat(m[k]))
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON reads metrics written by MarshalJSON (null reads as NaN).
func (m *Metrics) UnmarshalJSON(data []byte) error {
	var raw map[string]*float64
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	*m = make(Metrics, len(raw))
	for k, v := range raw {
		if v == nil {
			(*m)[k] = math.NaN()
		} else {
			(*m)[k] = *v
		}
	}
	return nil
}

// AppendMetrics adds the metrics line of a step to metrics.jsonl:
// {"step": N, then the metrics in name order}.
func (d *Dir) AppendMetrics(step int, m Metrics) error {
	body, _ := m.MarshalJSON()
	line := fmt.Sprintf(`{"step":%d`, step)
	if len(body) > 2 {
		line += "," + string(body[1:])
	} else {
		line += "}"
	}
	d.metrics = append(d.metrics, record{step: step, line: []byte(line)})
	return writeRecords(filepath.Join(d.Path, MetricsFile), d.metrics)
}

// ReadMetrics returns the metrics lines of a run directory in step order;
// the "step" of each line is in its "step" entry.
func ReadMetrics(path string) ([]Metrics, error) {
	recs, _, err := readRecords(filepath.Join(path, MetricsFile))
	if err != nil {
		return nil, err
	}
	out := make([]Metrics, len(recs))
	for i, r := range recs {
		if err := json.Unmarshal(r.line, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// EvalResult is the evaluation of one dataset. Other tools read these names.
type EvalResult struct {
	N      int     `json:"n"`        // samples per problem
	AvgAtN float64 `json:"avg_at_n"` // mean accuracy of the N samples of every problem
	// PassAtK is the unbiased estimate of pass@k (Chen et al. 2021) from the
	// N samples, for each k evaluated (k ≤ N).
	PassAtK     map[int]float64 `json:"pass_at_k"`
	MeanLength  float64         `json:"mean_length"`
	MeanEntropy float64         `json:"mean_entropy"`
}

// Ks returns the k of PassAtK, ascending.
func (r EvalResult) Ks() []int {
	ks := make([]int, 0, len(r.PassAtK))
	for k := range r.PassAtK {
		ks = append(ks, k)
	}
	sort.Ints(ks)
	return ks
}

// LargestPass returns the largest k evaluated and its pass@k; 0, 0 when
// none was.
func (r EvalResult) LargestPass() (k int, pass float64) {
	if ks := r.Ks(); len(ks) > 0 {
		k = ks[len(ks)-1]
		return k, r.PassAtK[k]
	}
	return 0, 0
}

// Evaluation maps a dataset name to its result.
type Evaluation map[string]EvalResult

// AppendEval adds one line per dataset of an evaluation at a step to eval.jsonl.
func (d *Dir) AppendEval(step int, ev Evaluation) error {
	names := make([]string, 0, len(ev))
	for n := range ev {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		r := ev[n]
		line, err := json.Marshal(struct {
			Step    int    `json:"step"`
			Dataset string `json:"dataset"`
			EvalResult
		}{step, n, r})
		if err != nil {
			return err
		}
		d.evals = append(d.evals, record{step: step, line: line})
	}
	return writeRecords(filepath.Join(d.Path, EvalFile), d.evals)
}

// Sample is one rollout kept for later analysis, with its per-token values.
type Sample struct {
	Group     int       `json:"group"`
	Prompt    string    `json:"prompt"`
	Response  string    `json:"response"`
	Reward    float64   `json:"reward"`
	Advantage float64   `json:"advantage"`
	Finish    string    `json:"finish"`
	Pieces    []string  `json:"pieces"`
	Entropies []float32 `json:"entropies"`
	// Weights are the token selection's weight of each token in the step's
	// last update (1: trained on, 0: left out); absent when the run weighs
	// every token alike.
	Weights []float32 `json:"weights,omitempty"`
}

// WriteSamples writes a step's sample of rollouts to samples/step-NNNNNN.jsonl.
func (d *Dir) WriteSamples(step int, samples []Sample) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // responses are read by people: keep "<" and ">"
	for _, s := range samples {
		if err := enc.Encode(s); err != nil {
			return err
		}
	}
	return atomicfile.WriteFile(filepath.Join(d.Path, SamplesDir, stepName(step)+".jsonl"), b.Bytes())
}

// stepName is the file or directory name of a step: step-000012.
func stepName(step int) string { return fmt.Sprintf("step-%06d", step) }

// ParseStepName reads the step of a name the run directory gives a step's
// files and folders: step-000012, step-000012.jsonl.
func ParseStepName(name string) (int, bool) {
	name = strings.TrimSuffix(name, ".jsonl")
	s, ok := strings.CutPrefix(name, "step-")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

// Rewind drops everything logged after step, so that a resumed run that
// continues from the checkpoint of that step writes those steps again.
func (d *Dir) Rewind(step int) error {
	keep := func(recs []record) []record {
		out := recs[:0:0]
		for _, r := range recs {
			if r.step <= step {
				out = append(out, r)
			}
		}
		return out
	}
	d.metrics = keep(d.metrics)
	d.evals = keep(d.evals)
	if err := writeRecords(filepath.Join(d.Path, MetricsFile), d.metrics); err != nil {
		return err
	}
	if err := writeRecords(filepath.Join(d.Path, EvalFile), d.evals); err != nil {
		return err
	}
	entries, err := os.ReadDir(filepath.Join(d.Path, SamplesDir))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	for _, e := range entries {
		if n, ok := ParseStepName(e.Name()); ok && n > step {
			if err := os.Remove(filepath.Join(d.Path, SamplesDir, e.Name())); err != nil {
				return err
			}
		}
	}
	return nil
}

// Logf appends a line to the run's log.txt.
func (d *Dir) Logf(format string, args ...any) error {
	f, err := os.OpenFile(filepath.Join(d.Path, LogFile), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	msg := fmt.Sprintf(format, args...)
	if !strings.HasSuffix(msg, "\n") {
		msg += "\n"
	}
	if _, err := f.WriteString(msg); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// warnf writes a message about damage worked around to log.txt and Warn.
func (d *Dir) warnf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	_ = d.Logf("%s", msg)
	if d.Warn != nil {
		d.Warn(msg)
	}
}

func formatFloat(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "null"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}
