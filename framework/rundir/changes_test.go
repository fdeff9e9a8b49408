package rundir

import (
	"encoding/json"
	"path/filepath"
	"reflect"
	"testing"
)

func TestChangesNameTheSettingThatChanged(t *testing.T) {
	settings := func(rho float64) json.RawMessage {
		b, _ := json.Marshal(map[string]any{
			"name":      "r",
			"selectors": []any{map[string]any{"name": "top", "settings": map[string]any{"rho": rho}}},
			"sizes":     []int{3, 4},
		})
		return b
	}
	path := filepath.Join(t.TempDir(), "r")
	d, err := Create(path, Inputs{Files: map[string][]byte{"recipe.hcl": []byte("x")}, Data: map[string]string{"d.jsonl": "ab12"}, Settings: settings(0.2)})
	if err != nil {
		t.Fatal(err)
	}
	same := Inputs{Files: map[string][]byte{"recipe.hcl": []byte("x")}, Data: map[string]string{"d.jsonl": "ab12"}, Settings: settings(0.2)}
	if changes, err := d.Changes(same); err != nil || len(changes) != 0 {
		t.Fatalf("unchanged inputs: %q, %v", changes, err)
	}
	// A resume with changes records them in settings.json; they are not a
	// setting that changed.
	changed := same
	changed.Settings = settings(0.1)
	changes, err := d.Changes(changed)
	if want := []string{"setting selectors.0.settings.rho: 0.2 -> 0.1"}; err != nil || !reflect.DeepEqual(changes, want) {
		t.Fatalf("changes %q, %v; want %q", changes, err, want)
	}
	if err := d.AcceptChanges(changed, changes); err != nil {
		t.Fatal(err)
	}
	if changes, err := d.Changes(changed); err != nil || len(changes) != 0 {
		t.Errorf("after accepting the changes: %q, %v", changes, err)
	}
	changed.Data = map[string]string{"d.jsonl": "cd34", "e.jsonl": "ef56"}
	changes, err = d.Changes(changed)
	if want := []string{"data file d.jsonl: sha256 ab12 -> cd34", "data file e.jsonl: sha256 (none) -> ef56"}; err != nil || !reflect.DeepEqual(changes, want) {
		t.Errorf("changed data: %q, %v; want %q", changes, err, want)
	}
}
