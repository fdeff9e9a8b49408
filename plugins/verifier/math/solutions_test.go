package math

import (
	"path/filepath"
	"testing"
)

// TestReferenceSolutions grades the reference solutions of MATH500 and
// Minerva Math (whose last \boxed{} holds the answer) against their answer
// fields: a grader that rejects a reference solution would punish a model
// that answers exactly as the reference does.
func TestReferenceSolutions(t *testing.T) {
	type row struct {
		ID       string `json:"id"`
		Answer   string `json:"answer"`
		Solution string `json:"solution"`
	}
	g := defaultGrader(t)
	for _, set := range []string{"math500", "minerva_math"} {
		rows := readJSONL[row](t, filepath.Join(dataDir, set, "test.jsonl"))
		bad := 0
		for _, r := range rows {
			if res := g.Grade(r.Solution, r.Answer); !res.Correct {
				bad++
				t.Errorf("%s %s: solution answer %q vs %q: %s", set, r.ID, res.Answer, r.Answer, res.Reason)
			}
		}
		t.Logf("%s: %d/%d reference solutions accepted", set, len(rows)-bad, len(rows))
	}
}
