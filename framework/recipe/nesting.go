package recipe

import (
	"bytes"
	"fmt"

	"github.com/hashicorp/hcl/v2"
)

// MaxNesting is the deepest nesting of brackets, braces, parentheses,
// strings and template interpolations a recipe may have. The HCL parser
// descends recursively, so a deeper recipe (100,000 levels) would overflow
// the stack and kill the process; real recipes nest fewer than ten levels.
const MaxNesting = 256

// checkNesting refuses source nested deeper than MaxNesting, at the
// position where it gets too deep, before the parser sees it. It follows
// HCL's lexical structure: quoted strings and heredocs (whose brackets do
// not nest, but whose ${ } and %{ } interpolations do) and comments.
func checkNesting(filename string, src []byte) hcl.Diagnostics {
	type frame struct {
		kind   byte   // '(' '[' '{': code; '"': a quoted string; '<': a heredoc; '$': an interpolation
		marker []byte // a heredoc's closing marker
	}
	var stack []frame
	pos := hcl.Pos{Line: 1, Column: 1}
	advance := func(n int) {
		for _, c := range src[pos.Byte : pos.Byte+n] {
			if c == '\n' {
				pos.Line, pos.Column = pos.Line+1, 1
			} else if c&0xc0 != 0x80 { // count runes, not UTF-8 continuation bytes
				pos.Column++
			}
		}
		pos.Byte += n
	}
	push := func(f frame) hcl.Diagnostics {
		if len(stack) == MaxNesting {
			end := pos
			end.Byte, end.Column = end.Byte+1, end.Column+1
			return hcl.Diagnostics{{
				Severity: hcl.DiagError,
				Summary:  "Recipe nested too deeply",
				Detail:   fmt.Sprintf("The recipe nests brackets, braces, parentheses, strings or interpolations more than %d levels deep here; forkrl refuses it before parsing.", MaxNesting),
				Subject:  &hcl.Range{Filename: filename, Start: pos, End: end},
			}}
		}
		stack = append(stack, f)
		return nil
	}
	top := func() byte {
		if len(stack) == 0 {
			return 0
		}
		return stack[len(stack)-1].kind
	}
	for pos.Byte < len(src) {
		rest := src[pos.Byte:]
		c := rest[0]
		switch top() {
		case '"':
			switch {
			case c == '\\' && len(rest) > 1:
				advance(2)
				continue
			case c == '"' || c == '\n':
				stack = stack[:len(stack)-1]
			case bytes.HasPrefix(rest, []byte("$${")) || bytes.HasPrefix(rest, []byte("%%{")):
				advance(3)
				continue
			case bytes.HasPrefix(rest, []byte("${")) || bytes.HasPrefix(rest, []byte("%{")):
				if d := push(frame{kind: '$'}); d != nil {
					return d
				}
				advance(2)
				continue
			}
		case '<':
			if c == '\n' { // a heredoc ends at a line that holds only its marker
				advance(1)
				line := src[pos.Byte:]
				if i := bytes.IndexByte(line, '\n'); i >= 0 {
					line = line[:i]
				}
				if bytes.Equal(bytes.TrimSpace(line), stack[len(stack)-1].marker) {
					stack = stack[:len(stack)-1]
					advance(len(line))
				}
				continue
			}
			switch {
			case bytes.HasPrefix(rest, []byte("$${")) || bytes.HasPrefix(rest, []byte("%%{")):
				advance(3)
				continue
			case bytes.HasPrefix(rest, []byte("${")) || bytes.HasPrefix(rest, []byte("%{")):
				if d := push(frame{kind: '$'}); d != nil {
					return d
				}
				advance(2)
				continue
			}
		default: // code, at the top level or inside brackets or an interpolation
			switch {
			case c == '#' || bytes.HasPrefix(rest, []byte("//")):
				n := bytes.IndexByte(rest, '\n')
				if n < 0 {
					n = len(rest)
				}
				advance(n)
				continue
			case bytes.HasPrefix(rest, []byte("/*")):
				n := bytes.Index(rest[2:], []byte("*/"))
				if n < 0 {
					n = len(rest) - 4
				}
				advance(n + 4)
				continue
			case bytes.HasPrefix(rest, []byte("<<")):
				if marker, n := heredocMarker(rest); marker != nil {
					if d := push(frame{kind: '<', marker: marker}); d != nil {
						return d
					}
					advance(n)
					continue
				}
			case c == '"' || c == '(' || c == '[' || c == '{':
				if d := push(frame{kind: c}); d != nil {
					return d
				}
			case c == ')' || c == ']' || c == '}':
				if len(stack) > 0 {
					stack = stack[:len(stack)-1]
				}
			}
		}
		advance(1)
	}
	return nil
}

// heredocMarker reads the opening of a heredoc, <<EOT or <<-EOT up to the
// end of its line, and returns its marker and length; nil when src does not
// open one.
func heredocMarker(src []byte) ([]byte, int) {
	i := 2
	if i < len(src) && src[i] == '-' {
		i++
	}
	start := i
	for i < len(src) && (src[i] == '_' || src[i] == '-' || src[i] >= 'a' && src[i] <= 'z' || src[i] >= 'A' && src[i] <= 'Z' || src[i] >= '0' && src[i] <= '9') {
		i++
	}
	if i == start || i >= len(src) || src[i] != '\n' {
		return nil, 0
	}
	return src[start:i], i
}
