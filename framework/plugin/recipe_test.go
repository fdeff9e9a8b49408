package plugin

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/forkrl/forkrl/framework/pluginapi"
	"github.com/forkrl/forkrl/framework/pluginapi/generator"
	"github.com/forkrl/forkrl/framework/recipe"
)

// fakeBackend is a built-in registered by these tests: it declares a schema
// and rejects the checkpoint "missing" in Configure, like a backend that
// cannot load it.
type fakeBackend struct{}

var fakeConfigures atomic.Int64

func (fakeBackend) Info(context.Context) (pluginapi.Info, error) {
	one := 1.0
	return pluginapi.Info{Name: "recipe-test", Protocol: pluginapi.ProtocolVersion, Kinds: []pluginapi.Kind{pluginapi.KindBackend},
		Settings: pluginapi.Schema{Attributes: []pluginapi.Attribute{
			{Name: "width", Type: "number", Default: 32.0, Min: &one},
			{Name: "checkpoint", Type: "string"},
		}}}, nil
}

func (fakeBackend) Configure(_ context.Context, req pluginapi.ConfigureRequest) (pluginapi.ConfigureResponse, error) {
	fakeConfigures.Add(1)
	var d pluginapi.Diagnostics
	if req.Settings["checkpoint"] == "missing" {
		d = append(d, pluginapi.Diagnostic{Summary: "cannot load the checkpoint", Detail: "no such directory", Attribute: "checkpoint"})
	}
	return pluginapi.ConfigureResponse{Diagnostics: d}, nil
}

type fakeVerifier struct{}

func (fakeVerifier) Info(context.Context) (pluginapi.Info, error) {
	return pluginapi.Info{Name: "recipe-test-verifier", Protocol: pluginapi.ProtocolVersion, Kinds: []pluginapi.Kind{pluginapi.KindVerifier}}, nil
}

func (fakeVerifier) Configure(context.Context, pluginapi.ConfigureRequest) (pluginapi.ConfigureResponse, error) {
	return pluginapi.ConfigureResponse{}, nil
}

// fakeGenerator is a generator registered by these tests.
type fakeGenerator struct{}

func (fakeGenerator) Schema() pluginapi.Schema {
	return pluginapi.Schema{Attributes: []pluginapi.Attribute{{Name: "count", Type: "number", Default: 4.0}}}
}

func (fakeGenerator) Generate(pluginapi.Settings) (train, eval []generator.Problem, diags pluginapi.Diagnostics) {
	return nil, nil, nil
}

func init() {
	Register(Builtin{Kind: pluginapi.KindGenerator, Name: "recipe-test-gen", New: func() any { return fakeGenerator{} }})
	Register(Builtin{Kind: pluginapi.KindBackend, Name: "recipe-test", New: func() any { return fakeBackend{} }})
	Register(Builtin{Kind: pluginapi.KindVerifier, Name: "recipe-test-verifier", New: func() any { return fakeVerifier{} }})
}

const runtimeRecipe = `variable "ckpt" { default = "base" }
backend "recipe-test" "policy" {
  width      = 64
  checkpoint = var.ckpt
}
verifier "recipe-test-verifier" "reward" {}
dataset "d" {
  generator "recipe-test-gen" {}
  eval_count = 8
}
algorithm "grpo" {}
train {}
run "seed" {
  for_each = [1, 2, 3]
  vars     = {}
}
`

func TestRecipeSchemas(t *testing.T) {
	rec, diags := recipe.Parse("rt.hcl", []byte(runtimeRecipe), recipe.Options{Schemas: &RecipeSchemas{}})
	if diags.HasErrors() || len(rec.Runs) != 3 {
		t.Fatalf("%d runs, %v", len(rec.Runs), diags)
	}
	b := rec.Runs[0].Backends[0]
	if !b.Checked || b.Settings["width"] != 64.0 || b.Settings["checkpoint"] != "base" {
		t.Errorf("backend settings %v (checked %v)", b.Settings, b.Checked)
	}
	if g := rec.Runs[0].Datasets[0].Generator; !g.Checked || g.Settings["count"] != 4.0 {
		t.Errorf("registered generator: %+v; want its settings checked with the schema's default", g)
	}
	_, diags = recipe.Parse("rt.hcl", []byte(strings.Replace(runtimeRecipe, `generator "recipe-test-gen" {}`, `generator "recipe-test-gen" { cuont = 2 }`, 1)), recipe.Options{Schemas: &RecipeSchemas{}})
	if !diags.HasErrors() || !strings.Contains(diags.Error(), "cuont") {
		t.Errorf("registered generator with an unknown setting: got %v", diags)
	}
	_, diags = recipe.Parse("rt.hcl", []byte(strings.Replace(runtimeRecipe, `"recipe-test-gen"`, `"recipe-test-gne"`, 1)), recipe.Options{Schemas: &RecipeSchemas{}})
	if !diags.HasErrors() || diags[0].Summary != `Unknown generator "recipe-test-gne"` || !strings.Contains(diags[0].Detail, `Did you mean "recipe-test-gen"?`) || strings.Contains(diags[0].Detail, "external") ||
		diags[0].Subject.Start.Line != 8 || diags[0].Subject.Start.Column != 13 {
		t.Errorf("unknown generator: got %v; want it refused with a suggestion at 8:13", diags)
	}

	_, diags = recipe.Parse("rt.hcl", []byte(strings.Replace(runtimeRecipe, `"recipe-test" "policy"`, `"recipe-tset" "policy"`, 1)), recipe.Options{Schemas: &RecipeSchemas{}})
	if !diags.HasErrors() || !strings.Contains(diags[0].Detail, `Did you mean "recipe-test"?`) || diags[0].Subject.Start.Line != 2 || diags[0].Subject.Start.Column != 9 {
		t.Errorf("unknown built-in: got %v; want a suggestion at 2:9", diags)
	}

	_, diags = recipe.Parse("rt.hcl", []byte(strings.Replace(runtimeRecipe, "width      = 64", "width      = 0", 1)), recipe.Options{Schemas: &RecipeSchemas{}})
	if !diags.HasErrors() || !strings.Contains(diags.Error(), "width must be at least 1; got 0.") {
		t.Errorf("declared bound: got %v", diags)
	}
}

func TestConfigureBuiltins(t *testing.T) {
	rec, diags := recipe.Parse("rt.hcl", []byte(runtimeRecipe), recipe.Options{Schemas: &RecipeSchemas{}, Vars: []string{"ckpt=missing"}})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	before := fakeConfigures.Load()
	diags = ConfigureBuiltins(context.Background(), rec.Runs)
	if n := fakeConfigures.Load() - before; n != 1 {
		t.Errorf("the backend was configured %d times for 3 runs with equal settings; want 1", n)
	}
	if len(diags) != 1 {
		t.Fatalf("got %v; want one diagnostic", diags)
	}
	d := diags[0]
	if !strings.Contains(d.Summary, "cannot load the checkpoint") || !strings.Contains(d.Detail, `Setting "checkpoint": no such directory`) ||
		d.Subject.Start.Line != 4 || d.Subject.Start.Column != 16 {
		t.Errorf("got %s: %s at %v; want the checkpoint diagnostic at the setting, 4:16", d.Summary, d.Detail, d.Subject)
	}
}
