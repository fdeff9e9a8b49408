package trainer

import (
	"fmt"

	"github.com/forkrl/forkrl/framework/pluginapi"
)

// Names of plugins in errors, as the recipe labels them.
func backendName(label string) string  { return fmt.Sprintf("backend %q", label) }
func verifierName(label string) string { return fmt.Sprintf("verifier %q", label) }
func selectorName(label string) string { return fmt.Sprintf("selector %q", label) }

// diagErr turns a plugin's error diagnostics into an error that names the
// plugin; nil when there are none.
func diagErr(who string, d pluginapi.Diagnostics) error { return d.ErrFrom(who) }

// pluginErrorf reports a plugin's answer that breaks the protocol.
func pluginErrorf(who, format string, args ...any) error {
	return fmt.Errorf("%s: %s", who, fmt.Sprintf(format, args...))
}
