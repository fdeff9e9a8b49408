package math

import (
	"fmt"
	"strings"
)

// Extraction methods: where Grade looks for the answer in a response.
const (
	// ExtractBoxed takes the last \boxed{...} (or \fbox{...}).
	ExtractBoxed = "boxed"
	// ExtractAnswerLine takes the last "Answer: ..." line, as DAPO's grader.
	ExtractAnswerLine = "answer_line"
	// ExtractLastNumber takes the last number of the response.
	ExtractLastNumber = "last_number"
	// ExtractFreeText reads free text as public free-form graders do: the
	// answer after "the final answer is", the last boxes, the last math,
	// the last number (see Extract).
	ExtractFreeText = "free_text"
)

// Options configure a Grader. The zero value is not useful; start from
// DefaultOptions.
type Options struct {
	// Extract lists the extraction methods tried in order; the first that
	// finds an answer wins.
	Extract []string
	// RelTol is the relative tolerance of numeric comparison.
	RelTol float64
	// Points is the number of seeded points at which expressions with
	// variables are compared.
	Points int
	// Seed chooses the evaluation points.
	Seed uint64
	// MaxAnswerLen bounds the length of an extracted answer, in bytes;
	// longer answers get reward 0.
	MaxAnswerLen int
	// Budget bounds the comparison work per answer (evaluations and
	// element comparisons); an answer that needs more gets reward 0.
	Budget int
}

// DefaultOptions are the settings of the paper's reward: the last \boxed{}
// answer, numbers equal within a relative 1e-4 (as Qwen2.5-Math's grader).
func DefaultOptions() Options {
	return Options{
		Extract:      []string{ExtractBoxed},
		RelTol:       1e-4,
		Points:       5,
		Seed:         0x5eed,
		MaxAnswerLen: 1000,
		Budget:       4000,
	}
}

// Grader checks answers against reference answers. It is safe for
// concurrent use.
type Grader struct {
	opts Options
}

// New returns a grader with the given options. It returns an error for an
// unknown extraction method or a setting out of range.
func New(o Options) (*Grader, error) {
	if len(o.Extract) == 0 {
		return nil, fmt.Errorf("math grader: no extraction method given; use one or more of %s", strings.Join(extractNames, ", "))
	}
	for _, e := range o.Extract {
		if !validExtract(e) {
			return nil, fmt.Errorf("math grader: unknown extraction method %q; use one of %s", e, strings.Join(extractNames, ", "))
		}
	}
	if o.RelTol < 0 || o.RelTol >= 1 {
		return nil, fmt.Errorf("math grader: relative tolerance %g is out of range [0, 1)", o.RelTol)
	}
	if o.Points < 1 || o.Points > 64 {
		return nil, fmt.Errorf("math grader: points %d is out of range [1, 64]", o.Points)
	}
	if o.MaxAnswerLen < 1 || o.Budget < 1 {
		return nil, fmt.Errorf("math grader: the answer length bound and the work budget must be positive")
	}
	return &Grader{opts: o}, nil
}

var extractNames = []string{ExtractBoxed, ExtractAnswerLine, ExtractLastNumber, ExtractFreeText}

func validExtract(e string) bool {
	for _, n := range extractNames {
		if n == e {
			return true
		}
	}
	return false
}

// Result is the verdict on one response.
type Result struct {
	Correct bool
	Answer  string // the answer extracted from the response; empty when none was found
	Reason  string // why the answer is wrong or missing; empty when correct
}

// Reward is 1 for a correct answer and 0 otherwise.
func (r Result) Reward() float64 {
	if r.Correct {
		return 1
	}
	return 0
}

// Grade extracts the answer of a full model response and compares it with
// the reference answer.
func (g *Grader) Grade(response, reference string) Result {
	reference = referenceAnswer(reference, g.opts.MaxAnswerLen)
	answer, ok := g.extract(response)
	if !ok {
		return Result{Reason: "no answer found (looked for: " + strings.Join(g.opts.Extract, ", ") + ")"}
	}
	r := g.Equal(answer, reference)
	r.Answer = answer
	return r
}

func (g *Grader) extract(response string) (string, bool) {
	for _, e := range g.opts.Extract {
		var a string
		var ok bool
		switch e {
		case ExtractBoxed:
			a, ok = LastBoxes(response)
		case ExtractAnswerLine:
			a, ok = AnswerLine(response)
		case ExtractLastNumber:
			a, ok = LastNumber(response)
		case ExtractFreeText:
			if c := Extract(response); len(c) > 0 {
				a, ok = g.firstParsable(c), true
			}
		}
		if ok && strings.TrimSpace(a) != "" {
			return strings.TrimSpace(a), true
		}
	}
	return "", false
}

// firstParsable returns the first candidate that reads as mathematics or as
// a time of day, or the first candidate when none does.
func (g *Grader) firstParsable(c []string) string {
	return firstParsable(c, g.opts.MaxAnswerLen)
}

func firstParsable(c []string, maxLen int) string {
	for _, s := range c {
		if len(s) <= maxLen {
			cs := clean(s)
			if _, ok := parse(cs); ok {
				return s
			}
			if _, ok := clockTime(cs); ok {
				return s
			}
		}
	}
	return c[0]
}

// GradeExtracted reads both texts as free text (see Extract), the way
// free-form graders such as Math-Verify treat a prediction and a gold
// solution, and compares the two answers found.
func (g *Grader) GradeExtracted(pred, gold string) Result {
	pc, gc := Extract(pred), Extract(gold)
	if len(gc) == 0 {
		return Result{Reason: "no answer found in the reference"}
	}
	if len(pc) == 0 {
		return Result{Reason: "no answer found (read as free text)"}
	}
	answer := g.firstParsable(pc)
	r := g.Equal(answer, g.firstParsable(gc))
	r.Answer = answer
	return r
}

// Reference returns the answer of a reference as the grader reads it: its
// boxed answer when it has one (LastBoxes); the final answer of a whole
// solution without a box (a reference of several lines, or one that
// announces its answer: "... so the answer is $5$.", "#### 72"), read as
// free text (Extract); else the reference itself. math-verify extracts the
// gold answer as it extracts the prediction; the Hendrycks grader and the
// paper's grader take the last box of the solution.
func Reference(ref string) string { return referenceAnswer(ref, DefaultOptions().MaxAnswerLen) }

// referenceAnswer is Reference for a grader whose answers are at most
// maxLen bytes long.
func referenceAnswer(ref string, maxLen int) string {
	if b, ok := LastBoxes(ref); ok {
		return b
	}
	ref = strings.TrimSpace(ref)
	if isSolution(ref, maxLen) {
		if c := Extract(ref); len(c) > 0 {
			return firstParsable(c, maxLen)
		}
	}
	return ref
}

// isSolution reports whether a reference without a box is a whole solution
// rather than an answer: it has several lines or announces its answer, and
// does not read as mathematics (a matrix written over several lines is an
// answer).
func isSolution(ref string, maxLen int) bool {
	if !strings.Contains(ref, "\n") && !announcesAnswer(tail(ref)) {
		return false
	}
	return len(ref) > maxLen || !mathOnly(ref)
}

// Equal compares a bare answer with a bare reference answer.
func (g *Grader) Equal(answer, reference string) (r Result) {
	answer, reference = strings.TrimSpace(answer), strings.TrimSpace(reference)
	if len(answer) > g.opts.MaxAnswerLen {
		return Result{Reason: fmt.Sprintf("answer is %d bytes long, over the bound of %d", len(answer), g.opts.MaxAnswerLen)}
	}
	if len(reference) > g.opts.MaxAnswerLen {
		return Result{Reason: fmt.Sprintf("reference is %d bytes long, over the bound of %d", len(reference), g.opts.MaxAnswerLen)}
	}
	ca, cr := clean(answer), clean(reference)
	if r = g.equalClean(ca, cr, answer, reference); r.Correct {
		return r
	}
	for _, a := range readings(ca) {
		for _, b := range readings(cr) {
			if (a != ca || b != cr) && g.equalClean(a, b, answer, reference).Correct {
				return Result{Correct: true}
			}
		}
	}
	return r
}

// equalClean compares a cleaned answer with a cleaned reference; answer and
// reference are the texts as given, for the reason.
func (g *Grader) equalClean(ca, cr, answer, reference string) (r Result) {
	if ca == cr || canonicalText(ca) == canonicalText(cr) {
		return Result{Correct: true}
	}
	if ta, ok := clockTime(ca); ok {
		if tr, ok := clockTime(cr); ok {
			if sameTime(ta, tr) {
				return Result{Correct: true}
			}
			return Result{Reason: "answer " + quote(answer) + " is not the time of the reference " + quote(reference)}
		}
	}
	pa, ua, okA := parseWithUnits(ca)
	pr, ur, okR := parseWithUnits(cr)
	if !okA || !okR {
		return Result{Reason: "answer " + quote(answer) + " does not match the reference " + quote(reference) + " as text, and is not mathematics the grader can compare"}
	}
	if unitsConflict(ua, ur) {
		return Result{Reason: "answer " + quote(answer) + " is in other units than the reference " + quote(reference)}
	}
	c := &comparer{relTol: g.opts.RelTol, points: g.opts.Points, seed: g.opts.Seed, budget: g.opts.Budget, absTol: 1e-12}
	defer func() {
		if v := recover(); v != nil {
			if _, is := v.(errBudget); !is {
				panic(v)
			}
			r = Result{Reason: "comparing " + quote(answer) + " with the reference took more than the work budget"}
		}
	}()
	if c.equal(pa, pr) || c.formsOfOne(pa, pr) {
		return Result{Correct: true}
	}
	return Result{Reason: "answer " + quote(answer) + " is not equivalent to the reference " + quote(reference)}
}

func quote(s string) string {
	if len(s) > 80 {
		s = s[:77] + "..."
	}
	return fmt.Sprintf("%q", s)
}
