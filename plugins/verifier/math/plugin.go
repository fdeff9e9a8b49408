package math

import (
	"context"
	"fmt"
	"sort"
	"sync"

	"github.com/forkrl/forkrl/framework/pluginapi"
	"github.com/forkrl/forkrl/framework/pluginapi/verifier"
)

// Name is the name of the built-in verifier.
const Name = "math"

// Version is the version of the grader: of its extraction and equivalence
// rules. It changes whenever a verdict may change.
const Version = "0.2.0"

// Verifier is the math verifier plugin: reward 1 when the response's final
// answer is equivalent to the reference answer, 0 otherwise with the reason.
// Its verdicts are correct, wrong_answer, no_answer and unparsable.
type Verifier struct {
	mu     sync.RWMutex
	grader *Grader
}

var _ verifier.Verifier = (*Verifier)(nil)

// NewVerifier returns the math verifier with DefaultOptions; Configure
// changes them.
func NewVerifier() *Verifier {
	g, err := New(DefaultOptions())
	if err != nil {
		panic("math: the default options are invalid: " + err.Error())
	}
	return &Verifier{grader: g}
}

func ptr(f float64) *float64 { return &f }

// settings is the schema of the verifier's recipe block.
var settings = pluginapi.Schema{Attributes: []pluginapi.Attribute{
	{Name: "extract", Type: "list(string)", Default: []any{ExtractBoxed}, Enum: extractNames,
		Description: "where to find the answer, tried in order: boxed (the last \\boxed{}), answer_line (the last \"Answer:\" line, as DAPO), last_number, free_text (as free-form graders: \"the final answer is\", boxes, math, numbers)"},
	{Name: "rel_tol", Type: "number", Default: DefaultOptions().RelTol, Min: ptr(0), Max: ptr(0.5),
		Description: "relative tolerance of numeric comparison (Qwen2.5-Math's grader uses 1e-4)"},
	{Name: "points", Type: "number", Default: float64(DefaultOptions().Points), Min: ptr(1), Max: ptr(64),
		Description: "seeded points at which expressions with variables are compared"},
	{Name: "max_answer_len", Type: "number", Default: float64(DefaultOptions().MaxAnswerLen), Min: ptr(1),
		Description: "answers longer than this many bytes get reward 0"},
	{Name: "budget", Type: "number", Default: float64(DefaultOptions().Budget), Min: ptr(1),
		Description: "comparison work allowed per answer (evaluations and element matches); beyond it the reward is 0"},
}}

// Info describes the plugin.
func (*Verifier) Info(context.Context) (pluginapi.Info, error) {
	return pluginapi.Info{
		Name:     Name,
		Version:  Version,
		Protocol: pluginapi.ProtocolVersion,
		Kinds:    []pluginapi.Kind{pluginapi.KindVerifier},
		Description: "Math answers: reward 1 when the response's final answer (the last \\boxed{} by default) is " +
			"mathematically equivalent to the reference, else 0 with the reason.",
		Settings: settings,
	}, nil
}

// Configure reads the settings of the verifier block.
func (v *Verifier) Configure(_ context.Context, req pluginapi.ConfigureRequest) (pluginapi.ConfigureResponse, error) {
	o, d := optionsFrom(req.Settings)
	if d.HasErrors() {
		return pluginapi.ConfigureResponse{Diagnostics: d}, nil
	}
	g, err := New(o)
	if err != nil {
		return pluginapi.ConfigureResponse{Diagnostics: d.Errorf("%v", err)}, nil
	}
	v.mu.Lock()
	v.grader = g
	v.mu.Unlock()
	return pluginapi.ConfigureResponse{Diagnostics: d}, nil
}

// optionsFrom decodes settings into options, with a diagnostic for each
// setting that is unknown or of the wrong type.
func optionsFrom(s pluginapi.Settings) (Options, pluginapi.Diagnostics) {
	o := DefaultOptions()
	var d pluginapi.Diagnostics
	names := make([]string, 0, len(s))
	for name := range s {
		names = append(names, name)
	}
	sort.Strings(names)
	bad := func(name, want string) {
		d = append(d, pluginapi.Diagnostic{Severity: pluginapi.Error, Attribute: name,
			Summary: fmt.Sprintf("the math verifier's %q must be %s", name, want)})
	}
	for _, name := range names {
		val := s[name]
		switch name {
		case "extract":
			list, ok := val.([]any)
			if !ok {
				bad(name, "a list of strings")
				continue
			}
			o.Extract = o.Extract[:0:0]
			for _, x := range list {
				str, ok := x.(string)
				if !ok {
					bad(name, "a list of strings")
					break
				}
				o.Extract = append(o.Extract, str)
			}
		case "rel_tol", "points", "max_answer_len", "budget":
			f, ok := val.(float64)
			if !ok {
				bad(name, "a number")
				continue
			}
			switch name {
			case "rel_tol":
				o.RelTol = f
			case "points":
				o.Points = int(f)
			case "max_answer_len":
				o.MaxAnswerLen = int(f)
			case "budget":
				o.Budget = int(f)
			}
		default:
			d = append(d, pluginapi.Diagnostic{Severity: pluginapi.Error, Attribute: name,
				Summary: fmt.Sprintf("the math verifier has no setting %q", name),
				Detail:  "its settings are extract, rel_tol, points, max_answer_len and budget"})
		}
	}
	return o, d
}

// Verify grades each item's response against its reference answer.
func (v *Verifier) Verify(ctx context.Context, req verifier.VerifyRequest) (verifier.VerifyResponse, error) {
	v.mu.RLock()
	g := v.grader
	v.mu.RUnlock()
	resp := verifier.VerifyResponse{Results: make([]verifier.Result, len(req.Items))}
	for i, it := range req.Items {
		if i%64 == 0 {
			if err := ctx.Err(); err != nil {
				return resp, err
			}
		}
		r := g.Grade(it.Response, it.Reference)
		resp.Results[i] = verifier.Result{Reward: r.Reward(), Answer: r.Answer, Reason: r.Reason, Verdict: g.verdict(r)}
	}
	return resp, nil
}

// verdict is the coarse category of a grade: correct; no_answer when no
// answer was found; unparsable when the answer is too long or neither
// mathematics nor a time the grader can read (it matched the reference
// only as text, if at all); else wrong_answer.
func (g *Grader) verdict(r Result) string {
	switch {
	case r.Correct:
		return verifier.VerdictCorrect
	case r.Answer == "":
		return verifier.VerdictNoAnswer
	case len(r.Answer) > g.opts.MaxAnswerLen:
		return verifier.VerdictUnparsable
	}
	c := clean(r.Answer)
	if _, _, ok := parseWithUnits(c); ok {
		return verifier.VerdictWrongAnswer
	}
	if _, ok := clockTime(c); ok {
		return verifier.VerdictWrongAnswer
	}
	return verifier.VerdictUnparsable
}
