package trainer

import (
	"strings"
	"testing"

	"github.com/forkrl/forkrl/framework/pluginapi"
	"github.com/forkrl/forkrl/framework/pluginapi/backend"
	"github.com/forkrl/forkrl/framework/pluginapi/selector"
	"github.com/forkrl/forkrl/framework/pluginapi/verifier"
)

func TestPluginsAdd(t *testing.T) {
	var ps Plugins
	b, v, s := &backend.Mock{}, &verifier.Mock{}, &selector.Mock{}
	for _, x := range []struct {
		kind  pluginapi.Kind
		label string
		impl  pluginapi.Plugin
	}{{pluginapi.KindBackend, "policy", b}, {pluginapi.KindVerifier, "reward", v}, {pluginapi.KindSelector, "forks", s}} {
		if err := ps.Add(x.kind, x.label, x.impl); err != nil {
			t.Fatalf("Add(%s, %s): %v", x.kind, x.label, err)
		}
	}
	if ps.Backends["policy"] != b || ps.Verifiers["reward"] != v || ps.Selectors["forks"] != s {
		t.Errorf("Add put the plugins elsewhere: %+v", ps)
	}
	err := ps.Add(pluginapi.KindBackend, "ref", v)
	if err == nil || !strings.Contains(err.Error(), `backend "ref"`) || !strings.Contains(err.Error(), "does not implement the backend interface") {
		t.Errorf("a verifier added as a backend: %v", err)
	}
	if _, ok := ps.Backends["ref"]; ok {
		t.Error("the refused plugin was added")
	}
	if err := ps.Add(pluginapi.KindGenerator, "g", v); err == nil || !strings.Contains(err.Error(), "no generator plugins") {
		t.Errorf("a generator added: %v", err)
	}
}
