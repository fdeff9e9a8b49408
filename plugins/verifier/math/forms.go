package math

import (
	"regexp"
	"strconv"
	"strings"
)

// decimalCommaRE matches a number written with a decimal comma, 3,5 or
// 1000,99, once thousands separators are gone.
var decimalCommaRE = regexp.MustCompile(`^-?\d+,\d+$`)

// readings returns the readings of a cleaned answer: itself and, for a
// number written with a decimal comma, the decimal number. "3,5" is the list
// 3, 5 or the number 3.5; it equals either (math-verify reads a decimal
// comma; the Hendrycks grader compares "3,5" as the text of a list).
func readings(s string) []string {
	if strings.IndexByte(s, ',') >= 0 && decimalCommaRE.MatchString(s) {
		return []string{s, strings.Replace(s, ",", ".", 1)}
	}
	return []string{s}
}

// clockRE matches a time of day: 19:45, 19:45:00, 7:45 PM, 7:45 \text{ p.m.},
// 8 a.m.
var clockRE = regexp.MustCompile(`^(\d{1,2})(?::([0-5]\d)(?::([0-5]\d))?)?([^:]*)$`)

// meridiemCleaner strips the spelling around "am" and "pm".
var meridiemCleaner = strings.NewReplacer(`\text`, "", `\mathrm`, "", "{", "", "}", "", " ", "", ".", "")

// clockTime reads a time of day as seconds after midnight. A time without
// a.m. or p.m. and an hour of at most 12 has two readings (7:45 is 7:45 or
// 19:45); "19:45:00" is 19:45. Two answers are compared as times when both
// are times, otherwise h:mm is a ratio (ISO 8601 and the 12-hour clock;
// none of math-verify, the Hendrycks grader or the paper's grader reads
// times, and each compares them as text).
func clockTime(s string) ([]int, bool) {
	s = textContent(s)
	if s == "" || !isDigit(s[0]) || !strings.ContainsAny(s, ":mM") {
		return nil, false // most answers: no regular expression needed
	}
	m := clockRE.FindStringSubmatch(s)
	if m == nil {
		return nil, false
	}
	h, _ := strconv.Atoi(m[1])
	mm, _ := strconv.Atoi(m[2])
	sec, _ := strconv.Atoi(m[3]) // "" reads as 0
	t := h*3600 + mm*60 + sec
	switch suffix := strings.ToLower(meridiemCleaner.Replace(m[4])); suffix {
	case "":
		if m[2] == "" {
			return nil, false // a number, not a time: "8" (8 a.m. is a time)
		}
		switch {
		case h > 23:
			return nil, false
		case h >= 1 && h <= 12:
			return []int{t, (t + 12*3600) % (24 * 3600)}, true
		}
		return []int{t}, true
	case "am", "pm":
		if h < 1 || h > 12 {
			return nil, false
		}
		t -= (h / 12) * 12 * 3600 // 12:30 a.m. is 0:30
		if suffix == "pm" {
			t += 12 * 3600
		}
		return []int{t}, true
	}
	return nil, false
}

// textContent returns the argument of the text command that makes up the
// whole of s, trimmed ("\text{7:45 p.m.}" is "7:45 p.m."), or s: a time
// written as text is still a time (math-verify keeps the content of
// \text{}).
func textContent(s string) string {
	if !strings.HasPrefix(s, `\`) || s[len(s)-1] != '}' {
		return s
	}
	i := 1
	for i < len(s) && isASCIILetter(s[i]) {
		i++
	}
	if !textCommands[s[1:i]] && s[1:i] != "mathrm" {
		return s
	}
	if arg, end := bracedArg(s, i); end == len(s) {
		return strings.TrimSpace(arg)
	}
	return s
}

// sameTime reports whether two times have a reading in common.
func sameTime(a, b []int) bool {
	for _, x := range a {
		for _, y := range b {
			if x == y {
				return true
			}
		}
	}
	return false
}

// unitSymbols are the unit symbols whose difference makes two answers
// differ: 5 m is not 5 cm. Other words after a value ("apples", "units",
// "centimeters") are dropped without a check, since one unit has many names.
var unitSymbols = map[string]bool{
	"mm": true, "cm": true, "m": true, "km": true, "in": true, "ft": true, "yd": true, "mi": true,
	"mg": true, "g": true, "kg": true, "lb": true, "oz": true,
	"ms": true, "s": true, "min": true, "h": true, "hr": true,
	"ml": true, "l": true,
}

// unitsConflict reports whether both answers give units, each a known
// symbol, and the units differ. A value without a unit equals the value
// with one: the reference often leaves the unit out (the Hendrycks grader
// and math-verify drop units; forkrl drops them too, except that two
// different unit symbols are two different answers).
func unitsConflict(a, b []string) bool {
	if len(a) == 0 || len(b) == 0 || len(a) != len(b) {
		return false
	}
	for i := range a {
		if !unitSymbols[a[i]] || !unitSymbols[b[i]] {
			return false
		}
	}
	for i := range a {
		if a[i] != b[i] {
			return true
		}
	}
	return false
}
