package report

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"

	"github.com/forkrl/forkrl/framework/rundir"
	"github.com/forkrl/forkrl/internal/atomicfile"
)

// WriteEvents writes the run's metrics and evaluations as one TensorBoard
// event file in out and returns its path (rundir.WriteEvents: each metric
// under its name, and eval/DATASET/avg_at_n, pass_at_K, mean_length and
// mean_entropy, at the run's start plus timing_s/elapsed), the file that
// output { tensorboard = true } keeps while the run trains.
func WriteEvents(r *Run, out string) (string, error) {
	return rundir.WriteEvents(r.Path, out)
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
