package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/forkrl/forkrl/framework/hooks"
	"github.com/forkrl/forkrl/framework/plugin"
	"github.com/forkrl/forkrl/framework/recipe"
	"github.com/hashicorp/hcl/v2"
)

func init() {
	register(&command{
		name:    "validate",
		summary: "check a recipe (schema, values, plugin settings, hooks) without running it",
		run:     func(args []string) int { return validate(args, os.Stdout, os.Stderr) },
	})
}

// varFlags collects repeated --var NAME=VALUE flags.
type varFlags []string

// String renders the settings, for flag's help text.
func (v *varFlags) String() string { return strings.Join(*v, ",") }

// Set adds one NAME=VALUE setting.
func (v *varFlags) Set(s string) error { *v = append(*v, s); return nil }

// validateReport is the -json output of forkrl validate.
type validateReport struct {
	Recipe      string                  `json:"recipe"`
	Valid       bool                    `json:"valid"`
	Runs        []string                `json:"runs"`
	Diagnostics []recipe.JSONDiagnostic `json:"diagnostics"`
	Resolved    []*recipe.Config        `json:"resolved,omitempty"`
}

func validate(args []string, stdout, stderr io.Writer) int {
	fs := usage{
		name:  "validate",
		flags: "[-json] [-resolved] [-configure=false] [--var NAME=VALUE ...]",
		args:  "RECIPE",
		about: []string{
			"Checks a recipe without running it: its schema, every value and range,",
			"plugin settings against the schemas the plugins declare, the run matrix,",
			"the hooks file, what the built-in plugins say when configured with their",
			"settings, and the data: every line read as a run reads it, every prompt and",
			"answer encoded by the policy's tokenizer. Exit status 0: valid; 1: errors;",
			"2: bad usage.",
		},
	}.flagSet(stderr)
	var vars varFlags
	asJSON := fs.Bool("json", false, "print the result and diagnostics as JSON on stdout")
	resolved := fs.Bool("resolved", false, "also print the fully resolved settings of every run")
	configure := fs.Bool("configure", true, "configure each built-in plugin in-process with its settings, to catch what only the plugin can check (a checkpoint that does not load), and read the data as a run would (malformed lines, characters the model cannot write)")
	fs.Var(&vars, "var", "set a variable: --var NAME=VALUE (repeatable)")
	path, code := fs.parseOne(args)
	if code >= 0 {
		return code
	}

	rec, diags := recipe.Load(path, recipe.Options{Vars: vars, Schemas: &plugin.RecipeSchemas{Log: stderr}})
	if !diags.HasErrors() {
		diags = append(diags, checkHooks(rec)...)
	}
	if !diags.HasErrors() && *configure {
		diags = append(diags, plugin.ConfigureBuiltins(context.Background(), rec.Runs)...)
		if !diags.HasErrors() {
			diags = append(diags, checkData(context.Background(), rec)...)
		}
	}
	valid := !diags.HasErrors()
	if *asJSON {
		rep := validateReport{Recipe: path, Valid: valid, Runs: []string{}, Diagnostics: recipe.ToJSON(rec.Files, diags)}
		for i := range rec.Runs {
			rep.Runs = append(rep.Runs, rec.Runs[i].Name)
			if *resolved && valid {
				rep.Resolved = append(rep.Resolved, &rec.Runs[i])
			}
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return fs.fail(err)
		}
	} else {
		if len(diags) > 0 {
			width, color := terminal(stderr)
			if err := recipe.WriteDiagnostics(stderr, rec.Files, diags, width, color); err != nil {
				fmt.Fprintf(stderr, "forkrl validate: %v\n", err)
			}
		}
		if valid {
			printRuns(stdout, path, rec, *resolved)
		}
	}
	if !valid {
		return 1
	}
	return 0
}

// checkHooks loads each distinct hooks file of the recipe's runs, which
// checks its syntax and the hooks it defines.
func checkHooks(rec *recipe.Recipe) hcl.Diagnostics {
	var diags hcl.Diagnostics
	seen := map[string]bool{}
	for _, r := range rec.Runs {
		if r.Hooks == nil || seen[r.Hooks.File] {
			continue
		}
		seen[r.Hooks.File] = true
		_, err := hooks.Load(r.Hooks.File, hooks.Options{Root: r.Dir, StepBudget: r.Hooks.StepBudget, Seed: r.Seed})
		if err == nil {
			continue
		}
		var he *hooks.Error
		if errors.As(err, &he) {
			d := he.Diagnostic()
			if src, rerr := os.ReadFile(he.File); rerr == nil {
				rec.Files[he.File] = &hcl.File{Bytes: src}
			}
			diags = append(diags, d)
			continue
		}
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot load the hooks file", Detail: err.Error()})
	}
	return diags
}

func printRuns(w io.Writer, path string, rec *recipe.Recipe, resolved bool) {
	noun := "runs"
	if len(rec.Runs) == 1 {
		noun = "run"
	}
	fmt.Fprintf(w, "%s is valid: %d %s\n", path, len(rec.Runs), noun)
	for i := range rec.Runs {
		r := &rec.Runs[i]
		fmt.Fprintf(w, "  %s\n", r.Name)
		if resolved {
			b, err := r.JSON()
			if err != nil {
				fmt.Fprintf(w, "    (cannot render: %v)\n", err)
				continue
			}
			fmt.Fprintf(w, "%s\n", b)
		}
	}
}

// terminal returns the width to wrap diagnostics at ($COLUMNS, or 80) and
// whether to use colour: both only when w is a terminal and NO_COLOR is unset.
func terminal(w io.Writer) (uint, bool) {
	f, ok := w.(*os.File)
	if !ok {
		return 0, false
	}
	st, err := f.Stat()
	if err != nil || st.Mode()&os.ModeCharDevice == 0 {
		return 0, false
	}
	width := uint(80)
	if c, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && c > 20 {
		width = uint(c)
	}
	return width, os.Getenv("NO_COLOR") == ""
}
