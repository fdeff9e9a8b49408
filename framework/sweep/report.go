package sweep

import (
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"

	"github.com/forkrl/forkrl/framework/recipe"
	"github.com/forkrl/forkrl/framework/rundir"
)

// Outcome is how one run of a sweep ended: its summary (zero when it never
// wrote one) and the error that stopped it, if any.
type Outcome struct {
	Summary rundir.Summary
	Err     error
}

// Report is the result of a sweep: each run, each arm across its seeds, and
// the paired comparisons of arms. Accuracies are in percent and gains in
// percentage points, on the first evaluation dataset of the recipe.
type Report struct {
	Dataset     string      `json:"dataset"`
	N           int         `json:"n"` // samples per problem: avg@N
	K           int         `json:"k"` // the largest k of pass@k evaluated
	Runs        []RunResult `json:"runs"`
	Arms        []ArmResult `json:"arms"`
	Comparisons []Paired    `json:"comparisons"`
}

// RunResult is one run's line of a Report. The final figures of a run that
// has not ended by itself (failed, interrupted, not run) are nil.
type RunResult struct {
	Name    string   `json:"name"`
	Arm     string   `json:"arm"`
	Seed    uint64   `json:"seed"`
	Status  string   `json:"status"`
	Error   string   `json:"error,omitempty"`
	Step    int      `json:"step"`
	Initial *float64 `json:"initial_avg_at_n"`
	Final   *float64 `json:"final_avg_at_n"`
	Gain    *float64 `json:"gain"` // Final − Initial
	Best    *float64 `json:"best_avg_at_n"`
	Pass    *float64 `json:"final_pass_at_k"`
}

// ok reports whether the run counts in its arm's statistics: it ended by
// itself (all steps, or a hook's early stop), evaluated at the start and the
// end.
func (r RunResult) ok() bool { return r.Gain != nil }

// ArmResult is an arm across the seeds of its runs that ended well.
type ArmResult struct {
	Name  string   `json:"name"`
	Runs  []string `json:"runs"`
	Final Summary  `json:"final_avg_at_n"`
	Gain  Summary  `json:"gain"`
	Pass  Summary  `json:"final_pass_at_k"`
}

// Pairs lists the comparisons a report makes, as (A, B) arm names: with
// against set, every other arm against that one; else the pairs named; else,
// for a recipe of exactly two arms, that pair.
func Pairs(arms []Arm, named [][2]string, against string) ([][2]string, error) {
	known := map[string]bool{}
	var names []string
	for _, a := range arms {
		known[a.Name] = true
		names = append(names, a.Name)
	}
	check := func(name string) error {
		if !known[name] {
			return fmt.Errorf("the recipe has no arm %q; its arms: %s", name, strings.Join(names, ", "))
		}
		return nil
	}
	var pairs [][2]string
	switch {
	case against != "":
		if err := check(against); err != nil {
			return nil, err
		}
		for _, a := range arms {
			if a.Name != against {
				pairs = append(pairs, [2]string{a.Name, against})
			}
		}
	case len(named) > 0:
		for _, p := range named {
			for _, name := range p {
				if err := check(name); err != nil {
					return nil, err
				}
			}
		}
		pairs = named
	case len(arms) == 2:
		pairs = [][2]string{{arms[0].Name, arms[1].Name}}
	}
	return pairs, nil
}

// NewReport tabulates the outcomes of a recipe's runs (in run order) and
// compares the pairs of arms, each arm's gain paired by seed.
func NewReport(runs []recipe.Config, outcomes []Outcome, pairs [][2]string) Report {
	rep := Report{Runs: []RunResult{}, Arms: []ArmResult{}, Comparisons: []Paired{}}
	if len(runs) > 0 && len(runs[0].Eval.Datasets) > 0 {
		rep.Dataset, rep.N = runs[0].Eval.Datasets[0], runs[0].Eval.N
		if ks := runs[0].Eval.K; len(ks) > 0 {
			rep.K = ks[len(ks)-1]
		}
	}
	arms := Arms(runs)
	armOf := make([]string, len(runs))
	for _, a := range arms {
		for _, i := range a.Runs {
			armOf[i] = a.Name
		}
	}
	for i := range runs {
		s, d := outcomes[i].Summary, rep.Dataset
		r := RunResult{Name: runs[i].Name, Arm: armOf[i], Seed: runs[i].Seed, Status: s.Status, Step: s.Step}
		if e, ok := s.InitialEval[d]; ok && e.N > 0 {
			r.Initial = percent(e.AvgAtN)
		}
		ended := outcomes[i].Err == nil && (s.Status == rundir.StatusFinished || s.Status == rundir.StatusStopped)
		if e, ok := s.FinalEval[d]; ok && e.N > 0 && ended {
			_, pass := e.LargestPass()
			r.Final, r.Pass, r.Best = percent(e.AvgAtN), percent(pass), percent(s.BestEval[d].AvgAtN)
			if r.Initial != nil {
				gain := *r.Final - *r.Initial
				r.Gain = &gain
			}
		}
		if err := outcomes[i].Err; err != nil {
			r.Status, r.Error = rundir.StatusFailed, err.Error()
		} else if r.Status == "" {
			r.Status = "not run"
		}
		rep.Runs = append(rep.Runs, r)
	}
	gains := map[string]map[uint64]float64{}
	for _, a := range arms {
		ar := ArmResult{Name: a.Name, Runs: []string{}}
		var final, gain, pass []float64
		gains[a.Name] = map[uint64]float64{}
		for _, i := range a.Runs {
			r := rep.Runs[i]
			ar.Runs = append(ar.Runs, r.Name)
			if !r.ok() {
				continue
			}
			final, gain, pass = append(final, *r.Final), append(gain, *r.Gain), append(pass, *r.Pass)
			gains[a.Name][r.Seed] = *r.Gain
		}
		ar.Final, ar.Gain, ar.Pass = Summarize(final), Summarize(gain), Summarize(pass)
		rep.Arms = append(rep.Arms, ar)
	}
	for _, p := range pairs {
		rep.Comparisons = append(rep.Comparisons, Compare(p[0], p[1], gains[p[0]], gains[p[1]]))
	}
	return rep
}

// WriteText prints the report as three tables that fit in 80 columns for
// run names like the recipes' (top20-seed1): the runs, the arms across
// seeds (when an arm has several), and the paired comparisons.
func (rep Report) WriteText(w io.Writer) error {
	if err := rep.WriteRuns(w); err != nil {
		return err
	}
	if len(rep.Arms) == len(rep.Runs) {
		return nil // no arm has more than one seed
	}
	if err := rep.WriteArms(w); err != nil {
		return err
	}
	if len(rep.Comparisons) == 0 {
		if len(rep.Arms) > 2 {
			_, err := fmt.Fprintf(w, "\n(name pairs of arms to compare in the recipe's sweep block, or compare every\narm with one: --against ARM)\n")
			return err
		}
		return nil
	}
	return rep.WriteComparisons(w)
}

// WriteRuns prints one line per run, and the error of each failed run.
func (rep Report) WriteRuns(w io.Writer) error {
	fmt.Fprintf(w, "\nfinal results on %q: avg@%d, the mean accuracy of %d samples per held-out\nproblem (%%); gain: final − start, in points; pass@%d\n\n", rep.Dataset, rep.N, rep.N, rep.K)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "run\tstatus\tstep\tstart\tfinal\tgain\tbest\tpass@k\t")
	for _, r := range rep.Runs {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t\n", r.Name, r.Status, r.Step,
			cell(r.Initial, "%.1f"), cell(r.Final, "%.1f"), cell(r.Gain, "%+.1f"), cell(r.Best, "%.1f"), cell(r.Pass, "%.1f"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range rep.Runs {
		if r.Error != "" {
			if _, err := fmt.Fprintf(w, "%s failed: %s\n", r.Name, r.Error); err != nil {
				return err
			}
		}
	}
	return nil
}

// WriteArms prints each arm across the seeds of its runs that ended well.
func (rep Report) WriteArms(w io.Writer) error {
	fmt.Fprintf(w, "\narms across seeds: mean ± sd, and the 95%% t interval of the mean gain\n\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "arm\tseeds\tfinal\tgain\tgain 95%\tpass@k\t")
	for _, a := range rep.Arms {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t\n", a.Name, a.Gain.N, meanSD(a.Final, false), meanSD(a.Gain, true),
			interval(a.Gain.CI), mean(a.Pass))
	}
	return tw.Flush()
}

// WriteComparisons prints the paired comparisons of arms.
func (rep Report) WriteComparisons(w io.Writer) error {
	fmt.Fprintf(w, "\npaired by seed: gain of A − gain of B, with 95%% intervals (%s)\n\n", seedCount(rep.Comparisons))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "A − B\tmean\tpaired t\tbootstrap\tverdict")
	for _, p := range rep.Comparisons {
		m := "-"
		if p.Diff.N > 0 {
			m = fmt.Sprintf("%+.1f", p.Diff.Mean)
		}
		fmt.Fprintf(tw, "%s − %s\t%s\t%s\t%s\t%s\n", p.A, p.B, m, interval(p.Diff.CI), interval(p.Bootstrap), p.Verdict)
	}
	return tw.Flush()
}

// seedCount says how many seeds the comparisons pair: "3 seeds", or
// "2–3 seeds" when runs are missing.
func seedCount(ps []Paired) string {
	lo, hi := math.MaxInt, 0
	for _, p := range ps {
		lo, hi = min(lo, p.Diff.N), max(hi, p.Diff.N)
	}
	if lo == hi {
		if hi == 1 {
			return "1 seed"
		}
		return fmt.Sprintf("%d seeds", hi)
	}
	return fmt.Sprintf("%d–%d seeds", lo, hi)
}

// percent is a fraction in percent.
func percent(x float64) *float64 {
	p := 100 * x
	return &p
}

// cell formats a figure of the run table, "-" when there is none.
func cell(x *float64, format string) string {
	if x == nil {
		return "-"
	}
	return fmt.Sprintf(format, *x)
}

func meanSD(s Summary, signed bool) string {
	if s.N == 0 {
		return "-"
	}
	if signed {
		return fmt.Sprintf("%+.1f ± %.1f", s.Mean, s.SD)
	}
	return fmt.Sprintf("%.1f ± %.1f", s.Mean, s.SD)
}

func mean(s Summary) string {
	if s.N == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f", s.Mean)
}

func interval(iv Interval) string {
	if !iv.Defined() {
		return "-"
	}
	return fmt.Sprintf("[%+.1f, %+.1f]", iv.Lo, iv.Hi)
}
