package countdown

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/forkrl/forkrl/framework/pluginapi/verifier"
)

// Failure classifies why a response earns no reward.
type Failure int

// The failures, in the order Check looks for them.
const (
	Correct         Failure = iota // not a failure: the answer is right
	NoAnswer                       // the response has no AnswerMark
	Syntax                         // the answer is not an equation
	ExtraText                      // text follows the equation
	NumberNotGiven                 // the equation uses a number the problem does not give
	NumberReused                   // it uses a given number more often than given
	NumberMissing                  // it leaves a given number out
	DivisionByZero                 // it divides by zero
	InexactDivision                // it divides with a remainder
	Overflow                       // its value does not fit in 64 bits
	WrongValue                     // it evaluates to another number than the target
	UnsoundWork                    // the answer is right but the work before it is not (CheckWork only)
)

// failureNames are the verdicts the verifier reports (Result.Verdict).
var failureNames = [...]string{
	Correct:         verifier.VerdictCorrect,
	NoAnswer:        verifier.VerdictNoAnswer,
	Syntax:          verifier.VerdictUnparsable,
	ExtraText:       "extra_text",
	NumberNotGiven:  "number_not_given",
	NumberReused:    "number_reused",
	NumberMissing:   "number_missing",
	DivisionByZero:  "division_by_zero",
	InexactDivision: "inexact_division",
	Overflow:        "overflow",
	WrongValue:      "wrong_value",
	UnsoundWork:     "unsound_work",
}

// String names the failure as the verifier's verdict does, in snake_case.
func (f Failure) String() string {
	if f < 0 || int(f) >= len(failureNames) {
		return "Failure(" + strconv.Itoa(int(f)) + ")"
	}
	return failureNames[f]
}

// Verdict is the judgement of one response.
type Verdict struct {
	Failure Failure // Correct when the answer is right
	Answer  string  // the parsed equation in canonical form; empty when none parsed
	Value   int64   // its value, when it has one
	Reason  string  // why it earns no reward; empty when correct
}

// Reward is 1 for a correct answer and 0 otherwise; with checkWork false a
// right answer after unsound work earns 1 too (the answer line alone is
// rewarded).
func (v Verdict) Reward(checkWork bool) float64 {
	if v.Failure == Correct || v.Failure == UnsoundWork && !checkWork {
		return 1
	}
	return 0
}

// Check judges a response to the problem with the given numbers and target.
// The answer is the text after the first AnswerMark, up to ResponseEnd; only
// white space may follow it. It is correct when it uses each given number
// exactly once (as a multiset: a number given twice is used twice) and
// evaluates to the target with +, -, * and exact /.
func Check(numbers []int, target int, response string) Verdict {
	at := strings.Index(response, AnswerMark)
	if at < 0 {
		return Verdict{Failure: NoAnswer, Reason: fmt.Sprintf("the response has no %q followed by the final equation", AnswerMark)}
	}
	line, rest, _ := strings.Cut(response[at+len(AnswerMark):], ResponseEnd)
	if strings.TrimSpace(rest) != "" {
		return Verdict{Failure: ExtraText, Reason: fmt.Sprintf("text after the answer line: %s", describe(strings.TrimSpace(rest)))}
	}
	eq, err := ParseEquation(line)
	if err != nil {
		var se *SyntaxError
		if errors.As(err, &se) && se.Trailing {
			return Verdict{Failure: ExtraText, Reason: fmt.Sprintf("answer %q: %v", line, err)}
		}
		return Verdict{Failure: Syntax, Reason: fmt.Sprintf("answer %q is not an equation: %v", line, err)}
	}
	v := Verdict{Answer: eq.String()}
	if v.Failure, v.Reason = checkNumbers(numbers, eq.Numbers()); v.Failure != Correct {
		return v
	}
	value, err := eq.Value()
	if err != nil {
		var ee *EvalError
		errors.As(err, &ee)
		v.Failure, v.Reason = ee.Failure, ee.Msg
		return v
	}
	v.Value = value
	if value != int64(target) {
		v.Failure, v.Reason = WrongValue, fmt.Sprintf("%s = %d, not the target %d", v.Answer, value, target)
	}
	return v
}

// checkNumbers compares the numbers an equation uses with those given.
func checkNumbers(given []int, used []int64) (Failure, string) {
	left := map[int64]int{}
	for _, n := range given {
		left[int64(n)]++
	}
	count := map[int64]int{}
	for _, n := range used {
		count[n]++
	}
	for _, n := range used {
		if _, ok := left[n]; !ok {
			return NumberNotGiven, fmt.Sprintf("uses %d, which is not one of the numbers %s", n, joinInts(given))
		}
	}
	for _, n := range used {
		if count[n] > left[n] {
			return NumberReused, fmt.Sprintf("uses %d %s but it is given %s", n, times(count[n]), times(left[n]))
		}
	}
	var missing []int
	for _, n := range given {
		if count[int64(n)] < left[int64(n)] {
			missing = append(missing, n)
			count[int64(n)]++ // report each missing copy once
		}
	}
	if len(missing) > 0 {
		sort.Ints(missing)
		return NumberMissing, fmt.Sprintf("does not use %s", joinInts(missing))
	}
	return Correct, ""
}

func times(n int) string {
	switch n {
	case 1:
		return "once"
	case 2:
		return "twice"
	}
	return strconv.Itoa(n) + " times"
}

func joinInts(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, " ")
}
