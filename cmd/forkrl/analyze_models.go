package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/forkrl/forkrl/framework/analysis"
	"github.com/forkrl/forkrl/framework/plugin"
	"github.com/forkrl/forkrl/framework/recipe"
	"github.com/forkrl/forkrl/framework/report"
	"github.com/forkrl/forkrl/framework/rundir"
)

func init() {
	analyzeSubcommands["overlap"] = analyzeOverlapCommand
	analyzeSubcommands["grid"] = analyzeGridCommand
}

// modelFlags are the flags of the analyses that sample a recipe's policy.
type modelFlags struct {
	rf       runFlags
	run      string
	problems int
	k        int
	seed     uint64
	jsonOut  string
	figures  string
}

func (m *modelFlags) register(fs *flag.FlagSet, problems, k int) {
	m.rf.register(fs)
	fs.StringVar(&m.run, "run", "", "the run of the recipe whose plugins and data are used, when it has several")
	fs.IntVar(&m.problems, "problems", problems, "held-out problems sampled (at most the dataset's)")
	fs.IntVar(&m.k, "k", k, "samples per problem")
	fs.Uint64Var(&m.seed, "seed", 1, "the sampling seed")
	fs.StringVar(&m.jsonOut, "json", "", "also write the results as JSON to this file")
	fs.StringVar(&m.figures, "figures", "", "write the figures as SVG into this folder")
}

// withSession parses the command line, opens a session on the recipe's run
// and calls f with it; it returns the exit code. name is the subcommand of
// forkrl analyze ("" for analyze itself).
func (m *modelFlags) withSession(name string, fs *commandLine, args []string, stderr io.Writer, check func() error, f func(ctx context.Context, path string, s *session) error) int {
	cmd := strings.TrimSpace("forkrl analyze " + name)
	path, code := fs.parseOne(args)
	if code >= 0 {
		return code
	}
	if m.k < 1 || m.problems < 1 {
		fmt.Fprintf(stderr, "%s: --k and --problems must be at least 1\n", cmd)
		return 2
	}
	if check != nil {
		if err := check(); err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", cmd, err)
			return 2
		}
	}
	rec, code := loadRecipe(path, m.rf.vars, stderr)
	if rec == nil {
		return code
	}
	r, err := pickRun(rec, m.run)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", cmd, err)
		return 2
	}
	ctx, stop := interruptible()
	defer stop()
	defer plugin.CloseAll()
	dir, err := os.MkdirTemp("", "forkrl-analyze-")
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", cmd, err)
		return 1
	}
	defer os.RemoveAll(dir)
	sess, err := openSession(ctx, r, dir, m.problems)
	defer sess.close()
	if err == nil {
		err = f(ctx, path, sess)
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: %s: %v\n", cmd, r.Name, err)
		return 1
	}
	return 0
}

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// floatsFlag is a comma-separated list of numbers.
type floatsFlag []float64

func (f *floatsFlag) String() string {
	parts := make([]string, len(*f))
	for i, x := range *f {
		parts[i] = strconv.FormatFloat(x, 'g', -1, 64)
	}
	return strings.Join(parts, ",")
}

func (f *floatsFlag) Set(v string) error {
	*f = nil
	for _, p := range strings.Split(v, ",") {
		x, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || x <= 0 {
			return fmt.Errorf("%q is not a positive number", p)
		}
		*f = append(*f, x)
	}
	return nil
}

func analyzeOverlapCommand(args []string, stdout, stderr io.Writer) int {
	fs := usage{
		name:  "analyze overlap",
		flags: "[--base DIR] [--checkpoint DIR ...] [--run-dir RUN_DIR] [--problems N] [--k N] [--json FILE] [--figures DIR]",
		args:  "RECIPE",
		about: []string{
			"Samples responses from the base policy at T = 1, scores the same responses under the base and",
			"under each checkpoint, and reports the share of the base's top-20% entropy positions that are",
			"also in the checkpoint's top 20% (the paper: over 86% at convergence), and how the entropy",
			"of each base-entropy percentile bin changed. Figures: overlap.svg, entropy-change-by-bin.svg.",
		},
	}.flagSet(stderr)
	var m modelFlags
	m.register(fs.FlagSet, 256, 2)
	base := fs.String("base", "", "the base policy checkpoint (default: the recipe's model)")
	var checkpoints listFlag
	fs.Var(&checkpoints, "checkpoint", "a policy checkpoint compared with the base (repeatable)")
	runDir := fs.String("run-dir", "", "compare every policy checkpoint of this run directory, in step order, and save the results in its analysis/overlap.json for forkrl report")
	fraction := fs.Float64("fraction", 0.2, "the top fraction of positions by entropy")
	bins := fs.Int("bins", 10, "base-entropy percentile bins")
	check := func() error {
		if *fraction <= 0 || *fraction > 1 || *bins < 1 {
			return fmt.Errorf("--fraction must be in (0, 1] and --bins at least 1")
		}
		if *runDir != "" {
			found, err := runCheckpoints(*runDir)
			if err != nil {
				return err
			}
			checkpoints = append(checkpoints, found...)
		}
		if len(checkpoints) == 0 {
			return fmt.Errorf("nothing to compare: give --checkpoint DIR or --run-dir RUN_DIR")
		}
		return nil
	}
	return m.withSession("overlap", fs, args, stderr, check, func(ctx context.Context, path string, s *session) error {
		rep := analysis.OverlapResult{Recipe: path, Run: s.r.Name, Base: *base, Dataset: s.ds.Name, Problems: len(s.problems), K: m.k, Seed: m.seed, Fraction: *fraction}
		if err := s.load(ctx, *base); err != nil {
			return err
		}
		sam, err := s.sample(ctx, m.k, m.seed, sampling(1, nil, s.r.Eval.MaxResponseTokens))
		if err != nil {
			return err
		}
		before, err := s.entropies(ctx, sam)
		if err != nil {
			return err
		}
		rep.Responses = len(before)
		var sum float64
		for _, row := range before {
			for _, h := range row {
				sum += float64(h)
				rep.Tokens++
			}
		}
		rep.BaseMean = sum / float64(max(rep.Tokens, 1))
		for _, ck := range checkpoints {
			if err := s.load(ctx, ck); err != nil {
				return err
			}
			after, err := s.entropies(ctx, sam)
			if err != nil {
				return err
			}
			pt := analysis.OverlapPoint{Checkpoint: ck, Step: checkpointStep(ck)}
			if pt.Overlap, err = analysis.TopOverlap(before, after, *fraction); err != nil {
				return err
			}
			if pt.Bins, err = analysis.ChangeByBin(before, after, *bins); err != nil {
				return err
			}
			for _, b := range pt.Bins {
				pt.MeanChange += b.MeanChange * float64(b.Tokens) / float64(max(rep.Tokens, 1))
			}
			rep.Checkpoints = append(rep.Checkpoints, pt)
		}
		writeOverlap(stdout, rep)
		if err := saveAnalysis(*runDir, report.OverlapFile, rep, stdout); err != nil {
			return err
		}
		if err := writeJSON(m.jsonOut, rep); err != nil {
			return err
		}
		if m.figures == "" {
			return nil
		}
		return writeFigures(m.figures, map[string]func() ([]byte, error){
			"overlap.svg":               report.OverlapFigure(rep).SVG,
			"entropy-change-by-bin.svg": report.BinChangeFigure(rep).SVG,
		}, stdout)
	})
}

// saveAnalysis writes an analysis of a run into its analysis folder, for
// forkrl report (nothing when runDir is "").
func saveAnalysis(runDir, name string, v any, stdout io.Writer) error {
	if runDir == "" {
		return nil
	}
	dir := filepath.Join(runDir, report.AnalysisDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	path := filepath.Join(dir, name)
	if err := writeJSON(path, v); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s\n", path)
	return nil
}

// runCheckpoints lists the policy checkpoints of a run directory in step
// order.
func runCheckpoints(dir string) ([]string, error) {
	steps, err := rundir.CheckpointSteps(dir)
	if err != nil {
		return nil, fmt.Errorf("reading the checkpoints of %s: %w", dir, err)
	}
	var out []string
	for _, step := range steps {
		p := filepath.Join(rundir.CheckpointDir(dir, step), "policy")
		if _, err := os.Stat(p); err == nil && step > 0 {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s has no policy checkpoints (checkpoints/step-NNNNNN/policy)", dir)
	}
	return out, nil
}

// checkpointStep is the step of a checkpoint path .../step-NNNNNN/policy,
// else 0.
func checkpointStep(path string) int {
	for _, part := range strings.Split(filepath.ToSlash(path), "/") {
		if n, ok := rundir.ParseStepName(part); ok {
			return n
		}
	}
	return 0
}

func writeOverlap(w io.Writer, rep analysis.OverlapResult) {
	base := rep.Base
	if base == "" {
		base = "the recipe's model"
	}
	fmt.Fprintf(w, "%d responses (%d tokens) sampled from %s on %d problems of %s × %d at T=1 (seed %d); mean entropy %.4f\n",
		rep.Responses, rep.Tokens, base, rep.Problems, rep.Dataset, rep.K, rep.Seed, rep.BaseMean)
	for _, pt := range rep.Checkpoints {
		fmt.Fprintf(w, "%s: top-%g%% position overlap %.1f%%, mean entropy change %+.4f\n", pt.Checkpoint, 100*rep.Fraction, 100*pt.Overlap, pt.MeanChange)
		fmt.Fprintf(w, "  %-12s %10s %10s %10s %10s\n", "percentile", "base mean", "change", "|change|", "relative")
		for _, b := range pt.Bins {
			fmt.Fprintf(w, "  %3.0f–%3.0f%%    %10.4f %+10.4f %10.4f %+9.1f%%\n", 100*b.Lo, 100*b.Hi, b.BaseMean, b.MeanChange, b.MeanAbsChange, 100*b.RelChange)
		}
	}
}

func analyzeGridCommand(args []string, stdout, stderr io.Writer) int {
	fs := usage{
		name:  "analyze grid",
		flags: "[--t-high 0.6,0.8,1,1.2,1.5] [--t-low 0.6,1] [--entropy-gate H | --percentile 0.8] [--checkpoint DIR] [--problems N] [--k N] [--json FILE] [--figures DIR]",
		args:  "RECIPE",
		about: []string{
			"The paper's decoding experiment: samples each held-out problem with an entropy-gated",
			"temperature (t_high where a token's entropy at T = 1 is above the threshold, else t_low) for",
			"each (t_high, t_low), with the same seed, and prints and plots the accuracy (grid.svg).",
		},
	}.flagSet(stderr)
	var m modelFlags
	m.register(fs.FlagSet, 256, 2)
	checkpoint := fs.String("checkpoint", "", "a policy checkpoint directory to load instead of the recipe's")
	runDir := fs.String("run-dir", "", "analyze the last policy checkpoint of this run directory (unless --checkpoint) and save the results in its analysis/grid.json for forkrl report")
	highs := floatsFlag{0.6, 0.8, 1, 1.2, 1.5}
	lows := floatsFlag{0.6, 1}
	fs.Var(&highs, "t-high", "temperatures above the threshold, comma-separated")
	fs.Var(&lows, "t-low", "temperatures below the threshold, comma-separated")
	threshold := fs.Float64("entropy-gate", -1, "the entropy threshold in nats at T = 1 (default: the --percentile of the entropies of responses sampled at T = 1)")
	percentile := fs.Float64("percentile", 0.8, "the percentile of the T = 1 entropies taken as the threshold when --entropy-gate is not given (the paper: the 80th)")
	check := func() error {
		if *threshold < 0 && (*percentile <= 0 || *percentile >= 1) {
			return fmt.Errorf("--percentile must be in (0, 1)")
		}
		if *runDir != "" && *checkpoint == "" {
			found, err := runCheckpoints(*runDir)
			if err != nil {
				return err
			}
			*checkpoint = found[len(found)-1]
		}
		return nil
	}
	return m.withSession("grid", fs, args, stderr, check, func(ctx context.Context, path string, s *session) error {
		rep := analysis.GridResult{Recipe: path, Run: s.r.Name, Checkpoint: *checkpoint, Dataset: s.ds.Name, Problems: len(s.problems), K: m.k, Seed: m.seed, Threshold: *threshold}
		if err := s.load(ctx, *checkpoint); err != nil {
			return err
		}
		maxTokens := s.r.Eval.MaxResponseTokens
		accuracy := func(g *recipe.EntropyGate) (float64, [][]float32, error) {
			sam, err := s.sample(ctx, m.k, m.seed, sampling(1, g, maxTokens))
			if err != nil {
				return 0, nil, err
			}
			results, err := s.verify(ctx, sam)
			if err != nil {
				return 0, nil, err
			}
			var acc float64
			ents := make([][]float32, len(sam))
			for i, r := range results {
				acc += r.Reward / float64(len(results))
				ents[i] = sam[i].Response.Entropies
			}
			return acc, ents, nil
		}
		var ents [][]float32
		var err error
		if rep.Plain, ents, err = accuracy(nil); err != nil {
			return err
		}
		if rep.Threshold < 0 {
			rep.Percentile, rep.Threshold = *percentile, analysis.EntropyQuantile(ents, *percentile)
		}
		for _, lo := range lows {
			for _, hi := range highs {
				acc, _, err := accuracy(&recipe.EntropyGate{Threshold: rep.Threshold, THigh: hi, TLow: lo})
				if err != nil {
					return err
				}
				rep.Cells = append(rep.Cells, analysis.GridPoint{THigh: hi, TLow: lo, Accuracy: acc})
			}
		}
		writeGrid(stdout, rep, highs, lows)
		if err := saveAnalysis(*runDir, report.GridFile, rep, stdout); err != nil {
			return err
		}
		if err := writeJSON(m.jsonOut, rep); err != nil {
			return err
		}
		if m.figures == "" {
			return nil
		}
		return writeFigures(m.figures, map[string]func() ([]byte, error){"grid.svg": report.GridFigure(rep).SVG}, stdout)
	})
}

func writeGrid(w io.Writer, rep analysis.GridResult, highs, lows []float64) {
	src := "the recipe's model"
	if rep.Checkpoint != "" {
		src = rep.Checkpoint
	}
	how := ""
	if rep.Percentile > 0 {
		how = fmt.Sprintf(", the %gth percentile of the entropies at T=1", 100*rep.Percentile)
	}
	fmt.Fprintf(w, "%s on %d problems of %s × %d (seed %d); gate at entropy %.4f nats%s\n", src, rep.Problems, rep.Dataset, rep.K, rep.Seed, rep.Threshold, how)
	fmt.Fprintf(w, "accuracy at T=1 without the gate: %.1f%%\n", 100*rep.Plain)
	fmt.Fprintf(w, "%-14s", "t_low \\ t_high")
	for _, h := range highs {
		fmt.Fprintf(w, " %7g", h)
	}
	fmt.Fprintln(w)
	for _, lo := range lows {
		fmt.Fprintf(w, "%-14g", lo)
		for _, c := range rep.Cells {
			if c.TLow == lo {
				fmt.Fprintf(w, " %6.1f%%", 100*c.Accuracy)
			}
		}
		fmt.Fprintln(w)
	}
}
