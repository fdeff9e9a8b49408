package countdown

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/forkrl/forkrl/framework/pluginapi"
)

func TestGenerate(t *testing.T) {
	ds, diags := Generate(pluginapi.Settings{"train": 200.0, "eval": 50.0})
	if diags.HasErrors() {
		t.Fatal(diags.Err())
	}
	if len(ds.Train) != 200 || len(ds.Eval) != 50 {
		t.Fatalf("%d train and %d eval records", len(ds.Train), len(ds.Eval))
	}
	want, _ := Problems(1, Eval, 50, Options{})
	for i, r := range ds.Eval {
		if r.Prompt != want[i].Prompt || r.Problem != r.Prompt || r.Answer != want[i].Answer || r.ID != fmt.Sprintf("eval-%d", i) {
			t.Fatalf("eval record %d: %+v, want problem %+v", i, r, want[i])
		}
	}
	again, _ := Generate(pluginapi.Settings{"train": 200.0, "eval": 50.0})
	if !reflect.DeepEqual(ds, again) {
		t.Fatal("the same settings gave different datasets")
	}

	traces, diags := Generate(pluginapi.Settings{"train": 100.0, "eval": 10.0, "traces": true, "seed": 3.0, "sizes": []any{3.0}})
	if diags.HasErrors() {
		t.Fatal(diags.Err())
	}
	ex, _ := Traces(3, 100, TraceOptions{Problems: Options{Sizes: []int{3}}})
	for i, r := range traces.Train {
		if r.Prompt != ex[i].Prompt || r.Answer != ex[i].Completion {
			t.Fatalf("trace record %d: %+v, want %q + %q", i, r, ex[i].Prompt, ex[i].Completion)
		}
	}
}

func TestGenerateBadSettings(t *testing.T) {
	tests := []struct {
		settings pluginapi.Settings
		attr     string
		msg      string
	}{
		{pluginapi.Settings{"trian": 5.0}, "trian", `no setting "trian"`},
		{pluginapi.Settings{"train": 2.5}, "train", "whole"},
		{pluginapi.Settings{"train": "many"}, "train", "must be a number"},
		{pluginapi.Settings{"skill": 2.0}, "skill", "out of range"},
		{pluginapi.Settings{"sizes": 3.0}, "sizes", "list of numbers"},
		{pluginapi.Settings{"sizes": []any{3.5}}, "sizes", "whole"},
		{pluginapi.Settings{"traces": "yes"}, "traces", "true or false"},
		{pluginapi.Settings{"sizes": []any{7.0}}, "", "size 7 is outside 2..5"},
	}
	for _, tt := range tests {
		_, diags := Generate(tt.settings)
		if !diags.HasErrors() || diags[0].Attribute != tt.attr || !strings.Contains(diags.Err().Error(), tt.msg) {
			t.Errorf("Generate(%v): %+v, want an error on %q containing %q", tt.settings, diags, tt.attr, tt.msg)
		}
	}
	for _, a := range GeneratorSchema().Attributes {
		if a.Default == nil || a.Description == "" {
			t.Errorf("setting %q lacks a default or a description", a.Name)
		}
	}
}

// TestNewGenerator checks that the registered generator declares
// GeneratorSchema and makes Generate's records, and reports bad settings.
func TestNewGenerator(t *testing.T) {
	g := NewGenerator()
	if !reflect.DeepEqual(g.Schema(), GeneratorSchema()) {
		t.Error("the generator's schema is not GeneratorSchema")
	}
	settings := pluginapi.Settings{"train": 30.0, "eval": 10.0}
	ds, _ := Generate(settings)
	train, eval, diags := g.Generate(settings)
	if diags.HasErrors() || len(train) != 30 || len(eval) != 10 {
		t.Fatalf("%d train, %d eval, %v", len(train), len(eval), diags)
	}
	for i, r := range ds.Train {
		if train[i].ID != r.ID || train[i].Prompt != r.Prompt || train[i].Problem != r.Problem || train[i].Answer != r.Answer {
			t.Fatalf("train[%d] = %+v, want %+v", i, train[i], r)
		}
	}
	for i, r := range ds.Eval {
		if eval[i].ID != r.ID || eval[i].Problem != r.Problem || eval[i].Answer != r.Answer {
			t.Fatalf("eval[%d] = %+v, want %+v", i, eval[i], r)
		}
	}
	if _, _, diags := g.Generate(pluginapi.Settings{"max_number": 0.0}); !diags.HasErrors() {
		t.Error("max_number 0: want a diagnostic")
	}
}
