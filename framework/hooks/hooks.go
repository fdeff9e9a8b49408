package hooks

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"

	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"

	"github.com/forkrl/forkrl/internal/suggest"
)

// Sample is what reward(sample) sees of one response.
type Sample struct {
	Problem  string
	Response string
	Tokens   int    // response length in tokens
	Finish   string // "stop" or "length"
	Reward   float64
	Answer   string // the verifier's parsed answer
}

// Reward returns the shaped reward of a sample: the verifier's reward when
// the script defines no reward hook.
func (s *Script) Reward(ctx context.Context, step int, sm Sample) (float64, error) {
	if !s.Has("reward") {
		return sm.Reward, nil
	}
	arg := starlarkstruct.FromStringDict(starlark.String("sample"), starlark.StringDict{
		"problem":       starlark.String(sm.Problem),
		"response":      starlark.String(sm.Response),
		"tokens":        starlark.MakeInt(sm.Tokens),
		"finish_reason": starlark.String(sm.Finish),
		"reward":        starlark.Float(sm.Reward),
		"answer":        starlark.String(sm.Answer),
		"step":          starlark.MakeInt(step),
	})
	v, err := s.call(ctx, "reward", step, arg)
	if err != nil {
		return 0, err
	}
	r, ok := starlark.AsFloat(v)
	if !ok || math.IsNaN(r) || math.IsInf(r, 0) {
		return 0, s.returnError("reward", "reward() returned %s %s; it must return a finite number", v.Type(), v)
	}
	return r, nil
}

// Batch is what select(batch) sees: per-token vectors of a ragged batch,
// flattened response after response.
type Batch struct {
	Entropies  [][]float32
	LogProbs   [][]float32
	Advantages [][]float32
	Masks      [][]bool // valid tokens; nil: all valid
	Step       int
	Rho        float64 // the run's current ρ setting, for scripts that use it
}

// Select runs the select hook and returns a weight per token, shaped like
// b.Entropies. Weights must be finite and non-negative; invalid tokens get 0
// whatever the script returns. It returns nil when the script defines no
// select hook.
func (s *Script) Select(ctx context.Context, b Batch) ([][]float32, error) {
	if !s.Has("select") {
		return nil, nil
	}
	n := 0
	lengths := make([]starlark.Value, len(b.Entropies))
	for i, r := range b.Entropies {
		n += len(r)
		lengths[i] = starlark.MakeInt(len(r))
	}
	valid := make([]float64, 0, n)
	for i, r := range b.Entropies {
		for j := range r {
			valid = append(valid, b2f(b.Masks == nil || b.Masks[i][j]))
		}
	}
	ragged := func(name string, rows [][]float32) (starlark.Value, error) {
		if rows == nil {
			return newVector(make([]float64, n)), nil
		}
		if len(rows) != len(b.Entropies) {
			return nil, fmt.Errorf("hooks: select batch: %s has %d rows, entropies %d", name, len(rows), len(b.Entropies))
		}
		for i := range rows {
			if len(rows[i]) != len(b.Entropies[i]) {
				return nil, fmt.Errorf("hooks: select batch: %s row %d has %d tokens, entropies %d", name, i, len(rows[i]), len(b.Entropies[i]))
			}
		}
		return newVector(flatten(rows, n)), nil
	}
	fields := starlark.StringDict{
		"entropies": newVector(flatten(b.Entropies, n)),
		"valid":     newVector(valid),
		"lengths":   starlark.Tuple(lengths),
		"n":         starlark.MakeInt(n),
		"step":      starlark.MakeInt(b.Step),
		"rho":       starlark.Float(b.Rho),
	}
	var err error
	if fields["logprobs"], err = ragged("logprobs", b.LogProbs); err != nil {
		return nil, err
	}
	if fields["advantages"], err = ragged("advantages", b.Advantages); err != nil {
		return nil, err
	}
	v, err := s.call(ctx, "select", b.Step, starlarkstruct.FromStringDict(starlark.String("batch"), fields))
	if err != nil {
		return nil, err
	}
	w, err := asVector("select", v)
	if err != nil || len(w.data) != n {
		got := v.Type()
		if err == nil {
			got = fmt.Sprintf("%d weights", len(w.data))
		}
		return nil, s.returnError("select", "select() returned %s; it must return a vector or list of %d weights, one per token of the batch", got, n)
	}
	out := make([][]float32, len(b.Entropies))
	k := 0
	for i, r := range b.Entropies {
		out[i] = make([]float32, len(r))
		for j := range r {
			x := w.data[k]
			if math.IsNaN(x) || math.IsInf(x, 0) || x < 0 {
				return nil, s.returnError("select", "select() returned weight %g for token %d; weights must be finite and non-negative", x, k)
			}
			if valid[k] != 0 {
				out[i][j] = float32(x)
			}
			k++
		}
	}
	return out, nil
}

// ScheduleKeys are the trainer's settings a schedule hook may return.
var ScheduleKeys = []string{"lr", "temperature", "clip_low", "clip_high", "entropy_coef", "kl_coef"}

// Settable is what a schedule hook may set besides ScheduleKeys: the number
// settings of the run's selector, as its schema declares them.
type Settable struct {
	// Owner names their owner in errors, e.g. `selector "top" (block "forks")`;
	// empty when the run has none.
	Owner string
	// Settings are the names of its settings that take a number.
	Settings []string
}

// Schedule returns the settings the schedule hook sets for a step (nil when
// the script defines none): ScheduleKeys and the settings of more. Any other
// key is an error at the hook that says what it may set.
func (s *Script) Schedule(ctx context.Context, step int, more Settable) (map[string]float64, error) {
	if !s.Has("schedule") {
		return nil, nil
	}
	v, err := s.call(ctx, "schedule", step, starlark.MakeInt(step))
	if err != nil {
		return nil, err
	}
	if v == starlark.None {
		return nil, nil
	}
	d, ok := v.(*starlark.Dict)
	if !ok {
		return nil, s.returnError("schedule", "schedule() returned %s; it must return a dict such as {\"lr\": 1e-4} or None", v.Type())
	}
	known := append(append([]string{}, ScheduleKeys...), more.Settings...)
	out := map[string]float64{}
	for _, item := range d.Items() {
		key, ok := starlark.AsString(item[0])
		if !ok {
			return nil, s.returnError("schedule", "schedule() returned a dict key %s; keys must be strings", item[0])
		}
		if !contains(known, key) {
			return nil, s.returnError("schedule", "%s", unknownSetting(key, known, more))
		}
		f, ok := starlark.AsFloat(item[1])
		if !ok || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, s.returnError("schedule", "schedule() returned %s for %q; values must be finite numbers", item[1], key)
		}
		out[key] = f
	}
	return out, nil
}

// unknownSetting says why a schedule hook may not set key and what it may set.
func unknownSetting(key string, known []string, more Settable) string {
	msg := fmt.Sprintf("schedule() returned the setting %q, which is not one of the trainer's (%s)", key, strings.Join(ScheduleKeys, ", "))
	switch {
	case more.Owner == "":
		msg += " and the run has no selector"
	case len(more.Settings) == 0:
		msg += fmt.Sprintf(" and %s takes no number setting", more.Owner)
	default:
		msg += fmt.Sprintf(" nor a number setting of %s (%s)", more.Owner, strings.Join(more.Settings, ", "))
	}
	if near := suggest.Closest(key, known); near != "" {
		msg += fmt.Sprintf("; did you mean %q?", near)
	}
	return msg
}

// Group is what keep_group(group) sees of a prompt's responses.
type Group struct {
	Problem string
	Rewards []float64
	Lengths []int
	Keep    bool // the built-in dynamic-sampling verdict (rewards not all equal)
}

// KeepGroup reports whether dynamic sampling keeps a group: g.Keep when the
// script defines no keep_group hook.
func (s *Script) KeepGroup(ctx context.Context, step int, g Group) (bool, error) {
	if !s.Has("keep_group") {
		return g.Keep, nil
	}
	rewards := make([]starlark.Value, len(g.Rewards))
	for i, r := range g.Rewards {
		rewards[i] = starlark.Float(r)
	}
	lengths := make([]starlark.Value, len(g.Lengths))
	for i, l := range g.Lengths {
		lengths[i] = starlark.MakeInt(l)
	}
	arg := starlarkstruct.FromStringDict(starlark.String("group"), starlark.StringDict{
		"problem": starlark.String(g.Problem),
		"rewards": starlark.Tuple(rewards),
		"lengths": starlark.Tuple(lengths),
		"keep":    starlark.Bool(g.Keep),
		"step":    starlark.MakeInt(step),
	})
	v, err := s.call(ctx, "keep_group", step, arg)
	if err != nil {
		return false, err
	}
	b, ok := v.(starlark.Bool)
	if !ok {
		return false, s.returnError("keep_group", "keep_group() returned %s; it must return True or False", v.Type())
	}
	return bool(b), nil
}

// Outcome is what on_step and on_eval asked for.
type Outcome struct {
	Stop    bool               // end the run after this step
	Metrics map[string]float64 // metrics to log, already prefixed "hook/"
}

// OnStep calls on_step with the step's metrics.
func (s *Script) OnStep(ctx context.Context, step int, metrics map[string]float64) (Outcome, error) {
	if !s.Has("on_step") {
		return Outcome{}, nil
	}
	return s.callback(ctx, "on_step", step, floatDict(metrics))
}

// OnEval calls on_eval with the evaluation's results: per dataset, its
// figures (n, avg_at_n, pass_at_K for each k evaluated, mean_length, ...).
func (s *Script) OnEval(ctx context.Context, step int, results map[string]map[string]float64) (Outcome, error) {
	if !s.Has("on_eval") {
		return Outcome{}, nil
	}
	d := starlark.NewDict(len(results))
	for _, name := range sortedKeys(results) {
		_ = d.SetKey(starlark.String(name), floatDict(results[name]))
	}
	d.Freeze()
	return s.callback(ctx, "on_eval", step, d)
}

func (s *Script) callback(ctx context.Context, hook string, step int, arg starlark.Value) (Outcome, error) {
	v, err := s.call(ctx, hook, step, arg)
	if err != nil {
		return Outcome{}, err
	}
	switch v := v.(type) {
	case starlark.NoneType:
		return Outcome{}, nil
	case starlark.String:
		if v == "stop" {
			return Outcome{Stop: true}, nil
		}
	case *starlark.Dict:
		out := Outcome{Metrics: map[string]float64{}}
		for _, item := range v.Items() {
			key, ok := starlark.AsString(item[0])
			if !ok {
				return Outcome{}, s.returnError(hook, "%s() returned a dict key %s; keys must be strings", hook, item[0])
			}
			if key == "stop" {
				b, ok := item[1].(starlark.Bool)
				if !ok {
					return Outcome{}, s.returnError(hook, "%s() returned %s for \"stop\"; it must be True or False", hook, item[1])
				}
				out.Stop = bool(b)
				continue
			}
			f, ok := starlark.AsFloat(item[1])
			if !ok {
				return Outcome{}, s.returnError(hook, "%s() returned %s for metric %q; metrics must be numbers", hook, item[1].Type(), key)
			}
			out.Metrics["hook/"+key] = f
		}
		return out, nil
	}
	return Outcome{}, s.returnError(hook, "%s() returned %s; it must return None, \"stop\" or a dict of metrics", hook, v)
}

func floatDict(m map[string]float64) *starlark.Dict {
	d := starlark.NewDict(len(m))
	for _, k := range sortedKeys(m) {
		_ = d.SetKey(starlark.String(k), starlark.Float(m[k]))
	}
	d.Freeze()
	return d
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if x == y {
			return true
		}
	}
	return false
}
