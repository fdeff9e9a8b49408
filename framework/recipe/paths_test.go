package recipe

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Every path written in a recipe names the same file whatever the
// working directory forkrl runs in: it is relative to the recipe.
func TestPathsAreRelativeToTheRecipe(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"recipes", "ckpt", "elsewhere"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	src := strings.Replace(badRecipe("", "", "", "output {\n  dir = \"../out\"\n}"),
		`backend "tinylm" "policy" {}`, `backend "tinylm" "policy" { checkpoint = "../ckpt" }`, 1)
	if err := os.WriteFile(filepath.Join(root, "recipes", "r.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ cwd, recipe string }{
		{"recipes", "r.hcl"},
		{"elsewhere", filepath.Join("..", "recipes", "r.hcl")},
		{".", filepath.Join("recipes", "r.hcl")},
	} {
		t.Run(c.cwd, func(t *testing.T) {
			t.Chdir(filepath.Join(root, c.cwd))
			rec, diags := Load(c.recipe, Options{Schemas: testSchemas})
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			r := rec.Runs[0]
			be, _ := r.Backend("policy")
			ckpt, _ := be.Settings["checkpoint"].(string)
			if !sameFile(t, ckpt, filepath.Join(root, "ckpt")) {
				t.Errorf("checkpoint %q from %s is not %s", ckpt, c.cwd, filepath.Join(root, "ckpt"))
			}
			if err := os.MkdirAll(r.Output.Dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if !sameFile(t, r.Output.Dir, filepath.Join(root, "out")) {
				t.Errorf("output dir %q from %s is not %s", r.Output.Dir, c.cwd, filepath.Join(root, "out"))
			}
		})
	}
}

func sameFile(t *testing.T, a, b string) bool {
	t.Helper()
	sa, err := os.Stat(a)
	if err != nil {
		return false
	}
	sb, err := os.Stat(b)
	if err != nil {
		t.Fatal(err)
	}
	return os.SameFile(sa, sb)
}

func TestPluginTimeout(t *testing.T) {
	src := badRecipe(`selector "top" "forks" { timeout = "30m" }`, "", "", "")
	rec, diags := Parse("t.hcl", []byte(src), Options{Schemas: testSchemas})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	sel, _ := rec.Runs[0].Selector("forks")
	be, _ := rec.Runs[0].Backend("policy")
	if sel.CallTimeout() != 30*time.Minute || be.CallTimeout() != 0 {
		t.Errorf("timeouts %v and %v, want 30m and none", sel.CallTimeout(), be.CallTimeout())
	}
	if _, ok := sel.Settings["timeout"]; ok {
		t.Error("the host's timeout reached the plugin's settings")
	}
}
