// Package jsondiff compares two JSON documents leaf by leaf: the settings
// of two runs (forkrl bundle diff), or of a run and the recipe it resumes
// with.
package jsondiff

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
)

// Change is a leaf at which two documents differ.
type Change struct {
	Path string // a dotted path such as selectors.0.settings.rho
	A, B string // the values as JSON; "" where the document lacks the leaf
}

// Diff compares two JSON documents leaf by leaf, in the order of their
// paths; an error names the document that is not JSON (A or B). Objects are compared key by key and lists that hold objects or
// lists item by item (selectors.0.settings.rho); anything else (a number,
// a string, a list of plain values) is a leaf compared whole.
func Diff(a, b []byte) ([]Change, error) {
	fa, err := flatten(a)
	if err != nil {
		return nil, fmt.Errorf("A: %w", err)
	}
	fb, err := flatten(b)
	if err != nil {
		return nil, fmt.Errorf("B: %w", err)
	}
	paths := make([]string, 0, len(fa)+len(fb))
	for p := range fa {
		paths = append(paths, p)
	}
	for p := range fb {
		if _, ok := fa[p]; !ok {
			paths = append(paths, p)
		}
	}
	slices.Sort(paths)
	var out []Change
	for _, p := range paths {
		if fa[p] != fb[p] {
			out = append(out, Change{Path: p, A: fa[p], B: fb[p]})
		}
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
			for k, e := range x {
				walk(join(k), e)
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
