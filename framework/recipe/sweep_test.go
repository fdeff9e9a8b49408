package recipe

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

func TestSweepBlock(t *testing.T) {
	src := badRecipe("", "", "", "sweep {\n  compare = [[\"top20\", \"all\"], [\"top20\", \"bottom80\"]]\n}")
	rec, diags := Parse("testdata/sweep.hcl", []byte(src), Options{Schemas: testSchemas})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if got := fmt.Sprint(rec.Sweep.Compare); got != "[[top20 all] [top20 bottom80]]" {
		t.Errorf("compare %s", got)
	}
	if at := rec.Sweep.CompareRange; at.Start.Line != 11 || at.Start.Column != 13 {
		t.Errorf("compare at %v, want line 11, column 13", at)
	}
	rec, diags = Parse("testdata/sweep.hcl", []byte(badRecipe("", "", "", "")), Options{Schemas: testSchemas})
	if diags.HasErrors() || rec.Sweep.Compare != nil {
		t.Errorf("no sweep block: %v %v", rec.Sweep, diags)
	}
}

func TestBadSweepBlocks(t *testing.T) {
	cases := []struct {
		name, extra, detail string
		line, col           int
	}{
		{"three names", "sweep {\n  compare = [[\"a\", \"b\", \"c\"]]\n}", "a pair of arm names, A and B; got 3 names", 11, 13},
		{"not a list of pairs", "sweep {\n  compare = \"a\"\n}", "compare is a list of pairs of arm names", 11, 13},
		{"unknown attribute", "sweep {\n  compar = []\n}", `Did you mean "compare"?`, 11, 3},
		{"a variable", "sweep {\n  compare = [[var.x, \"b\"]]\n}", "Variables may not be used here.", 11, 15},
		{"two blocks", "sweep {}\nsweep {}", "at most one sweep block", 11, 1},
		{"compare in eval", "eval {\n  compare = []\n}", `"compare" is a setting of the sweep block, not of eval.`, 11, 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, diags := Parse("testdata/sweep.hcl", []byte(badRecipe("", "", "", c.extra)), Options{Schemas: testSchemas})
			errs := diags.Errs()
			if len(errs) != 1 {
				t.Fatalf("want one error, got %v", diags)
			}
			d := errs[0].(*hcl.Diagnostic)
			if !strings.Contains(d.Detail, c.detail) || d.Subject == nil || d.Subject.Start.Line != c.line || d.Subject.Start.Column != c.col {
				t.Errorf("error %q at %v; want %q at line %d, column %d", d.Detail, d.Subject, c.detail, c.line, c.col)
			}
		})
	}
}
