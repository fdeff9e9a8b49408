package bpe

import (
	"unicode"
	"unicode/utf8"
)

// qwenPattern is the Split pre-tokenizer pattern of Qwen2 and Qwen3 (and
// of OpenAI's cl100k with single digits).
const qwenPattern = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`

// qwenSplitter matches qwenPattern by hand: at each position it tries the
// alternatives in the pattern's order, with the pattern's greedy and
// backtracking behaviour, over runes. Every rune is matched by one of the
// alternatives, so the pieces cover the text.
type qwenSplitter struct{}

func (qwenSplitter) split(text string, emit func(string)) {
	for i := 0; i < len(text); {
		n := qwenMatch(text[i:])
		emit(text[i : i+n])
		i += n
	}
}

// isSpace is \s of the reference's regular expressions: Unicode White_Space.
func isSpace(r rune) bool { return unicode.IsSpace(r) }

func isLetter(r rune) bool { return unicode.IsLetter(r) }
func isNumber(r rune) bool { return unicode.IsNumber(r) }

// qwenMatch returns the length in bytes of the match at the start of s (> 0).
func qwenMatch(s string) int {
	r0, w0 := utf8.DecodeRuneInString(s)

	// (?i:'s|'t|'re|'ve|'m|'ll|'d)
	if r0 == '\'' {
		if n := contraction(s[1:]); n > 0 {
			return 1 + n
		}
	}

	// [^\r\n\p{L}\p{N}]?\p{L}+
	if isLetter(r0) {
		return w0 + letters(s[w0:])
	}
	if r0 != '\r' && r0 != '\n' && !isNumber(r0) {
		if n := letters(s[w0:]); n > 0 {
			return w0 + n
		}
	}

	// \p{N}
	if isNumber(r0) {
		return w0
	}

	//  ?[^\s\p{L}\p{N}]+[\r\n]*
	start := 0
	if r0 == ' ' {
		start = 1
	}
	if n := symbols(s[start:]); n > 0 {
		end := start + n
		for end < len(s) && (s[end] == '\r' || s[end] == '\n') {
			end++
		}
		return end
	}

	// The remaining alternatives start with whitespace; r0 is whitespace here,
	// since every other rune was matched above. ws is the maximal whitespace run.
	ws, lastNewline := 0, -1
	for ws < len(s) {
		r, w := utf8.DecodeRuneInString(s[ws:])
		if !isSpace(r) {
			break
		}
		if r == '\r' || r == '\n' {
			lastNewline = ws
		}
		ws += w
	}
	if ws == 0 { // unreachable for valid input; guards against a zero-length match
		return w0
	}

	// \s*[\r\n]+ : the greedy \s* gives back until a newline follows it.
	if lastNewline >= 0 {
		return lastNewline + 1
	}

	// \s+(?!\S) : the whole run at the end of the text; otherwise all but its last rune.
	if ws == len(s) {
		return ws
	}
	_, lastW := utf8.DecodeLastRuneInString(s[:ws])
	if ws-lastW > 0 {
		return ws - lastW
	}

	// \s+
	return ws
}

// contraction matches s|t|re|ve|m|ll|d case-insensitively (with Unicode
// simple case folding: ſ folds to s, K (Kelvin) does not occur here).
func contraction(s string) int {
	r1, w1 := utf8.DecodeRuneInString(s)
	if w1 == 0 {
		return 0
	}
	f1 := fold(r1)
	switch f1 {
	case 's', 't', 'm', 'd':
		return w1
	}
	r2, w2 := utf8.DecodeRuneInString(s[w1:])
	if w2 == 0 {
		return 0
	}
	f2 := fold(r2)
	switch {
	case f1 == 'r' && f2 == 'e', f1 == 'v' && f2 == 'e', f1 == 'l' && f2 == 'l':
		return w1 + w2
	}
	return 0
}

// fold maps a rune to the lowest rune of its case-folding orbit that is
// ASCII, when there is one.
func fold(r rune) rune {
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		if f < utf8.RuneSelf && f >= 'a' && f <= 'z' {
			return f
		}
	}
	if r >= 'A' && r <= 'Z' {
		return r + 'a' - 'A'
	}
	return r
}

// letters returns the length of the run of letters at the start of s.
func letters(s string) int {
	n := 0
	for n < len(s) {
		if c := s[n]; c < utf8.RuneSelf {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
				break
			}
			n++
			continue
		}
		r, w := utf8.DecodeRuneInString(s[n:])
		if !isLetter(r) {
			break
		}
		n += w
	}
	return n
}

// symbols returns the length of the run of runes that are neither
// whitespace, letters nor numbers at the start of s.
func symbols(s string) int {
	n := 0
	for n < len(s) {
		r, w := utf8.DecodeRuneInString(s[n:])
		if isSpace(r) || isLetter(r) || isNumber(r) {
			break
		}
		n += w
	}
	return n
}
