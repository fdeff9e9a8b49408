package main

import (
	"bytes"
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"

	"github.com/forkrl/forkrl/framework/report"
	"github.com/forkrl/forkrl/framework/run"
	"github.com/forkrl/forkrl/internal/atomicfile"
	"github.com/forkrl/forkrl/internal/tfevents"
)

func init() {
	register(&command{
		name:    "export",
		summary: "export a run's metrics and evaluations as TensorBoard event files or CSV",
		run:     func(args []string) int { return exportCommand(args, os.Stdout, os.Stderr) },
	})
}

func exportCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	format := fs.String("format", "tensorboard", "tensorboard or csv")
	out := fs.String("o", "", "the folder written (default RUN_DIR/export)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: forkrl export [--format tensorboard|csv] [-o DIR] RUN_DIR")
		fmt.Fprintln(stderr)
		fmt.Fprintln(stderr, "tensorboard writes one event file (events.out.tfevents.*): every metric of metrics.jsonl as a")
		fmt.Fprintln(stderr, "scalar per step under its own name, and evaluations as eval/DATASET/avg_at_n,")
		fmt.Fprintln(stderr, "eval/DATASET/pass_at_K, eval/DATASET/mean_length and eval/DATASET/mean_entropy; view it with")
		fmt.Fprintln(stderr, "tensorboard --logdir DIR. csv writes metrics.csv (a column per metric, a row per step) and")
		fmt.Fprintln(stderr, "eval.csv (a row per evaluation and dataset).")
		fmt.Fprintln(stderr)
		fs.PrintDefaults()
	}
	dir, ok := parseInterleaved(fs, args)
	if !ok {
		return 2
	}
	if *format != "tensorboard" && *format != "csv" {
		fmt.Fprintf(stderr, "forkrl export: --format %q: want tensorboard or csv\n", *format)
		return 2
	}
	r, err := report.Load(dir)
	if err != nil {
		fmt.Fprintf(stderr, "forkrl export: %v\n", err)
		return 1
	}
	for _, w := range r.Warnings {
		fmt.Fprintf(stderr, "forkrl export: warning: %s\n", w)
	}
	if *out == "" {
		*out = filepath.Join(dir, "export")
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fmt.Fprintf(stderr, "forkrl export: %v\n", err)
		return 1
	}
	var files []string
	if *format == "tensorboard" {
		files, err = exportEvents(r, *out)
	} else {
		files, err = exportCSV(r, *out)
	}
	if err != nil {
		fmt.Fprintf(stderr, "forkrl export: %v\n", err)
		return 1
	}
	for _, f := range files {
		fmt.Fprintf(stdout, "wrote %s\n", f)
	}
	return 0
}

// evalScalars are the scalars of an evaluation line, by tag.
func evalScalars(e report.EvalLine) map[string]float64 {
	p := "eval/" + e.Dataset + "/"
	m := map[string]float64{p + "avg_at_n": e.AvgAtN, p + "mean_length": e.MeanLength, p + "mean_entropy": e.MeanEntropy}
	for k, v := range e.PassAtK {
		m[fmt.Sprintf("%spass_at_%d", p, k)] = v
	}
	return m
}

// exportEvents writes the run as one TensorBoard event file. Wall times
// are the run's start (settings.json's modification time) plus
// timing_s/elapsed where a step has it, so that the file is the same each
// time it is written.
func exportEvents(r *report.Run, out string) ([]string, error) {
	start := 0.0
	if info, err := os.Stat(filepath.Join(r.Path, run.SettingsFile)); err == nil {
		start = float64(info.ModTime().Unix())
	}
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
		for k, v := range evalScalars(e) {
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
		return nil, err
	}
	for _, s := range order {
		if err := w.WriteScalars(int64(s), start+wall[s], steps[s]); err != nil {
			return nil, err
		}
	}
	path := filepath.Join(out, fmt.Sprintf("events.out.tfevents.%d.forkrl", int64(start)))
	return []string{path}, atomicfile.WriteFile(path, b.Bytes())
}

// exportCSV writes metrics.csv and eval.csv. Missing values are empty
// cells; NaN is written as NaN.
func exportCSV(r *report.Run, out string) ([]string, error) {
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
