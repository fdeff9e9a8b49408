package countdown

import (
	"context"
	"fmt"
	"sort"

	"github.com/forkrl/forkrl/framework/pluginapi"
	"github.com/forkrl/forkrl/framework/pluginapi/verifier"
)

// Name is the name of the built-in verifier and of the dataset generator.
const Name = "countdown"

// Version is the version of the task: of its format, generator and verifier.
const Version = "0.1.0"

// Verifier is the countdown task's verifier plugin: reward 1 when the
// response's final equation uses each given number exactly once and
// evaluates to the target, 0 otherwise. With the setting check_work it also
// requires the work before the answer to be sound (see CheckWork).
type Verifier struct {
	checkWork bool
}

var _ verifier.Verifier = (*Verifier)(nil)

// NewVerifier returns the countdown verifier.
func NewVerifier() *Verifier { return &Verifier{} }

// Info describes the plugin.
func (*Verifier) Info(context.Context) (pluginapi.Info, error) {
	return pluginapi.Info{
		Name:     Name,
		Version:  Version,
		Protocol: pluginapi.ProtocolVersion,
		Kinds:    []pluginapi.Kind{pluginapi.KindVerifier},
		Description: "Countdown: reward 1 when the equation after \"" + AnswerMark + "\" uses each number of the prompt " +
			"exactly once and evaluates to its target with + - * and exact /, else 0 with the reason.",
		Settings: pluginapi.Schema{Attributes: []pluginapi.Attribute{{
			Name: "check_work", Type: "bool", Default: false,
			Description: "also require the work before the answer to be sound: every step's numbers at hand and its arithmetic right, " +
				"every miss marked \"" + FailMark + "\", the last attempt ending at the target",
		}}},
	}, nil
}

// Configure reads check_work; other settings are diagnostics.
func (v *Verifier) Configure(_ context.Context, req pluginapi.ConfigureRequest) (pluginapi.ConfigureResponse, error) {
	var d pluginapi.Diagnostics
	names := make([]string, 0, len(req.Settings))
	for name := range req.Settings {
		names = append(names, name)
	}
	sort.Strings(names)
	checkWork := false
	for _, name := range names {
		if name == "check_work" {
			b, ok := req.Settings[name].(bool)
			if !ok {
				d = append(d, pluginapi.Diagnostic{Severity: pluginapi.Error, Attribute: name,
					Summary: fmt.Sprintf("check_work must be true or false, got %v", req.Settings[name])})
			}
			checkWork = b
			continue
		}
		d = append(d, pluginapi.Diagnostic{
			Severity:  pluginapi.Error,
			Summary:   fmt.Sprintf("the countdown verifier has no setting %q", name),
			Detail:    "its only setting is check_work; remove the others from the verifier block",
			Attribute: name,
		})
	}
	if !d.HasErrors() {
		v.checkWork = checkWork
	}
	return pluginapi.ConfigureResponse{Diagnostics: d}, nil
}

// Verify judges each item. Item.Problem must be the problem's prompt (as in
// Problem.Prompt), from which the numbers and the target are read; any
// correct equation earns the reward, so Item.Reference is not consulted. An
// item whose problem is not a countdown prompt gets reward 0 and an error
// diagnostic naming it.
//
// The verdict is CheckWork's failure (Failure.String) whatever check_work
// says, so that analyses count the right answers reached by unsound work
// also where they earn the reward; check_work decides only the reward. The
// roles label each byte of the response (Roles).
func (v *Verifier) Verify(_ context.Context, req verifier.VerifyRequest) (verifier.VerifyResponse, error) {
	resp := verifier.VerifyResponse{Results: make([]verifier.Result, len(req.Items))}
	for i, it := range req.Items {
		numbers, target, err := ParsePrompt(it.Problem)
		if err != nil {
			resp.Results[i] = verifier.Result{Reason: err.Error()}
			resp.Diagnostics = append(resp.Diagnostics, pluginapi.Diagnostic{
				Severity: pluginapi.Error,
				Summary:  fmt.Sprintf("item %d: %v", i, err),
				Detail:   "the countdown verifier reads the numbers and the target from the problem, which must be the prompt of a countdown problem",
			})
			continue
		}
		verdict := CheckWork(numbers, target, it.Response)
		resp.Results[i] = verifier.Result{Reward: verdict.Reward(v.checkWork), Answer: verdict.Answer, Reason: verdict.Reason,
			Verdict: verdict.Failure.String(), Roles: verifier.Label(Roles(it.Response))}
	}
	return resp, nil
}
