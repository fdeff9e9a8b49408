package plugin

import (
	"github.com/forkrl/forkrl/framework/pluginapi"
	"github.com/forkrl/forkrl/framework/pluginapi/generator"
)

// Generators returns a fresh instance of every registered built-in of kind
// pluginapi.KindGenerator, by name: the generators a dataset's generator
// block can name.
func Generators() map[string]generator.Generator {
	out := map[string]generator.Generator{}
	for _, b := range Builtins() {
		if b.Kind != pluginapi.KindGenerator {
			continue
		}
		if g, ok := b.New().(generator.Generator); ok { // otherwise RecipeSchemas refuses the block
			out[b.Name] = g
		}
	}
	return out
}
