package countdown

import (
	"fmt"
	"strings"
)

// DefaultSkill is the default TraceOptions.Skill. With the default options
// about half of the traces of 3 numbers and a quarter of those of 4 reach
// the target.
const DefaultSkill = 0.25

// TraceOptions shape the reasoning traces. The zero value of a field
// selects its default.
type TraceOptions struct {
	// Problems shape the problems the traces solve.
	Problems Options
	// Skill is the probability that the search policy picks its next step
	// among the steps from which the target stays reachable, rather than
	// among all allowed steps. Zero selects DefaultSkill; a negative value
	// means no skill at all (a purely random policy). At most 1.
	Skill float64
	// MaxAttempts: the policy's patience, the number of attempts it makes
	// before it gives up, is drawn uniformly from 1..MaxAttempts for each
	// trace. Default 4.
	MaxAttempts int
	// MaxLen bounds the length of prompt and completion together, in
	// characters: a trace that would be longer gives up after fewer
	// attempts. Default 128.
	MaxLen int
}

func (o TraceOptions) withDefaults() (TraceOptions, error) {
	var err error
	if o.Problems, err = o.Problems.withDefaults(); err != nil {
		return o, err
	}
	switch {
	case o.Skill == 0:
		o.Skill = DefaultSkill
	case o.Skill < 0:
		o.Skill = 0
	}
	if o.MaxAttempts == 0 {
		o.MaxAttempts = 4
	}
	if o.MaxLen == 0 {
		o.MaxLen = 128
	}
	if o.Skill > 1 {
		return o, fmt.Errorf("countdown: Skill %g is above 1", o.Skill)
	}
	if o.MaxAttempts < 1 {
		return o, fmt.Errorf("countdown: MaxAttempts is %d; it must be at least 1", o.MaxAttempts)
	}
	if o.MaxLen < 1 {
		return o, fmt.Errorf("countdown: MaxLen is %d; it must be positive", o.MaxLen)
	}
	return o, nil
}

// Example is one reasoning trace: a problem's prompt and a completion in the
// task's response format.
type Example struct {
	Problem    Problem
	Prompt     string // Problem.Prompt
	Completion string // the attempts and the final answer, ending with ResponseEnd
	Solved     bool   // the final answer is correct
	Attempts   int    // the number of attempts in the completion
}

// maxRetries bounds how often the policy redraws an attempt that repeats an
// earlier one of the same trace.
const maxRetries = 8

// Traces writes n reasoning traces of a noisy search policy for
// supervised fine-tuning. The problems are those of Problems(seed, Train,
// ·, opts.Problems), in order, less the few whose shortest trace would not
// fit MaxLen.
//
// For each problem the policy draws a patience in 1..MaxAttempts and makes
// attempts until one reaches the target or its patience runs out. An
// attempt combines two numbers per step until one is left, choosing each
// step with probability Skill among the steps that keep the target
// reachable and otherwise among all allowed steps, and never repeats an
// earlier attempt when a new one can be found in a few draws. The choices
// of numbers and operators are random; everything else in the completion —
// the results of the steps, the verdict "no" on a miss, the final equation —
// follows from them. A trace that gives up answers with its last attempt,
// which is wrong.
func Traces(seed uint64, n int, opts TraceOptions) ([]Example, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	problems, err := newGenerator(seed, Train, opts.Problems)
	if err != nil {
		return nil, err
	}
	policy := newStream(seed, "countdown/traces/policy")
	out := make([]Example, 0, n)
	for len(out) < n {
		p, err := problems.next()
		if err != nil {
			return out, fmt.Errorf("%w (after %d of %d traces)", err, len(out), n)
		}
		if ex, ok := trace(p, policy, opts); ok {
			out = append(out, ex)
		}
	}
	return out, nil
}

// attempt is one sequence of steps from the given numbers to a single value.
type attempt struct {
	steps  string // the steps separated by spaces, e.g. "25+7=32 32-3=29"
	answer string // the equation of the final value, e.g. "(25+7)-3"
	value  int
}

// trace runs the policy on one problem; ok is false when even one attempt
// does not fit opts.MaxLen.
func trace(p Problem, rng *stream, opts TraceOptions) (ex Example, ok bool) {
	patience := 1 + rng.intn(opts.MaxAttempts)
	var tried []attempt
	for len(tried) < patience {
		a := search(p, rng, opts)
		for retry := 0; retry < maxRetries && repeats(tried, a); retry++ {
			a = search(p, rng, opts)
		}
		tried = append(tried, a)
		if a.value == p.Target {
			break
		}
	}
	// Give up earlier when the whole search does not fit.
	for m := len(tried); m >= 1; m-- {
		completion := writeCompletion(tried[:m], p.Target)
		if len(p.Prompt)+len(completion) <= opts.MaxLen {
			return Example{
				Problem:    p,
				Prompt:     p.Prompt,
				Completion: completion,
				Solved:     tried[m-1].value == p.Target,
				Attempts:   m,
			}, true
		}
	}
	return Example{}, false
}

// search makes one attempt on a problem.
func search(p Problem, rng *stream, opts TraceOptions) attempt {
	items := leaves(p.Numbers)
	var steps []string
	for len(items) > 1 {
		vals := values(items)
		all := moves(vals, opts.Problems.MaxValue)
		var good []move
		for _, m := range all {
			if reachable(combine(vals, m), p.Target, opts.Problems.MaxValue) {
				good = append(good, m)
			}
		}
		choices := all
		if len(good) > 0 && rng.float64() < opts.Skill {
			choices = good
		}
		m := choices[rng.intn(len(choices))]
		steps = append(steps, stepText(items, m))
		items = apply(items, m)
	}
	return attempt{steps: strings.Join(steps, " "), answer: answer(items[0]), value: items[0].value}
}

func repeats(tried []attempt, a attempt) bool {
	for _, t := range tried {
		if t.steps == a.steps {
			return true
		}
	}
	return false
}

// writeCompletion writes attempts in the response format: each attempt's
// steps, then "no" after a miss; after a hit, or after the last miss, the
// answer line.
func writeCompletion(tried []attempt, target int) string {
	var b strings.Builder
	for _, a := range tried {
		b.WriteString(a.steps)
		b.WriteByte(' ')
		if a.value == target {
			break
		}
		b.WriteString(FailMark)
		b.WriteByte(' ')
	}
	b.WriteString(AnswerMark)
	b.WriteString(tried[len(tried)-1].answer)
	b.WriteString(ResponseEnd)
	return b.String()
}
