package math

import (
	"bufio"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// TestDistinctAnswers compares every pair of distinct MATH500 reference
// answers. The pairs the grader calls equivalent must be exactly those in
// testdata/math500-equivalent-pairs.txt (one "a ≡ b" per line, each an
// equivalence a person checked: 1.25 ≡ \frac{5}{4}, 90^\circ ≡ 90, ...): a
// new pair is a false positive until someone checks it, a missing pair a lost
// equivalence.
func TestDistinctAnswers(t *testing.T) {
	type row struct {
		Answer string `json:"answer"`
	}
	var answers []string
	seen := map[string]bool{}
	for _, r := range readJSONL[row](t, filepath.Join(dataDir, "math500", "test.jsonl")) {
		if !seen[r.Answer] {
			seen[r.Answer] = true
			answers = append(answers, r.Answer)
		}
	}
	g := defaultGrader(t)
	var got []string
	for i := range answers {
		for j := i + 1; j < len(answers); j++ {
			if g.Equal(answers[i], answers[j]).Correct {
				a, b := answers[i], answers[j]
				if b < a {
					a, b = b, a
				}
				got = append(got, a+" ≡ "+b)
			}
		}
	}
	sort.Strings(got)
	path := filepath.Join("testdata", "math500-equivalent-pairs.txt")
	if os.Getenv("FORKRL_UPDATE_PAIRS") == "1" {
		if err := os.WriteFile(path, []byte(strings.Join(got, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := sc.Text(); l != "" {
			want[l] = true
		}
	}
	for _, p := range got {
		if !want[p] {
			t.Errorf("new equivalence between distinct reference answers: %s", p)
		}
		delete(want, p)
	}
	for p := range want {
		t.Errorf("lost equivalence: %s", p)
	}
}
