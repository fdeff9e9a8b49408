// Package generator defines the generator kind: a task's built-in problem
// set, made from the settings of a recipe's dataset block
// (dataset "NAME" { generator "TYPE" { ... } }). Unlike the other kinds a
// generator runs in the host, as a function of its settings: it has no
// process and no gRPC service (pluginapi.Kind.InHost). Built-in generators
// are registered with plugin.Register like the built-in plugins, with Kind
// pluginapi.KindGenerator (cmd/forkrl/builtins.go holds the list), and the
// recipe decodes a generator block against the generator's Schema.
package generator

import "github.com/forkrl/forkrl/framework/pluginapi"

// Problem is one generated problem.
type Problem struct {
	ID      string // stable within the dataset
	Prompt  string // the text given to the model, unless the dataset names a prompt template
	Problem string // the problem as the verifier sees it
	// Answer is the reference answer handed to the verifier; for sft it is
	// the reference response the model is trained to produce.
	Answer string
}

// Generator makes a dataset from settings.
type Generator interface {
	// Schema declares the settings of the recipe's generator block.
	Schema() pluginapi.Schema
	// Generate makes problems to train on and disjoint problems to evaluate
	// on. Bad settings are diagnostics naming the attribute. The same
	// settings give the same problems.
	Generate(settings pluginapi.Settings) (train, eval []Problem, diags pluginapi.Diagnostics)
}
