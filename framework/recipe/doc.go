// Package recipe reads forkrl's HCL recipes into fully resolved runs.
//
// A recipe names the plugins it composes (labelled backend, verifier and
// selector blocks whose bodies are decoded against the schema each plugin
// declares), its datasets, an algorithm preset (dapo, grpo, ppo, sft) with
// overrides, and the train, eval, hooks and output settings. Variables (typed,
// with defaults and validation), locals and the go-cty standard functions
// make a recipe a small program; run blocks with for_each expand an ablation
// matrix into named runs in a deterministic order.
//
// The schema is strict: an unknown block or attribute, a value of the wrong
// type or out of range, or a reference to a block that does not exist is an
// error diagnostic with the file, line and column, a source excerpt and a
// suggestion where one fits. Load returns every resolved Config; the trainer
// consumes a Config and records its JSON in the run directory.
package recipe
