package recipe

import (
	"errors"

	"github.com/forkrl/forkrl/framework/pluginapi"
	"github.com/hashicorp/hcl/v2"
)

// Recipe is a loaded recipe: its runs, resolved, in order.
type Recipe struct {
	// Filename is the recipe's path as given to Load.
	Filename string
	// Variables are the recipe's variable declarations, in order.
	Variables []Variable
	// Runs are the resolved runs: one per run block, or one per element of
	// a run block's for_each (maps in key order, lists in element order),
	// in the order of the blocks; a recipe without run blocks has one run.
	Runs []Config
	// Sweep is the sweep block: the arms forkrl sweep compares.
	Sweep Sweep
	// Files holds the parsed source files, for rendering diagnostics.
	Files map[string]*hcl.File
}

// Config returns the run with the given name.
func (r *Recipe) Config(name string) (*Config, bool) {
	for i := range r.Runs {
		if r.Runs[i].Name == name {
			return &r.Runs[i], true
		}
	}
	return nil, false
}

// Variable is a variable declaration of a recipe.
type Variable struct {
	Name        string
	Description string
	Type        string // the type constraint as written, e.g. "number"; "any" when absent
	Default     any    // JSON-compatible default; nil: required
	Required    bool   // no default: the value must come from --var or a run block
}

// SchemaSource tells the decoder which settings a plugin block accepts. The
// plugin host implements it from each plugin's Info (launching an external
// plugin to ask: plugin.RecipeSchemas); tests and tools can use Schemas.
type SchemaSource interface {
	// Schema returns the settings schema of the plugin (or generator) that
	// block b names. The error, a sentence for a person (an unknown type
	// with a suggestion, a plugin that failed to start), is reported at the
	// block's type label.
	Schema(b *PluginBlock) (pluginapi.Schema, error)
}

// ErrUnchecked is what a SchemaSource returns for a plugin whose
// schema it cannot know here: its settings are evaluated but not checked.
var ErrUnchecked = errors.New("no schema")

// Options are the inputs of Load besides the recipe itself.
type Options struct {
	// Vars are variable values from the command line (--var name=value), in
	// order. A value is parsed as an HCL expression unless the variable's
	// type is string.
	Vars []string
	// Schemas gives the plugins' schemas. Nil: plugin bodies are only
	// evaluated, not checked, and their PluginBlock.Checked is false.
	Schemas SchemaSource
}
