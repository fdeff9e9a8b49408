package pluginapi_test

import (
	"context"
	"reflect"
	"testing"

	goplugin "github.com/hashicorp/go-plugin"

	"github.com/forkrl/forkrl/framework/pluginapi"
	"github.com/forkrl/forkrl/framework/pluginapi/selector"
	"github.com/forkrl/forkrl/framework/pluginapi/verifier"
)

// TestBaseServiceRoundTrip checks Info and Configure through the base
// service of a binary that serves two kinds.
func TestBaseServiceRoundTrip(t *testing.T) {
	lo, hi := 0.0, 1.0
	selInfo := pluginapi.Info{
		Name: "two-kinds", Version: "1.2.3", Protocol: pluginapi.ProtocolVersion, Description: "a test",
		Kinds: []pluginapi.Kind{pluginapi.KindSelector},
		Settings: pluginapi.Schema{Attributes: []pluginapi.Attribute{
			{Name: "rho", Type: "number", Default: 0.2, Min: &lo, Max: &hi, Description: "fraction", Required: true},
			{Name: "rule", Type: "string", Default: "topk", Enum: []string{"topk", "quantile"}},
			{Name: "bands", Type: "list(number)", Default: []any{0.1, 0.9}},
		}},
	}
	var gotConfig pluginapi.ConfigureRequest
	sel := &selector.Mock{MockPlugin: pluginapi.MockPlugin{About: selInfo, ConfigureFunc: func(_ context.Context, req pluginapi.ConfigureRequest) (pluginapi.ConfigureResponse, error) {
		gotConfig = req
		return pluginapi.ConfigureResponse{Diagnostics: pluginapi.Diagnostics{
			{Severity: pluginapi.Warning, Summary: "rho is high", Detail: "lower it", Attribute: "rho"},
		}}, nil
	}}}
	ver := &verifier.Mock{MockPlugin: pluginapi.MockPlugin{About: pluginapi.Info{Name: "two-kinds-verifier", Kinds: []pluginapi.Kind{pluginapi.KindVerifier}}}}
	base := &pluginapi.BaseServer{}
	client, server := goplugin.TestPluginGRPCConn(t, false, map[string]goplugin.Plugin{
		"selector": selector.Service.Plugin(sel, base),
		"verifier": verifier.Service.Plugin(ver, base),
	})
	defer client.Close()
	defer server.Stop()
	raw, err := client.Dispense("selector")
	if err != nil {
		t.Fatal(err)
	}
	s := raw.(selector.Selector)
	ctx := context.Background()
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(info, selInfo) {
		t.Errorf("Info = %+v\nwant %+v", info, selInfo)
	}
	settings := pluginapi.Settings{"rho": 0.3, "rule": "quantile", "on": true, "bands": []any{0.25, 0.75}, "names": []any{"a"}}
	resp, err := s.Configure(ctx, pluginapi.ConfigureRequest{Settings: settings, Seed: 1 << 60, Dir: "/tmp/x"})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(gotConfig, pluginapi.ConfigureRequest{Settings: settings, Seed: 1 << 60, Dir: "/tmp/x"}) {
		t.Errorf("the plugin got %+v", gotConfig)
	}
	want := pluginapi.Diagnostics{{Severity: pluginapi.Warning, Summary: "rho is high", Detail: "lower it", Attribute: "rho"}}
	if !reflect.DeepEqual(resp.Diagnostics, want) {
		t.Errorf("diagnostics = %+v, want %+v", resp.Diagnostics, want)
	}
	rawV, err := client.Dispense("verifier")
	if err != nil {
		t.Fatal(err)
	}
	vinfo, err := rawV.(verifier.Verifier).Info(ctx)
	if err != nil || vinfo.Name != "two-kinds-verifier" {
		t.Errorf("verifier Info = %+v, %v: the base service must route by kind", vinfo, err)
	}
}
