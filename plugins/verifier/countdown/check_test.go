package countdown

import (
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	numbers, target := []int{3, 7, 25}, 29
	tests := []struct {
		name     string
		response string
		failure  Failure
		answer   string // canonical answer, when one parses
		reason   string // a piece of the reason
	}{
		{"valid", "25+7=32 32-3=29 ans:(25+7)-3\n", Correct, "25+7-3", ""},
		{"valid without newline", "ans:(25+7)-3", Correct, "25+7-3", ""},
		{"valid with spaces and trailing blank", "ans: ( 25 + 7 ) - 3 \n\n", Correct, "25+7-3", ""},
		{"valid in another order", "ans:7-3+25\n", Correct, "7-3+25", ""},
		{"wrong value", "ans:(25-7)+3\n", WrongValue, "25-7+3", "= 21, not the target 29"},
		{"number reused", "ans:25+7-3+7-7\n", NumberReused, "25+7-3+7-7", "uses 7 3 times but it is given once"},
		{"number missing", "ans:25+7\n", NumberMissing, "25+7", "does not use 3"},
		{"number not given", "ans:25+7-3+1-1\n", NumberNotGiven, "25+7-3+1-1", "uses 1, which is not one of the numbers 3 7 25"},
		{"unparsable", "ans:(25+7-3\n", Syntax, "", "'(' is never closed"},
		{"unparsable operator", "ans:25+-7\n", Syntax, "", `expected a number or '(' but found "-7"`},
		{"empty answer", "ans:\n", Syntax, "", "the equation is empty"},
		{"leading zero", "ans:25+07-3\n", Syntax, "", "leading zero"},
		{"no answer", "25+7=32 32-3=29 no\n", NoAnswer, "", `no "ans:"`},
		{"extra text after the equation", "ans:(25+7)-3 yes\n", ExtraText, "", `unexpected "yes" after the equation`},
		{"equals sign after the equation", "ans:(25+7)-3=29\n", ExtraText, "", `unexpected "=29"`},
		{"extra line after the answer", "ans:(25+7)-3\n7*3=21\n", ExtraText, "", `text after the answer line: "7*3=21"`},
		{"second answer", "ans:(25+7)-3\nans:25+7-3\n", ExtraText, "", "text after the answer line"},
		{"inexact division", "ans:25/3+7\n", InexactDivision, "25/3+7", "25/3 is not a whole number"},
		{"too many digits", "ans:1234567890\n", Syntax, "", "more than 9 digits"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := Check(numbers, target, tt.response)
			if v.Failure != tt.failure {
				t.Fatalf("Check(%q) = %v (%s), want %v", tt.response, v.Failure, v.Reason, tt.failure)
			}
			if v.Answer != tt.answer {
				t.Errorf("answer %q, want %q", v.Answer, tt.answer)
			}
			if !strings.Contains(v.Reason, tt.reason) {
				t.Errorf("reason %q does not contain %q", v.Reason, tt.reason)
			}
			if (v.Reason == "") != (tt.failure == Correct) {
				t.Errorf("reason %q for failure %v", v.Reason, v.Failure)
			}
			if want := map[bool]float64{true: 1, false: 0}[tt.failure == Correct]; v.Reward(true) != want {
				t.Errorf("reward %g, want %g", v.Reward(true), want)
			}
			if want := map[bool]float64{true: 1, false: 0}[tt.failure == Correct || tt.failure == UnsoundWork]; v.Reward(false) != want {
				t.Errorf("reward without the work check %g, want %g", v.Reward(false), want)
			}
		})
	}
}

func TestCheckArithmeticFailures(t *testing.T) {
	tests := []struct {
		name     string
		numbers  []int
		target   int
		response string
		failure  Failure
		reason   string
	}{
		{"division by zero", []int{3, 3, 7}, 7, "ans:7/(3-3)\n", DivisionByZero, "7/0 divides by zero"},
		{"overflow", []int{999999999, 999999999, 999999999}, 1, "ans:999999999*999999999*999999999\n", Overflow, "does not fit in 64 bits"},
		{"repeated number used twice", []int{5, 5, 2}, 12, "ans:5+5+2\n", Correct, ""},
		{"repeated number used once", []int{5, 5, 2}, 7, "ans:5+2\n", NumberMissing, "does not use 5"},
		{"repeated number reused", []int{5, 5, 2}, 17, "ans:5+5+5+2\n", NumberReused, "uses 5 3 times but it is given twice"},
		{"negative intermediate allowed", []int{3, 7, 25}, 21, "ans:3-7+25\n", Correct, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := Check(tt.numbers, tt.target, tt.response)
			if v.Failure != tt.failure || !strings.Contains(v.Reason, tt.reason) {
				t.Fatalf("Check(%v, %d, %q) = %v %q, want %v containing %q", tt.numbers, tt.target, tt.response, v.Failure, v.Reason, tt.failure, tt.reason)
			}
		})
	}
}

func TestPrompt(t *testing.T) {
	p := FormatPrompt([]int{3, 7, 25}, 31)
	if p != "3 7 25>31:" {
		t.Fatalf("FormatPrompt = %q", p)
	}
	numbers, target, err := ParsePrompt(p)
	if err != nil || target != 31 || len(numbers) != 3 || numbers[0] != 3 || numbers[1] != 7 || numbers[2] != 25 {
		t.Fatalf("ParsePrompt(%q) = %v, %d, %v", p, numbers, target, err)
	}
	bad := []struct{ prompt, msg string }{
		{"3 7 25>31", `does not end with ":"`},
		{"3 7 25 31:", `has no ">"`},
		{"3 7 25>:", "target"},
		{"3  7 25>31:", "numbers"},
		{"3 x 25>31:", "numbers"},
		{"3 07>31:", "numbers"},
		{"3>31:", "fewer than 2 numbers"},
		{"", "does not end"},
	}
	for _, tt := range bad {
		if _, _, err := ParsePrompt(tt.prompt); err == nil || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("ParsePrompt(%q) error %v, want one containing %q", tt.prompt, err, tt.msg)
		}
	}
}

func TestFailureString(t *testing.T) {
	for f := Correct; f <= WrongValue; f++ {
		if s := f.String(); s == "" || strings.HasPrefix(s, "Failure(") {
			t.Errorf("failure %d has no name", int(f))
		}
	}
	if s := Failure(99).String(); s != "Failure(99)" {
		t.Errorf("Failure(99).String() = %q", s)
	}
}
