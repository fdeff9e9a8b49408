package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/forkrl/forkrl/framework/report"
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
		var f string
		f, err = report.WriteEvents(r, *out)
		files = []string{f}
	} else {
		files, err = report.WriteCSV(r, *out)
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
