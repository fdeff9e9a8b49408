package plugin

import (
	"context"

	goplugin "github.com/hashicorp/go-plugin"

	"github.com/forkrl/forkrl/framework/pluginapi"
	"github.com/forkrl/forkrl/framework/pluginapi/backend"
	"github.com/forkrl/forkrl/framework/pluginapi/generator"
	"github.com/forkrl/forkrl/framework/pluginapi/selector"
	"github.com/forkrl/forkrl/framework/pluginapi/verifier"
)

// kinds is the table of plugin kinds: each pluginapi.Kind bound to its Go
// interface, its gRPC shims and its guard. The registry, Open, the guards,
// serving and the recipe's schemas look a kind up here; adding a kind is a
// line here, its constant in pluginapi, its proto and its API sub-package.
var kinds = []kind{
	served(backend.Service, guardBackend),
	served(verifier.Service, guardVerifier),
	served(selector.Service, guardSelector),
	inHost(pluginapi.KindGenerator, generator.Generator.Schema),
}

// kind is one row of the table.
type kind struct {
	name pluginapi.Kind
	// implements reports whether a built-in's New returned the kind's interface.
	implements func(impl any) bool
	// grpc is the kind's go-plugin plugin serving impl, or, with a nil impl,
	// the host's side; nil for a kind that runs in the host only.
	grpc func(impl any, base *pluginapi.BaseServer) goplugin.Plugin
	// guard wraps the kind's interface (in process, or a gRPC client) so that
	// every call goes through call; nil for a kind that runs in the host only.
	guard func(base guardedBase, impl any) any
	// info returns what a built-in of the kind says about itself; false when
	// impl cannot say.
	info func(ctx context.Context, name string, impl any) (pluginapi.Info, bool, error)
}

// served is the row of a kind served over gRPC: its interface T, its gRPC
// service (which names the kind) and its guard.
func served[T pluginapi.Plugin](svc pluginapi.Service[T], guard func(guardedBase, T) T) kind {
	return kind{
		name:       svc.Kind,
		implements: func(impl any) bool { _, ok := impl.(T); return ok },
		grpc: func(impl any, base *pluginapi.BaseServer) goplugin.Plugin {
			t, _ := impl.(T) // nil on the host's side
			return svc.Plugin(t, base)
		},
		guard: func(base guardedBase, impl any) any { return guard(base, impl.(T)) },
		info: func(ctx context.Context, _ string, impl any) (pluginapi.Info, bool, error) {
			p, ok := impl.(pluginapi.Plugin) // Info is all it takes
			if !ok {
				return pluginapi.Info{}, false, nil
			}
			info, err := p.Info(ctx)
			return info, true, err
		},
	}
}

// inHost is the row of a kind that runs in the host only, as a function of
// its settings, with interface T declaring its settings through schema. It
// speaks no protocol: its Info is its name, kind and settings, with this
// forkrl's protocol version.
func inHost[T any](name pluginapi.Kind, schema func(T) pluginapi.Schema) kind {
	return kind{
		name:       name,
		implements: func(impl any) bool { _, ok := impl.(T); return ok },
		info: func(_ context.Context, builtin string, impl any) (pluginapi.Info, bool, error) {
			t, ok := impl.(T)
			if !ok {
				return pluginapi.Info{}, false, nil
			}
			return pluginapi.Info{Name: builtin, Protocol: pluginapi.ProtocolVersion, Kinds: []pluginapi.Kind{name}, Settings: schema(t)}, true, nil
		},
	}
}

// lookupKind returns the row of kind k.
func lookupKind(k pluginapi.Kind) (*kind, bool) {
	for i := range kinds {
		if kinds[i].name == k {
			return &kinds[i], true
		}
	}
	return nil, false
}

// servedKinds lists the kinds that run as plugins (in their own process or
// in the host through their interface), for messages.
func servedKinds() []string {
	var names []string
	for _, k := range kinds {
		if k.grpc != nil {
			names = append(names, string(k.name))
		}
	}
	return names
}

// clientPlugins is the plugin set the host dispenses from.
func clientPlugins() goplugin.PluginSet {
	set := goplugin.PluginSet{}
	for _, k := range kinds {
		if k.grpc != nil {
			set[string(k.name)] = k.grpc(nil, nil)
		}
	}
	return set
}
