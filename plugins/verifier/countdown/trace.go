package countdown

import (
	"fmt"
	"math"
	"slices"
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
	// attempts. Default 126: a model with a context of 128 tokens then has
	// room for a <bos> before the prompt and an <eos> after the completion.
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
		o.MaxLen = 126
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
	// Entropies holds, for each character of Completion, the entropy in
	// nats of the policy's distribution over that character given the
	// ones before it: what a model that imitated the policy perfectly
	// would show. It leaves out the redraw of repeated attempts and the cut
	// to MaxLen, which shift the distribution of later attempts a little.
	Entropies []float32
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
	steps     string    // the steps separated by spaces, e.g. "25+7=32 32-3=29"
	entropies []float64 // the policy's entropy at each character of steps
	answer    string    // the equation of the final value, e.g. "(25+7)-3"
	value     int
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
	first := firstChars(p, opts)
	for m := len(tried); m >= 1; m-- {
		completion, entropies := writeCompletion(tried[:m], p.Target, first, opts.MaxAttempts)
		if len(p.Prompt)+len(completion) <= opts.MaxLen {
			return Example{
				Problem:    p,
				Prompt:     p.Prompt,
				Completion: completion,
				Solved:     tried[m-1].value == p.Target,
				Attempts:   m,
				Entropies:  entropies,
			}, true
		}
	}
	return Example{}, false
}

// choices lists the moves allowed on items with the policy's probability of
// each: Skill spread evenly over the moves that keep the target reachable
// (when there are any), the rest evenly over all moves.
func choices(items []item, target int, opts TraceOptions) (all []move, probs []float64, good []bool) {
	vals := values(items)
	all = moves(vals, opts.Problems.MaxValue)
	good = make([]bool, len(all))
	nGood := 0
	for k, m := range all {
		if reachable(combine(vals, m), target, opts.Problems.MaxValue) {
			good[k] = true
			nGood++
		}
	}
	probs = make([]float64, len(all))
	for k := range all {
		switch {
		case nGood == 0:
			probs[k] = 1 / float64(len(all))
		case good[k]:
			probs[k] = (1-opts.Skill)/float64(len(all)) + opts.Skill/float64(nGood)
		default:
			probs[k] = (1 - opts.Skill) / float64(len(all))
		}
	}
	return all, probs, good
}

// charEntropies returns the entropy of each character of chosen, one of
// texts drawn with probabilities probs, given the characters before it.
func charEntropies(texts []string, probs []float64, chosen string) []float64 {
	out := make([]float64, len(chosen))
	for i := range chosen {
		next := map[byte]float64{}
		for k, t := range texts {
			if len(t) > i && t[:i] == chosen[:i] {
				next[t[i]] += probs[k]
			}
		}
		out[i] = entropy(next)
	}
	return out
}

// entropy of a distribution given by unnormalised weights, in nats.
func entropy(weights map[byte]float64) float64 {
	keys := make([]byte, 0, len(weights))
	total := 0.0
	for c, w := range weights {
		keys = append(keys, c)
		total += w
	}
	slices.Sort(keys) // a fixed order of summation
	h := 0.0
	for _, c := range keys {
		if p := weights[c] / total; p > 0 {
			h -= p * math.Log(p)
		}
	}
	return h
}

// firstChars is the policy's distribution of the first character of an
// attempt.
func firstChars(p Problem, opts TraceOptions) map[byte]float64 {
	items := leaves(p.Numbers)
	all, probs, _ := choices(items, p.Target, opts)
	out := map[byte]float64{}
	for k, m := range all {
		out[stepText(items, m)[0]] += probs[k]
	}
	return out
}

// goOnEntropy is the entropy of the character after the miss of attempt
// number done (from 1): the answer mark when the patience was done, the
// first character of a new attempt otherwise.
func goOnEntropy(done, maxAttempts int, first map[byte]float64) float64 {
	stop := 1 / float64(maxAttempts-done+1) // P(patience = done | patience >= done)
	mix := map[byte]float64{AnswerMark[0]: stop}
	for c, w := range first {
		mix[c] += (1 - stop) * w
	}
	return entropy(mix)
}

// search makes one attempt on a problem.
func search(p Problem, rng *stream, opts TraceOptions) attempt {
	items := leaves(p.Numbers)
	var a attempt
	for len(items) > 1 {
		all, probs, good := choices(items, p.Target, opts)
		var pick []move
		for k, m := range all {
			if good[k] {
				pick = append(pick, m)
			}
		}
		if len(pick) == 0 || rng.float64() >= opts.Skill {
			pick = all
		}
		m := pick[rng.intn(len(pick))]
		texts := make([]string, len(all))
		for k, o := range all {
			texts[k] = stepText(items, o)
		}
		text := stepText(items, m)
		if a.steps != "" {
			a.steps += " "
			a.entropies = append(a.entropies, 0)
		}
		a.steps += text
		a.entropies = append(a.entropies, charEntropies(texts, probs, text)...)
		items = apply(items, m)
	}
	a.answer, a.value = answer(items[0]), items[0].value
	return a
}

func repeats(tried []attempt, a attempt) bool {
	for _, t := range tried {
		if t.steps == a.steps {
			return true
		}
	}
	return false
}

// writeCompletion writes attempts in the response format, with the
// policy's entropy at each character: each attempt's steps, then "no" after
// a miss; after a hit, or after the last miss, the answer line. Only the
// choices of steps and the character after each "no " carry entropy.
func writeCompletion(tried []attempt, target int, first map[byte]float64, maxAttempts int) (string, []float32) {
	var b strings.Builder
	var hs []float32
	determined := func(s string) {
		b.WriteString(s)
		for range s {
			hs = append(hs, 0)
		}
	}
	goOn := -1.0 // the entropy of the next character after a miss, if any
	for k, a := range tried {
		b.WriteString(a.steps)
		for _, h := range a.entropies {
			hs = append(hs, float32(h))
		}
		if goOn >= 0 {
			hs[len(hs)-len(a.entropies)] = float32(goOn)
		}
		determined(" ")
		if a.value == target {
			goOn = -1
			break
		}
		determined(FailMark + " ")
		goOn = goOnEntropy(k+1, maxAttempts, first)
	}
	determined(AnswerMark + tried[len(tried)-1].answer + ResponseEnd)
	if goOn >= 0 {
		hs[len(hs)-len(AnswerMark+tried[len(tried)-1].answer+ResponseEnd)] = float32(goOn)
	}
	return b.String(), hs
}
