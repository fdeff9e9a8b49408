package main

import (
	"github.com/forkrl/forkrl/framework/plugin"
	"github.com/forkrl/forkrl/framework/pluginapi"
	"github.com/forkrl/forkrl/kernels/selection"
	"github.com/forkrl/forkrl/plugins/backend/tinylm"
	"github.com/forkrl/forkrl/plugins/backend/torch"
	"github.com/forkrl/forkrl/plugins/selector/entropy"
	"github.com/forkrl/forkrl/plugins/verifier/countdown"
	mathverifier "github.com/forkrl/forkrl/plugins/verifier/math"
)

// The built-in plugins that this binary carries, dataset generators
// included: one Register line each. `forkrl plugin serve KIND NAME` serves a
// plugin in its own process; a recipe with isolation = "inproc" runs it in
// the host. Generators always run in the host.
func init() {
	plugin.Register(plugin.Builtin{Kind: pluginapi.KindBackend, Name: tinylm.Name, New: func() any { return tinylm.New() }})
	plugin.Register(plugin.Builtin{Kind: pluginapi.KindBackend, Name: torch.Name, Command: torch.Command})
	plugin.Register(plugin.Builtin{Kind: pluginapi.KindVerifier, Name: countdown.Name, New: func() any { return countdown.NewVerifier() }})
	plugin.Register(plugin.Builtin{Kind: pluginapi.KindVerifier, Name: mathverifier.Name, New: func() any { return mathverifier.NewVerifier() }})
	plugin.Register(plugin.Builtin{Kind: pluginapi.KindGenerator, Name: countdown.Name, New: func() any { return countdown.NewGenerator() }})
	for _, mode := range []selection.Mode{selection.Top, selection.Bottom, selection.Random, selection.All} {
		plugin.Register(plugin.Builtin{Kind: pluginapi.KindSelector, Name: mode.String(), New: func() any { return entropy.New(mode) }})
	}
}
