package recipe

import (
	"flag"
	"os"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files of the resolved settings")

// TestResolvedJSON pins the JSON rendering of resolved runs, which run
// directories record and other tools read: every field name and value.
func TestResolvedJSON(t *testing.T) {
	cases := []struct{ recipe, run, golden string }{
		{"testdata/forking.hcl", "rho-bottom-0.8-3", "testdata/forking.rho-bottom-0.8-3.json"},
		{"testdata/grpo.hcl", "grpo", "testdata/grpo.json"},
		{"testdata/ppo.hcl", "ppo", "testdata/ppo.json"},
		{"testdata/sft.hcl", "sft", "testdata/sft.json"},
	}
	for _, c := range cases {
		r, ok := load(t, c.recipe).Config(c.run)
		if !ok {
			t.Fatalf("%s: no run %s", c.recipe, c.run)
		}
		got, err := r.JSON()
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, '\n')
		if *update {
			if err := os.WriteFile(c.golden, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(c.golden)
		if err != nil {
			t.Fatalf("%v (run the test with -update to write it)", err)
		}
		if string(got) != string(want) {
			t.Errorf("%s: resolved settings differ from %s (rerun with -update if the change is intended):\n%s", c.run, c.golden, got)
		}
	}
}
