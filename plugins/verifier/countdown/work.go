package countdown

import (
	"fmt"
	"strconv"
	"strings"
)

// CheckWork judges a response like Check and, when its answer is right,
// also the work before the answer: every step must combine two numbers
// that the attempt has at hand (given numbers not used yet, or results of
// its earlier steps) with the arithmetic done right, each miss must be
// marked with FailMark, and the last attempt must end at the target with
// every given number used. A right answer after unsound work fails with
// UnsoundWork, so that a policy cannot earn the reward by guessing the
// answer line while its reasoning drifts.
func CheckWork(numbers []int, target int, response string) Verdict {
	v := Check(numbers, target, response)
	if v.Failure != Correct {
		return v
	}
	work, _, _ := strings.Cut(response, AnswerMark)
	if msg := checkWork(numbers, target, work); msg != "" {
		v.Failure, v.Reason = UnsoundWork, "the work before the answer is unsound: "+msg
	}
	return v
}

// checkWork replays the attempts of the work and returns why they are
// unsound, or "" when they reach the target.
func checkWork(numbers []int, target int, work string) string {
	var pool []int // the numbers the current attempt has at hand
	reset := func() { pool = append(pool[:0], numbers...) }
	reset()
	steps := 0
	for word := range strings.FieldsSeq(work) {
		if word == FailMark {
			if steps == 0 {
				return fmt.Sprintf("%q follows no attempt", FailMark)
			}
			if len(pool) == 1 && pool[0] == target {
				return fmt.Sprintf("%q after an attempt that reached the target %d", FailMark, target)
			}
			reset()
			steps = 0
			continue
		}
		a, op, b, c, ok := readStep(word)
		if !ok {
			return fmt.Sprintf("%q is not a step like 25+7=32", word)
		}
		if len(pool) == 1 {
			return fmt.Sprintf("step %q follows an attempt that has used every number without %q", word, FailMark)
		}
		var okA, okB bool
		if pool, okA = takeOne(pool, a); !okA {
			return fmt.Sprintf("step %q uses %d, which the attempt does not have at hand", word, a)
		}
		if pool, okB = takeOne(pool, b); !okB {
			return fmt.Sprintf("step %q uses %d, which the attempt does not have at hand", word, b)
		}
		want, exact := compute(a, op, b)
		if !exact {
			return fmt.Sprintf("step %q divides with a remainder or by zero", word)
		}
		if want != c {
			return fmt.Sprintf("step %q: %d%c%d is %d", word, a, op, b, want)
		}
		pool = append(pool, c)
		steps++
	}
	switch {
	case steps == 0:
		return "no attempt before the answer"
	case len(pool) != 1:
		return fmt.Sprintf("the last attempt stops with %s still at hand", joinInts(pool))
	case pool[0] != target:
		return fmt.Sprintf("the last attempt ends at %d, not the target %d", pool[0], target)
	}
	return ""
}

// readStep reads a step "a op b=c" of non-negative integers.
func readStep(word string) (a int, op byte, b, c int, ok bool) {
	lhs, rhs, found := strings.Cut(word, "=")
	if !found {
		return 0, 0, 0, 0, false
	}
	at := strings.IndexAny(lhs, "+-*/")
	if at <= 0 {
		return 0, 0, 0, 0, false
	}
	var errA, errB, errC error
	a, errA = atoi(lhs[:at])
	b, errB = atoi(lhs[at+1:])
	c, errC = atoi(rhs)
	if errA != nil || errB != nil || errC != nil {
		return 0, 0, 0, 0, false
	}
	return a, lhs[at], b, c, true
}

// atoi reads a non-negative decimal integer of at most 9 digits.
func atoi(s string) (int, error) {
	if s == "" || len(s) > 9 || strings.TrimLeft(s, "0123456789") != "" {
		return 0, strconv.ErrSyntax
	}
	return strconv.Atoi(s)
}

// takeOne removes one copy of n from pool.
func takeOne(pool []int, n int) ([]int, bool) {
	for i, v := range pool {
		if v == n {
			return append(pool[:i], pool[i+1:]...), true
		}
	}
	return pool, false
}

// compute is a op b, for op one of + - * /; exact is false for a division by
// zero or with a remainder.
func compute(a int, op byte, b int) (v int, exact bool) {
	switch op {
	case '+':
		return a + b, true
	case '-':
		return a - b, true
	case '*':
		return a * b, true
	}
	if b == 0 || a%b != 0 {
		return 0, false
	}
	return a / b, true
}
