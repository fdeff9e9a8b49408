package recipe_test

import (
	"fmt"
	"os"

	"github.com/forkrl/forkrl/framework/recipe"
)

// A recipe with a ρ × seed matrix expands into named runs in a fixed order;
// each run is resolved in full, presets and defaults applied.
func ExampleParse() {
	src := []byte(`
variable "rho" { default = 0.2 }
variable "seed" { default = 1 }

backend "tinylm" "policy" {}
verifier "countdown" "reward" {}
selector "top" "forks" { rho = var.rho }

dataset "countdown" {
  generator "countdown" {}
  eval_count = 64
}

algorithm "dapo" {}

train {
  prompts_per_step = 16
  seed             = var.seed
}

run "rho" {
  for_each = setproduct([0.1, 0.5], [1, 2])
  vars     = { rho = each.value[0], seed = each.value[1] }
}
`)
	rec, diags := recipe.Parse("sweep.hcl", src, recipe.Options{})
	if diags.HasErrors() {
		recipe.WriteDiagnostics(os.Stdout, rec.Files, diags, 0, false)
		return
	}
	for _, r := range rec.Runs {
		a := r.Algorithm
		fmt.Printf("%s: rho %v seed %d, clip %v/%v, selector %s (%s)\n",
			r.Name, r.Selectors[0].Settings["rho"], r.Seed, a.ClipLow, a.ClipHigh, a.Selector, a.SelectScope)
	}
	// Output:
	// rho-0.1-1: rho 0.1 seed 1, clip 0.2/0.28, selector forks (mini)
	// rho-0.1-2: rho 0.1 seed 2, clip 0.2/0.28, selector forks (mini)
	// rho-0.5-1: rho 0.5 seed 1, clip 0.2/0.28, selector forks (mini)
	// rho-0.5-2: rho 0.5 seed 2, clip 0.2/0.28, selector forks (mini)
}

// A misplaced setting is an error at its position, with where it belongs.
func ExampleWriteDiagnostics() {
	src := []byte(`backend "tinylm" "policy" {}
verifier "countdown" "reward" {}
selector "top" "forks" {}
dataset "countdown" {
  generator "countdown" {}
  eval_count = 64
}
algorithm "dapo" {
  rho = 0.2
}
train {}
`)
	rec, diags := recipe.Parse("misplaced.hcl", src, recipe.Options{})
	recipe.WriteDiagnostics(os.Stdout, rec.Files, diags, 0, false)
	// Output:
	// Error: Unsupported argument
	//
	//   on misplaced.hcl:9:3, in algorithm "dapo":
	//    9:   rho = 0.2
	//         ^^^
	//
	// An argument named "rho" is not expected here. "rho" is a setting of the selector block, not of algorithm.
}
