package recipe

import (
	"strings"
	"testing"
)

func TestDeepNestingIsRefusedBeforeParsing(t *testing.T) {
	deep := func(open, close string, n int) string {
		return strings.Repeat(open, n) + "1" + strings.Repeat(close, n)
	}
	cases := []struct {
		name, extra string
		line, col   int // 0: accepted
	}{
		// Line 11 is "  x = ...", its first bracket at column 7, inside the
		// locals block's braces: the bracket at column 6+MaxNesting is one
		// level too many.
		{"100,000 brackets", "locals {\n  x = " + deep("[", "]", 100000) + "\n}", 11, 6 + MaxNesting},
		{"100,000 parentheses", "locals {\n  x = " + deep("(", ")", 100000) + "\n}", 11, 6 + MaxNesting},
		// A string and its ${ are two levels each.
		{"interpolations nest", "locals {\n  x = " + deep(`"${`, `}"`, 100000) + "\n}", 11, 7 + 3*(MaxNesting/2-1) + 1},
		// The "]" in the strings closes nothing; the string itself is a level.
		{"a list that closes in strings", "locals {\n  x = " + strings.Repeat(`["]", `, 100000) + "1" + strings.Repeat("]", 100000) + "\n}", 11, 7 + 6*(MaxNesting-2) + 1},
		{"brackets in strings, heredocs and comments do not nest", "locals {\n  x = \"" + strings.Repeat("[", 1000) + "\"\n  # " + strings.Repeat("(", 1000) +
			"\n  y = <<EOT\n" + strings.Repeat("{", 1000) + "\nEOT\n  /* " + strings.Repeat("[", 1000) + " */\n  z = " + deep("[", "]", MaxNesting-2) + "\n}", 0, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, diags := Parse("deep.hcl", []byte(badRecipe("", "", "", c.extra)), Options{Schemas: testSchemas})
			if c.line == 0 {
				if diags.HasErrors() {
					t.Fatalf("refused: %v", diags)
				}
				return
			}
			if len(diags) != 1 || diags[0].Summary != "Recipe nested too deeply" || diags[0].Subject == nil {
				t.Fatalf("diagnostics %v, want one nesting error", diags)
			}
			if s := diags[0].Subject; s.Filename != "deep.hcl" || s.Start.Line != c.line || s.Start.Column != c.col {
				t.Errorf("at %s:%d:%d, want deep.hcl:%d:%d", s.Filename, s.Start.Line, s.Start.Column, c.line, c.col)
			}
		})
	}
}

func TestDeepVarIsRefused(t *testing.T) {
	src := badRecipe("", "", "", "variable \"x\" {\n  default = []\n}\nlocals {\n  y = var.x\n}")
	deep := strings.Repeat("[", 100000) + strings.Repeat("]", 100000)
	_, diags := Parse("deep.hcl", []byte(src), Options{Schemas: testSchemas, Vars: []string{"x=" + deep}})
	if !diags.HasErrors() || diags[0].Summary != "Recipe nested too deeply" || diags[0].Subject == nil || diags[0].Subject.Filename != "--var x" {
		t.Fatalf("diagnostics %v, want the nesting error on --var x", diags)
	}
}
