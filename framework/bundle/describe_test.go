package bundle

import (
	"context"
	"os/exec"
	"testing"

	"github.com/forkrl/forkrl/framework/plugin"
	"github.com/forkrl/forkrl/framework/pluginapi"
	"github.com/forkrl/forkrl/framework/recipe"
)

func init() {
	plugin.Register(plugin.Builtin{Kind: pluginapi.KindBackend, Name: "bundle-test-own-process", Command: func() (*exec.Cmd, error) {
		return exec.Command("false"), nil
	}})
}

// TestDescribeBuiltinWithItsOwnCommand packs the description of a run whose
// backend is a built-in served by a command of its own (as the torch backend
// is): it has no New to ask its Info in the host, and is recorded by name.
func TestDescribeBuiltinWithItsOwnCommand(t *testing.T) {
	r := &recipe.Config{Backends: []recipe.PluginBlock{{Kind: pluginapi.KindBackend, Type: "bundle-test-own-process", Label: "policy"}}}
	plugins, files, err := describePlugins(context.Background(), r, nil)
	if err != nil || len(files) != 0 {
		t.Fatalf("describePlugins: %v, %v", files, err)
	}
	if len(plugins) != 1 || !plugins[0].Builtin || plugins[0].Name != "bundle-test-own-process" || plugins[0].Label != "policy" {
		t.Errorf("recorded %+v", plugins)
	}
}
