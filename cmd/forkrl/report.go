package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/forkrl/forkrl/framework/report"
	"github.com/forkrl/forkrl/internal/atomicfile"
)

func init() {
	register(&command{
		name:    "report",
		summary: "write one self-contained HTML report of one or more run directories",
		run:     func(args []string) int { return reportCommand(args, os.Stdout, os.Stderr) },
	})
}

func reportCommand(args []string, stdout, stderr io.Writer) int {
	fs := usage{
		name:  "report",
		flags: "[-o report.html] [--samples N]",
		args:  "RUN_DIR...",
		about: []string{
			"Writes one HTML file, with no external resources, that shows the runs' settings, training and",
			"evaluation curves, entropy percentiles over steps and the entropy distribution of the saved",
			"rollouts, a comparison when several runs are given, and a token view of sampled responses",
			"coloured by entropy with the tokens the selector trained on marked. Files that cannot be read",
			"are named in the report and on stderr; the report shows the rest.",
		},
	}.flagSet(stderr)
	out := fs.String("o", "report.html", "the HTML file written")
	samples := fs.Int("samples", 8, "rollouts of each run's last saved step shown in the token view")
	minCount := fs.Int("min-count", 5, "rank only tokens seen at least this often")
	dirs, code := fs.parse(args)
	if code >= 0 {
		return code
	}
	start := time.Now()
	var runs []*report.Run
	for _, d := range dirs {
		r, err := report.Load(d)
		if err != nil {
			return fs.fail(err)
		}
		for _, w := range r.Warnings {
			fmt.Fprintf(stderr, "forkrl report: warning: %s\n", w)
		}
		runs = append(runs, r)
	}
	var b bytes.Buffer
	if err := report.Write(&b, runs, report.Options{Samples: *samples, MinCount: *minCount}); err != nil {
		return fs.fail(err)
	}
	if err := atomicfile.WriteFile(*out, b.Bytes()); err != nil {
		return fs.fail(err)
	}
	fmt.Fprintf(stdout, "wrote %s (%d runs, %.1f kB) in %.2fs\n", *out, len(runs), float64(b.Len())/1000, time.Since(start).Seconds())
	return 0
}
