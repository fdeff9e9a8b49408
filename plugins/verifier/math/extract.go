package math

import (
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// scanWindow is how much of the end of a text the extractors read. The
// final answer ends a response; reading a bounded window keeps a megabyte of
// text within the time bound.
const scanWindow = 16 << 10

// tail returns the last scanWindow bytes of a text, from a character start.
func tail(text string) string {
	if len(text) <= scanWindow {
		return text
	}
	i := len(text) - scanWindow
	for i < len(text) && !utf8.RuneStart(text[i]) {
		i++
	}
	return text[i:]
}

// lastBoxBefore returns the last box of a text whose command starts before
// limit (-1: anywhere). A box whose argument is missing ("\boxed" at the
// very end) does not hide an earlier one.
func lastBoxBefore(text string, limit int) (span, bool) {
	end := len(text)
	if limit >= 0 {
		end = min(limit, len(text))
	}
	for end > 0 {
		start := lastBox(text[:end])
		if start < 0 {
			return span{}, false
		}
		n := len(`\boxed`)
		if strings.HasPrefix(text[start:], `\fbox`) {
			n = len(`\fbox`)
		}
		if b, _, ok := boxAt(text, start, n); ok {
			return b, true
		}
		end = start
	}
	return span{}, false
}

// boxListRE matches what may stand between the boxes of one answer in a
// response graded by its boxes: punctuation, "and", "or", labels ("x =",
// "(b)"), math delimiters and spacing, but no other words, so that a box
// followed by a second thought ("\boxed{2}. Wait, ... \boxed{3}") is read
// by its last box alone.
var boxListRE = regexp.MustCompile(`^(?:[\s,;$]|\\[()\[\]]|\\quad|\\qquad|\\text\{\s*(?:and|or|,)?\s*\}|and|or|\\,|\\ |\([a-z]\)|[A-Za-z](?:_\{?\w+\}?)?\s*=)*$`)

// LastBoxes returns the answer of a response graded by its boxes: the last
// \boxed{} (or \fbox{}), joined with the boxes before it that only
// punctuation, "and", "or" or labels separate from it ("$x = \boxed{2}$ or
// $x = \boxed{3}$" is "2, 3"). The paper's grader and the Hendrycks grader
// take the last box; math-verify joins the boxes of a list, as here.
func LastBoxes(text string) (string, bool) {
	text = tail(text)
	last, ok := lastBoxBefore(text, -1)
	if !ok {
		return "", false
	}
	parts := []string{last.content}
	for at, ok := last, true; ok; {
		at, ok = boxJustBefore(text, at.start)
		if ok {
			parts = append(parts, at.content)
		}
	}
	if len(parts) == 1 {
		return last.content, true
	}
	slices.Reverse(parts)
	return strings.Join(parts, ", "), true
}

// boxJustBefore returns the box that ends at most joinGap bytes before
// start with only connectors (boxListRE) between. The braces in that window are
// tried from the last: the one that closes the box may come before the
// braces of a connector ("\boxed{1} \text{ and } \boxed{2}"). A response
// with one box is not searched again.
func boxJustBefore(text string, start int) (span, bool) {
	from := max(0, start-joinGap-1)
	for end := start; ; {
		k := strings.LastIndexByte(text[from:end], '}')
		if k < 0 {
			return span{}, false
		}
		k += from
		if boxListRE.MatchString(text[k+1 : start]) {
			if b, ok := lastBoxBefore(text, k); ok && b.end == k+1 {
				return b, true
			}
		}
		end = k
	}
}

// lastBox returns where the last \boxed or \fbox of s starts, or -1.
// strings.LastIndex stops at the first match from the end, which is near
// the end of a response; \fbox, rare, is then only looked for after it.
func lastBox(s string) int {
	b := strings.LastIndex(s, `\boxed`)
	if b < 0 {
		return strings.LastIndex(s, `\fbox`)
	}
	if f := strings.LastIndex(s[b:], `\fbox`); f >= 0 {
		return b + f
	}
	return b
}

// span is a piece of a text: its content and where it starts and ends.
type span struct {
	content    string
	start, end int
}

// boxes finds every \boxed{...} and \fbox{...} of a text, in order.
func boxes(text string) []span {
	var out []span
	nextFbox := strings.Index(text, `\fbox`) // absolute; -1: none left
	for i := 0; i < len(text); {
		if nextFbox >= 0 && nextFbox < i {
			if k := strings.Index(text[i:], `\fbox`); k >= 0 {
				nextFbox = i + k
			} else {
				nextFbox = -1
			}
		}
		start, n := -1, len(`\boxed`)
		if j := strings.Index(text[i:], `\boxed`); j >= 0 {
			start = i + j
		}
		if nextFbox >= 0 && (start < 0 || nextFbox < start) {
			start, n = nextFbox, len(`\fbox`)
		}
		if start < 0 {
			break
		}
		b, next, ok := boxAt(text, start, n)
		if ok {
			out = append(out, b)
		}
		i = next
	}
	return out
}

// boxAt reads the box whose command (n bytes: \boxed or \fbox) starts at
// start: its argument in braces, or \boxed 5 up to the next space, dollar
// sign or line end. It returns where reading may go on.
func boxAt(text string, start, n int) (b span, next int, ok bool) {
	p := start + n
	for p < len(text) && text[p] == ' ' {
		p++
	}
	switch {
	case p < len(text) && text[p] == '{':
		content, end := bracedArg(text, p)
		return span{content, start, end}, end, true
	case p > start+n && p < len(text):
		e := p
		for e < len(text) && !strings.ContainsRune(" $\n", rune(text[e])) {
			e++
		}
		return span{text[p:e], start, e}, e, true
	}
	return span{}, p, false
}

// answerLineRE matches DAPO's answer line.
var answerLineRE = regexp.MustCompile(`(?i)Answer\s*:\s*([^\n]+)`)

// AnswerLine returns the content of the last "Answer: ..." line of a
// response, as DAPO's grader reads it.
func AnswerLine(text string) (string, bool) {
	text = tail(text)
	m := answerLineRE.FindAllStringSubmatch(text, -1)
	if len(m) == 0 {
		return "", false
	}
	return strings.TrimSpace(m[len(m)-1][1]), true
}

// numberAt returns where the number of free text that starts at p ends, or
// -1 when none starts there. A number is a sign, then \frac{a}{b} (\dfrac,
// \tfrac) with digits, or digits with thousands separators ("7,425,000",
// "12{,}345", "1\,000"), a decimal part after a point or a comma ("2,74",
// math-verify's decimal comma; see readings) and a denominator ("3/4"), or a
// decimal part alone (".5"). It reads as numberRE in the tests, leftmost
// first: "1,2345" is 1,234 and not 1.2345.
func numberAt(s string, p int) int {
	q := p
	if q < len(s) && s[q] == '-' {
		q++
	}
	switch {
	case q < len(s) && s[q] == '\\':
		r := q + 1
		if r < len(s) && (s[r] == 'd' || s[r] == 't') {
			r++
		}
		if !strings.HasPrefix(s[r:], "frac{") {
			return -1
		}
		num := digitsEnd(s, r+5)
		if num == r+5 || !strings.HasPrefix(s[num:], "}{") {
			return -1
		}
		den := digitsEnd(s, num+2)
		if den == num+2 || den == len(s) || s[den] != '}' {
			return -1
		}
		return den + 1
	case q < len(s) && isDigit(s[q]):
		e := digitsEnd(s, q)
		if e-q <= 3 {
			for {
				n := separatorLen(s, e, true)
				if n == 0 || e+n+3 > len(s) || !isDigit(s[e+n]) || !isDigit(s[e+n+1]) || !isDigit(s[e+n+2]) {
					break
				}
				e += n + 3
			}
		}
		if n := separatorLen(s, e, false); n > 0 && e+n < len(s) && isDigit(s[e+n]) {
			e = digitsEnd(s, e+n)
		}
		if e+1 < len(s) && s[e] == '/' && isDigit(s[e+1]) {
			e = digitsEnd(s, e+1)
		}
		return e
	case q+1 < len(s) && s[q] == '.' && isDigit(s[q+1]):
		return digitsEnd(s, q+1)
	}
	return -1
}

// separatorLen returns the length of the digit-group separator at p, or 0:
// a comma or LaTeX's {,}; between thousands also LaTeX's thin space \,
// ("12{,}345", "1\,000": math-verify reads both), before a decimal part
// also a point.
func separatorLen(s string, p int, thousands bool) int {
	switch {
	case p >= len(s):
		return 0
	case s[p] == ',':
		return 1
	case strings.HasPrefix(s[p:], "{,}"):
		return 3
	case thousands && strings.HasPrefix(s[p:], `\,`):
		return 2
	case !thousands && s[p] == '.':
		return 1
	}
	return 0
}

// digitsEnd returns where the digits of s from p end.
func digitsEnd(s string, p int) int {
	for p < len(s) && isDigit(s[p]) {
		p++
	}
	return p
}

// numbers calls f with where each number of a text starts and ends, from
// the left, each search starting where the last number ended; it stops when
// f returns false.
func numbers(s string, f func(start, end int) bool) {
	for p := 0; p < len(s); p++ {
		if e := numberAt(s, p); e >= 0 {
			if !f(p, e) {
				return
			}
			p = e - 1
		}
	}
}

// LastNumber returns the last number of a text.
func LastNumber(text string) (string, bool) {
	text = tail(text)
	m := lastNumber(text)
	if m == nil {
		return "", false
	}
	return text[m[0]:m[1]], true
}

// lastNumber returns where the last number of a text starts and ends, or
// nil. It reads numbers near the last digit only: a number ends at most two
// bytes after its last digit (the brace of \frac{1}{2}) and is read from up
// to 200 bytes before it.
func lastNumber(text string) []int {
	d := strings.LastIndexAny(text, "0123456789")
	if d < 0 {
		return nil
	}
	from := max(0, d-200)
	var last []int
	numbers(text[from:min(len(text), d+2)], func(start, end int) bool {
		last = []int{from + start, from + end}
		return true
	})
	return last
}

// finalAnswerRE matches the phrases that announce an answer in free text.
var finalAnswerRE = regexp.MustCompile(`(?i)(?:####|final answer is|final answer:|the answer is|answer is|answer:|answer should be)`)

// announcesAnswer reports whether a text has a phrase of finalAnswerRE.
func announcesAnswer(s string) bool { return lastAnnouncement(s) != nil }

// lastAnnouncement returns where the last phrase of finalAnswerRE in a text
// starts and ends, as the last match of FindAllStringIndex, or nil: a text
// without "nswer", "NSWER" or "####" has none. No phrase crosses a line, so
// the last one is the last one of the last line that has one; lines without
// "####" or "wer" in any case (every other phrase holds it) are passed over.
func lastAnnouncement(s string) []int {
	if !strings.Contains(s, "nswer") && !strings.Contains(s, "NSWER") && !strings.Contains(s, "####") {
		return nil
	}
	for end := len(s); end >= 0; {
		start := strings.LastIndexByte(s[:end], '\n') + 1
		if line := s[start:end]; strings.Contains(line, "####") || hasWer(line) {
			if m := finalAnswerRE.FindAllStringIndex(line, -1); len(m) > 0 {
				last := m[len(m)-1]
				return []int{start + last[0], start + last[1]}
			}
		}
		end = start - 1
	}
	return nil
}

// hasWer reports whether s holds "wer" in any mix of cases.
func hasWer(s string) bool {
	for i := 0; i+2 < len(s); i++ {
		if s[i]|0x20 == 'w' && s[i+1]|0x20 == 'e' && s[i+2]|0x20 == 'r' {
			return true
		}
	}
	return false
}

// Extract finds the answer of a free-text response the way public
// free-form graders do: the answer after the last "final answer is" or the
// last boxed answers, whichever comes later; failing those the last math of
// the text; failing that the last number. Several boxes or math pieces
// joined only by "and", commas or spaces form one answer ("\boxed{1},
// \boxed{2}" is "1, 2"). The candidates are returned best first.
func Extract(text string) []string {
	text = tail(text)
	var cands []string
	if t := strings.TrimSpace(text); looksLikeMath(t) {
		cands = append(cands, t)
	}
	bx := boxes(text)
	boxedEnd := -1
	if len(bx) > 0 {
		boxedEnd = bx[len(bx)-1].start
	}
	if fa := lastAnnouncement(text); fa != nil && fa[0] > boxedEnd {
		if a, ok := afterPhrase(text[fa[1]:]); ok {
			cands = append(cands, a)
		}
	}
	if len(bx) > 0 {
		cands = append(cands, joinSpans(text, bx, boxConnectorRE))
	}
	ms := lastMathSpans(text)
	// The last math and the last number: whichever comes later first.
	num := lastNumber(text)
	numAfterMath := num != nil && (len(ms) == 0 || num[0] >= ms[len(ms)-1].end)
	if numAfterMath {
		cands = append(cands, text[num[0]:num[1]])
	}
	if len(ms) > 0 {
		cands = append(cands, joinSpans(text, ms, mathConnectorRE))
	}
	if num != nil && !numAfterMath {
		cands = append(cands, text[num[0]:num[1]])
	}
	return cands
}

// looksLikeMath reports whether a whole text is one short piece of
// mathematics without delimiters (\frac{10}{9}, 13/28): ASCII, no words,
// no boxes, and parsable.
func looksLikeMath(t string) bool {
	if len(t) > 200 || strings.ContainsAny(t, "$\n") || strings.Contains(t, `\boxed`) || strings.Contains(t, `\fbox`) {
		return false
	}
	for i := 0; i < len(t); i++ {
		if t[i] >= 0x80 {
			return false
		}
	}
	return mathOnly(t)
}

// mathOnly reports whether a text is mathematics without words: it parses,
// and no token is a word or stray punctuation.
func mathOnly(t string) bool {
	c := clean(t)
	toks, ok := tokenize(c)
	if !ok {
		return false
	}
	for _, tk := range toks {
		if tk.kind == tWord || tk.kind == tBad {
			return false
		}
	}
	_, ok = parse(c)
	return ok
}

// lastMathSpans finds the last math pieces of a text, in order: the last
// one and those before it that follow one another within joinGap bytes (the
// only ones joinSpans may join). A math piece is $$...$$ (backslash
// escapes inside, lines crossed), $...$ (escapes inside, within a line),
// \[...\] and \(...\) (within a line), each with a non-empty content ending
// at the first closing delimiter. It reads the text from left to right as a
// regular expression of the four forms, in that order of preference, would
// (mathRE in the tests), in one pass: the scan of a failed $...$ covers the
// dollar signs it crossed, and the next \] and \) and line end are looked
// for once.
func lastMathSpans(text string) []span {
	if !strings.Contains(text, "$") && !strings.Contains(text, `\[`) && !strings.Contains(text, `\(`) {
		return nil
	}
	var ms []span
	// A failed $...$ from i stops at q: a dollar sign between them is an
	// escaped one, whose $...$ would stop at q too, and not followed by
	// another (that one would have closed the first).
	dollarFrom := 0
	closing := [2]int{-1, -1} // the next \] and \), -2 when there is none
	newline := -1             // the next line end, len(text) when none
	for i := 0; i+1 < len(text); i++ {
		switch text[i] {
		case '$':
			if i < dollarFrom {
				continue
			}
			if text[i+1] == '$' {
				if q := scanMath(text, i+2, false); q > i+2 && q+1 < len(text) && text[q+1] == '$' && text[q] == '$' {
					ms = appendSpan(ms, span{text[i+2 : q], i, q + 2})
					i = q + 1
				}
				continue // $...$ with nothing inside does not exist
			}
			q := scanMath(text, i+1, true)
			if q > i+1 && q < len(text) && text[q] == '$' {
				ms = appendSpan(ms, span{text[i+1 : q], i, q + 1})
				i = q
				continue
			}
			dollarFrom = q
		case '\\':
			c := strings.IndexByte("[(", text[i+1])
			if c < 0 {
				continue
			}
			k := &closing[c]
			if *k != -2 && *k < i+3 {
				*k = -2
				if j := strings.Index(text[min(i+3, len(text)):], [2]string{`\]`, `\)`}[c]); j >= 0 {
					*k = i + 3 + j
				}
			}
			if *k == -2 {
				continue
			}
			if c == 1 { // \(...\) does not cross a line
				if newline < i+2 {
					newline = len(text)
					if j := strings.IndexByte(text[i+2:], '\n'); j >= 0 {
						newline = i + 2 + j
					}
				}
				if newline < *k {
					continue
				}
			}
			ms = appendSpan(ms, span{text[i+2 : *k], i, *k + 2})
			i = *k + 1
		}
	}
	return ms
}

// appendSpan appends a span to the last spans of a text, which it replaces
// when the span starts more than joinGap bytes after the last one ends.
func appendSpan(sp []span, s span) []span {
	if len(sp) > 0 && s.start-sp[len(sp)-1].end > joinGap {
		sp = sp[:0]
	}
	return append(sp, s)
}

// scanMath reads the content of $...$ (inline: within a line) or $$...$$
// from p: characters other than dollar signs and backslashes, and a
// backslash with the character after it (not a line end, inline). It
// returns where the reading stopped: at a dollar sign, at a line end
// (inline), at a backslash it could not read, or at the end of the text.
func scanMath(text string, p int, inline bool) int {
	for p < len(text) {
		switch text[p] {
		case '$':
			return p
		case '\n':
			if inline {
				return p
			}
		case '\\':
			if p+1 == len(text) || inline && text[p+1] == '\n' {
				return p
			}
			p++
		}
		p++
	}
	return p
}

// afterPhrase reads the answer that follows "the final answer is", up to the
// end of the line or of the sentence: its boxes, or the math at its end, or
// all of it when it is mathematics, or else its first number, or else all
// of it.
func afterPhrase(rest string) (string, bool) {
	if i := strings.Index(rest, "\n"); i >= 0 && strings.TrimSpace(rest[:i]) != "" {
		rest = rest[:i]
	}
	if i := strings.Index(rest, "I hope"); i >= 0 {
		rest = rest[:i]
	}
	rest = strings.TrimLeft(strings.TrimSpace(rest), ": ") // "is: 7:45 p.m."
	if b := boxes(rest); len(b) > 0 {
		return joinSpans(rest, b, boxConnectorRE), true
	}
	if ms := lastMathSpans(rest); len(ms) > 0 && strings.Trim(rest[ms[len(ms)-1].end:], ` .,;!"\`) == "" {
		return joinSpans(rest, ms, mathConnectorRE), true
	}
	if i := strings.Index(rest, ". "); i >= 0 {
		rest = rest[:i]
	}
	rest = strings.TrimRight(rest, " .")
	if looksLikeMath(rest) {
		return rest, true // "the answer is -2 and 1"
	}
	if _, ok := clockTime(clean(rest)); ok {
		return rest, true // a time of day, "7:45 p.m.", not its first number
	}
	n := ""
	numbers(rest, func(start, end int) bool {
		n = rest[start:end]
		return false
	})
	if n != "" {
		return n, true // the number the phrase announces: "is 3 hours, not 5"
	}
	return rest, rest != ""
}

// boxConnectorRE matches what may stand between two boxes of one answer:
// punctuation, spacing, words ("papers and"), labels ("y_2 =").
var boxConnectorRE = regexp.MustCompile(`^(?:[\s,;.$]|\\[()\[\]]|\\quad|\\qquad|\\text\{[^{}]{0,30}\}|[A-Za-z]+|\([a-z]\)|[A-Za-z](?:_\{?\w+\}?)?\s*=|\\,|\\ )*$`)

// mathConnectorRE matches what may stand between two math pieces of one
// answer: punctuation and "and"/"or" ("$21, 16$ or $11$").
var mathConnectorRE = regexp.MustCompile(`^(?:[\s,;]|and|or)*$`)

// joinGap is the most bytes that may stand between two spans of a text
// that joinSpans joins.
const joinGap = 40

// joinSpans joins the last spans of a text that are separated only by
// connectors, within joinGap bytes, into one comma-separated answer.
func joinSpans(text string, sp []span, connector *regexp.Regexp) string {
	k := len(sp) - 1
	for k > 0 && sp[k].start-sp[k-1].end <= joinGap && connector.MatchString(text[sp[k-1].end:sp[k].start]) {
		k--
	}
	if k == len(sp)-1 {
		return sp[k].content
	}
	parts := make([]string, 0, len(sp)-k)
	for _, s := range sp[k:] {
		parts = append(parts, s.content)
	}
	return strings.Join(parts, ", ")
}
