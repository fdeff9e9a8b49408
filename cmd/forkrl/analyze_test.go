package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/forkrl/forkrl/framework/plugin"
	"github.com/forkrl/forkrl/framework/pluginapi"
	"github.com/forkrl/forkrl/framework/pluginapi/backend"
	"github.com/forkrl/forkrl/framework/pluginapi/verifier"
	"github.com/forkrl/forkrl/framework/rollout"
)

func TestAnalyzeCommand(t *testing.T) {
	recipePath := filepath.Join("testdata", "run", "tiny.hcl")
	jsonPath := filepath.Join(t.TempDir(), "analysis.json")
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout []string // substrings of the output
		stderr string
	}{
		{"bad k", []string{"--k", "0", "--run", "tiny-seed1", recipePath}, 2, nil, "--k and --problems must be at least 1"},
		{"several runs need --run", []string{recipePath}, 2, nil, "choose one with --run NAME"},
		{"a missing checkpoint", []string{"--run", "tiny-seed1", "--checkpoint", "no/such/dir", recipePath}, 1, nil, "no/such/dir"},
		{
			"reports the figures", []string{"--run", "tiny-seed1", "--problems", "4", "--k", "2", "--min-count", "1", "--json", jsonPath, recipePath}, 0,
			[]string{"4 held-out problems of countdown × 2 samples at T=1 (seed 1): accuracy", "entropy below 0.01:", "top 20% of tokens hold", "average entropy by role:"}, "",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := analyzeCommand(tt.args, &stdout, &stderr)
			ok := code == tt.code && strings.Contains(stderr.String(), tt.stderr)
			for _, s := range tt.stdout {
				ok = ok && strings.Contains(stdout.String(), s)
			}
			if !ok {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, stdout.String(), stderr.String())
			}
		})
	}
	b, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	var rep analyzeReport
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	// A random 2-layer model: 4 problems × 2 samples of up to 24 tokens.
	if rep.Problems != 4 || rep.K != 2 || rep.Entropy.Responses != 8 || rep.Entropy.Tokens < 8 || rep.Entropy.Tokens > 8*24 || len(rep.Roles) == 0 {
		t.Errorf("report %+v", rep)
	}
	verdicts := 0
	for _, n := range rep.Verdicts {
		verdicts += n
	}
	if verdicts != 8 {
		t.Errorf("verdicts %v: want one for each of the 8 samples", rep.Verdicts)
	}
}

// TestTokenRoles gives each token the role of its first byte in the text
// the verifier saw, after the UTF-8 repair: a token that starts inside a
// character takes the character's role.
func TestTokenRoles(t *testing.T) {
	smp := rollout.Sample{Response: backend.Response{Pieces: []string{"7", "*", "3", "=", "\xe2\x82", "\xac", "\xff", ""}}}
	smp.Text = rollout.Decode(smp.Response.Pieces)
	if smp.Text != "7*3=€\uFFFD" {
		t.Fatalf("text %q", smp.Text)
	}
	roles := verifier.Label(strings.Fields("operand operator operand equals answer answer answer other other other"))
	if err := roles.Check(len(smp.Text)); err != nil || len(roles) != 6 {
		t.Fatalf("roles %v: %v", roles, err)
	}
	got := tokenRoles(smp, roles)
	if want := "operand operator operand equals answer answer other <special>"; strings.Join(got, " ") != want {
		t.Errorf("tokenRoles = %v\nwant %s", got, want)
	}
	got = tokenRoles(smp, roles[:5])
	if want := "operand operator operand equals answer answer <none> <special>"; strings.Join(got, " ") != want {
		t.Errorf("tokenRoles without the last span = %v\nwant %s", got, want)
	}
}

// TestAnalyzeCountdownAsBefore: with verdicts and roles from the verifier,
// analyze reports on countdown what it reported when it judged the samples
// itself (countdown.CheckWork and countdown.Roles): testdata's
// countdown-before.json, whose verdicts were named with spaces. With
// check_work off the verdicts are the same; only the reward counts the
// right answers after unsound work too.
func TestAnalyzeCountdownAsBefore(t *testing.T) {
	var before analyzeReport
	readJSON(t, filepath.Join("testdata", "analyze", "countdown-before.json"), &before)
	renamed := map[string]int{}
	total := 0
	for k, n := range before.Verdicts {
		renamed[strings.ReplaceAll(k, " ", "_")] = n
		total += n
	}
	before.Verdicts = renamed
	for _, checkWork := range []bool{true, false} {
		jsonPath := filepath.Join(t.TempDir(), "analysis.json")
		args := []string{"--problems", "64", "--k", "4", "--min-count", "1", "--json", jsonPath, "--var", fmt.Sprintf("check_work=%v", checkWork), filepath.Join("testdata", "analyze", "countdown.hcl")}
		var stdout, stderr bytes.Buffer
		if code := analyzeCommand(args, &stdout, &stderr); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr.String())
		}
		var got analyzeReport
		readJSON(t, jsonPath, &got)
		want := before
		if !checkWork {
			want.Accuracy = float64(before.Verdicts["correct"]+before.Verdicts["unsound_work"]) / float64(total)
		}
		// The entropies agree to rounding: the fixture was made on the AVX2
		// softmax path, and a CPU with AVX-512 takes another, whose sums
		// round differently (kernels/vecmath); the samples are the same.
		if !reflect.DeepEqual(got.Verdicts, want.Verdicts) || !nearlyEqualJSON(t, got.Roles, want.Roles) || !nearlyEqualJSON(t, got.Entropy, want.Entropy) ||
			!reflect.DeepEqual(got.Histogram, want.Histogram) || math.Abs(got.Accuracy-want.Accuracy) > 1e-12 || got.Problems != 64 {
			t.Errorf("check_work = %v: verdicts %v, accuracy %v, roles %v\nwant %v, %v, %v", checkWork, got.Verdicts, got.Accuracy, got.Roles, want.Verdicts, want.Accuracy, want.Roles)
		}
	}
}

// TestAnalyzeMath analyzes a task other than countdown: sums graded by the
// math verifier, which gives coarse verdicts and no roles.
func TestAnalyzeMath(t *testing.T) {
	jsonPath := filepath.Join(t.TempDir(), "analysis.json")
	var stdout, stderr bytes.Buffer
	args := []string{"--problems", "6", "--k", "4", "--min-count", "1", "--json", jsonPath, filepath.Join("testdata", "analyze", "math.hcl")}
	if code := analyzeCommand(args, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var rep analyzeReport
	readJSON(t, jsonPath, &rep)
	total := 0
	for k, n := range rep.Verdicts {
		if !slices.Contains([]string{"correct", "wrong_answer", "no_answer", "unparsable"}, k) {
			t.Errorf("verdict %q is not one of the math verifier's", k)
		}
		total += n
	}
	if rep.Dataset != "sums" || rep.Problems != 6 || total != 24 || rep.Verdicts["wrong_answer"] == 0 || len(rep.Roles) != 0 ||
		math.Abs(rep.Accuracy-float64(rep.Verdicts["correct"])/24) > 1e-12 {
		t.Errorf("report %+v", rep)
	}
	if !strings.Contains(stdout.String(), "samples by verdict: ") || strings.Contains(stdout.String(), "by role") {
		t.Errorf("output %s", stdout.String())
	}
}

// TestVerdictsThroughPluginProcess verifies the same responses with the
// built-in verifiers in their own processes and in the host: the verdicts
// and roles cross the process boundary unchanged.
func TestVerdictsThroughPluginProcess(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name     string
		settings pluginapi.Settings
		items    []verifier.Item
		verdicts []string
		roles    bool
	}{
		{"countdown", pluginapi.Settings{"check_work": true}, []verifier.Item{
			{Problem: "3 7 25>29:", Response: "25+7=32 32-3=29 ans:(25+7)-3\n"},
			{Problem: "3 7 25>29:", Response: "25+7=33 33-4=29 ans:(25+7)-3\n"},
			{Problem: "3 7 25>29:", Response: "25+7=32 no ans:25+7\n"},
		}, []string{"correct", "unsound_work", "number_missing"}, true},
		{"math", pluginapi.Settings{}, []verifier.Item{
			{Response: `\boxed{\frac{3}{4}}`, Reference: "0.75"},
			{Response: `\boxed{5}`, Reference: "4"},
			{Response: "no idea", Reference: "4"},
			{Response: `\boxed{2+}`, Reference: "4"},
		}, []string{"correct", "wrong_answer", "no_answer", "unparsable"}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var got [2][]verifier.Result
			for i, iso := range []plugin.Isolation{plugin.Process, plugin.Inproc} {
				in, err := plugin.Open(ctx, plugin.Spec{Kind: pluginapi.KindVerifier, Name: tt.name, Isolation: iso})
				if err != nil {
					t.Fatal(err)
				}
				defer in.Close()
				if iso == plugin.Process && in.PID() <= 0 {
					t.Fatalf("the %s verifier runs in no process of its own", tt.name)
				}
				if resp, err := in.Verifier().Configure(ctx, pluginapi.ConfigureRequest{Settings: tt.settings}); err != nil || resp.Diagnostics.HasErrors() {
					t.Fatal(err, resp.Diagnostics.Err())
				}
				if got[i], err = rollout.Verify(ctx, in.Verifier(), tt.name, tt.items); err != nil {
					t.Fatal(err)
				}
			}
			if !reflect.DeepEqual(got[0], got[1]) {
				t.Errorf("through the process %+v\nin the host %+v", got[0], got[1])
			}
			for i, r := range got[0] {
				if r.Verdict != tt.verdicts[i] || (len(r.Roles) > 0) != tt.roles {
					t.Errorf("item %d: verdict %q, roles %v; want %q, roles %v", i, r.Verdict, r.Roles, tt.verdicts[i], tt.roles)
				}
			}
		})
	}
}

// nearlyEqualJSON reports whether a and b, rendered as JSON, have the same
// shape and strings, and numbers within 4e-6 + 1e-5 relative of each other
// (the vecmath paths agree to 4e-6 on each entropy).
func nearlyEqualJSON(t *testing.T, a, b any) bool {
	t.Helper()
	decode := func(v any) any {
		data, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var out any
		if err := json.Unmarshal(data, &out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	var near func(x, y any) bool
	near = func(x, y any) bool {
		switch x := x.(type) {
		case float64:
			y, ok := y.(float64)
			return ok && math.Abs(x-y) <= 4e-6+1e-5*math.Max(math.Abs(x), math.Abs(y))
		case []any:
			y, ok := y.([]any)
			if !ok || len(x) != len(y) {
				return false
			}
			for i := range x {
				if !near(x[i], y[i]) {
					return false
				}
			}
			return true
		case map[string]any:
			y, ok := y.(map[string]any)
			if !ok || len(x) != len(y) {
				return false
			}
			for k := range x {
				if !near(x[k], y[k]) {
					return false
				}
			}
			return true
		}
		return reflect.DeepEqual(x, y)
	}
	return near(decode(a), decode(b))
}
