package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"

	"github.com/forkrl/forkrl/framework/analysis"
	"github.com/forkrl/forkrl/framework/figure"
	"github.com/forkrl/forkrl/framework/report"
	"github.com/forkrl/forkrl/framework/rundir"
)

func init() {
	analyzeSubcommands["steps"] = analyzeStepsCommand
	analyzeSubcommands["sweep"] = analyzeSweepCommand
}

// stepsReport is what forkrl analyze steps finds.
type stepsReport struct {
	Run   string                 `json:"run"`
	Steps []analysis.StepEntropy `json:"steps"`
}

func analyzeStepsCommand(args []string, stdout, stderr io.Writer) int {
	fs := usage{
		name:  "analyze steps",
		flags: "[--json FILE] [--figures DIR]",
		args:  "RUN_DIR",
		about: []string{
			"Percentiles of the token entropies of a run's saved rollouts (samples/), step by step.",
		},
	}.flagSet(stderr)
	jsonOut := fs.String("json", "", "also write the results as JSON to this file")
	figures := fs.String("figures", "", "write the figure (entropy-steps.svg) into this folder")
	dir, code := fs.parseOne(args)
	if code >= 0 {
		return code
	}
	r, err := report.Load(dir)
	if err != nil {
		fmt.Fprintf(stderr, "forkrl analyze steps: %v\n", err)
		return 1
	}
	for _, w := range r.Warnings {
		fmt.Fprintf(stderr, "forkrl analyze steps: warning: %s\n", w)
	}
	rep := stepsReport{Run: r.Name}
	if rep.Steps, err = r.EntropySteps(); err != nil {
		fmt.Fprintf(stderr, "forkrl analyze steps: %v\n", err)
		return 1
	}
	if len(rep.Steps) == 0 {
		fmt.Fprintf(stderr, "forkrl analyze steps: %s: no saved rollouts with tokens in %s\n", dir, filepath.Join(dir, rundir.SamplesDir))
		return 1
	}
	fmt.Fprintf(stdout, "%s: entropy of the saved rollouts' tokens by step\n%6s %7s %8s", r.Name, "step", "tokens", "mean")
	for _, p := range analysis.Percentiles {
		fmt.Fprintf(stdout, " %8s", fmt.Sprintf("p%g", 100*p))
	}
	fmt.Fprintln(stdout)
	for _, s := range rep.Steps {
		fmt.Fprintf(stdout, "%6d %7d %8.4f", s.Step, s.Tokens, s.Mean)
		for _, q := range s.Quantiles {
			fmt.Fprintf(stdout, " %8.4f", q.Value)
		}
		fmt.Fprintln(stdout)
	}
	if err := writeJSON(*jsonOut, rep); err != nil {
		fmt.Fprintf(stderr, "forkrl analyze steps: %v\n", err)
		return 1
	}
	if *figures != "" {
		l := report.EntropyStepsChart(r.Name, rep.Steps, true)
		if err := writeFigures(*figures, map[string]func() ([]byte, error){"entropy-steps.svg": l.SVG}, stdout); err != nil {
			fmt.Fprintf(stderr, "forkrl analyze steps: %v\n", err)
			return 1
		}
	}
	return 0
}

// sweepReport is what forkrl analyze sweep finds.
type sweepReport struct {
	Dataset string     `json:"dataset"`
	Arms    []sweepArm `json:"arms"`
}

// sweepArm is the runs of one arm of a sweep, its seeds.
type sweepArm struct {
	Arm      string          `json:"arm"`      // the run names without -seedN
	Selector string          `json:"selector"` // the selector's type: top, bottom; all (top-100%) counts as top
	Rho      float64         `json:"rho"`
	Runs     []string        `json:"runs"`
	Final    analysis.Spread `json:"final"` // the last evaluation's avg@n across seeds
	Steps    []sweepStep     `json:"steps"` // avg@n at each evaluated step across seeds
}

type sweepStep struct {
	Step int `json:"step"`
	analysis.Spread
}

var seedSuffix = regexp.MustCompile(`-seed\d+$`)

func analyzeSweepCommand(args []string, stdout, stderr io.Writer) int {
	fs := usage{
		name:  "analyze sweep",
		flags: "[--dataset NAME] [--json FILE] [--figures DIR]",
		args:  "RUN_DIR... | FOLDER",
		about: []string{
			"ρ-sweep curves from the runs of a sweep (or every run directory in FOLDER): the final",
			"held-out avg@n against ρ, and avg@n over steps for each arm, with the mean and standard",
			"deviation across seeds. An arm is the runs whose names differ only in -seedN; ρ is the",
			"rho setting of the selector the run trains with (1 for all tokens).",
		},
	}.flagSet(stderr)
	dataset := fs.String("dataset", "", "the evaluated dataset (default: the first one each run evaluates)")
	jsonOut := fs.String("json", "", "also write the results as JSON to this file")
	figures := fs.String("figures", "", "write the figures (sweep-final.svg, sweep-steps.svg) into this folder")
	dirs, code := fs.parse(args)
	if code >= 0 {
		return code
	}
	if len(dirs) == 1 && !rundir.Exists(dirs[0]) {
		entries, err := os.ReadDir(dirs[0])
		if err != nil {
			fmt.Fprintf(stderr, "forkrl analyze sweep: %v\n", err)
			return 1
		}
		folder := dirs[0]
		dirs = nil
		for _, e := range entries {
			if p := filepath.Join(folder, e.Name()); e.IsDir() && rundir.Exists(p) {
				dirs = append(dirs, p)
			}
		}
	}
	if len(dirs) == 0 {
		fmt.Fprintln(stderr, "forkrl analyze sweep: no run directories given")
		return 2
	}
	arms := map[string]*sweepArm{}
	perStep := map[string]map[int][]float64{}
	for _, d := range dirs {
		r, err := report.LoadLogs(d)
		if err != nil {
			fmt.Fprintf(stderr, "forkrl analyze sweep: %v\n", err)
			return 1
		}
		for _, w := range r.Warnings {
			fmt.Fprintf(stderr, "forkrl analyze sweep: warning: %s\n", w)
		}
		ds := *dataset
		if ds == "" && len(r.Evals) > 0 {
			ds = r.Evals[0].Dataset
		}
		var last *report.EvalLine
		name := seedSuffix.ReplaceAllString(r.Name, "")
		a, ok := arms[name]
		if !ok {
			sel, rho := selectorOf(r.Settings)
			a = &sweepArm{Arm: name, Selector: sel, Rho: rho}
			arms[name], perStep[name] = a, map[int][]float64{}
		}
		a.Runs = append(a.Runs, r.Name)
		for i, e := range r.Evals {
			if e.Dataset == ds {
				last = &r.Evals[i]
				perStep[name][e.Step] = append(perStep[name][e.Step], e.AvgAtN)
			}
		}
		if last == nil {
			fmt.Fprintf(stderr, "forkrl analyze sweep: warning: %s has no evaluation of %q; left out of the final accuracy\n", filepath.Join(d, rundir.EvalFile), ds)
			continue
		}
		if *dataset == "" {
			*dataset = ds
		}
		perStep[name][-1] = append(perStep[name][-1], last.AvgAtN) // -1: the final evaluation
	}
	rep := sweepReport{Dataset: *dataset}
	for name, a := range arms {
		a.Final = analysis.SpreadOf(perStep[name][-1])
		var steps []int
		for s := range perStep[name] {
			if s >= 0 {
				steps = append(steps, s)
			}
		}
		sort.Ints(steps)
		for _, s := range steps {
			a.Steps = append(a.Steps, sweepStep{Step: s, Spread: analysis.SpreadOf(perStep[name][s])})
		}
		sort.Strings(a.Runs)
		rep.Arms = append(rep.Arms, *a)
	}
	sort.Slice(rep.Arms, func(i, j int) bool {
		a, b := rep.Arms[i], rep.Arms[j]
		if a.Selector != b.Selector {
			return a.Selector > b.Selector // top first
		}
		return a.Rho < b.Rho
	})
	fmt.Fprintf(stdout, "final held-out avg@n on %s, mean ± sd across seeds\n", rep.Dataset)
	for _, a := range rep.Arms {
		fmt.Fprintf(stdout, "  %-14s %-6s ρ=%-5g %5.1f%% ± %4.1f (%d runs)\n", a.Arm, a.Selector, a.Rho, 100*a.Final.Mean, 100*a.Final.SD, a.Final.N)
	}
	if err := writeJSON(*jsonOut, rep); err != nil {
		fmt.Fprintf(stderr, "forkrl analyze sweep: %v\n", err)
		return 1
	}
	if *figures != "" {
		final := figure.Line{Title: "final accuracy against ρ (mean ± sd across seeds)", XLabel: "ρ (fraction of tokens trained)", YLabel: "avg@n (%)"}
		bySel := map[string]*figure.Series{}
		var order []string
		for _, a := range rep.Arms {
			if a.Final.N == 0 {
				continue
			}
			s, ok := bySel[a.Selector]
			if !ok {
				s = &figure.Series{Name: a.Selector + "-ρ", SD: []float64{}}
				bySel[a.Selector] = s
				order = append(order, a.Selector)
			}
			s.X, s.Y, s.SD = append(s.X, a.Rho), append(s.Y, 100*a.Final.Mean), append(s.SD, 100*a.Final.SD)
		}
		for _, sel := range order {
			final.Series = append(final.Series, *bySel[sel])
		}
		over := figure.Line{Title: "accuracy over steps per arm (mean ± sd across seeds)", XLabel: "step", YLabel: "avg@n (%)"}
		for _, a := range rep.Arms {
			s := figure.Series{Name: a.Arm, SD: []float64{}}
			for _, st := range a.Steps {
				s.X, s.Y, s.SD = append(s.X, float64(st.Step)), append(s.Y, 100*st.Mean), append(s.SD, 100*st.SD)
			}
			over.Series = append(over.Series, s)
		}
		err := writeFigures(*figures, map[string]func() ([]byte, error){"sweep-final.svg": final.SVG, "sweep-steps.svg": over.SVG}, stdout)
		if err != nil {
			fmt.Fprintf(stderr, "forkrl analyze sweep: %v\n", err)
			return 1
		}
	}
	return 0
}

// selectorOf reads from a run's settings the type and ρ of the selector
// its algorithm trains with: "all" is top-ρ at ρ = 1, and a run without a
// selector trains on all tokens.
func selectorOf(settings map[string]any) (string, float64) {
	alg, _ := settings["algorithm"].(map[string]any)
	label, _ := alg["selector"].(string)
	sels, _ := settings["selectors"].([]any)
	for _, s := range sels {
		b, _ := s.(map[string]any)
		if b["label"] != label || label == "" {
			continue
		}
		typ, _ := b["type"].(string)
		set, _ := b["settings"].(map[string]any)
		rho, ok := set["rho"].(float64)
		if typ == "all" || !ok {
			return "top", 1
		}
		return typ, rho
	}
	return "top", 1
}
