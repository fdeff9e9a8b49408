package math

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// dataDir is the project's copy of the shared data sets.
const dataDir = "../../../data"

// equivalenceCase is one line of data/equivalence/cases.jsonl.
type equivalenceCase struct {
	Pred    string         `json:"pred"`
	Gold    string         `json:"gold"`
	Equal   bool           `json:"equal"`
	Grader  string         `json:"grader"`
	Kind    string         `json:"kind"`
	Test    string         `json:"test"`
	Options map[string]any `json:"options"`
}

// gradedOutput is one line of data/graded-outputs/*.jsonl.
type gradedOutput struct {
	ID       string `json:"id"`
	Gold     string `json:"gold"`
	Response string `json:"response"`
	Pred     any    `json:"pred"`
	Equal    bool   `json:"equal"`
}

func readJSONL[T any](t testing.TB, path string) []T {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []T
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for sc.Scan() {
		var v T
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, v)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// knownDisagreements lists, by case key, the cases where this grader parts
// from the reference grader's verdict, with the reason. The tests fail when
// a listed case agrees again (remove it) or an unlisted one disagrees.
type knownDisagreements map[string]string

func loadKnown(t testing.TB, path string) knownDisagreements {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var k knownDisagreements
	if err := json.Unmarshal(b, &k); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return k
}

// graderFor returns the grader configured as the case's reference grader
// was: DAPO's minerva mode reads the "Answer:" line only.
func graderFor(t testing.TB, c equivalenceCase) *Grader {
	o := DefaultOptions()
	switch c.Kind {
	case "extract":
		o.Extract = []string{ExtractFreeText}
	case "response":
		o.Extract = []string{ExtractBoxed, ExtractAnswerLine}
		if v, ok := c.Options["strict_box_verify"]; ok && v == false {
			o.Extract = []string{ExtractAnswerLine}
		}
	}
	g, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// verdict grades one equivalence case: extraction from both sides for
// "extract" cases, from the prediction for "response" cases.
func verdict(g *Grader, c equivalenceCase) Result {
	switch c.Kind {
	case "extract":
		return g.GradeExtracted(c.Pred, c.Gold)
	case "response":
		return g.Grade(c.Pred, c.Gold)
	}
	return g.Equal(c.Pred, c.Gold)
}

func caseKey(i int) string { return "line " + itoa(i+1) }

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}

func TestEquivalenceCases(t *testing.T) {
	cases := readJSONL[equivalenceCase](t, filepath.Join(dataDir, "equivalence", "cases.jsonl"))
	if len(cases) != 247 {
		t.Fatalf("read %d equivalence cases, want 247 (data/equivalence/SOURCE.md)", len(cases))
	}
	known := loadKnown(t, filepath.Join("testdata", "equivalence-disagreements.json"))
	agree := 0
	for i, c := range cases {
		r := verdict(graderFor(t, c), c)
		key := caseKey(i)
		_, listed := known[key]
		if r.Correct == c.Equal {
			agree++
			if listed {
				t.Errorf("%s agrees with %s now; remove it from the disagreements", key, c.Grader)
			}
			continue
		}
		if !listed {
			t.Errorf("%s (%s, %s): pred %q gold %q: got %v, %s says %v (%s)", key, c.Kind, c.Test, clip(c.Pred), clip(c.Gold), r.Correct, c.Grader, c.Equal, r.Reason)
		}
	}
	pct := 100 * float64(agree) / float64(len(cases))
	t.Logf("agreement: %d/%d (%.1f%%)", agree, len(cases), pct)
	if pct < 95 {
		t.Errorf("agreement %.1f%% is below the 95%% goal", pct)
	}
}

func TestGradedOutputs(t *testing.T) {
	for _, file := range []string{"qwen25-math-cot-100.jsonl", "nemo-skills-math-rs012.jsonl"} {
		t.Run(file, func(t *testing.T) {
			rows := readJSONL[gradedOutput](t, filepath.Join(dataDir, "graded-outputs", file))
			known := loadKnown(t, filepath.Join("testdata", "graded-disagreements.json"))
			g, err := New(DefaultOptions())
			if err != nil {
				t.Fatal(err)
			}
			agree := 0
			for _, row := range rows {
				r := g.Grade(row.Response, row.Gold)
				_, listed := known[row.ID]
				if r.Correct == row.Equal {
					agree++
					if listed {
						t.Errorf("%s agrees now; remove it from the disagreements", row.ID)
					}
					continue
				}
				if !listed {
					t.Errorf("%s: answer %q gold %q: got %v, reference grader says %v (%s)", row.ID, r.Answer, row.Gold, r.Correct, row.Equal, r.Reason)
				}
			}
			pct := 100 * float64(agree) / float64(len(rows))
			t.Logf("agreement: %d/%d (%.1f%%)", agree, len(rows), pct)
			if pct < 97 {
				t.Errorf("agreement %.1f%% is below the 97%% goal", pct)
			}
		})
	}
}

func clip(s string) string {
	if len(s) > 120 {
		return s[:60] + " … " + s[len(s)-57:]
	}
	return s
}

// TestHeldOut measures agreement on the held-out cases of the same sources
// (testdata/heldout/SOURCE.md). They are not tuned on, so there is no list of
// known disagreements: the test logs every miss and fails only when the
// agreement falls below what the grader has reached.
func TestHeldOut(t *testing.T) {
	for file, floor := range map[string]float64{
		"equivalence.jsonl":               heldOutEquivalenceFloor,
		"equivalence-other-sources.jsonl": heldOutOtherSourcesFloor,
	} {
		t.Run(file, func(t *testing.T) {
			cases := readJSONL[equivalenceCase](t, filepath.Join("testdata", "heldout", file))
			agree := 0
			for i, c := range cases {
				r := verdict(graderFor(t, c), c)
				if r.Correct == c.Equal {
					agree++
					continue
				}
				t.Logf("line %d (%s, %s): pred %q gold %q: got %v, %s says %v (%s)", i+1, c.Kind, c.Test, clip(c.Pred), clip(c.Gold), r.Correct, c.Grader, c.Equal, r.Reason)
			}
			heldOutFloor(t, agree, len(cases), floor)
		})
	}
	for _, file := range []string{"qwen25-math-cot-100.jsonl", "nemo-skills-math-rs012.jsonl"} {
		t.Run(file, func(t *testing.T) {
			rows := readJSONL[gradedOutput](t, filepath.Join("testdata", "heldout", file))
			g := defaultGrader(t)
			agree := 0
			for _, row := range rows {
				r := g.Grade(row.Response, row.Gold)
				if r.Correct == row.Equal {
					agree++
					continue
				}
				t.Logf("%s: answer %q gold %q: got %v, reference grader says %v (%s)", row.ID, r.Answer, row.Gold, r.Correct, row.Equal, r.Reason)
			}
			heldOutFloor(t, agree, len(rows), heldOutGradedFloor)
		})
	}
}

// The held-out agreement the grader has reached, in percent (136/148 of
// the equivalence cases, 23/25 of the other sources' cases; 336/336 and
// 59/60 of the graded outputs): a regression guard, not a goal.
const (
	heldOutEquivalenceFloor  = 91.8
	heldOutOtherSourcesFloor = 92.0
	heldOutGradedFloor       = 98.3
)

func heldOutFloor(t *testing.T, agree, n int, floor float64) {
	t.Helper()
	pct := 100 * float64(agree) / float64(n)
	t.Logf("agreement: %d/%d (%.1f%%)", agree, n, pct)
	if pct < floor {
		t.Errorf("held-out agreement %.1f%% fell below %.1f%%", pct, floor)
	}
}
