package recipe

import (
	"fmt"
	"sort"
	"strings"

	"github.com/forkrl/forkrl/framework/pluginapi"
	"github.com/forkrl/forkrl/internal/suggest"
)

// UnknownBuiltin is a SchemaSource's error for a built-in plugin of kind
// named name that is not among known, with a suggestion.
func UnknownBuiltin(kind pluginapi.Kind, name string, known []string) error {
	external := "; an external plugin needs source = \"path\" and sha256"
	if kind.InHost() {
		external = "" // only built-ins run in the host
	}
	return fmt.Errorf("there is no built-in %s named %q.%s Built-in %ss: %s%s", kind, name, didYouMean(name, known), kind, quotedList(known), external)
}

// didYouMean returns " Did you mean "X"?" for the closest candidate, or "".
func didYouMean(name string, candidates []string) string {
	if s := suggest.Closest(name, candidates); s != "" {
		return fmt.Sprintf(" Did you mean %q?", s)
	}
	return ""
}

// quotedList renders names as "a", "b" or "c", sorted.
func quotedList(names []string) string {
	s := append([]string(nil), names...)
	sort.Strings(s)
	q := make([]string, len(s))
	for i, n := range s {
		q[i] = fmt.Sprintf("%q", n)
	}
	switch len(q) {
	case 0:
		return "none"
	case 1:
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}
