package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"

	"github.com/forkrl/forkrl/framework/plugin"
	"github.com/forkrl/forkrl/framework/recipe"
	"github.com/forkrl/forkrl/framework/run"
)

func init() {
	register(&command{
		name:    "sweep",
		summary: "train every run of a recipe's matrix, skipping finished ones, and tabulate the results",
		run:     func(args []string) int { return sweepCommand(args, os.Stdout, os.Stderr) },
	})
}

func sweepCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sweep", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f runFlags
	f.register(fs)
	parallel := fs.Int("parallel", 1, "how many runs to train at a time")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: forkrl sweep [--parallel N] [--out DIR] [--var NAME=VALUE ...] RECIPE")
		fmt.Fprintln(stderr)
		fmt.Fprintln(stderr, "Trains every run of a recipe in order (N at a time with --parallel), skipping runs")
		fmt.Fprintln(stderr, "that finished and resuming runs that were stopped, then prints the final results:")
		fmt.Fprintln(stderr, "one line per run, and per group of runs that differ only in their seed the mean and")
		fmt.Fprintln(stderr, "standard deviation across seeds.")
		fmt.Fprintln(stderr)
		fs.PrintDefaults()
	}
	path, ok := parseInterleaved(fs, args)
	if !ok {
		return 2
	}
	if *parallel < 1 {
		fmt.Fprintln(stderr, "forkrl sweep: --parallel must be at least 1")
		return 2
	}
	rec, code := loadRecipe(path, f.vars, stderr)
	if rec == nil {
		return code
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	defer plugin.CloseAll()

	results := make([]run.Summary, len(rec.Runs))
	failed := make([]error, len(rec.Runs))
	var wg sync.WaitGroup
	var mu sync.Mutex // serialises messages
	slots := make(chan struct{}, *parallel)
	for i := range rec.Runs {
		r := &rec.Runs[i]
		dir := runDir(r, f.out)
		if sum, err := run.ReadSummary(dir); err == nil && sum.Status == run.StatusFinished {
			results[i] = sum
			mu.Lock()
			fmt.Fprintf(stderr, "%s: finished already, skipped\n", r.Name)
			mu.Unlock()
			continue
		}
		slots <- struct{}{}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			sum, err := trainRun(ctx, r, dir, run.Exists(dir), lockedWriter{&mu, stderr}, nil)
			results[i], failed[i] = sum, err
			if err != nil {
				mu.Lock()
				fmt.Fprintf(stderr, "%s: %v\n", r.Name, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	printSweep(stdout, rec, results, failed)
	for _, err := range failed {
		if err != nil {
			return 1
		}
	}
	if ctx.Err() != nil {
		return 1
	}
	return 0
}

// lockedWriter serialises the progress lines of parallel runs.
type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// printSweep prints one line per run, then the mean ± standard deviation
// across seeds of each group of runs that differ only in their seed.
func printSweep(w io.Writer, rec *recipe.Recipe, results []run.Summary, failed []error) {
	dataset := ""
	if len(rec.Runs) > 0 && len(rec.Runs[0].Eval.Datasets) > 0 {
		dataset = rec.Runs[0].Eval.Datasets[0]
	}
	fmt.Fprintf(w, "\nfinal results on %q (avg@k: mean accuracy of k samples per held-out problem)\n\n", dataset)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "run\tstatus\tsteps\tinitial avg@k\tfinal avg@k\tgain\tbest avg@k\tfinal pass@k\t")
	for i := range rec.Runs {
		s := results[i]
		status := s.Status
		if failed[i] != nil {
			status = run.StatusFailed
		}
		a, b := s.InitialEval[dataset], s.FinalEval[dataset]
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t\n", rec.Runs[i].Name, status, s.Step,
			pct(a.AvgAtK), pct(b.AvgAtK), points(b.AvgAtK-a.AvgAtK), pct(s.BestEval[dataset].AvgAtK), pct(b.PassAtK))
	}
	tw.Flush()

	groups, order := seedGroups(rec)
	if len(order) == len(rec.Runs) {
		return // no run has a sibling that differs only in its seed
	}
	fmt.Fprintf(w, "\nacross seeds (mean ± standard deviation)\n\n")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "runs\tseeds\tfinal avg@k\tgain\tbest avg@k\tfinal pass@k\t")
	for _, key := range order {
		idx := groups[key]
		var final, gain, best, pass []float64
		for _, i := range idx {
			s := results[i]
			if s.Status != run.StatusFinished && s.Status != run.StatusStopped {
				continue
			}
			a, b := s.InitialEval[dataset], s.FinalEval[dataset]
			final, gain = append(final, 100*b.AvgAtK), append(gain, 100*(b.AvgAtK-a.AvgAtK))
			best, pass = append(best, 100*s.BestEval[dataset].AvgAtK), append(pass, 100*b.PassAtK)
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t\n", groupLabel(rec, idx), len(final),
			meanStd(final, ""), meanStd(gain, "+"), meanStd(best, ""), meanStd(pass, ""))
	}
	tw.Flush()
}

// seedGroups groups the runs whose resolved settings are equal but for
// their name, seed and variables; order lists the groups in run order.
func seedGroups(rec *recipe.Recipe) (map[string][]int, []string) {
	groups := map[string][]int{}
	var order []string
	for i := range rec.Runs {
		r := rec.Runs[i]
		r.Name, r.Seed, r.Train.Seed, r.Variables = "", 0, 0, nil
		b, err := json.Marshal(&r)
		key := string(b)
		if err != nil {
			key = rec.Runs[i].Name
		}
		if _, ok := groups[key]; !ok {
			order = append(order, key)
		}
		groups[key] = append(groups[key], i)
	}
	return groups, order
}

// groupLabel names a group of runs by the parts of their names (split at
// "-") that they share.
func groupLabel(rec *recipe.Recipe, idx []int) string {
	first := strings.Split(rec.Runs[idx[0]].Name, "-")
	var keep []string
	for j, part := range first {
		same := true
		for _, i := range idx[1:] {
			parts := strings.Split(rec.Runs[i].Name, "-")
			if j >= len(parts) || parts[j] != part {
				same = false
			}
		}
		if same {
			keep = append(keep, part)
		}
	}
	if len(keep) == 0 {
		return rec.Runs[idx[0]].Name + " …"
	}
	return strings.Join(keep, "-")
}

func pct(x float64) string    { return fmt.Sprintf("%.1f%%", 100*x) }
func points(x float64) string { return fmt.Sprintf("%+.1f", 100*x) }

// meanStd writes "mean ± sd" of xs (the sample standard deviation, n−1).
func meanStd(xs []float64, sign string) string {
	if len(xs) == 0 {
		return "-"
	}
	var sum float64
	for _, x := range xs {
		sum += x
	}
	mean := sum / float64(len(xs))
	var ss float64
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	sd := 0.0
	if len(xs) > 1 {
		sd = math.Sqrt(ss / float64(len(xs)-1))
	}
	format := "%.1f ± %.1f"
	if sign == "+" {
		format = "%+.1f ± %.1f"
	}
	return fmt.Sprintf(format, mean, sd)
}
