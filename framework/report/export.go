package report

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"

	"github.com/forkrl/forkrl/framework/rundir"
	"github.com/forkrl/forkrl/internal/atomicfile"
	"github.com/forkrl/forkrl/internal/tfevents"
)

// TensorBoardDir is the folder of a run directory that output {
// tensorboard = true } keeps TensorBoard events in while the run trains.
const TensorBoardDir = rundir.TensorBoardDir

// WriteEvents writes the run's metrics and evaluations as one TensorBoard
// event file in out and returns its path: each metric under its name, and
// eval/DATASET/avg_at_n, pass_at_K, mean_length and mean_entropy. Wall times
// are the run's start (settings.json's modification time) plus
// timing_s/elapsed where a step has it, so that the file is the same each
// time it is written.
func WriteEvents(r *Run, out string) (string, error) {
	start := rundir.EventStart(r.Path)
	steps := map[int]map[string]float64{}
	wall := map[int]float64{}
	for _, m := range r.Metrics {
		if steps[m.Step] == nil {
			steps[m.Step] = map[string]float64{}
		}
		for k, v := range m.Values {
			steps[m.Step][k] = v
		}
		if e, ok := m.Values["timing_s/elapsed"]; ok && !math.IsNaN(e) {
			wall[m.Step] = e
		}
	}
	for _, e := range r.Evals {
		if steps[e.Step] == nil {
			steps[e.Step] = map[string]float64{}
		}
		for k, v := range (rundir.Evaluation{e.Dataset: e.EvalResult}).Scalars() {
			steps[e.Step][k] = v
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
		if err := w.WriteScalars(int64(s), start+wall[s], steps[s]); err != nil {
			return "", err
		}
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(out, rundir.EventFile(start))
	return path, atomicfile.WriteFile(path, b.Bytes())
}

// WriteCSV writes the run's metrics.csv (a column per metric, a row per
// step) and eval.csv (a row per evaluation and dataset) in out and returns
// their paths. Missing values are empty cells; NaN is written as NaN.
func WriteCSV(r *Run, out string) ([]string, error) {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, err
	}
	names := r.MetricNames()
	var rows [][]string
	rows = append(rows, append([]string{"step"}, names...))
	for _, m := range r.Metrics {
		row := []string{strconv.Itoa(m.Step)}
		for _, n := range names {
			v, ok := m.Values[n]
			row = append(row, csvNumber(v, ok))
		}
		rows = append(rows, row)
	}
	metricsPath := filepath.Join(out, "metrics.csv")
	if err := writeCSV(metricsPath, rows); err != nil {
		return nil, err
	}
	ks := map[int]bool{}
	for _, e := range r.Evals {
		for k := range e.PassAtK {
			ks[k] = true
		}
	}
	kOrder := make([]int, 0, len(ks))
	for k := range ks {
		kOrder = append(kOrder, k)
	}
	sort.Ints(kOrder)
	head := []string{"step", "dataset", "n", "avg_at_n"}
	for _, k := range kOrder {
		head = append(head, fmt.Sprintf("pass_at_%d", k))
	}
	rows = [][]string{append(head, "mean_length", "mean_entropy")}
	for _, e := range r.Evals {
		row := []string{strconv.Itoa(e.Step), e.Dataset, strconv.Itoa(e.N), csvNumber(e.AvgAtN, true)}
		for _, k := range kOrder {
			v, ok := e.PassAtK[k]
			row = append(row, csvNumber(v, ok))
		}
		rows = append(rows, append(row, csvNumber(e.MeanLength, true), csvNumber(e.MeanEntropy, true)))
	}
	evalPath := filepath.Join(out, "eval.csv")
	if err := writeCSV(evalPath, rows); err != nil {
		return nil, err
	}
	return []string{metricsPath, evalPath}, nil
}

func csvNumber(v float64, ok bool) string {
	if !ok {
		return ""
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

func writeCSV(path string, rows [][]string) error {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	if err := w.WriteAll(rows); err != nil {
		return err
	}
	return atomicfile.WriteFile(path, b.Bytes())
}
