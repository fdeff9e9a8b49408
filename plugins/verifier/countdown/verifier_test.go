package countdown

import (
	"context"
	"strings"
	"testing"

	"github.com/forkrl/forkrl/framework/pluginapi"
	"github.com/forkrl/forkrl/framework/pluginapi/verifier"
)

func TestVerifierPlugin(t *testing.T) {
	ctx := context.Background()
	v := NewVerifier()
	info, err := v.Info(ctx)
	if err != nil || info.Name != "countdown" || info.Protocol != pluginapi.ProtocolVersion || len(info.Kinds) != 1 || info.Kinds[0] != pluginapi.KindVerifier {
		t.Fatalf("Info = %+v, %v", info, err)
	}
	resp, err := v.Configure(ctx, pluginapi.ConfigureRequest{})
	if err != nil || resp.Diagnostics.HasErrors() {
		t.Fatalf("Configure without settings: %v %v", resp.Diagnostics, err)
	}
	resp, _ = v.Configure(ctx, pluginapi.ConfigureRequest{Settings: pluginapi.Settings{"strict": true}})
	if len(resp.Diagnostics) != 1 || resp.Diagnostics[0].Attribute != "strict" {
		t.Fatalf("Configure with an unknown setting: %+v", resp.Diagnostics)
	}

	out, err := v.Verify(ctx, verifier.VerifyRequest{Items: []verifier.Item{
		{Problem: "3 7 25>29:", Response: "25+7=32 32-3=29 ans:(25+7)-3\n", Reference: "25+7-3"},
		{Problem: "3 7 25>29:", Response: "25+7=32 no ans:25+7\n"},
		{Problem: "3 7 25 29", Response: "ans:25+7-3\n"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		reward  float64
		answer  string
		reason  string
		verdict string
	}{
		{1, "25+7-3", "", "correct"},
		{0, "25+7", "does not use 3", "number_missing"},
		{0, "", `does not end with ":"`, ""},
	}
	if len(out.Results) != len(want) {
		t.Fatalf("%d results for %d items", len(out.Results), len(want))
	}
	for i, w := range want {
		r := out.Results[i]
		if r.Reward != w.reward || r.Answer != w.answer || !strings.Contains(r.Reason, w.reason) || (w.reason == "") != (r.Reason == "") || r.Verdict != w.verdict {
			t.Errorf("item %d: %+v, want reward %g, answer %q, reason containing %q, verdict %q", i, r, w.reward, w.answer, w.reason, w.verdict)
		}
	}
	// The roles label every byte of the response, in spans of one role.
	first := out.Results[0].Roles
	if err := first.Check(len("25+7=32 32-3=29 ans:(25+7)-3\n")); err != nil || first[0] != (verifier.Span{Start: 0, End: 1, Role: "operand"}) ||
		first.At(2) != "operator" || first.At(4) != "equals" || first.At(15) != "space" || first.At(20) != "answer" || first[len(first)-1].End != 29 {
		t.Errorf("roles %+v", first)
	}
	if len(out.Diagnostics) != 1 || !strings.Contains(out.Diagnostics[0].Summary, "item 2") {
		t.Errorf("diagnostics %+v, want one for item 2", out.Diagnostics)
	}
}

func TestVerifierCheckWork(t *testing.T) {
	ctx := context.Background()
	v := NewVerifier()
	resp, _ := v.Configure(ctx, pluginapi.ConfigureRequest{Settings: pluginapi.Settings{"check_work": "yes"}})
	if len(resp.Diagnostics) != 1 || resp.Diagnostics[0].Attribute != "check_work" {
		t.Fatalf("Configure with check_work = \"yes\": %+v", resp.Diagnostics)
	}
	items := []verifier.Item{
		{Problem: "3 7 25>29:", Response: "25+7=32 32-3=29 ans:(25+7)-3\n"},
		{Problem: "3 7 25>29:", Response: "25+7=33 33-4=29 ans:(25+7)-3\n"}, // right answer, wrong work
	}
	// The verdict judges the work whatever check_work says; check_work
	// decides the reward.
	for _, tt := range []struct {
		checkWork bool
		rewards   [2]float64
	}{{false, [2]float64{1, 1}}, {true, [2]float64{1, 0}}} {
		resp, err := v.Configure(ctx, pluginapi.ConfigureRequest{Settings: pluginapi.Settings{"check_work": tt.checkWork}})
		if err != nil || resp.Diagnostics.HasErrors() {
			t.Fatalf("Configure(check_work = %v): %v %v", tt.checkWork, resp.Diagnostics, err)
		}
		out, err := v.Verify(ctx, verifier.VerifyRequest{Items: items})
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range out.Results {
			if r.Reward != tt.rewards[i] || r.Verdict != [2]string{"correct", "unsound_work"}[i] {
				t.Errorf("check_work = %v, item %d: reward %g, verdict %q (%s), want %g", tt.checkWork, i, r.Reward, r.Verdict, r.Reason, tt.rewards[i])
			}
		}
		if !strings.Contains(out.Results[1].Reason, "25+7 is 32") {
			t.Errorf("reason %q does not name the wrong step", out.Results[1].Reason)
		}
	}
}
