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
	client, server := goplugin.TestPluginGRPCConn(t, false, map[string]goplugin.Plugin{"verifier": Service.Plugin(&Mock{}, nil)})
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
	want := []Result{{Reward: 1, Answer: "2"}, {Answer: "five", Reason: "the response differs from the reference"}}
	if !reflect.DeepEqual(resp.Results, want) {
		t.Errorf("results = %+v, want %+v", resp.Results, want)
	}
}
