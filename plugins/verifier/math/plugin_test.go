package math

import (
	"context"
	"strings"
	"testing"

	"github.com/forkrl/forkrl/framework/pluginapi"
	"github.com/forkrl/forkrl/framework/pluginapi/verifier"
)

func TestVerifierConfigure(t *testing.T) {
	tests := []struct {
		settings pluginapi.Settings
		errs     []string // substrings of the expected error diagnostics
	}{
		{pluginapi.Settings{}, nil},
		{pluginapi.Settings{"extract": []any{"answer_line", "boxed"}, "rel_tol": 1e-6, "points": 8.0}, nil},
		{pluginapi.Settings{"extract": []any{"boxd"}}, []string{`unknown extraction method "boxd"`}},
		{pluginapi.Settings{"extract": "boxed"}, []string{"list of strings"}},
		{pluginapi.Settings{"tolerance": 0.1}, []string{`no setting "tolerance"`}},
		{pluginapi.Settings{"rel_tol": "small"}, []string{"must be a number"}},
	}
	for _, tt := range tests {
		v := NewVerifier()
		resp, err := v.Configure(context.Background(), pluginapi.ConfigureRequest{Settings: tt.settings})
		if err != nil {
			t.Fatal(err)
		}
		got := resp.Diagnostics.Err()
		if len(tt.errs) == 0 && got != nil {
			t.Errorf("%v: unexpected %v", tt.settings, got)
		}
		for _, want := range tt.errs {
			if got == nil || !strings.Contains(got.Error(), want) {
				t.Errorf("%v: want an error containing %q, got %v", tt.settings, want, got)
			}
		}
	}
}

func TestVerifierVerify(t *testing.T) {
	v := NewVerifier()
	info, err := v.Info(context.Background())
	if err != nil || info.Name != "math" || len(info.Settings.Attributes) == 0 {
		t.Fatalf("info %+v, %v", info, err)
	}
	resp, err := v.Configure(context.Background(), pluginapi.ConfigureRequest{Settings: pluginapi.Settings{"extract": []any{"boxed", "answer_line"}}})
	if err != nil || resp.Diagnostics.HasErrors() {
		t.Fatal(err, resp.Diagnostics.Err())
	}
	items := []verifier.Item{
		{Problem: "1/2 + 1/4?", Response: `So we get \boxed{\frac{3}{4}}.`, Reference: "0.75"},
		{Problem: "2+2?", Response: "Answer: 5", Reference: "4"},
		{Problem: "2+2?", Response: "I do not know.", Reference: "4"},
		{Problem: "2+2?", Response: `\boxed{2+}`, Reference: "4"},
	}
	out, err := v.Verify(context.Background(), verifier.VerifyRequest{Items: items})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		reward  float64
		answer  string
		reason  string
		verdict string
	}{
		{1, `\frac{3}{4}`, "", "correct"},
		{0, "5", "not equivalent", "wrong_answer"},
		{0, "", "no answer found", "no_answer"},
		{0, "2+", "not mathematics", "unparsable"},
	}
	for i, w := range want {
		r := out.Results[i]
		if r.Reward != w.reward || r.Answer != w.answer || !strings.Contains(r.Reason, w.reason) || (w.reason == "") != (r.Reason == "") || r.Verdict != w.verdict {
			t.Errorf("item %d: got %+v, want reward %v answer %q reason containing %q verdict %q", i, r, w.reward, w.answer, w.reason, w.verdict)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := v.Verify(ctx, verifier.VerifyRequest{Items: items}); err == nil {
		t.Error("a cancelled context must stop Verify")
	}
}
