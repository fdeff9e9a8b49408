package math

import (
	"strings"
	"testing"
	"time"
)

// hostileBound is the time a hostile answer may take, graded every way.
const hostileBound = 100 * time.Millisecond

// hostileInputs are answers built to be slow or to crash a grader: a
// megabyte of text of several kinds, braces and commands nested ten thousand
// deep, towers of exponents.
func hostileInputs() map[string]string {
	const mb = 1 << 20
	nest := func(open, inner, close string) string {
		return strings.Repeat(open, 10000) + inner + strings.Repeat(close, 10000)
	}
	return map[string]string{
		"1 MB of digits":            strings.Repeat("7", mb),
		"1 MB boxed":                `\boxed{` + strings.Repeat("7", mb) + `}`,
		"1 MB of prose":             strings.Repeat("The answer is $x$ and ", mb/22),
		"1 MB of boxes":             strings.Repeat(`\boxed{1}, `, mb/11),
		"1 MB of bare box commands": strings.Repeat(`\boxed`, mb/6),
		"1 MB of dollars":           strings.Repeat("$", mb),
		"1 MB of backslashes":       strings.Repeat(`\`, mb),
		"1 MB of open braces":       strings.Repeat("{", mb),
		"1 MB of numbers":           strings.Repeat("1,234 ", mb/6),
		"1 MB of fractions":         strings.Repeat(`$\frac{1}{2}$ `, mb/14),
		"1 MB of answer lines":      strings.Repeat("Answer: 5\n", mb/10),
		"1 MB of times":             strings.Repeat("19:45:00 ", mb/9),
		"braces 10k deep":           `\boxed{` + nest("{", "1", "}") + "}",
		"parentheses 10k deep":      `\boxed{` + nest("(", "1", ")") + "}",
		"fractions 10k deep":        `\boxed{` + nest(`\frac{1}{`, "2", "}") + "}",
		"roots 10k deep":            `\boxed{` + nest(`\sqrt{`, "2", "}") + "}",
		"boxes 10k deep":            nest(`\boxed{`, "1", "}"),
		"text 10k deep":             `\boxed{` + nest(`\text{`, "1", "}") + "}",
		"absolute values 10k deep":  `\boxed{` + nest(`|`, "x", "|") + " < 1}",
		"10^10^10":                  `\boxed{10^10^10}`,
		"10^{10^{10}}":              `\boxed{10^{10^{10}}}`,
		"10^{10^{10^{10}}}":         `\boxed{10^{10^{10^{10}}}}`,
		"9^{9999999999}":            `\boxed{9^{9999999999}}`,
		"(10^{10})!":                `\boxed{(10^{10})!}`,
		"1e99999999":                `\boxed{1e99999999}`,
		"x^{10^{10}}":               `\boxed{x^{10^{10}} = 10^{10^{10}}}`,
	}
}

// TestHostileAnswers grades each hostile answer with every extraction
// method, against a plain reference, a tower of exponents and itself: each
// grading must return, without a panic, within hostileBound. The time is
// the best of three runs, so that it measures the grader and not the other
// processes of a shared machine.
func TestHostileAnswers(t *testing.T) {
	graders := map[string]*Grader{}
	for _, e := range extractNames {
		o := DefaultOptions()
		o.Extract = []string{e}
		g, err := New(o)
		if err != nil {
			t.Fatal(err)
		}
		graders[e] = g
	}
	free := graders[ExtractFreeText]
	for name, in := range hostileInputs() {
		for _, ref := range []string{"1", `10^{10^{10}}`, in} {
			for e, g := range graders {
				best(t, name+" ("+e+")", func() { g.Grade(in, ref) })
			}
			best(t, name+" (free text on both sides)", func() { free.GradeExtracted(in, ref) })
			best(t, name+" (bare answers)", func() { free.Equal(in, ref) })
		}
	}
}

// best runs f three times and fails when even its fastest run took longer
// than hostileBound.
func best(t *testing.T, what string, f func()) {
	t.Helper()
	fastest := time.Duration(1 << 62)
	for range 3 {
		start := time.Now()
		f()
		fastest = min(fastest, time.Since(start))
		if fastest <= hostileBound/4 {
			return
		}
	}
	if fastest > hostileBound {
		t.Errorf("%s took %v, over the bound of %v", what, fastest, hostileBound)
	}
}
