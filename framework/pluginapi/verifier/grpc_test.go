package verifier

import (
	"context"
	"reflect"
	"testing"

	goplugin "github.com/hashicorp/go-plugin"
)

func TestVerifyRoundTrip(t *testing.T) {
	req := VerifyRequest{Items: []Item{
		{Problem: "1+1", Response: "2", Reference: "2"},
		{Problem: "2+2", Response: "five", Reference: "4"},
	}}
	// A verifier that names verdicts and roles, and one that names none
	// (older plugins): its verdicts arrive empty.
	labelled := &Mock{VerifyFunc: func(context.Context, VerifyRequest) (VerifyResponse, error) {
		return VerifyResponse{Results: []Result{
			{Reward: 1, Answer: "2", Verdict: VerdictCorrect, Roles: Roles{{Start: 0, End: 1, Role: "answer"}}},
			{Reason: "not a number", Verdict: VerdictUnparsable, Roles: Label([]string{"", "word", "word", "", "end"})},
		}}, nil
	}}
	for _, tt := range []struct {
		name string
		impl Verifier
		want []Result
	}{
		{"without verdicts", &Mock{}, []Result{{Reward: 1, Answer: "2"}, {Answer: "five", Reason: "the response differs from the reference"}}},
		{"with verdicts and roles", labelled, []Result{
			{Reward: 1, Answer: "2", Verdict: "correct", Roles: Roles{{Start: 0, End: 1, Role: "answer"}}},
			{Reason: "not a number", Verdict: "unparsable", Roles: Roles{{Start: 1, End: 3, Role: "word"}, {Start: 4, End: 5, Role: "end"}}},
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			client, server := goplugin.TestPluginGRPCConn(t, false, map[string]goplugin.Plugin{"verifier": Service.Plugin(tt.impl, nil)})
			defer client.Close()
			defer server.Stop()
			raw, err := client.Dispense("verifier")
			if err != nil {
				t.Fatal(err)
			}
			resp, err := raw.(Verifier).Verify(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(resp.Results, tt.want) {
				t.Errorf("results = %+v, want %+v", resp.Results, tt.want)
			}
		})
	}
}

func TestRoles(t *testing.T) {
	r := Label([]string{"a", "a", "", "b", "a", "a"})
	want := Roles{{Start: 0, End: 2, Role: "a"}, {Start: 3, End: 4, Role: "b"}, {Start: 4, End: 6, Role: "a"}}
	if !reflect.DeepEqual(r, want) {
		t.Fatalf("Label = %+v, want %+v", r, want)
	}
	for i, w := range []string{"a", "a", "", "b", "a", "a", ""} {
		if got := r.At(i); got != w {
			t.Errorf("At(%d) = %q, want %q", i, got, w)
		}
	}
	if err := r.Check(6); err != nil {
		t.Error(err)
	}
	if err := r.Check(5); err == nil {
		t.Error("Check(5) accepts a span ending at 6")
	}
	if FromReward(0.5) != VerdictCorrect || FromReward(0) != VerdictWrong || FromReward(-1) != VerdictWrong {
		t.Error("FromReward: correct only for a positive reward")
	}
}
