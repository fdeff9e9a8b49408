package recipe

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImportsNoHost checks that the recipe language depends on the plugin
// API and not on the plugin host, the Starlark runtime or the trainer.
func TestImportsNoHost(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		switch dep {
		case "github.com/forkrl/forkrl/framework/plugin", "github.com/forkrl/forkrl/framework/hooks", "github.com/forkrl/forkrl/framework/trainer":
			t.Errorf("framework/recipe depends on %s", dep)
		}
	}
}
