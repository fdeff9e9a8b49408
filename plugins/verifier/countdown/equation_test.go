package countdown

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestParseEquation(t *testing.T) {
	tests := []struct {
		text      string
		value     int64
		canonical string
	}{
		{"2+3*4", 14, "2+3*4"},
		{"(2+3)*4", 20, "(2+3)*4"},
		{"8-3-2", 3, "8-3-2"},
		{"8-(3-2)", 7, "8-(3-2)"},
		{"16/4/2", 2, "16/4/2"},
		{"16/(4/2)", 8, "16/(4/2)"},
		{"((7))", 7, "7"},
		{" 1 +\t2 ", 3, "1+2"},
		{"2*(3+4)-5", 9, "2*(3+4)-5"},
		{"0", 0, "0"},
	}
	for _, tt := range tests {
		eq, err := ParseEquation(tt.text)
		if err != nil {
			t.Errorf("ParseEquation(%q): %v", tt.text, err)
			continue
		}
		v, err := eq.Value()
		if err != nil || v != tt.value {
			t.Errorf("%q = %d, %v; want %d", tt.text, v, err, tt.value)
		}
		if s := eq.String(); s != tt.canonical {
			t.Errorf("String(%q) = %q, want %q", tt.text, s, tt.canonical)
		}
	}
}

func TestParseEquationErrors(t *testing.T) {
	tests := []struct {
		text     string
		pos      int
		msg      string
		trailing bool
	}{
		{"", 0, "empty", false},
		{"   ", 0, "empty", false},
		{"2+", 2, "ends where a number", false},
		{"(2+3", 0, "never closed", false},
		{"2+3)", 3, `unexpected ")"`, true},
		{"2 3", 2, `unexpected "3"`, true},
		{"-2+3", 0, `found "-2+3"`, false},
		{"2x3", 1, `unexpected "x3"`, true},
		{"2++3", 2, `found "+3"`, false},
		{strings.Repeat("(", 100) + "1" + strings.Repeat(")", 100), 64, "nested deeper", false},
	}
	for _, tt := range tests {
		_, err := ParseEquation(tt.text)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("ParseEquation(%q) error %v, want a *SyntaxError", tt.text, err)
			continue
		}
		if se.Pos != tt.pos || !strings.Contains(se.Msg, tt.msg) || se.Trailing != tt.trailing {
			t.Errorf("ParseEquation(%q) = %+v, want pos %d, trailing %v, message containing %q", tt.text, *se, tt.pos, tt.trailing, tt.msg)
		}
	}
}

// FuzzParseEquation checks that the parser never panics, that the canonical
// form of a parsed equation parses to the same numbers and value, and that
// Check and Roles accept any response.
func FuzzParseEquation(f *testing.F) {
	for _, s := range []string{"(25+7)-3", "2*(3+4)-5", "16/(4/2)", "7/(3-3)", "((1)", "9-", "ans:1+2\n", "1 no ans:3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		v := Check([]int{3, 7, 25}, 29, text)
		if (v.Failure == Correct) != (v.Reason == "") {
			t.Fatalf("Check(%q): failure %v with reason %q", text, v.Failure, v.Reason)
		}
		if n := len(Roles(text)); n != len(text) {
			t.Fatalf("Roles(%q) has %d entries", text, n)
		}
		eq, err := ParseEquation(text)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || se.Pos < 0 || se.Pos > len(text) {
				t.Fatalf("ParseEquation(%q): error %v", text, err)
			}
			return
		}
		again, err := ParseEquation(eq.String())
		if err != nil {
			t.Fatalf("canonical form %q of %q does not parse: %v", eq.String(), text, err)
		}
		if !slices.Equal(again.Numbers(), eq.Numbers()) {
			t.Fatalf("numbers of %q: %v, of its canonical form %q: %v", text, eq.Numbers(), eq.String(), again.Numbers())
		}
		v1, err1 := eq.Value()
		v2, err2 := again.Value()
		if v1 != v2 || (err1 == nil) != (err2 == nil) {
			t.Fatalf("value of %q: %d, %v; of its canonical form %q: %d, %v", text, v1, err1, eq.String(), v2, err2)
		}
	})
}
