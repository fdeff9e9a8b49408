package sweep

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/forkrl/forkrl/framework/recipe"
	"github.com/forkrl/forkrl/framework/rundir"
)

// matrix makes the runs of arms × seeds named ARM-seedN, the arms told
// apart by a setting (the train dataset's name stands in for any).
func matrix(arms []string, seeds ...uint64) []recipe.Config {
	var runs []recipe.Config
	for _, a := range arms {
		for _, s := range seeds {
			runs = append(runs, recipe.Config{
				Name: fmt.Sprintf("%s-seed%d", a, s), Seed: s, Variables: map[string]any{"seed": s},
				Train: recipe.Train{Dataset: a, Seed: s},
				Eval:  recipe.Eval{Datasets: []string{"countdown"}, N: 2, K: []int{2}},
			})
		}
	}
	return runs
}

// finished is the summary of a run that went from start to final avg@2 (in
// percent).
func finished(start, final float64) Outcome {
	return Outcome{Summary: rundir.Summary{Status: rundir.StatusFinished, Step: 100,
		InitialEval: rundir.Evaluation{"countdown": {N: 2, AvgAtN: start / 100}},
		FinalEval:   rundir.Evaluation{"countdown": {N: 2, AvgAtN: final / 100, PassAtK: map[int]float64{2: (final + 2) / 100}}},
		BestEval:    rundir.Evaluation{"countdown": {N: 2, AvgAtN: final / 100}}}}
}

func TestArms(t *testing.T) {
	runs := matrix([]string{"top20", "all"}, 1, 2, 3)
	arms := Arms(runs)
	if len(arms) != 2 || arms[0].Name != "top20" || arms[1].Name != "all" || fmt.Sprint(arms[1].Runs) != "[3 4 5]" {
		t.Errorf("arms %+v", arms)
	}
	lone := Arms(runs[:1])
	if len(lone) != 1 || lone[0].Name != "top20-seed1" {
		t.Errorf("a lone run's arm: %+v", lone)
	}
}

func TestPairs(t *testing.T) {
	arms := Arms(matrix([]string{"top20", "all", "bottom80"}, 1, 2))
	got, err := Pairs(arms, nil, "all")
	if err != nil || fmt.Sprint(got) != "[[top20 all] [bottom80 all]]" {
		t.Errorf("--against all: %v %v", got, err)
	}
	named := [][2]string{{"top20", "bottom80"}}
	if got, err := Pairs(arms, named, ""); err != nil || fmt.Sprint(got) != "[[top20 bottom80]]" {
		t.Errorf("named: %v %v", got, err)
	}
	if got, err := Pairs(arms, nil, ""); err != nil || len(got) != 0 {
		t.Errorf("three arms, none named: %v %v", got, err)
	}
	if got, err := Pairs(arms[:2], nil, ""); err != nil || fmt.Sprint(got) != "[[top20 all]]" {
		t.Errorf("two arms: %v %v", got, err)
	}
	_, err = Pairs(arms, [][2]string{{"top20", "top10"}}, "")
	if err == nil || err.Error() != `the recipe has no arm "top10"; its arms: top20, all, bottom80` {
		t.Errorf("unknown arm: %v", err)
	}
	if _, err := Pairs(arms, nil, "al"); err == nil {
		t.Error("--against an unknown arm accepted")
	}
}

// TestReportWithAFailedRun: a failed run shows as failed with what it
// reached, its error below the table, and stays out of its arm's figures
// and the paired comparison; every line fits in 80 columns.
func TestReportWithAFailedRun(t *testing.T) {
	runs := matrix([]string{"top20", "bottom80"}, 1, 2, 3)
	outcomes := []Outcome{
		finished(3.7, 24.2), finished(3.6, 26.8), finished(3.5, 13.0),
		finished(3.7, 1.4), {Summary: rundir.Summary{Status: rundir.StatusFailed, Step: 40, InitialEval: rundir.Evaluation{"countdown": {N: 2, AvgAtN: 0.036}}},
			Err: errors.New("forkrl run exited with status 1 in task 7_4")}, finished(3.5, 2.7),
	}
	rep := NewReport(runs, outcomes, [][2]string{{"top20", "bottom80"}})
	var b strings.Builder
	if err := rep.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	text := b.String()
	for _, want := range []string{
		"bottom80-seed2    failed    40    3.6      -      -     -       -",
		"bottom80-seed2 failed: forkrl run exited with status 1 in task 7_4",
		"bottom80      2   2.0 ± 0.9   -1.6 ± 1.1",
		"top20 − bottom80  +16.6  [-62.9, +96.0]  [+10.3, +22.8]  within noise at 2 seeds",
		"(2 seeds)",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the report lacks %q:\n%s", want, text)
		}
	}
	for _, line := range strings.Split(text, "\n") {
		if n := utf8.RuneCountInString(line); n > 80 {
			t.Errorf("%d columns: %q", n, line)
		}
	}
	p := rep.Comparisons[0]
	if fmt.Sprint(p.Seeds) != "[1 3]" || p.Diff.N != 2 {
		t.Errorf("comparison over seeds %v (n %d), want [1 3]", p.Seeds, p.Diff.N)
	}
}
