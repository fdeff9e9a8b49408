package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/forkrl/forkrl/framework/plugin"
	"github.com/forkrl/forkrl/framework/pluginapi"
	"github.com/forkrl/forkrl/framework/pluginapi/backend"
	"github.com/forkrl/forkrl/framework/recipe"
	"github.com/forkrl/forkrl/framework/trainer"
)

// checkData does what a run does with its data before training: it reads
// every dataset (a malformed line is an error at its file:line) and, when
// the policy is a built-in backend, has it encode every prompt, and every
// reference answer, to find the characters its tokenizer cannot write.
// Runs with the same datasets and policy are checked once.
func checkData(ctx context.Context, rec *recipe.Recipe) hcl.Diagnostics {
	var diags hcl.Diagnostics
	seen := map[string]bool{}
	for i := range rec.Runs {
		r := &rec.Runs[i]
		policy, _ := r.Backend(r.Algorithm.Policy)
		key, _ := json.Marshal([]any{r.Datasets, r.Seed, policy})
		if seen[string(key)] {
			continue
		}
		seen[string(key)] = true
		datasets, err := trainer.LoadDatasets(r, plugin.Generators())
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot read the data", Detail: capitalized(err.Error())})
			continue
		}
		if policy == nil || policy.Source != "" || !policy.Checked {
			continue
		}
		diags = append(diags, checkAlphabet(ctx, r, policy, datasets)...)
	}
	return diags
}

// checkAlphabet encodes the prompts and answers of datasets with the
// built-in backend of block b, configured as the run would configure it.
func checkAlphabet(ctx context.Context, r *recipe.Config, b *recipe.PluginBlock, datasets []trainer.Dataset) hcl.Diagnostics {
	bi, ok := plugin.LookupBuiltin(b.Kind, b.Type)
	if !ok || bi.New == nil {
		return nil // an external plugin, or a built-in served by its own command (torch)
	}
	model, ok := bi.New().(backend.Backend)
	if !ok {
		return nil
	}
	dir, err := os.MkdirTemp("", "forkrl-validate-")
	if err != nil {
		return nil
	}
	defer os.RemoveAll(dir)
	if resp, err := model.Configure(ctx, pluginapi.ConfigureRequest{Settings: b.Settings, Seed: r.Seed, Dir: dir}); err != nil || resp.Diagnostics.HasErrors() {
		return nil // ConfigureBuiltins reports it
	}
	var diags hcl.Diagnostics
	for _, ds := range datasets {
		// An answer is trained on in sft, and must be written to be right
		// otherwise; a prompt is always read.
		for _, part := range []struct {
			what     string
			text     func(trainer.Problem) string
			severity hcl.DiagnosticSeverity
		}{
			{"prompts", func(p trainer.Problem) string { return p.Prompt }, hcl.DiagError},
			{"reference answers", func(p trainer.Problem) string { return p.Answer }, answerSeverity(r, ds.Name)},
		} {
			problems := append(append([]trainer.Problem(nil), ds.Train...), ds.Eval...)
			bad, first, err := unwritable(ctx, model, problems, part.text)
			if err != nil {
				return append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot check the data against the model", Detail: err.Error(), Subject: b.DefRange.Ptr()})
			}
			if bad > 0 {
				diags = append(diags, &hcl.Diagnostic{
					Severity: part.severity,
					Summary:  fmt.Sprintf("The model cannot write dataset %q", ds.Name),
					Detail:   fmt.Sprintf("The tokenizer of %s %q %q cannot encode %d of the %d %s of dataset %q; the first, of problem %q: %s.", b.Kind, b.Type, b.Label, bad, len(problems), part.what, ds.Name, first.id, first.why),
					Subject:  b.DefRange.Ptr(),
				})
			}
		}
	}
	return diags
}

// answerSeverity is an error when the run trains on the answers (sft) and a
// warning otherwise: a verifier may accept an answer written another way.
func answerSeverity(r *recipe.Config, dataset string) hcl.DiagnosticSeverity {
	if r.Algorithm.Supervised() && r.Train.Dataset == dataset {
		return hcl.DiagError
	}
	return hcl.DiagWarning
}

// unwritable counts the problems whose text the model cannot encode and
// says why for the first of them.
func unwritable(ctx context.Context, model backend.Backend, problems []trainer.Problem, text func(trainer.Problem) string) (bad int, first struct{ id, why string }, err error) {
	const batch = 512
	for lo := 0; lo < len(problems); lo += batch {
		part := problems[lo:min(lo+batch, len(problems))]
		texts := make([]string, len(part))
		for i, p := range part {
			texts[i] = text(p)
		}
		resp, err := model.Encode(ctx, backend.EncodeRequest{Texts: texts})
		if err != nil {
			return 0, first, err
		}
		if !resp.Diagnostics.HasErrors() {
			continue
		}
		for i, t := range texts { // one at a time, to name the problems
			one, err := model.Encode(ctx, backend.EncodeRequest{Texts: []string{t}})
			if err != nil {
				return 0, first, err
			}
			if one.Diagnostics.HasErrors() {
				if bad == 0 {
					first.id = part[i].ID
					first.why = strings.TrimPrefix(one.Diagnostics.Err().Error(), "text 0: ")
				}
				bad++
			}
		}
	}
	return bad, first, nil
}

func capitalized(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
