package plugin

import (
	"context"
	"fmt"
	"os/exec"
	"sort"
	"sync"

	"github.com/forkrl/forkrl/framework/pluginapi"
)

// Builtin is a plugin that ships with the forkrl binary. New returns a fresh,
// unconfigured implementation of the kind's interface: a backend.Backend, a
// verifier.Verifier, a selector.Selector or a generator.Generator. It must be
// cheap and must not print to stdout; the work belongs in Configure.
//
// A built-in written in another language sets Command instead of New: it
// returns the command line of a process that serves the plugin (see
// framework/proto's package doc). Such a built-in always runs in its own
// process; a kind that runs in the host only (generators) cannot have one.
type Builtin struct {
	Kind    pluginapi.Kind
	Name    string
	New     func() any
	Command func() (*exec.Cmd, error)
}

type builtinKey struct {
	kind pluginapi.Kind
	name string
}

var builtins = struct {
	sync.Mutex
	m map[builtinKey]Builtin
}{m: map[builtinKey]Builtin{}}

// Register adds a built-in plugin. It is meant to be called from init
// functions (cmd/forkrl/builtins.go holds the binary's list) and panics on a
// programmer error: an unknown kind, an empty name, neither or both of New and
// Command, a Command for a kind that runs in the host only, or a name
// registered twice for the same kind.
func Register(b Builtin) {
	kd, ok := lookupKind(b.Kind)
	if !ok {
		panic(fmt.Sprintf("plugin: Register: unknown kind %q", b.Kind))
	}
	if b.Name == "" || (b.New == nil) == (b.Command == nil) {
		panic("plugin: Register: a built-in needs a name and either a New or a Command function")
	}
	if b.Command != nil && kd.grpc == nil {
		panic(fmt.Sprintf("plugin: Register: a %s runs in the host: it needs a New function, not a Command", b.Kind))
	}
	builtins.Lock()
	defer builtins.Unlock()
	k := builtinKey{b.Kind, b.Name}
	if _, dup := builtins.m[k]; dup {
		panic(fmt.Sprintf("plugin: Register: built-in %s %q registered twice", b.Kind, b.Name))
	}
	builtins.m[k] = b
}

// Builtins returns the registered built-in plugins, sorted by kind and name.
func Builtins() []Builtin {
	builtins.Lock()
	defer builtins.Unlock()
	out := make([]Builtin, 0, len(builtins.m))
	for _, b := range builtins.m {
		out = append(out, b)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Kind != out[j].Kind {
			return out[i].Kind < out[j].Kind
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// Describe returns what a built-in with a New function says about itself
// (its Info), made in the host without configuring it; false for a built-in
// that runs a command of its own or whose New does not give its kind's
// interface.
func (b Builtin) Describe(ctx context.Context) (pluginapi.Info, bool, error) {
	k, ok := lookupKind(b.Kind)
	if !ok || b.New == nil {
		return pluginapi.Info{}, false, nil
	}
	return k.info(ctx, b.Name, b.New())
}

// LookupBuiltin returns the built-in plugin of a kind with a name.
func LookupBuiltin(kind pluginapi.Kind, name string) (Builtin, bool) {
	builtins.Lock()
	defer builtins.Unlock()
	b, ok := builtins.m[builtinKey{kind, name}]
	return b, ok
}

// builtinNames lists the names of the built-ins of a kind, for messages.
func builtinNames(kind pluginapi.Kind) []string {
	var names []string
	for _, b := range Builtins() {
		if b.Kind == kind {
			names = append(names, b.Name)
		}
	}
	return names
}
