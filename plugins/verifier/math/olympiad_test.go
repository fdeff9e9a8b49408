package math

import (
	"path/filepath"
	"strings"
	"testing"
)

// splitAnswers splits an OlympiadBench reference with several answers at
// its top-level commas ("$,$" included).
func splitAnswers(s string) []string {
	s = strings.NewReplacer("$,$", ",", "$, $", ",").Replace(s)
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, strings.TrimSpace(s[start:i]))
				start = i + 1
			}
		}
	}
	return append(out, strings.TrimSpace(s[start:]))
}

// TestOlympiadMultipleAnswers checks the references with several answers:
// the same answers in reverse order are equal to the reference (a set), and
// all but the first are not.
func TestOlympiadMultipleAnswers(t *testing.T) {
	type row struct {
		ID       string `json:"id"`
		Answer   string `json:"answer"`
		Multiple bool   `json:"is_multiple_answer"`
	}
	g := defaultGrader(t)
	checked, skipped := 0, 0
	for _, r := range readJSONL[row](t, filepath.Join(dataDir, "olympiadbench", "test.jsonl")) {
		parts := splitAnswers(r.Answer)
		if !r.Multiple || len(parts) < 2 {
			continue
		}
		if _, ok := parse(clean(r.Answer)); !ok {
			skipped++ // prose such as "f(x)=ax+b, where b is an arbitrary integer"
			continue
		}
		checked++
		rev := make([]string, len(parts))
		for i, p := range parts {
			rev[len(parts)-1-i] = p
		}
		if res := g.Equal(strings.Join(rev, ", "), r.Answer); !res.Correct {
			t.Errorf("%s: reversed %q: %s", r.ID, strings.Join(rev, ", "), res.Reason)
		}
		if res := g.Equal(strings.Join(parts[1:], ", "), r.Answer); res.Correct {
			t.Errorf("%s: %q lacks %q but was accepted", r.ID, strings.Join(parts[1:], ", "), parts[0])
		}
	}
	t.Logf("checked %d references with several answers, skipped %d", checked, skipped)
	if checked < 80 || skipped > 3 {
		t.Errorf("checked %d references, skipped %d: the reader of multiple answers regressed", checked, skipped)
	}
}
