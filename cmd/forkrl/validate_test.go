package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/forkrl/forkrl/framework/plugin"
	"github.com/forkrl/forkrl/framework/pluginapi"
	"github.com/forkrl/forkrl/framework/recipe"
)

// testBackend is a backend that only describes its settings, registered
// for these tests under a name no real plugin takes.
type testBackend struct{}

func (testBackend) Info(context.Context) (pluginapi.Info, error) {
	one := 1.0
	return pluginapi.Info{Name: "validate-test", Protocol: pluginapi.ProtocolVersion, Kinds: []pluginapi.Kind{pluginapi.KindBackend},
		Settings: pluginapi.Schema{Attributes: []pluginapi.Attribute{{Name: "width", Type: "number", Default: 32.0, Min: &one}}}}, nil
}

func (testBackend) Configure(_ context.Context, req pluginapi.ConfigureRequest) (pluginapi.ConfigureResponse, error) {
	var d pluginapi.Diagnostics
	if req.Settings["width"] == 13.0 {
		d = append(d, pluginapi.Diagnostic{Summary: "width 13 is unlucky", Attribute: "width"})
	}
	return pluginapi.ConfigureResponse{Diagnostics: d}, nil
}

func init() {
	plugin.Register(plugin.Builtin{Kind: pluginapi.KindBackend, Name: "validate-test", New: func() any { return testBackend{} }})
}

func TestValidate(t *testing.T) {
	cases := []struct {
		name     string
		args     []string
		rc       int
		stdout   []string // substrings
		stderr   []string
		noStderr bool
	}{
		{name: "valid matrix", args: []string{"testdata/validate/good.hcl"}, rc: 0, noStderr: true,
			stdout: []string{"testdata/validate/good.hcl is valid: 2 runs\n  rho-0.1\n  rho-0.2\n"}},
		{name: "flags after the recipe", args: []string{"testdata/validate/good.hcl", "-resolved", "--var", "rho=0.3"}, rc: 0,
			stdout: []string{`"width": 64`, `"rho": 0.1`}},
		{name: "errors with positions", args: []string{"testdata/validate/bad.hcl"}, rc: 1,
			stderr: []string{
				"Error: Invalid value for \"rho\"\n\n  on testdata/validate/bad.hcl:6:9, in selector \"top\" \"forks\":\n   6:   rho = 1.5\n              ^^^\n",
				"rho must be at most 1; got 1.5.",
				"on testdata/validate/bad.hcl:15:3, in algorithm \"dapo\":",
				`"rho" is a setting of the selector block, not of algorithm.`,
			}},
		{name: "hooks checked", args: []string{"testdata/validate/hooks.hcl"}, rc: 1,
			stderr: []string{"Error in hook reward", "on testdata/validate/bad.star:1:1:\n   1: def reward(sample, extra):", "must take exactly 1 parameter"}},
		{name: "undeclared --var", args: []string{"--var", "rh0=1", "testdata/validate/good.hcl"}, rc: 1,
			stderr: []string{`Did you mean "rho"?`}},
		{name: "plugin diagnostics from Configure", args: []string{"testdata/validate/configure.hcl"}, rc: 1,
			stderr: []string{"Error: backend \"validate-test\" \"policy\": width 13 is unlucky\n\n  on testdata/validate/configure.hcl:2:11, in backend \"validate-test\" \"policy\":\n   2:   width = 13"}},
		{name: "without Configure", args: []string{"-configure=false", "testdata/validate/configure.hcl"}, rc: 0},
		{name: "no recipe", args: nil, rc: 2, stderr: []string{"usage: forkrl validate"}},
		{name: "two recipes", args: []string{"a.hcl", "b.hcl"}, rc: 2, stderr: []string{`unexpected "b.hcl"`}},
		{name: "missing file", args: []string{"testdata/validate/nope.hcl"}, rc: 1, stderr: []string{"Cannot read the recipe"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			rc := validate(c.args, &out, &errb)
			if rc != c.rc {
				t.Errorf("exit status %d; want %d\nstdout:\n%s\nstderr:\n%s", rc, c.rc, out.String(), errb.String())
			}
			for _, s := range c.stdout {
				if !strings.Contains(out.String(), s) {
					t.Errorf("stdout lacks %q:\n%s", s, out.String())
				}
			}
			for _, s := range c.stderr {
				if !strings.Contains(errb.String(), s) {
					t.Errorf("stderr lacks %q:\n%s", s, errb.String())
				}
			}
			if c.noStderr && errb.Len() > 0 {
				t.Errorf("unexpected stderr:\n%s", errb.String())
			}
		})
	}
}

func TestValidateJSON(t *testing.T) {
	var out, errb bytes.Buffer
	if rc := validate([]string{"-json", "testdata/validate/bad.hcl"}, &out, &errb); rc != 1 {
		t.Fatalf("exit status %d; want 1\n%s", rc, errb.String())
	}
	var rep struct {
		Valid       bool
		Runs        []string
		Diagnostics []recipe.JSONDiagnostic
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out.String())
	}
	if rep.Valid || len(rep.Diagnostics) != 2 {
		t.Fatalf("valid %v with %d diagnostics; want invalid with 2:\n%s", rep.Valid, len(rep.Diagnostics), out.String())
	}
	d := rep.Diagnostics[0]
	if d.Severity != "error" || d.Range == nil || d.Range.Start.Line != 6 || d.Range.Start.Column != 9 || d.Snippet != "  rho = 1.5" {
		t.Errorf("first diagnostic %+v (range %+v); want an error at line 6 column 9 quoting the line", d, d.Range)
	}

	out.Reset()
	if rc := validate([]string{"-json", "-resolved", "testdata/validate/good.hcl"}, &out, &errb); rc != 0 {
		t.Fatalf("exit status %d; want 0\n%s", rc, errb.String())
	}
	var good struct {
		Valid    bool
		Runs     []string
		Resolved []recipe.Config
	}
	if err := json.Unmarshal(out.Bytes(), &good); err != nil {
		t.Fatal(err)
	}
	if !good.Valid || strings.Join(good.Runs, " ") != "rho-0.1 rho-0.2" || len(good.Resolved) != 2 || good.Resolved[1].Selectors[0].Settings["rho"] != 0.2 {
		t.Errorf("report %+v", good)
	}
}

// TestShippedRecipes checks that every recipe in recipes/ passes forkrl
// validate as a user runs it: the recipe, the built-in plugins configured
// (from the committed base checkpoint), and the data read and checked
// against the policy's alphabet.
func TestShippedRecipes(t *testing.T) {
	t.Chdir("../..")
	paths, err := filepath.Glob("recipes/*.hcl")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no recipes found in recipes/ (%v)", err)
	}
	for _, p := range paths {
		var out, errb bytes.Buffer
		if rc := validate([]string{p}, &out, &errb); rc != 0 {
			t.Errorf("forkrl validate %s: exit status %d\n%s", p, rc, errb.String())
		}
	}
}

func TestValidateChecksTheData(t *testing.T) {
	recipeText := `
backend "tinylm" "policy" {
  layers    = 1
  width     = 16
  heads     = 2
  kv_heads  = 1
  mlp_width = 32
  context   = 64
  alphabet  = "\n 0123456789+="
  isolation = "inproc"
}

verifier "countdown" "reward" {}

selector "all" "all" {}

dataset "sums" {
  files      = ["sums.jsonl"]
  eval_count = 1
}

algorithm "grpo" {}

train {
  steps = 1
}
`
	cases := []struct {
		name, data string
		rc         int
		want       string
	}{
		{"good data", "{\"problem\": \"1+1=\", \"answer\": \"2\"}\n{\"problem\": \"2+2=\", \"answer\": \"4\"}\n", 0, "is valid"},
		{"a malformed line", "{\"problem\": \"1+1=\", \"answer\": \"2\"}\n{\"problem\": \"2+2=\", \"answer\": 4\n", 1, "sums.jsonl:2: not a JSON object"},
		{"a character the model cannot write", "{\"problem\": \"1+1=\", \"answer\": \"2\"}\n{\"problem\": \"2×2=\", \"answer\": \"4\"}\n", 1,
			"cannot encode 1 of the 2 prompts of dataset \"sums\"; the first, of problem \"1\": character '×' (U+00D7) at byte 1 is not in the tokenizer's alphabet"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "sums.hcl")
			if err := os.WriteFile(path, []byte(recipeText), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "sums.jsonl"), []byte(c.data), 0o644); err != nil {
				t.Fatal(err)
			}
			var stdout, stderr bytes.Buffer
			rc := validate([]string{path}, &stdout, &stderr)
			if rc != c.rc || !strings.Contains(stdout.String()+stderr.String(), c.want) {
				t.Errorf("exit %d, want %d and %q\nstdout: %s\nstderr: %s", rc, c.rc, c.want, stdout.String(), stderr.String())
			}
		})
	}
}

// TestValidateRecipeOfACommandBuiltin: a policy served by its own command
// line (the torch backend) has no in-process model to check the data's
// alphabet with; validate leaves that check out instead of failing.
func TestValidateRecipeOfACommandBuiltin(t *testing.T) {
	var stdout, stderr bytes.Buffer
	path := filepath.Join("..", "..", "recipes", "quickstart-torch.hcl")
	if rc := validate([]string{path}, &stdout, &stderr); rc != 0 || !strings.Contains(stdout.String(), "is valid") {
		t.Errorf("exit %d\nstdout: %s\nstderr: %s", rc, stdout.String(), stderr.String())
	}
}
