package countdown

import (
	"fmt"
	"math"
	"sort"
	"strconv"

	"github.com/forkrl/forkrl/framework/pluginapi"
	genapi "github.com/forkrl/forkrl/framework/pluginapi/generator"
)

// Record is one item of a generated dataset, in the shape a trainer reads
// datasets: the text given to the model, the problem as the verifier sees
// it, and the answer (a reference equation, or for traces the completion a
// model is fine-tuned to produce).
type Record struct {
	ID      string
	Prompt  string
	Problem string
	Answer  string
}

// Dataset is a generated dataset: records to train on and held-out records
// to evaluate on, from disjoint splits.
type Dataset struct {
	Train, Eval []Record
}

func ptr(v float64) *float64 { return &v }

// GeneratorSchema returns the settings of a recipe's `generator "countdown"`
// block.
func GeneratorSchema() pluginapi.Schema {
	return pluginapi.Schema{Attributes: []pluginapi.Attribute{
		{Name: "train", Type: "number", Description: "how many training records", Default: 10000.0, Min: ptr(0)},
		{Name: "eval", Type: "number", Description: "how many held-out problems (distinct, never in training)", Default: 512.0, Min: ptr(0)},
		{Name: "seed", Type: "number", Description: "the seed of the data; the data does not change with the run's seed unless the recipe passes it here", Default: 1.0, Min: ptr(0)},
		{Name: "sizes", Type: "list(number)", Description: "how many numbers a problem gives (its difficulty), each drawn uniformly", Default: []any{3.0, 4.0}},
		{Name: "max_number", Type: "number", Description: "the given numbers are drawn from 1..max_number", Default: 20.0, Min: ptr(1)},
		{Name: "min_target", Type: "number", Description: "the smallest target", Default: 10.0, Min: ptr(1)},
		{Name: "max_target", Type: "number", Description: "the largest target", Default: 99.0, Min: ptr(1)},
		{Name: "max_value", Type: "number", Description: "the largest intermediate result of the generator's expressions and of the traces' steps", Default: 99.0, Min: ptr(1)},
		{Name: "traces", Type: "bool", Description: "training records are reasoning traces of a noisy search (for sft) instead of bare problems", Default: false},
		{Name: "skill", Type: "number", Description: "traces: probability that a step is chosen among those that keep the target reachable", Default: DefaultSkill, Min: ptr(0), Max: ptr(1)},
		{Name: "max_attempts", Type: "number", Description: "traces: the patience of each trace is drawn from 1..max_attempts", Default: 4.0, Min: ptr(1)},
		{Name: "max_len", Type: "number", Description: "traces: the longest prompt plus completion, in characters (the model's context less room for <bos> and <eos>)", Default: 126.0, Min: ptr(1)},
	}}
}

// Generate makes the dataset that a `generator "countdown"` block with
// these settings describes; absent settings take GeneratorSchema's
// defaults. Bad settings are reported as diagnostics naming the attribute.
func Generate(settings pluginapi.Settings) (Dataset, pluginapi.Diagnostics) {
	s := settingsReader{settings: settings, schema: GeneratorSchema()}
	seed := uint64(s.integer("seed"))
	nTrain, nEval := s.integer("train"), s.integer("eval")
	opts := Options{
		MaxNumber: s.integer("max_number"),
		MinTarget: s.integer("min_target"),
		MaxTarget: s.integer("max_target"),
		MaxValue:  s.integer("max_value"),
	}
	for _, v := range s.list("sizes") {
		opts.Sizes = append(opts.Sizes, s.whole("sizes", v))
	}
	traces := s.boolean("traces")
	topts := TraceOptions{Problems: opts, Skill: s.number("skill"), MaxAttempts: s.integer("max_attempts"), MaxLen: s.integer("max_len")}
	if topts.Skill == 0 {
		topts.Skill = -1 // the setting's 0 means no skill, not the default
	}
	names := make([]string, 0, len(settings))
	for name := range settings {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if _, ok := s.schema.Lookup(name); !ok {
			s.diags = append(s.diags, pluginapi.Diagnostic{Summary: fmt.Sprintf("the countdown generator has no setting %q", name), Attribute: name})
		}
	}
	if s.diags.HasErrors() {
		return Dataset{}, s.diags
	}
	var ds Dataset
	var err error
	if traces {
		ds.Train, err = traceRecords(seed, nTrain, topts)
	} else {
		ds.Train, err = problemRecords(seed, Train, nTrain, opts)
	}
	if err == nil {
		ds.Eval, err = problemRecords(seed, Eval, nEval, opts)
	}
	if err != nil {
		return Dataset{}, s.diags.Errorf("%v", err)
	}
	return ds, s.diags
}

func problemRecords(seed uint64, split Split, n int, opts Options) ([]Record, error) {
	ps, err := Problems(seed, split, n, opts)
	if err != nil {
		return nil, err
	}
	out := make([]Record, len(ps))
	for i, p := range ps {
		out[i] = Record{ID: split.String() + "-" + strconv.Itoa(i), Prompt: p.Prompt, Problem: p.Prompt, Answer: p.Answer}
	}
	return out, nil
}

func traceRecords(seed uint64, n int, opts TraceOptions) ([]Record, error) {
	ex, err := Traces(seed, n, opts)
	if err != nil {
		return nil, err
	}
	out := make([]Record, len(ex))
	for i, e := range ex {
		out[i] = Record{ID: "trace-" + strconv.Itoa(i), Prompt: e.Prompt, Problem: e.Prompt, Answer: e.Completion}
	}
	return out, nil
}

// settingsReader reads settings with the schema's defaults, collecting
// diagnostics for values of the wrong type.
type settingsReader struct {
	settings pluginapi.Settings
	schema   pluginapi.Schema
	diags    pluginapi.Diagnostics
}

func (s *settingsReader) value(name string) any {
	if v, ok := s.settings[name]; ok {
		return v
	}
	a, _ := s.schema.Lookup(name)
	return a.Default
}

func (s *settingsReader) fail(name, format string, args ...any) {
	s.diags = append(s.diags, pluginapi.Diagnostic{Summary: fmt.Sprintf(format, args...), Attribute: name})
}

func (s *settingsReader) number(name string) float64 {
	v, ok := s.value(name).(float64)
	if !ok {
		s.fail(name, "%s must be a number", name)
		return 0
	}
	a, _ := s.schema.Lookup(name)
	if (a.Min != nil && v < *a.Min) || (a.Max != nil && v > *a.Max) {
		s.fail(name, "%s = %g is out of range", name, v)
	}
	return v
}

func (s *settingsReader) integer(name string) int {
	return s.whole(name, s.number(name))
}

// whole converts a number that must be a whole number.
func (s *settingsReader) whole(name string, v any) int {
	f, ok := v.(float64)
	if !ok || f != math.Trunc(f) || math.Abs(f) > 1e9 {
		s.fail(name, "%s must be whole numbers, not %v", name, v)
		return 0
	}
	return int(f)
}

func (s *settingsReader) list(name string) []any {
	v, ok := s.value(name).([]any)
	if !ok {
		s.fail(name, "%s must be a list of numbers", name)
	}
	return v
}

func (s *settingsReader) boolean(name string) bool {
	v, ok := s.value(name).(bool)
	if !ok {
		s.fail(name, "%s must be true or false", name)
	}
	return v
}

// NewGenerator returns the countdown generator as a built-in generator
// (framework/pluginapi/generator): GeneratorSchema's settings, Generate's
// records.
func NewGenerator() genapi.Generator { return countdownGenerator{} }

type countdownGenerator struct{}

func (countdownGenerator) Schema() pluginapi.Schema { return GeneratorSchema() }

func (countdownGenerator) Generate(settings pluginapi.Settings) (train, eval []genapi.Problem, diags pluginapi.Diagnostics) {
	ds, diags := Generate(settings)
	return problems(ds.Train), problems(ds.Eval), diags
}

func problems(recs []Record) []genapi.Problem {
	out := make([]genapi.Problem, len(recs))
	for i, r := range recs {
		out[i] = genapi.Problem(r)
	}
	return out
}
