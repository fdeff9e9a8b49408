package plugin

import (
	"fmt"
	"maps"
	"sync"

	"github.com/forkrl/forkrl/framework/pluginapi/generator"
)

var generators = struct {
	sync.Mutex
	m map[string]generator.Generator
}{m: map[string]generator.Generator{}}

// RegisterGenerator adds a built-in dataset generator under name, the type a
// recipe's generator block names. Like Register it is meant for init
// functions (cmd/forkrl/builtins.go) and panics on an empty name, a nil
// generator or a name registered twice.
func RegisterGenerator(name string, g generator.Generator) {
	if name == "" || g == nil {
		panic("plugin: RegisterGenerator: a generator needs a name and an implementation")
	}
	generators.Lock()
	defer generators.Unlock()
	if _, dup := generators.m[name]; dup {
		panic(fmt.Sprintf("plugin: RegisterGenerator: generator %q registered twice", name))
	}
	generators.m[name] = g
}

// Generators returns the registered generators by name (a copy).
func Generators() map[string]generator.Generator {
	generators.Lock()
	defer generators.Unlock()
	return maps.Clone(generators.m)
}
