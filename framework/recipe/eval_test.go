package recipe

import (
	"reflect"
	"strings"
	"testing"
)

// TestEvalSamplesAndK checks how the eval block's n (samples per problem)
// and k (the pass@k reported) resolve: k alone draws as many samples as the
// largest k, n alone reports pass@n, and k may be a list.
func TestEvalSamplesAndK(t *testing.T) {
	for _, tc := range []struct {
		eval string
		n    int
		k    []int
	}{
		{"", 1, []int{1}},
		{"k = 2", 2, []int{2}},
		{"n = 32", 32, []int{32}},
		{"n = 32\n  k = [1, 8, 32]", 32, []int{1, 8, 32}},
		{"n = 16\n  k = [8, 1, 8]", 16, []int{1, 8}},
		{"k = [1, 4]", 4, []int{1, 4}},
	} {
		src := badRecipe("", "", "", "eval {\n  "+tc.eval+"\n}")
		rec, diags := Parse("eval.hcl", []byte(src), Options{Schemas: testSchemas})
		if diags.HasErrors() {
			t.Fatalf("%q: %v", tc.eval, diags)
		}
		if e := rec.Runs[0].Eval; e.N != tc.n || !reflect.DeepEqual(e.K, tc.k) {
			t.Errorf("%q: n %d, k %v; want %d, %v", strings.ReplaceAll(tc.eval, "\n", ";"), e.N, e.K, tc.n, tc.k)
		}
	}
}

// TestEvalEntropyGate checks the eval block's entropy gate: off by default,
// its temperatures defaulting to the eval temperature, and t_high or t_low
// without entropy_gate refused at the attribute.
func TestEvalEntropyGate(t *testing.T) {
	for _, tc := range []struct {
		eval string
		want *EntropyGate
	}{
		{"", nil},
		{"temperature = 0.8", nil},
		{"entropy_gate = 0.672", &EntropyGate{Threshold: 0.672, THigh: 1, TLow: 1}},
		{"temperature = 0.6\n  entropy_gate = 0.5\n  t_high = 1.2", &EntropyGate{Threshold: 0.5, THigh: 1.2, TLow: 0.6}},
	} {
		src := badRecipe("", "", "", "eval {\n  "+tc.eval+"\n}")
		rec, diags := Parse("eval.hcl", []byte(src), Options{Schemas: testSchemas})
		if diags.HasErrors() {
			t.Fatalf("%q: %v", tc.eval, diags)
		}
		if got := rec.Runs[0].Eval.EntropyGate; !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q: gate %+v, want %+v", strings.ReplaceAll(tc.eval, "\n", ";"), got, tc.want)
		}
	}
	src := badRecipe("", "", "", "eval {\n  t_low = 0.7\n}")
	_, diags := Parse("eval.hcl", []byte(src), Options{Schemas: testSchemas})
	if !diags.HasErrors() || !strings.Contains(diags.Error(), "t_low is the temperature of the entropy gate; set entropy_gate") || !strings.Contains(diags.Error(), "eval.hcl:") {
		t.Errorf("t_low alone: %v", diags)
	}
}
