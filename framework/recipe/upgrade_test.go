package recipe

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/forkrl/forkrl/framework/pluginapi"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// TestUpgradeOldSettings upgrades the settings an earlier forkrl resolved
// for testdata/forking.hcl (a selector's scope among its plugin settings as
// well as at the block's level) and checks that its selector blocks are
// then the ones this forkrl resolves, and that everything else, seeds
// included, is left as recorded.
func TestUpgradeOldSettings(t *testing.T) {
	old, err := os.ReadFile("testdata/old-settings.forking.rho-bottom-0.8-3.json")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(old), `"scope": "micro"
      }`) {
		t.Fatal("the fixture no longer has a scope among a selector's settings")
	}
	up, err := UpgradeSettings(old)
	if err != nil {
		t.Fatal(err)
	}
	r, ok := load(t, "testdata/forking.hcl").Config("rho-bottom-0.8-3")
	if !ok {
		t.Fatal("no run rho-bottom-0.8-3")
	}
	now, err := r.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var got, want, before map[string]any
	for raw, v := range map[string]*map[string]any{string(up): &got, string(now): &want, string(old): &before} {
		if err := json.Unmarshal([]byte(raw), v); err != nil {
			t.Fatal(err)
		}
	}
	if !reflect.DeepEqual(got["selectors"], want["selectors"]) {
		t.Errorf("upgraded selectors\n%v\nwant\n%v", got["selectors"], want["selectors"])
	}
	delete(got, "selectors")
	delete(before, "selectors")
	if !reflect.DeepEqual(got, before) {
		t.Error("the upgrade changed more than the selector blocks")
	}
	var run Config
	if err := json.Unmarshal(up, &run); err != nil {
		t.Fatal(err)
	}
	if top, _ := run.Selector("top"); top.Scope != "micro" || top.Settings["scope"] != nil {
		t.Errorf("top selector: scope %q, settings %v", top.Scope, top.Settings)
	}
	if again, err := UpgradeSettings(up); err != nil || string(again) != string(up) {
		t.Errorf("upgrading current settings changed them (%v)", err)
	}
}

// TestUpgradeMovesScopeRecordedOnlyInSettings checks a selector block whose
// scope and entropy were recorded among its settings alone: they move to
// the block, and a seed above 2^53 keeps its digits.
func TestUpgradeMovesScopeRecordedOnlyInSettings(t *testing.T) {
	old := `{"seed": 18446744073709551557, "selectors": [{"kind": "selector", "type": "top", "label": "t", "settings": {"rho": 0.2, "scope": "step", "entropy": "old"}}]}`
	up, err := UpgradeSettings([]byte(old))
	if err != nil {
		t.Fatal(err)
	}
	var r Config
	if err := json.Unmarshal(up, &r); err != nil {
		t.Fatal(err)
	}
	b := r.Selectors[0]
	if r.Seed != 18446744073709551557 || b.Scope != "step" || b.Entropy != "old" || !reflect.DeepEqual(b.Settings, pluginapi.Settings{"rho": 0.2}) {
		t.Errorf("upgraded: seed %d, scope %q, entropy %q, settings %v", r.Seed, b.Scope, b.Entropy, b.Settings)
	}
}

// TestPluginMayNotDeclareScope checks that a selector whose schema declares
// scope or entropy, which the host reads itself, is refused.
func TestPluginMayNotDeclareScope(t *testing.T) {
	for _, name := range []string{"scope", "entropy"} {
		b := &PluginBlock{Kind: pluginapi.KindSelector, Type: "x", Body: emptyBody(t)}
		diags := DecodeSettings(b, pluginapi.Schema{Attributes: []pluginapi.Attribute{{Name: name, Type: "string"}}})
		if !diags.HasErrors() || !strings.Contains(diags.Error(), "declares a setting \""+name+"\", which the host reads itself") {
			t.Errorf("%s: %v", name, diags)
		}
	}
}

// emptyBody is the body of an empty HCL file.
func emptyBody(t *testing.T) hcl.Body {
	t.Helper()
	f, diags := hclsyntax.ParseConfig(nil, "empty.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return f.Body
}
