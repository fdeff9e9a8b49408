package recipe

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse checks that no input makes the parser panic or hang, that every
// error it reports at a position points into the recipe, and that whatever
// resolves renders as JSON. Run it with a bound on minimization:
//
//	go test -run '^$' -fuzz FuzzParse -fuzztime 60s -fuzzminimizetime 100x ./framework/recipe
//
// Go minimizes every input that finds new coverage, for up to a minute by
// default, and most mutations of the seed recipes (a few kB each) do early
// on: without the bound a 60-second run spends its time minimizing one or
// two inputs and runs a few dozen; with it, it runs tens of thousands.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*.hcl")
	for _, p := range seeds {
		src, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(src))
	}
	f.Add(badRecipe("", "algorithm \"dapo\" {\n  clip_low = -0.1\n}", "", "run \"a\" {\n  for_each = setproduct([1, 2], [\"a\"])\n}"))
	f.Fuzz(func(t *testing.T, src string) {
		name := filepath.Join("testdata", "fuzz.hcl")
		rec, diags := Parse(name, []byte(src), Options{Schemas: testSchemas})
		lines := 1
		for _, c := range src {
			if c == '\n' {
				lines++
			}
		}
		for _, d := range diags {
			if d.Subject == nil || d.Subject.Filename != name {
				continue
			}
			if d.Subject.Start.Line < 1 || d.Subject.Start.Line > lines || d.Subject.Start.Byte > len(src) {
				t.Fatalf("diagnostic %q at %v, outside the %d-line recipe", d.Summary, d.Subject, lines)
			}
		}
		if diags.HasErrors() {
			return
		}
		for i := range rec.Runs {
			if _, err := rec.Runs[i].JSON(); err != nil {
				t.Fatalf("run %s does not render: %v", rec.Runs[i].Name, err)
			}
		}
	})
}
