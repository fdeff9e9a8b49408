package math

import (
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// mathRE is the regular expression that lastMathSpans reads as, leftmost
// first: $$...$$, $...$, \[...\], \(...\); inline math does not cross a line.
var mathRE = regexp.MustCompile(`(?s:\$\$((?:[^$\\]|\\.)+?)\$\$)|\$((?:[^$\n\\]|\\[^\n])+?)\$|(?s:\\\[(.+?)\\\])|\\\(([^\n]+?)\\\)`)

// lastMathSpansRE is lastMathSpans by mathRE.
func lastMathSpansRE(text string) []span {
	var ms []span
	for _, m := range mathRE.FindAllStringSubmatchIndex(text, -1) {
		for g := 2; g < len(m); g += 2 {
			if m[g] >= 0 {
				ms = append(ms, span{text[m[g]:m[g+1]], m[0], m[1]})
				break
			}
		}
	}
	k := len(ms) - 1
	for k > 0 && ms[k].start-ms[k-1].end <= joinGap {
		k--
	}
	return ms[max(k, 0):]
}

// mathSpanTexts are texts whose math is hard to delimit: escapes, empty and
// unclosed delimiters, delimiters across lines, nested forms.
var mathSpanTexts = []string{
	"", "$", "$$", "$$$", "$$$$", "$a$", "$$a$$", "$$a$", "$a$$", "$$$a$$$", `\$a$`, `$a\$b$`, `$a\$`, `$$a\$$`, `$$a\$$$`,
	`$\\$`, `$a\`, "$a\\\n$", "$a\nb$", "$$a\nb$$", "$$a\\\n$$", `\[x\]`, `\[\]\]`, "\\[x\ny\\]", `\(x\)`, "\\(x\ny\\)",
	`\(\)\)`, `\[`, `\(`, `\[x`, `\(x`, `$\[x\]$`, `\[$x$\]`, `$x$ and \(y\) then \[z\] and $$w$$`, `\(a\) \(b\n\) \(c\)`,
	"$a$\n$b", `\$\$\$`, `$\$$$`, `$$\$$\$$`, "$x$ é $y$", "\\(é\\)", "$\xff$", "$\\\xff$", `\\[x\]`, `$$$x$`, "\\(\n\\)\\)",
}

// TestMathSpansReadAsTheRegexp checks lastMathSpans against mathRE on texts
// built to be hard and on every text of the shipped and held-out sets.
func TestMathSpansReadAsTheRegexp(t *testing.T) {
	texts := slices.Clone(mathSpanTexts)
	for _, f := range []string{filepath.Join(dataDir, "equivalence", "cases.jsonl"), filepath.Join("testdata", "heldout", "equivalence.jsonl")} {
		for _, c := range readJSONL[equivalenceCase](t, f) {
			texts = append(texts, c.Pred, c.Gold)
		}
	}
	for _, f := range []string{"qwen25-math-cot-100.jsonl", "nemo-skills-math-rs012.jsonl"} {
		for _, r := range readJSONL[gradedOutput](t, filepath.Join(dataDir, "graded-outputs", f)) {
			texts = append(texts, r.Response, r.Gold)
		}
	}
	for _, s := range texts {
		if got, want := lastMathSpans(s), lastMathSpansRE(s); !slices.Equal(got, want) {
			t.Errorf("lastMathSpans(%q) = %+v, the regexp reads %+v", clip(s), got, want)
		}
	}
}

// FuzzMathSpans checks lastMathSpans against mathRE on arbitrary texts made of
// the bytes that matter to it.
func FuzzMathSpans(f *testing.F) {
	for _, s := range mathSpanTexts {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := lastMathSpans(s), lastMathSpansRE(s); !slices.Equal(got, want) {
			t.Errorf("lastMathSpans(%q) = %+v, the regexp reads %+v", s, got, want)
		}
	})
}

// TestMathSpansLinear times lastMathSpans on texts, 16 times the window the
// extractors read, that would make a scan that starts again at each
// delimiter quadratic.
func TestMathSpansLinear(t *testing.T) {
	const n = 16 * scanWindow
	for name, s := range map[string]string{
		"escaped dollars":   "$" + strings.Repeat(`\$`, n/2) + "\n",
		"open display math": "$$" + strings.Repeat(`a\$`, n/3),
		"display and text":  strings.Repeat("$$a", n/3),
		"open brackets":     strings.Repeat(`\[`, n/2),
		"open parentheses":  strings.Repeat(`\(`, n/2) + `\)`,
		"lines of dollars":  strings.Repeat("$a\\$\n", n/5),
	} {
		best(t, name, func() { lastMathSpans(s) })
	}
}

// lastAnnouncementRE is lastAnnouncement by finalAnswerRE on the whole text.
func lastAnnouncementRE(s string) []int {
	if !strings.Contains(s, "nswer") && !strings.Contains(s, "NSWER") && !strings.Contains(s, "####") {
		return nil
	}
	m := finalAnswerRE.FindAllStringIndex(s, -1)
	if len(m) == 0 {
		return nil
	}
	return m[len(m)-1]
}

// FuzzLastAnnouncement checks lastAnnouncement, which reads a text line by
// line from the end, against finalAnswerRE on the whole text.
func FuzzLastAnnouncement(f *testing.F) {
	for _, s := range []string{"", "answer: 5", "The final answer is 3\nso the answer is 4", "#####\n####", "ANSWER IS\nfinal answer:",
		"final answer is answer is", "the answer\nis 5", "Answer should be", "anſwer is", "answer:\n", "\nanswer:"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := lastAnnouncement(s), lastAnnouncementRE(s); !slices.Equal(got, want) {
			t.Errorf("lastAnnouncement(%q) = %v, finalAnswerRE reads %v", s, got, want)
		}
	})
}

// numberRE is the regular expression numberAt reads as, leftmost first.
var numberRE = regexp.MustCompile(`-?\\[dt]?frac\{\d+\}\{\d+\}|-?(?:\d{1,3}(?:(?:,|\{,\}|\\,)\d{3})+|\d+)(?:(?:[.,]|\{,\})\d+)?(?:/\d+)?|-?\.\d+`)

// numbersOf lists the numbers of a text as numbers reads them.
func numbersOf(s string) [][]int {
	var out [][]int
	numbers(s, func(start, end int) bool {
		out = append(out, []int{start, end})
		return true
	})
	return out
}

// numberTexts are texts whose numbers are hard to delimit.
var numberTexts = []string{
	"", "1", "-", "-1", "--1", "1,234", "1,2345", "12,345,678", "1234,567", "1,234,45", "1,234.5", "1.5.6", "1,", "1.", ".5", "-.5", "-.",
	"1/2", "1/", "1/2/3", "3.5/4", `\frac{1}{2}`, `-\dfrac{12}{34}`, `\tfrac{1}{}`, `\frac{1}{2`, `\frac{a}{2}`, `\xfrac{1}{2}`, `\dtfrac{1}{2}`,
	`-\frac{1}{2}3`, "x=-4, y=3.25", "1,000,00", "12,3456", "0,111", "7,425,000 and 2,74", "1e5", "٣", "1\u00a0000", `\\frac{1}{2}`,
	"12{,}345", "1\\,000", "1\\,00", "1{,}00", "3{,}5", "1234{,}567", "1{,}234\\,567.5", "1\\,234{,}5", "1{,", "1\\,", "{,}5", "1{,}234{,}", "1\\;000",
}

// TestNumbersReadAsTheRegexp checks numbers against numberRE on texts built
// to be hard and on every text of the shipped sets.
func TestNumbersReadAsTheRegexp(t *testing.T) {
	texts := slices.Clone(numberTexts)
	for _, c := range readJSONL[equivalenceCase](t, filepath.Join(dataDir, "equivalence", "cases.jsonl")) {
		texts = append(texts, c.Pred, c.Gold)
	}
	for _, f := range []string{"qwen25-math-cot-100.jsonl", "nemo-skills-math-rs012.jsonl"} {
		for _, r := range readJSONL[gradedOutput](t, filepath.Join(dataDir, "graded-outputs", f)) {
			texts = append(texts, r.Response, r.Gold)
		}
	}
	for _, s := range texts {
		if got, want := numbersOf(s), numberRE.FindAllStringIndex(s, -1); !slices.EqualFunc(got, want, slices.Equal) {
			t.Errorf("numbers(%q) = %v, the regexp reads %v", clip(s), got, want)
		}
	}
}

// FuzzNumbers checks numbers against numberRE on arbitrary texts.
func FuzzNumbers(f *testing.F) {
	for _, s := range numberTexts {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := numbersOf(s), numberRE.FindAllStringIndex(s, -1); !slices.EqualFunc(got, want, slices.Equal) {
			t.Errorf("numbers(%q) = %v, the regexp reads %v", s, got, want)
		}
	})
}
