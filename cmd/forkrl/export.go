package main

import (
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
	fs := usage{
		name:  "export",
		flags: "[--format tensorboard|csv] [-o DIR]",
		args:  "RUN_DIR",
		about: []string{
			"tensorboard writes one event file (events.out.tfevents.*): every metric of metrics.jsonl as a",
			"scalar per step under its own name, and evaluations as eval/DATASET/avg_at_n,",
			"eval/DATASET/pass_at_K, eval/DATASET/mean_length and eval/DATASET/mean_entropy; view it with",
			"tensorboard --logdir DIR. csv writes metrics.csv (a column per metric, a row per step) and",
			"eval.csv (a row per evaluation and dataset).",
		},
	}.flagSet(stderr)
	format := fs.String("format", "tensorboard", "tensorboard or csv")
	out := fs.String("o", "", "the folder written (default RUN_DIR/export)")
	dir, code := fs.parseOne(args)
	if code >= 0 {
		return code
	}
	if *format != "tensorboard" && *format != "csv" {
		fmt.Fprintf(stderr, "forkrl export: --format %q: want tensorboard or csv\n", *format)
		return 2
	}
	r, err := report.LoadLogs(dir)
	if err != nil {
		return fs.fail(err)
	}
	for _, w := range r.Warnings {
		fmt.Fprintf(stderr, "forkrl export: warning: %s\n", w)
	}
	if *out == "" {
		*out = filepath.Join(dir, "export")
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return fs.fail(err)
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
		return fs.fail(err)
	}
	for _, f := range files {
		fmt.Fprintf(stdout, "wrote %s\n", f)
	}
	return 0
}
