package recipe

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/forkrl/forkrl/framework/pluginapi"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

func ptr(x float64) *float64 { return &x }

// testSchemas stand for the plugins' declared schemas.
var testSchemas = Schemas{
	pluginapi.KindBackend: {
		"tinylm": {Attributes: []pluginapi.Attribute{
			{Name: "checkpoint", Type: "path"},
			{Name: "layers", Type: "number", Default: 4.0, Min: ptr(1)},
		}},
	},
	pluginapi.KindVerifier: {
		"countdown": {},
		"math":      {Attributes: []pluginapi.Attribute{{Name: "tolerance", Type: "number", Default: 1e-6}}},
	},
	pluginapi.KindSelector: {
		"top": {Attributes: []pluginapi.Attribute{
			{Name: "rho", Type: "number", Default: 0.2, Min: ptr(0), Max: ptr(1)},
			{Name: "rule", Type: "string", Default: "topk", Enum: []string{"topk", "quantile"}},
		}},
		"bottom": {Attributes: []pluginapi.Attribute{
			{Name: "rho", Type: "number", Default: 0.2, Min: ptr(0), Max: ptr(1)},
		}},
		"all": {},
	},
	pluginapi.KindGenerator: {
		"countdown": {Attributes: []pluginapi.Attribute{
			{Name: "count", Type: "number", Default: 10000.0, Min: ptr(1)},
			{Name: "sizes", Type: "list(number)"},
		}},
	},
}

func load(t *testing.T, path string, vars ...string) *Recipe {
	t.Helper()
	rec, diags := Load(path, Options{Vars: vars, Schemas: testSchemas})
	if diags.HasErrors() {
		var b strings.Builder
		WriteDiagnostics(&b, rec.Files, diags, 0, false)
		t.Fatalf("%s: unexpected errors:\n%s", path, b.String())
	}
	return rec
}

func TestPresets(t *testing.T) {
	// The preset values, written from the DAPO paper, the GRPO objective and
	// verl's defaults (see presetAlgorithm), as a run sees them after the
	// fields that do not apply are cleared.
	want := map[string]Algorithm{
		PresetDAPO: {Preset: "dapo", Policy: "policy", Advantage: "grpo", ClipLow: 0.2, ClipHigh: 0.28, DualClip: 10,
			LossAgg: "token-mean", LossDenominator: "all", KLEstimator: "none",
			DynamicSampling: true, DynamicSamplingMaxRetries: 10, DynamicSamplingOnExhausted: "train",
			Overlong: true, OverlongLength: 256, OverlongBuffer: 51, OverlongPenalty: 1, Epochs: 1},
		PresetGRPO: {Preset: "grpo", Policy: "policy", Advantage: "grpo", ClipLow: 0.2, ClipHigh: 0.2, DualClip: 3,
			LossAgg: "seq-mean-token-mean", LossDenominator: "all", KLEstimator: "k3", KLCoef: 0.001, KLPenalty: "loss", Epochs: 1},
		PresetPPO: {Preset: "ppo", Policy: "policy", Advantage: "gae", ClipLow: 0.2, ClipHigh: 0.2, DualClip: 3,
			LossAgg: "token-mean", LossDenominator: "all", KLEstimator: "none",
			Gamma: 1, Lambda: 1, ValueCoef: 0.5, ValueClip: 0.5, Epochs: 1},
		PresetSFT: {Preset: "sft", Policy: "policy", Advantage: "none", LossAgg: "token-mean", LossDenominator: "all", KLEstimator: "none", Epochs: 1},
	}
	for preset, w := range want {
		t.Run(preset, func(t *testing.T) {
			src := `backend "tinylm" "policy" {}
verifier "countdown" "reward" {}
dataset "d" {
  generator "countdown" {}
  eval_count = 8
}
algorithm "` + preset + `" {}
train {}
`
			if preset == PresetSFT {
				src = strings.Replace(src, "train {}", "train {}\neval { datasets = [] }", 1)
			}
			rec, diags := Parse("p.hcl", []byte(src), Options{Schemas: testSchemas})
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			if got := rec.Runs[0].Algorithm; !reflect.DeepEqual(got, w) {
				t.Errorf("resolved algorithm\n got %+v\nwant %+v", got, w)
			}
		})
	}
}

func TestGoodRecipes(t *testing.T) {
	t.Run("forking", func(t *testing.T) {
		rec := load(t, "testdata/forking.hcl")
		r, ok := rec.Config("rho-bottom-0.8-3")
		if !ok {
			t.Fatal("run rho-bottom-0.8-3 missing")
		}
		if r.Seed != 3 || r.Train.Seed != 3 || r.Train.Steps != 100 {
			t.Errorf("seed %d, train.seed %d, steps %d; want 3, 3, 100", r.Seed, r.Train.Seed, r.Train.Steps)
		}
		if a := r.Algorithm; a.Selector != "bottom" || a.SelectScope != "mini" || a.SelectEntropy != "current" {
			t.Errorf("selection %q %q %q; want bottom mini current", a.Selector, a.SelectScope, a.SelectEntropy)
		}
		sel, _ := r.Selector("bottom")
		if !sel.Checked || !reflect.DeepEqual(sel.Settings, pluginapi.Settings{"rho": 0.8}) {
			t.Errorf("bottom selector settings %v (checked %v); want rho 0.8", sel.Settings, sel.Checked)
		}
		top, _ := r.Selector("top")
		if want := (pluginapi.Settings{"rho": 0.8, "rule": "topk"}); !reflect.DeepEqual(top.Settings, want) || top.Scope != "micro" {
			t.Errorf("top selector settings %v, scope %q; want %v and micro (the host's scope apart from the plugin's settings)", top.Settings, top.Scope, want)
		}
		be, _ := r.Backend("policy")
		if want := (pluginapi.Settings{"checkpoint": filepath.Join("testdata", "base"), "layers": 4.0}); !reflect.DeepEqual(be.Settings, want) {
			t.Errorf("backend settings %v; want %v", be.Settings, want)
		}
		ds := r.Datasets[0]
		if ds.Generator == nil || !reflect.DeepEqual(ds.Generator.Settings, pluginapi.Settings{"count": 1000.0, "sizes": []any{3.0, 4.0}}) {
			t.Errorf("generator %+v", ds.Generator)
		}
		if ds.Verifier != "reward" || ds.Split.EvalCount != 64 || !ds.Shuffle {
			t.Errorf("dataset %+v", ds)
		}
		if r.Hooks == nil || !strings.HasSuffix(r.Hooks.File, "testdata/hooks.star") || r.Hooks.StepBudget != DefaultHookStepBudget {
			t.Errorf("hooks %+v", r.Hooks)
		}
		if !reflect.DeepEqual(r.Variables, map[string]any{"arm": "bottom", "rho": 0.8, "seed": 3.0}) {
			t.Errorf("variables %v", r.Variables)
		}
		all, _ := rec.Config("all-seed2")
		if all.Algorithm.Selector != "all" || all.Seed != 2 {
			t.Errorf("all-seed2: selector %q seed %d", all.Algorithm.Selector, all.Seed)
		}
		if e := r.Eval; !reflect.DeepEqual(e, Eval{Datasets: []string{"countdown"}, N: 2, K: []int{2}, Temperature: 1, TopP: 1, MaxResponseTokens: 100, Interval: 10}) {
			t.Errorf("eval %+v", e)
		}
	})
	t.Run("grpo", func(t *testing.T) {
		r := load(t, "testdata/grpo.hcl").Runs[0]
		if r.Name != "grpo" {
			t.Errorf("name %q; want the file's base name", r.Name)
		}
		a := r.Algorithm
		if a.KLEstimator != "k3" || a.KLCoef != 0.01 || a.Epochs != 2 || a.Selector != "" || a.SelectScope != "" {
			t.Errorf("algorithm %+v", a)
		}
		ds := r.Datasets[0]
		if ds.Format != "jsonl" || len(ds.Files) != 1 || !strings.HasSuffix(ds.Files[0], "testdata/data/tiny.jsonl") ||
			ds.Fields != (Fields{Problem: "question", Answer: "answer"}) || ds.Split.EvalFraction != 0.34 || ds.Shuffle || ds.Verifier != "grader" {
			t.Errorf("dataset %+v", ds)
		}
		tr := r.Train
		if tr.MiniBatchSize != 8 || tr.MicroBatchSize != 8 || tr.LRSchedule != "cosine" || tr.MinLRRatio != 0.1 || tr.LearningRate != 1e-6 {
			t.Errorf("train %+v", tr)
		}
		if r.Output != (Output{Dir: filepath.Join("testdata", "out"), RolloutSamples: 0}) {
			t.Errorf("output %+v", r.Output)
		}
		if v, _ := r.Verifier("grader"); v.Settings["tolerance"] != 1e-6 {
			t.Errorf("verifier default not applied: %v", v.Settings)
		}
	})
	t.Run("ppo", func(t *testing.T) {
		a := load(t, "testdata/ppo.hcl").Runs[0].Algorithm
		if a.Policy != "policy" || a.Critic != "critic" || a.Lambda != 0.95 || a.Gamma != 1 || a.Advantage != "gae" {
			t.Errorf("algorithm %+v", a)
		}
	})
	t.Run("sft", func(t *testing.T) {
		r := load(t, "testdata/sft.hcl").Runs[0]
		if r.Train.ResponsesPerPrompt != 1 || r.Train.MiniBatchSize != 2 || len(r.Eval.Datasets) != 0 || r.Datasets[0].Verifier != "" {
			t.Errorf("train %+v eval %+v", r.Train, r.Eval)
		}
	})
}

func TestMatrixOrder(t *testing.T) {
	rec := load(t, "testdata/forking.hcl")
	var got []string
	for _, r := range rec.Runs {
		got = append(got, r.Name)
	}
	// setproduct in element order, then the map in key order.
	want := []string{
		"rho-top-0.2-1", "rho-top-0.2-2", "rho-top-0.2-3",
		"rho-top-0.8-1", "rho-top-0.8-2", "rho-top-0.8-3",
		"rho-bottom-0.2-1", "rho-bottom-0.2-2", "rho-bottom-0.2-3",
		"rho-bottom-0.8-1", "rho-bottom-0.8-2", "rho-bottom-0.8-3",
		"all-seed1", "all-seed2",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("runs\n got %v\nwant %v", got, want)
	}
	again := load(t, "testdata/forking.hcl")
	for i := range rec.Runs {
		a, _ := rec.Runs[i].JSON()
		b, _ := again.Runs[i].JSON()
		if string(a) != string(b) {
			t.Fatalf("run %s resolves differently on a second load", rec.Runs[i].Name)
		}
	}
}

func TestCommandLineVars(t *testing.T) {
	src := []byte(`variable "name" { type = string }
variable "rho" {
  type    = number
  default = 0.2
}
backend "tinylm" "policy" { checkpoint = var.name }
verifier "countdown" "reward" {}
selector "top" "s" { rho = var.rho }
dataset "d" {
  generator "countdown" {}
  eval_count = 8
}
algorithm "dapo" {}
train {}
run "a" {}
run "b" { vars = { rho = 0.5 } }
`)
	rec, diags := Parse("v.hcl", src, Options{Vars: []string{"name=base 2", "rho=0.3"}, Schemas: testSchemas})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if got := rec.Runs[0].Backends[0].Settings["checkpoint"]; got != "base 2" {
		t.Errorf("string variable from --var: %v", got)
	}
	if got := rec.Runs[0].Selectors[0].Settings["rho"]; got != 0.3 {
		t.Errorf("run a: rho %v; want 0.3 from --var", got)
	}
	if got := rec.Runs[1].Selectors[0].Settings["rho"]; got != 0.5 {
		t.Errorf("run b: rho %v; want 0.5 from its vars", got)
	}
	if len(diags) != 1 || diags[0].Severity != hcl.DiagWarning || !strings.Contains(diags[0].Detail, `--var rho does not apply`) {
		t.Errorf("want one warning that run b overrides --var rho; got %v", diags)
	}
	if diags[0].Subject.Start.Line != 16 || diags[0].Subject.Start.Column != 26 {
		t.Errorf("warning at %v; want line 16 col 26", diags[0].Subject)
	}
}

func TestUncheckedPluginSettings(t *testing.T) {
	rec, diags := Load("testdata/ppo.hcl", Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	for _, b := range rec.Runs[0].Backends {
		if b.Checked || len(b.Settings) != 0 {
			t.Errorf("backend %s: checked %v settings %v; want unchecked and empty", b.Label, b.Checked, b.Settings)
		}
	}
}

func TestDecodeSettings(t *testing.T) {
	schema := pluginapi.Schema{Attributes: []pluginapi.Attribute{
		{Name: "rho", Type: "number", Required: true, Min: ptr(0), Max: ptr(1)},
		{Name: "names", Type: "list(string)", Default: []string{"a"}},
		{Name: "k", Type: "number", Default: 4},
		{Name: "rule", Type: "string", Enum: []string{"topk", "quantile"}},
		{Name: "on", Type: "bool"},
	}}
	cases := []struct {
		body    string
		want    pluginapi.Settings
		wantErr string
	}{
		{"rho = 0.5\non = true", pluginapi.Settings{"rho": 0.5, "names": []any{"a"}, "k": 4.0, "on": true}, ""},
		{"rho = 1\nnames = [\"x\", \"y\"]\nrule = \"quantile\"\nk = 2", pluginapi.Settings{"rho": 1.0, "names": []any{"x", "y"}, "k": 2.0, "rule": "quantile"}, ""},
		{"", nil, `needs the setting "rho"`},
		{"rho = 2", nil, "rho must be at most 1; got 2."},
		{"rho = 0.1\nrule = \"topK\"", nil, `Did you mean "topk"?`},
		{"rhoo = 0.1", nil, `Did you mean "rho"?`},
		{"rho = \"x\"", nil, "a number is required"},
	}
	for _, c := range cases {
		f, diags := hclsyntax.ParseConfig([]byte(c.body), "s.hcl", hcl.InitialPos)
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		b := &PluginBlock{Kind: pluginapi.KindSelector, Type: "x", Label: "y", Body: f.Body}
		diags = DecodeSettings(b, schema)
		if c.wantErr != "" {
			if !diags.HasErrors() || !strings.Contains(diags.Error(), c.wantErr) {
				t.Errorf("%q: got %v; want an error containing %q", c.body, diags, c.wantErr)
			}
			continue
		}
		if diags.HasErrors() || !reflect.DeepEqual(b.Settings, c.want) {
			t.Errorf("%q: got %v %v; want %v", c.body, b.Settings, diags, c.want)
		}
	}
}

func TestRunVarsFromAnObject(t *testing.T) {
	src := []byte(`variable "arm" { default = "top" }
variable "rho" { default = 0.2 }
backend "tinylm" "policy" {}
verifier "countdown" "reward" {}
selector "top" "top" { rho = var.rho }
selector "all" "all" {}
dataset "d" {
  generator "countdown" {}
  eval_count = 8
}
algorithm "dapo" { selector = var.arm }
train {}
run "arm" {
  for_each = {
    top10 = { arm = "top", rho = 0.1 }
    all   = { arm = "all" }
  }
  vars = each.value
}
`)
	rec, diags := Parse("o.hcl", src, Options{Schemas: testSchemas})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if len(rec.Runs) != 2 || rec.Runs[0].Name != "arm-all" || rec.Runs[1].Name != "arm-top10" {
		t.Fatalf("runs %v; want arm-all, arm-top10 (key order)", rec.Runs)
	}
	if a := rec.Runs[0].Algorithm.Selector; a != "all" {
		t.Errorf("arm-all uses selector %q", a)
	}
	if rho := rec.Runs[1].Selectors[0].Settings["rho"]; rho != 0.1 {
		t.Errorf("arm-top10: rho %v", rho)
	}
	_, diags = Parse("o.hcl", []byte(strings.Replace(string(src), "rho = 0.1", "rh0 = 0.1", 1)), Options{Schemas: testSchemas})
	if !diags.HasErrors() || !strings.Contains(diags.Error(), `declares no variable "rh0". Did you mean "rho"?`) || diags[0].Subject.Start.Line != 18 {
		t.Errorf("got %v; want an undeclared variable at vars (line 18)", diags)
	}
}
