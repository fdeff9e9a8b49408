package plugin

import (
	"fmt"
	"os/exec"
	"sort"
	"sync"

	"github.com/forkrl/forkrl/framework/pluginapi"
)

// Builtin is a plugin that ships with the forkrl binary. New returns a fresh,
// unconfigured implementation of the kind's interface: a backend.Backend, a
// verifier.Verifier or a selector.Selector. It must be cheap and must not print
// to stdout; the work belongs in Configure.
//
// A built-in written in another language sets Command instead of New: it
// returns the command line of a process that serves the plugin (see
// framework/proto's package doc). Such a built-in always runs in its own
// process.
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
// Command, or a name
// registered twice for the same kind.
func Register(b Builtin) {
	if !validKind(b.Kind) {
		panic(fmt.Sprintf("plugin: Register: unknown kind %q", b.Kind))
	}
	if b.Name == "" || (b.New == nil) == (b.Command == nil) {
		panic("plugin: Register: a built-in needs a name and either a New or a Command function")
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

func validKind(k pluginapi.Kind) bool {
	switch k {
	case pluginapi.KindBackend, pluginapi.KindVerifier, pluginapi.KindSelector:
		return true
	}
	return false
}
