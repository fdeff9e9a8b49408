package recipe

import (
	"strings"
	"testing"

	"github.com/forkrl/forkrl/framework/pluginapi"
)

// TestRunPlugins checks that a run lists its top-level plugin blocks in the
// order of pluginapi.Kinds, whatever their order in the recipe, and that a
// generator is a block of its dataset only.
func TestRunPlugins(t *testing.T) {
	src := `selector "top" "forks" {}
verifier "countdown" "reward" {}
backend "tinylm" "policy" {}
backend "tinylm" "critic" {}
dataset "d" {
  generator "countdown" {}
  eval_count = 8
}
algorithm "ppo" {
  selector = selector.forks
  policy   = backend.policy
  critic   = backend.critic
}
train {
  steps = 1
}
`
	rec, diags := Parse("kinds.hcl", []byte(src), Options{Schemas: testSchemas})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	r := &rec.Runs[0]
	var got []string
	for _, b := range r.Plugins() {
		got = append(got, string(b.Kind)+" "+b.Label)
	}
	if want := "backend policy, backend critic, verifier reward, selector forks"; strings.Join(got, ", ") != want {
		t.Errorf("Plugins() = %v; want %s", got, want)
	}
	r.Plugins()[3].Source = "changed"
	if r.Selectors[0].Source != "changed" {
		t.Error("Plugins() does not point into the run's blocks")
	}
	if g := r.Datasets[0].Generator; g == nil || g.Kind != pluginapi.KindGenerator || !g.Checked {
		t.Errorf("the dataset's generator: %+v", g)
	}

	_, diags = Parse("kinds.hcl", []byte(src+`generator "countdown" "g" {}`+"\n"), Options{Schemas: testSchemas})
	if !diags.HasErrors() || !strings.Contains(diags.Error(), `kinds.hcl:17,1-10: Unsupported block type`) {
		t.Errorf("a top-level generator block: %v; want it refused at 17:1", diags)
	}
}
