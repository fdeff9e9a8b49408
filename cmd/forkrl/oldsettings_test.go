package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/forkrl/forkrl/framework/bundle"
	"github.com/forkrl/forkrl/framework/rundir"
)

// TestResumeSettingsOfAnEarlierFormat resumes a run whose settings.json is
// in the format of an earlier forkrl, which listed a selector's scope among
// its plugin settings as well as at the block's level: the run resumes as
// if recorded today, and a bundle reads the settings without the scope
// among the plugin's.
func TestResumeSettingsOfAnEarlierFormat(t *testing.T) {
	recipePath := longTiny(t, 3)
	out := t.TempDir()
	runIt := func(args ...string) (int, string) {
		var stdout, stderr bytes.Buffer
		code := runCommand(append([]string{"--out", out, "--run", "tiny-seed1", recipePath}, args...), &stdout, &stderr)
		return code, stdout.String() + stderr.String()
	}
	if code, msg := runIt(); code != 0 {
		t.Fatalf("first run: exit %d\n%s", code, msg)
	}
	dir := filepath.Join(out, "tiny-seed1")
	// The run as if killed during step 3.
	if err := os.RemoveAll(filepath.Join(dir, rundir.CheckpointsDir, "step-000003")); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, rundir.SettingsFile)
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]json.RawMessage
	var selectors []map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(doc["selectors"], &selectors); err != nil || len(selectors) != 1 {
		t.Fatalf("selectors %s: %v", doc["selectors"], err)
	}
	selectors[0]["settings"].(map[string]any)["scope"] = selectors[0]["scope"]
	doc["selectors"], _ = json.Marshal(selectors)
	old, _ := json.MarshalIndent(doc, "", "  ")
	if err := os.WriteFile(path, old, 0o644); err != nil {
		t.Fatal(err)
	}

	if code, msg := runIt("--resume"); code != 0 || !strings.Contains(msg, "finished after 3 steps") {
		t.Fatalf("resume: exit %d\n%s", code, msg)
	}
	lines, err := rundir.ReadMetrics(dir)
	if err != nil || len(lines) != 3 {
		t.Errorf("%d metrics lines after the resume (%v), want 3", len(lines), err)
	}
	r, err := bundle.ParseSettings(old)
	if err != nil {
		t.Fatal(err)
	}
	if sel := r.Selectors[0]; sel.Scope != "mini" || sel.Settings["scope"] != nil {
		t.Errorf("bundle reads the selector's scope %q and settings %v", sel.Scope, sel.Settings)
	}
}
