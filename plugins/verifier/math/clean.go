package math

import (
	"regexp"
	"strings"
	"unicode"
)

// cleanReplacer rewrites spellings that mean the same thing into one form.
// Order matters only where one pattern is a prefix of another; the
// strings.Replacer picks the longest match at each position.
var cleanReplacer = strings.NewReplacer(
	"\x0c", `\f`, // a form feed is "\f" of a Python literal that meant \frac
	"\x08", `\b`, // likewise "\b" of \boxed, \binom
	`\\`, `\\`, // a row break stays a row break (and is not read as "\ ")
	`\left`, "", `\right`, "",
	`\bigl`, "", `\bigr`, "", `\Bigl`, "", `\Bigr`, "", `\biggl`, "", `\biggr`, "",
	`\big`, "", `\Big`, "", `\bigg`, "", `\Bigg`, "",
	`\displaystyle`, "", `\textstyle`, "",
	`\dfrac`, `\frac`, `\tfrac`, `\frac`, `\cfrac`, `\frac`,
	`\dbinom`, `\binom`, `\tbinom`, `\binom`,
	`\!`, "", `\,`, " ", `\;`, " ", `\:`, " ", `\ `, " ", `~`, " ",
	`\qquad`, " ", `\quad`, " ",
	`{,}`, ",", `,\! `, ",", `,\!`, ",",
	`\$`, "", "$", "", "€", "", "£", "",
	`\%`, "%", `\percent`, "%",
	`^{\circ}`, "°", `^\circ`, "°", `\circ`, "°", `\degree`, "°", `^{°}`, "°", `^°`, "°",
	`\mathbb{R}`, `(-\infty,\infty)`, `\mathbb R`, `(-\infty,\infty)`,
	`\varnothing`, `\{\}`, `\emptyset`, `\{\}`,
	"²", "^2", "³", "^3", `^{\prime}`, "'", `^\prime`, "'", `^{\prime\prime}`, "''",
	"≤", `\le `, "≥", `\ge `, "≠", `\ne `, "±", `\pm `, "×", `\times `, "·", `\cdot `, "÷", `\div `,
	"−", "-", "π", `\pi `, "∞", `\infty `, "√", `\sqrt`,
	"<=", `\le `, ">=", `\ge `, "!=", `\ne `,
	"\u00a0", " ",
)

// mixedNumberRE matches a mixed number written with a space: 1 1/2.
var mixedNumberRE = regexp.MustCompile(`^(\d+)\s+(\d+)/(\d+)$`)

// clean rewrites an answer string into the form the tokenizer reads: one
// spelling per operator, no sizing commands, no spacing commands, no currency
// signs and no thousands separators.
func clean(s string) string {
	s = undoubleBackslashes(s)
	s = flattenSystems(s)
	s = cleanReplacer.Replace(s)
	s = strings.TrimSpace(s)
	s = strings.TrimRight(s, `.\ `)
	s = strings.TrimLeft(s, " ")
	s = joinThousands(s)
	if m := mixedNumberRE.FindStringSubmatch(s); m != nil {
		s = m[1] + `\frac{` + m[2] + "}{" + m[3] + "}"
	}
	return s
}

// undoubleBackslashes turns "\\frac" (a LaTeX command written with an
// escaped backslash, as answers copied from JSON or Python sources often are)
// into "\frac", and leaves "\\" before anything but a letter alone: that is a
// matrix row break.
func undoubleBackslashes(s string) string {
	if !strings.Contains(s, `\\`) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+2 < len(s) && s[i+1] == '\\' && isASCIILetter(s[i+2]) {
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// systemEnvs are the environments whose rows are the equations of a system
// or the answers of a list.
var systemEnvs = []string{"cases", "aligned", "gathered", "align*", "align"}

// rowSeparators turns a system's row breaks into commas and drops its
// alignment marks.
var rowSeparators = strings.NewReplacer(`\\`, ",", "&", "")

// flattenSystems writes a system as the list of its rows: "\begin{cases} x
// = 1 \\ y = 2 \end{cases}" is "x = 1, y = 2", compared as the tuple it names
// (math-verify's reading of assignments: its tests match "(p,q)=(3,2)" with
// "(3,2)"; the Hendrycks grader compares the text).
func flattenSystems(s string) string {
	if !strings.Contains(s, `\begin{`) {
		return s
	}
	for _, env := range systemEnvs {
		begin, end := `\begin{`+env+"}", `\end{`+env+"}"
		for {
			i := strings.Index(s, begin)
			if i < 0 {
				break
			}
			j := strings.Index(s[i:], end)
			if j < 0 {
				break
			}
			body := rowSeparators.Replace(s[i+len(begin) : i+j])
			s = s[:i] + body + s[i+j+len(end):]
		}
	}
	return s
}

// joinThousands removes the separators of numbers written in groups of
// thousands ("7,425,000", and "10 000" from 10\,000) outside brackets;
// inside brackets a comma separates elements.
func joinThousands(s string) string {
	if !strings.ContainsAny(s, ", ") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	depth := 0
	for i := 0; i < len(s); {
		c := s[i]
		switch c {
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			depth--
		}
		if depth == 0 && isDigit(c) && (i == 0 || !(isDigit(s[i-1]) || s[i-1] == '.' || s[i-1] == ',' || isASCIILetter(s[i-1]) || s[i-1] == '_')) {
			end, ok := thousandsEnd(s, i)
			if ok {
				for j := i; j < end; j++ {
					if s[j] != ',' && s[j] != ' ' {
						b.WriteByte(s[j])
					}
				}
				i = end
				continue
			}
		}
		b.WriteByte(c)
		i++
	}
	return b.String()
}

// thousandsEnd reports where a number with thousands separators that starts
// at i ends, if one does.
func thousandsEnd(s string, i int) (int, bool) {
	j := i
	for j < len(s) && isDigit(s[j]) {
		j++
	}
	if j-i > 3 || s[i] == '0' {
		return 0, false // a leading group has one to three digits and no leading zero: 0,111 is 0.111
	}
	if j >= len(s) || s[j] != ',' && s[j] != ' ' {
		return 0, false
	}
	sep := s[j] // one separator throughout: 7,425,000 or 10 000 (from 10\,000)
	groups := 0
	for j+4 <= len(s) && s[j] == sep && isDigit(s[j+1]) && isDigit(s[j+2]) && isDigit(s[j+3]) && (j+4 == len(s) || !isDigit(s[j+4])) {
		j += 4
		groups++
	}
	if groups == 0 {
		return 0, false
	}
	return j, true
}

func isDigit(c byte) bool       { return c >= '0' && c <= '9' }
func isASCIILetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// canonicalText is the last-resort form of a cleaned answer for string
// comparison: without spaces and text commands.
func canonicalText(s string) string {
	var b strings.Builder
	for _, r := range s {
		if unicode.IsSpace(r) {
			continue
		}
		b.WriteRune(r)
	}
	out := b.String()
	for _, p := range []string{`\text`, `\mathrm`, `\textbf`, `\mbox`} {
		out = strings.ReplaceAll(out, p, "")
	}
	return out
}
