package bundle

import (
	"fmt"

	"github.com/forkrl/forkrl/internal/jsondiff"
)

// SettingDiff is a setting whose values differ between two runs; an
// absent setting is shown as "—".
type SettingDiff struct {
	Name string // a dotted path such as selectors.0.settings.rho
	A, B string // the values as JSON
}

// DiffSettings compares two settings.json documents setting by setting
// (see jsondiff.Diff).
func DiffSettings(a, b []byte) ([]SettingDiff, error) {
	changes, err := jsondiff.Diff(a, b)
	if err != nil {
		return nil, fmt.Errorf("settings of %w", err)
	}
	out := make([]SettingDiff, len(changes))
	for i, c := range changes {
		out[i] = SettingDiff{Name: c.Path, A: orDash(c.A), B: orDash(c.B)}
	}
	return out, nil
}

func orDash(v string) string {
	if v == "" {
		return "—"
	}
	return v
}
