// Package data reads the problem sets that forkrl trains and evaluates on:
// JSONL and parquet files, whose fields are mapped to the roles a run needs
// (problem, reference answer, id), deduplicated by problem text, drawn in a
// seeded order, and turned into prompts by named templates (the paper's
// among them) or a recipe's own template.
package data
