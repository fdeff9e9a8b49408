package selector

import (
	"context"
	"reflect"
	"testing"

	goplugin "github.com/hashicorp/go-plugin"

	"github.com/forkrl/forkrl/framework/pluginapi"
)

func TestSelectRoundTrip(t *testing.T) {
	req := SelectRequest{
		Entropies:  [][]float32{{0.5, 2}, {}, {1}},
		LogProbs:   [][]float32{{-1, -0.1}, {}, {-3}},
		Advantages: [][]float32{{1, 1}, {}, {-1}},
		Masks:      [][]bool{{true, false}, {}, {true}},
		Step:       12,
		Seed:       99,
	}
	want := SelectResponse{
		Weights:     [][]float32{{0, 1}, {}, {1}},
		Threshold:   0.75,
		Selected:    2,
		Diagnostics: pluginapi.Diagnostics{{Severity: pluginapi.Warning, Summary: "few tokens"}},
	}
	var got SelectRequest
	mock := &Mock{SelectFunc: func(_ context.Context, r SelectRequest) (SelectResponse, error) {
		got = r
		return want, nil
	}}
	client, server := goplugin.TestPluginGRPCConn(t, false, map[string]goplugin.Plugin{"selector": Service.Plugin(mock, nil)})
	defer client.Close()
	defer server.Stop()
	raw, err := client.Dispense("selector")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := raw.(Selector).Select(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, req) {
		t.Errorf("the plugin got %+v\nwant %+v", got, req)
	}
	if !reflect.DeepEqual(resp, want) {
		t.Errorf("the host got %+v\nwant %+v", resp, want)
	}
	// Absent masks stay absent (all tokens valid).
	req.Masks = nil
	if _, err := raw.(Selector).Select(context.Background(), req); err != nil || got.Masks != nil {
		t.Errorf("absent masks arrived as %v (%v)", got.Masks, err)
	}
}
