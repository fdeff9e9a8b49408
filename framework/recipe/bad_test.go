package recipe

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

// badRecipe builds a recipe from its parts; lines 1–7 are fixed:
//
//	1 backend "tinylm" "policy" {}
//	2 verifier "countdown" "reward" {}
//	3 <sel>
//	4 dataset "d" {
//	5   generator "countdown" {}
//	6   eval_count = 8
//	7 }
//	8 <alg>, then <train>, then <extra>
func badRecipe(sel, alg, train, extra string) string {
	if sel == "" {
		sel = `selector "top" "forks" {}`
	}
	if alg == "" {
		alg = `algorithm "dapo" {}`
	}
	if train == "" {
		train = `train { steps = 10 }`
	}
	if train == "-" {
		train = ""
	}
	return `backend "tinylm" "policy" {}
verifier "countdown" "reward" {}
` + sel + `
dataset "d" {
  generator "countdown" {}
  eval_count = 8
}
` + alg + "\n" + train + "\n" + extra + "\n"
}

func TestBadRecipes(t *testing.T) {
	cases := []struct {
		name                string
		sel, alg, train, ex string
		vars                []string
		summary, detail     string // substrings
		line, col           int    // 0: no source position
	}{
		{name: "timeout not a duration", sel: `selector "top" "forks" { timeout = "soon" }`,
			summary: `Invalid value for "timeout"`, detail: `timeout must be a positive duration such as "90s"`, line: 3, col: 36},
		{name: "clip_low negative", alg: "algorithm \"dapo\" {\n  clip_low = -0.1\n}",
			summary: `Invalid value for "clip_low"`, detail: "clip_low must be at least 0; got -0.1.", line: 9, col: 14},
		{name: "attribute typo", alg: "algorithm \"dapo\" {\n  clip_hihg = 0.3\n}",
			summary: "Unsupported argument", detail: `Did you mean "clip_high"?`, line: 9, col: 3},
		{name: "rho misplaced in algorithm", alg: "algorithm \"dapo\" {\n  rho = 0.2\n}",
			summary: "Unsupported argument", detail: `"rho" is a setting of the selector block, not of algorithm.`, line: 9, col: 3},
		{name: "clip_high misplaced in train", train: "train {\n  clip_high = 0.28\n}",
			summary: "Unsupported argument", detail: `"clip_high" is a setting of the algorithm block, not of train.`, line: 10, col: 3},
		{name: "dual clip at most 1", alg: "algorithm \"dapo\" {\n  dual_clip = 0.5\n}",
			summary: `Invalid value for "dual_clip"`, detail: "0 (off) or greater than 1", line: 9, col: 15},
		{name: "KL coefficient without estimator", alg: "algorithm \"dapo\" {\n  kl_coef = 0.01\n}",
			summary: "kl_coef has no effect here", detail: `kl_estimator is "none"`, line: 9, col: 3},
		{name: "on_exhausted typo", alg: "algorithm \"dapo\" {\n  dynamic_sampling_on_exhausted = \"stop\"\n}",
			summary: `Invalid value for "dynamic_sampling_on_exhausted"`, detail: `must be "error", "skip" or "train"; got "stop"`, line: 9, col: 35},
		{name: "on_exhausted without dynamic sampling", alg: "algorithm \"grpo\" {\n  dynamic_sampling_on_exhausted = \"error\"\n}",
			summary: "dynamic_sampling_on_exhausted has no effect here", detail: "dynamic_sampling is false", line: 9, col: 3},
		{name: "first_round typo", alg: "algorithm \"dapo\" {\n  dynamic_sampling_first_round = \"keep\"\n}",
			summary: `Invalid value for "dynamic_sampling_first_round"`, detail: `must be "batch" or "keep_rate"; got "keep"`, line: 9, col: 34},
		{name: "first_round without dynamic sampling", alg: "algorithm \"grpo\" {\n  dynamic_sampling_first_round = \"keep_rate\"\n}",
			summary: "dynamic_sampling_first_round has no effect here", detail: "dynamic_sampling is false", line: 9, col: 3},
		{name: "GAE setting without GAE", alg: "algorithm \"grpo\" {\n  gamma = 0.99\n}",
			summary: "gamma has no effect here", detail: `this run uses "grpo"`, line: 9, col: 3},
		{name: "clip with sft", alg: "algorithm \"sft\" {\n  clip_high = 0.3\n}",
			summary: "clip_high has no effect here", detail: "sft preset", line: 9, col: 3},
		{name: "enum typo", alg: "algorithm \"dapo\" {\n  loss_agg = \"token_mean\"\n}",
			summary: `Invalid value for "loss_agg"`, detail: `Did you mean "token-mean"?`, line: 9, col: 14},
		{name: "selector reference typo", alg: "algorithm \"dapo\" {\n  selector = selector.frks\n}",
			summary: "Reference to undeclared selector", detail: `Did you mean "forks"?`, line: 9, col: 14},
		{name: "reference is the policy", alg: "algorithm \"grpo\" {\n  reference = backend.policy\n}",
			summary: `Invalid value for "reference"`, detail: "another backend than the policy", line: 9, col: 15},
		{name: "preset typo", alg: `algorithm "dapq" {}`,
			summary: "Unknown algorithm preset", detail: `Did you mean "dapo"?`, line: 8, col: 11},
		{name: "overlong beyond max tokens", alg: "algorithm \"dapo\" {\n  overlong_length = 300\n}",
			summary: `Invalid value for "overlong_length"`, detail: "at most train.max_response_tokens (256)", line: 9, col: 21},
		{name: "steps wrong type", train: "train {\n  steps = \"ten\"\n}",
			summary: "Incorrect attribute value type", detail: "a number is required", line: 10, col: 11},
		{name: "steps not whole", train: "train {\n  steps = 1.5\n}",
			summary: `Invalid value for "steps"`, detail: "whole number", line: 10, col: 11},
		{name: "micro-batch does not divide mini-batch", train: "train {\n  prompts_per_step = 4\n  responses_per_prompt = 4\n  mini_batch_size = 8\n  micro_batch_size = 3\n}",
			summary: `Invalid value for "micro_batch_size"`, detail: "micro_batch_size (3) must divide mini_batch_size (8).", line: 13, col: 22},
		{name: "mini-batch does not divide the step", train: "train {\n  prompts_per_step = 3\n  responses_per_prompt = 4\n  mini_batch_size = 8\n}",
			summary: `Invalid value for "mini_batch_size"`, detail: "3 × 4 = 12", line: 12, col: 21},
		{name: "group of one", alg: `algorithm "grpo" {}`, train: "train {\n  responses_per_prompt = 1\n}",
			summary: `Invalid value for "responses_per_prompt"`, detail: "at least 2", line: 10, col: 26},
		{name: "sft with several responses", alg: `algorithm "sft" {}`, train: "train {\n  responses_per_prompt = 4\n}",
			summary: `Invalid value for "responses_per_prompt"`, detail: "must be 1", line: 10, col: 26},
		{name: "top_p zero", train: "train { top_p = 0 }",
			summary: `Invalid value for "top_p"`, detail: "greater than 0", line: 9, col: 17},
		{name: "greedy training", train: "train { temperature = 0 }",
			summary: `Invalid value for "temperature"`, detail: "for evaluation only", line: 9, col: 23},
		{name: "pass@k beyond the samples", ex: "eval {\n  n = 4\n  k = [1, 8]\n}",
			summary: `Invalid value for "k"`, detail: "pass@8 needs at least 8 samples per problem, and n is 4", line: 12, col: 7},
		{name: "k not whole", ex: "eval {\n  k = [1, 2.5]\n}",
			summary: `Invalid value for "k"`, detail: "k must hold whole numbers; got 2.5.", line: 11, col: 7},
		{name: "min_lr_ratio with a constant schedule", train: "train { min_lr_ratio = 0.1 }",
			summary: "min_lr_ratio has no effect here", line: 9, col: 9},
		{name: "missing train block", train: "-",
			summary: "Missing train block", line: 11, col: 1}, // the end of the file
		{name: "duplicate train block", ex: "train {}",
			summary: "Duplicate train block", line: 10, col: 1},
		{name: "top-level block typo", ex: `algoritm "ppo" {}`,
			summary: "Unsupported block type", detail: `Did you mean "algorithm"?`, line: 10, col: 1},
		{name: "plugin setting typo", sel: `selector "top" "forks" { rh0 = 0.2 }`,
			summary: "Unsupported argument", detail: `Did you mean "rho"?`, line: 3, col: 26},
		{name: "plugin setting out of range", sel: `selector "top" "forks" { rho = 1.5 }`,
			summary: `Invalid value for "rho"`, detail: "rho must be at most 1; got 1.5.", line: 3, col: 32},
		{name: "unknown plugin", sel: `selector "tpo" "forks" {}`,
			summary: `Unknown selector "tpo"`, detail: `Did you mean "top"?`, line: 3, col: 10},
		{name: "step scope with current entropies", sel: `selector "top" "forks" { scope = "step" }`,
			summary: `Invalid value for "scope"`, detail: `needs entropy = "old"`, line: 3, col: 34},
		{name: "isolation typo", sel: `selector "top" "forks" { isolation = "inprocess" }`,
			summary: `Invalid value for "isolation"`, detail: `isolation must be "inproc" or "process"; got "inprocess".`, line: 3, col: 38},
		{name: "bad checksum", sel: `selector "top" "forks" { sha256 = "abc" }`,
			summary: `Invalid value for "sha256"`, detail: "64 hexadecimal digits", line: 3, col: 35},
		{name: "variable typo", sel: `selector "top" "forks" { rho = var.rh }`, ex: `variable "rho" { default = 0.2 }`,
			summary: "Reference to undeclared variable", detail: `Did you mean "rho"?`, line: 3, col: 32},
		{name: "variable validation", ex: "variable \"rho\" {\n  default = 2\n  validation {\n    condition     = var.rho <= 1\n    error_message = \"rho must be at most 1.\"\n  }\n}",
			summary: "Invalid value for variable", detail: "rho must be at most 1.", line: 11, col: 13},
		{name: "variable type", ex: "variable \"n\" {\n  type    = number\n  default = \"x\"\n}",
			summary: `Invalid value for "default"`, detail: "a number is required", line: 12, col: 13},
		{name: "undeclared --var", ex: `variable "rho" { default = 0.2 }`, vars: []string{"rhoo=0.1"},
			summary: "Undeclared variable", detail: `Did you mean "rho"?`},
		{name: "run vars undeclared", ex: "run \"a\" {\n  vars = { rhoo = 1 }\n}",
			summary: "Undeclared variable", detail: `declares no variable "rhoo"`, line: 11, col: 12},
		{name: "duplicate run names", ex: "run \"a\" {}\nrun \"b\" {\n  name = \"a\"\n}",
			summary: `Duplicate run name "a"`, line: 12, col: 10},
		{name: "for_each of a number", ex: "run \"a\" {\n  for_each = 3\n}",
			summary: `Invalid value for "for_each"`, detail: "got number", line: 11, col: 14},
		{name: "unnamable for_each elements", ex: "run \"a\" {\n  for_each = [{ rho = 1 }]\n}",
			summary: `Invalid value for "for_each"`, detail: "Use a map", line: 11, col: 14},
		{name: "evaluated dataset without held-out part", train: "train { dataset = dataset.d }", ex: "dataset \"e\" {\n  generator \"countdown\" {}\n}\neval {\n  datasets = [dataset.e]\n}",
			summary: `Invalid value for "datasets"`, detail: `Dataset "e" is evaluated but holds nothing out`, line: 14, col: 14},
		{name: "dataset file missing", train: "train { dataset = dataset.d }", ex: "dataset \"f\" {\n  files = [\"nope.jsonl\"]\n}",
			summary: `Invalid value for "files"`, detail: `Cannot read data file "nope.jsonl"`, line: 11, col: 11},
		{name: "prompt template", train: "train { dataset = dataset.d }", ex: "dataset \"p\" {\n  generator \"countdown\" {}\n  prompt_template = \"{{.x\"\n}",
			summary: `Invalid value for "prompt_template"`, detail: "nor a valid Go text/template", line: 12, col: 21},
		{name: "hooks file missing", ex: "hooks {\n  file = \"nope.star\"\n}",
			summary: `Invalid value for "file"`, detail: "Cannot read the hooks file", line: 11, col: 10},
		{name: "cycle in locals", ex: "locals {\n  a = local.b\n  b = local.a\n}",
			summary: "Cycle in local values", line: 11, col: 3},
		{name: "several backends, no policy", ex: `backend "tinylm" "critic" {}`,
			summary: `Invalid value for "policy"`, detail: "several backends", line: 8, col: 1},
		{name: "each outside a run block", train: "train { seed = each.value }",
			summary: "each outside a run block", detail: "vars = { seed = each.value }", line: 9, col: 16},
		{name: "variable typo in a run block", ex: "variable \"seed\" { default = 1 }\nrun \"a\" {\n  vars = { seed = var.sed }\n}",
			summary: "Reference to undeclared variable", detail: `Did you mean "seed"?`, line: 12, col: 19},
		{name: "local typo", train: "train { steps = local.stepz }", ex: "locals {\n  steps = 3\n}",
			summary: "Reference to undeclared local value", detail: `Did you mean "steps"?`, line: 9, col: 17},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := badRecipe(c.sel, c.alg, c.train, c.ex)
			rec, diags := Parse("testdata/bad.hcl", []byte(src), Options{Vars: c.vars, Schemas: testSchemas})
			var d *hcl.Diagnostic
			for _, x := range diags {
				if x.Severity == hcl.DiagError && strings.Contains(x.Summary, c.summary) && strings.Contains(x.Detail, c.detail) {
					d = x
					break
				}
			}
			var all strings.Builder
			WriteDiagnostics(&all, rec.Files, diags, 0, false)
			if d == nil {
				t.Fatalf("no error %q / %q in:\n%s\nrecipe:\n%s", c.summary, c.detail, all.String(), numbered(src))
			}
			if n := len(diags.Errs()); n != 1 {
				t.Errorf("want exactly one error, got %d:\n%s", n, all.String())
			}
			if c.line == 0 {
				if d.Subject != nil {
					t.Errorf("error at %v; want none (not in the recipe)", d.Subject)
				}
				return
			}
			if d.Subject == nil || d.Subject.Filename != "testdata/bad.hcl" || d.Subject.Start.Line != c.line || d.Subject.Start.Column != c.col {
				t.Errorf("error at %v; want testdata/bad.hcl:%d:%d\n%s", d.Subject, c.line, c.col, all.String())
			}
			if want := fmt.Sprintf("on testdata/bad.hcl:%d:%d", c.line, c.col); !strings.Contains(all.String(), want) {
				t.Errorf("the rendered diagnostic does not say %q:\n%s", want, all.String())
			}
		})
	}
}

func numbered(src string) string {
	var b strings.Builder
	for i, l := range strings.Split(src, "\n") {
		fmt.Fprintf(&b, "%3d %s\n", i+1, l)
	}
	return b.String()
}

func TestTooManyRuns(t *testing.T) {
	src := badRecipe("", "", "", "run \"a\" {\n  for_each = setproduct(range(101), range(100))\n}")
	_, diags := Parse("big.hcl", []byte(src), Options{Schemas: testSchemas})
	if !diags.HasErrors() || !strings.Contains(diags.Error(), "for_each makes 10100 runs, and a recipe has at most 10000") {
		t.Errorf("got %v; want the run limit", diags)
	}
}

func TestRunsOverrideAnInvalidDefault(t *testing.T) {
	// The default fails validation, but every run sets a valid value: only
	// the values that runs use are validated.
	src := badRecipe(`selector "top" "forks" { rho = var.rho }`, "", "", `variable "rho" {
  default = 0
  validation {
    condition     = var.rho > 0
    error_message = "rho must be positive."
  }
}
run "a" {
  for_each = [0.1, 0.2]
  vars     = { rho = each.value }
}`)
	rec, diags := Parse("ok.hcl", []byte(src), Options{Schemas: testSchemas})
	if diags.HasErrors() || len(rec.Runs) != 2 {
		t.Fatalf("got %d runs, %v; want 2 runs and no error", len(rec.Runs), diags)
	}
	src = strings.Replace(src, "[0.1, 0.2]", "[0.1, 0]", 1)
	_, diags = Parse("bad.hcl", []byte(src), Options{Schemas: testSchemas})
	if len(diags.Errs()) != 1 || !strings.Contains(diags[0].Detail, "rho must be positive.") || !strings.HasSuffix(diags[0].Detail, "In run a-0.") ||
		diags[0].Subject.Start.Line != 19 || diags[0].Subject.Start.Column != 22 {
		t.Errorf("got %v; want one validation error at the run's value (line 19, column 22) naming run a-0", diags)
	}
}
