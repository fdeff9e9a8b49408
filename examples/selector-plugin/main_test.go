package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/forkrl/forkrl/framework/plugin"
	"github.com/forkrl/forkrl/framework/pluginapi"
	"github.com/forkrl/forkrl/framework/pluginapi/selector"
)

// readmeCommands returns the shell commands of README.md (the lines that
// start with "$ ").
func readmeCommands(t *testing.T) []string {
	raw, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	var cmds []string
	for _, line := range strings.Split(string(raw), "\n") {
		if cmd, ok := strings.CutPrefix(line, "$ "); ok {
			cmds = append(cmds, cmd)
		}
	}
	return cmds
}

// TestReadmeSteps runs the README's commands as written, from the
// repository root with HOME in a temporary directory, then drives the
// plugin they built through the host with the checksum they printed.
func TestReadmeSteps(t *testing.T) {
	cmds := readmeCommands(t)
	if len(cmds) != 3 {
		t.Fatalf("README.md has %d commands, the test knows 3: %q", len(cmds), cmds)
	}
	home := t.TempDir()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "HOME="+home, "FORKRL_PLUGIN_DIR=")
	// Go keeps its caches under HOME by default: keep using the real ones.
	goenv, err := exec.Command("go", "env", "GOCACHE", "GOMODCACHE", "GOPATH", "GOENV").Output()
	if err != nil {
		t.Fatal(err)
	}
	for i, name := range []string{"GOCACHE", "GOMODCACHE", "GOPATH", "GOENV"} {
		env = append(env, name+"="+strings.Split(string(goenv), "\n")[i])
	}
	outputs := make([]string, len(cmds))
	for i, c := range cmds {
		cmd := exec.Command("sh", "-c", c)
		cmd.Dir = root
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("README step %q failed: %v\n%s", c, err, out)
		}
		outputs[i] = string(out)
	}
	exe := filepath.Join(home, ".forkrl", "plugins", "selector-plugin")
	fields := strings.Fields(outputs[1]) // sha256sum: "<sum>  <path>"
	if len(fields) != 2 || fields[1] != exe || len(fields[0]) != 64 {
		t.Fatalf("sha256sum printed %q", outputs[1])
	}
	sum := fields[0]
	row := strings.Join([]string{"selector", "signed_forks", "0.1.0", "1", exe, sum}, " ")
	listed := false
	for _, line := range strings.Split(outputs[2], "\n") {
		listed = listed || strings.Join(strings.Fields(line), " ") == row
	}
	if !listed {
		t.Errorf("forkrl plugins printed\n%s\nwant a line with the fields %q", outputs[2], row)
	}

	ctx := context.Background()
	in, err := plugin.Open(ctx, plugin.Spec{Kind: pluginapi.KindSelector, Name: "signed_forks", Label: "forks", Source: exe, SHA256: sum})
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	if in.Info.Name != "signed_forks" || in.SHA256 != sum {
		t.Errorf("Info %+v, sha256 %s", in.Info, in.SHA256)
	}
	sel := in.Selector()
	if r, err := sel.Configure(ctx, pluginapi.ConfigureRequest{Settings: pluginapi.Settings{"rho": 0.5}}); err != nil || r.Diagnostics.HasErrors() {
		t.Fatal(err, r.Diagnostics.Err())
	}
	resp, err := sel.Select(ctx, selector.SelectRequest{
		Entropies:  [][]float32{{0.1, 3, 2, 0.2}, {0.5, 4, 0.3}},
		Advantages: [][]float32{{1, 1, 1, 1}, {-1, -1, -1}},
		Masks:      [][]bool{{true, true, true, true}, {true, true, false}},
	})
	if err != nil {
		t.Fatal(err)
	}
	// Positive response: the top half of its 4 tokens; negative: all its valid tokens.
	want := [][]float32{{0, 1, 1, 0}, {1, 1, 0}}
	for i := range want {
		if !slices.Equal(resp.Weights[i], want[i]) {
			t.Fatalf("weights %v, want %v", resp.Weights, want)
		}
	}
	if resp.Selected != 4 {
		t.Errorf("selected %d, want 4", resp.Selected)
	}
	if r, _ := sel.Configure(ctx, pluginapi.ConfigureRequest{Settings: pluginapi.Settings{"rho": 2.0}}); !r.Diagnostics.HasErrors() {
		t.Error("rho = 2 was accepted")
	}

	// A rebuilt (here: altered) executable is refused until the recipe gives its new checksum.
	_ = in.Close()
	f, err := os.OpenFile(exe, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = f.Write([]byte{0})
	f.Close()
	if _, err := plugin.Open(ctx, plugin.Spec{Kind: pluginapi.KindSelector, Label: "forks", Source: exe, SHA256: sum}); err == nil || !strings.Contains(err.Error(), "checksum mismatch") {
		t.Errorf("an altered executable gave %v, want a checksum mismatch", err)
	}
}
