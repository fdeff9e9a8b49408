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
		reward float64
		answer string
		reason string
	}{
		{1, "25+7-3", ""},
		{0, "25+7", "does not use 3"},
		{0, "", `does not end with ":"`},
	}
	if len(out.Results) != len(want) {
		t.Fatalf("%d results for %d items", len(out.Results), len(want))
	}
	for i, w := range want {
		r := out.Results[i]
		if r.Reward != w.reward || r.Answer != w.answer || !strings.Contains(r.Reason, w.reason) || (w.reason == "") != (r.Reason == "") {
			t.Errorf("item %d: %+v, want reward %g, answer %q, reason containing %q", i, r, w.reward, w.answer, w.reason)
		}
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
			if r.Reward != tt.rewards[i] {
				t.Errorf("check_work = %v, item %d: reward %g (%s), want %g", tt.checkWork, i, r.Reward, r.Reason, tt.rewards[i])
			}
		}
		if tt.checkWork && !strings.Contains(out.Results[1].Reason, "25+7 is 32") {
			t.Errorf("reason %q does not name the wrong step", out.Results[1].Reason)
		}
	}
}
