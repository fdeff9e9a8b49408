package bundle

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
)

// SettingDiff is a setting whose values differ between two runs; an
// absent setting is shown as "—".
type SettingDiff struct {
	Name string // a dotted path such as selectors.0.settings.rho
	A, B string // the values as JSON
}

// DiffSettings compares two settings.json documents setting by setting.
func DiffSettings(a, b []byte) ([]SettingDiff, error) {
	fa, err := flatten(a)
	if err != nil {
		return nil, fmt.Errorf("first settings: %w", err)
	}
	fb, err := flatten(b)
	if err != nil {
		return nil, fmt.Errorf("second settings: %w", err)
	}
	names := map[string]bool{}
	for k := range fa {
		names[k] = true
	}
	for k := range fb {
		names[k] = true
	}
	var out []SettingDiff
	for _, n := range sortedKeys(names) {
		va, oka := fa[n]
		vb, okb := fb[n]
		if oka && okb && va == vb {
			continue
		}
		if !oka {
			va = "—"
		}
		if !okb {
			vb = "—"
		}
		out = append(out, SettingDiff{Name: n, A: va, B: vb})
	}
	return out, nil
}

// flatten maps every leaf of a JSON document to its dotted path.
func flatten(doc []byte) (map[string]string, error) {
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		return nil, err
	}
	out := map[string]string{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		join := func(k string) string {
			if prefix == "" {
				return k
			}
			return prefix + "." + k
		}
		switch x := v.(type) {
		case map[string]any:
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				walk(join(k), x[k])
			}
		case []any:
			if scalars(x) { // a list of plain values reads best whole
				b, _ := json.Marshal(x)
				out[prefix] = string(b)
				return
			}
			for i, e := range x {
				walk(join(strconv.Itoa(i)), e)
			}
		default:
			b, _ := json.Marshal(x)
			out[prefix] = string(b)
		}
	}
	walk("", v)
	return out, nil
}

// scalars reports whether a JSON list holds no objects or lists.
func scalars(list []any) bool {
	for _, e := range list {
		switch e.(type) {
		case map[string]any, []any:
			return false
		}
	}
	return true
}
