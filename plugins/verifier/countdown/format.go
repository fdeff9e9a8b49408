package countdown

import (
	"fmt"
	"strconv"
	"strings"
)

// Alphabet is every character that prompts and traces of the task use, in
// byte order. A character-level tokenizer built on it (the tinylm backend's
// "alphabet" setting) can encode every prompt and every trace.
const Alphabet = "\n ()*+-/0123456789:=>anos"

// The markers of the prompt and response format; see the package comment.
const (
	// TargetMark separates the numbers of a prompt from its target.
	TargetMark = ">"
	// PromptEnd ends every prompt.
	PromptEnd = ":"
	// FailMark follows an attempt whose result is not the target.
	FailMark = "no"
	// AnswerMark starts the final answer; the equation follows it.
	AnswerMark = "ans:"
	// ResponseEnd ends every response, after the answer's equation; it
	// appears nowhere else, so it can serve as a stop sequence.
	ResponseEnd = "\n"
)

// FormatPrompt writes the prompt of a problem: its numbers separated by
// spaces, TargetMark, the target and PromptEnd, e.g. "3 7 25>31:".
func FormatPrompt(numbers []int, target int) string {
	var b strings.Builder
	for i, n := range numbers {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strconv.Itoa(n))
	}
	b.WriteString(TargetMark)
	b.WriteString(strconv.Itoa(target))
	b.WriteString(PromptEnd)
	return b.String()
}

// ParsePrompt reads the numbers and the target of a prompt written by
// FormatPrompt.
func ParsePrompt(prompt string) (numbers []int, target int, err error) {
	body, ok := strings.CutSuffix(prompt, PromptEnd)
	if !ok {
		return nil, 0, fmt.Errorf("countdown prompt %q does not end with %q", prompt, PromptEnd)
	}
	list, goal, ok := strings.Cut(body, TargetMark)
	if !ok {
		return nil, 0, fmt.Errorf("countdown prompt %q has no %q before the target", prompt, TargetMark)
	}
	if target, err = parseCount(goal); err != nil {
		return nil, 0, fmt.Errorf("countdown prompt %q: target: %v", prompt, err)
	}
	for _, f := range strings.Split(list, " ") {
		n, err := parseCount(f)
		if err != nil {
			return nil, 0, fmt.Errorf("countdown prompt %q: numbers: %v", prompt, err)
		}
		numbers = append(numbers, n)
	}
	if len(numbers) < 2 {
		return nil, 0, fmt.Errorf("countdown prompt %q has fewer than 2 numbers", prompt)
	}
	return numbers, target, nil
}

// parseCount reads a positive decimal number without sign or leading zero.
func parseCount(s string) (int, error) {
	if s == "" || len(s) > maxDigits || s[0] == '0' {
		return 0, fmt.Errorf("%q is not a positive number of at most %d digits", s, maxDigits)
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%q is not a positive number of at most %d digits", s, maxDigits)
		}
	}
	n, _ := strconv.Atoi(s)
	return n, nil
}
