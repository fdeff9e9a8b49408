package countdown

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// maxDigits bounds the length of one number in an equation, so that every
// number fits an int64 with room for the arithmetic checks.
const maxDigits = 9

// Equation is a parsed arithmetic expression over non-negative integers with
// + - * / and parentheses, using the usual precedence (* and / before + and
// -, left to right within a level).
type Equation struct {
	root *node
	text string
}

// node is one operand or operation of an equation.
type node struct {
	op          byte  // 0 for a number, else one of + - * /
	value       int64 // the number, when op == 0
	left, right *node
	pos         int // byte offset of the number or operator in the text
}

// SyntaxError is an equation that cannot be parsed.
type SyntaxError struct {
	Pos      int    // byte offset in the equation text
	Msg      string // what is wrong there
	Trailing bool   // the text before Pos is a complete equation: what follows is extra
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("column %d: %s", e.Pos+1, e.Msg)
}

// ParseEquation parses an equation such as "(25+7)-3". Spaces between
// tokens are allowed; anything else that is not part of the expression,
// including text after it, is a *SyntaxError.
func ParseEquation(text string) (*Equation, error) {
	p := &parser{text: text}
	p.skipSpace()
	if p.pos == len(text) {
		return nil, &SyntaxError{Pos: 0, Msg: "the equation is empty"}
	}
	root, err := p.expr(0)
	if err != nil {
		return nil, err
	}
	if p.pos < len(text) {
		return nil, &SyntaxError{Pos: p.pos, Msg: fmt.Sprintf("unexpected %s after the equation", describe(text[p.pos:])), Trailing: true}
	}
	return &Equation{root: root, text: text}, nil
}

// maxNesting bounds the depth of parentheses, so that hostile input cannot
// exhaust the stack.
const maxNesting = 64

type parser struct {
	text string
	pos  int
}

func (p *parser) skipSpace() {
	for p.pos < len(p.text) && (p.text[p.pos] == ' ' || p.text[p.pos] == '\t') {
		p.pos++
	}
}

// expr := term (('+' | '-') term)*
func (p *parser) expr(depth int) (*node, error) {
	left, err := p.term(depth)
	if err != nil {
		return nil, err
	}
	for p.pos < len(p.text) && (p.text[p.pos] == '+' || p.text[p.pos] == '-') {
		n := &node{op: p.text[p.pos], pos: p.pos, left: left}
		p.pos++
		p.skipSpace()
		if n.right, err = p.term(depth); err != nil {
			return nil, err
		}
		left = n
	}
	return left, nil
}

// term := factor (('*' | '/') factor)*
func (p *parser) term(depth int) (*node, error) {
	left, err := p.factor(depth)
	if err != nil {
		return nil, err
	}
	for p.pos < len(p.text) && (p.text[p.pos] == '*' || p.text[p.pos] == '/') {
		n := &node{op: p.text[p.pos], pos: p.pos, left: left}
		p.pos++
		p.skipSpace()
		if n.right, err = p.factor(depth); err != nil {
			return nil, err
		}
		left = n
	}
	return left, nil
}

// factor := number | '(' expr ')'
func (p *parser) factor(depth int) (*node, error) {
	if p.pos == len(p.text) {
		return nil, &SyntaxError{Pos: p.pos, Msg: "the equation ends where a number or '(' was expected"}
	}
	c := p.text[p.pos]
	switch {
	case c == '(':
		if depth == maxNesting {
			return nil, &SyntaxError{Pos: p.pos, Msg: fmt.Sprintf("parentheses nested deeper than %d", maxNesting)}
		}
		open := p.pos
		p.pos++
		p.skipSpace()
		inner, err := p.expr(depth + 1)
		if err != nil {
			return nil, err
		}
		if p.pos == len(p.text) || p.text[p.pos] != ')' {
			return nil, &SyntaxError{Pos: open, Msg: "'(' is never closed"}
		}
		p.pos++
		p.skipSpace()
		return inner, nil
	case c >= '0' && c <= '9':
		start := p.pos
		for p.pos < len(p.text) && p.text[p.pos] >= '0' && p.text[p.pos] <= '9' {
			p.pos++
		}
		digits := p.text[start:p.pos]
		if len(digits) > maxDigits {
			return nil, &SyntaxError{Pos: start, Msg: fmt.Sprintf("number %s… has more than %d digits", digits[:maxDigits], maxDigits)}
		}
		if len(digits) > 1 && digits[0] == '0' {
			return nil, &SyntaxError{Pos: start, Msg: fmt.Sprintf("number %s has a leading zero", digits)}
		}
		v, _ := strconv.ParseInt(digits, 10, 64) // at most maxDigits digits: always fits
		p.skipSpace()
		return &node{value: v, pos: start}, nil
	default:
		return nil, &SyntaxError{Pos: p.pos, Msg: fmt.Sprintf("expected a number or '(' but found %s", describe(p.text[p.pos:]))}
	}
}

// describe names the start of the rest of a text for an error message.
func describe(rest string) string {
	if rest == "" {
		return "the end"
	}
	const show = 12
	if len(rest) > show {
		rest = rest[:show] + "…"
	}
	return strconv.Quote(rest)
}

// Numbers returns the numbers of the equation, left to right.
func (e *Equation) Numbers() []int64 {
	var out []int64
	var walk func(n *node)
	walk = func(n *node) {
		if n.op == 0 {
			out = append(out, n.value)
			return
		}
		walk(n.left)
		walk(n.right)
	}
	walk(e.root)
	return out
}

// EvalError is an equation whose value is not an integer or not defined.
type EvalError struct {
	Failure Failure // DivisionByZero, InexactDivision or Overflow
	Msg     string
}

func (e *EvalError) Error() string { return e.Msg }

// Value evaluates the equation in integers. Division must be exact; a
// division by zero, an inexact division or a value beyond int64 is an
// *EvalError.
func (e *Equation) Value() (int64, error) {
	return eval(e.root)
}

func eval(n *node) (int64, error) {
	if n.op == 0 {
		return n.value, nil
	}
	a, err := eval(n.left)
	if err != nil {
		return 0, err
	}
	b, err := eval(n.right)
	if err != nil {
		return 0, err
	}
	overflow := &EvalError{Failure: Overflow, Msg: fmt.Sprintf("%d%c%d does not fit in 64 bits", a, n.op, b)}
	switch n.op {
	case '+':
		if (b > 0 && a > math.MaxInt64-b) || (b < 0 && a < math.MinInt64-b) {
			return 0, overflow
		}
		return a + b, nil
	case '-':
		if (b < 0 && a > math.MaxInt64+b) || (b > 0 && a < math.MinInt64+b) {
			return 0, overflow
		}
		return a - b, nil
	case '*':
		if a != 0 && b != 0 {
			p := a * b
			if p/b != a || (a == -1 && b == math.MinInt64) || (b == -1 && a == math.MinInt64) {
				return 0, overflow
			}
			return p, nil
		}
		return 0, nil
	default: // '/'
		if b == 0 {
			return 0, &EvalError{Failure: DivisionByZero, Msg: fmt.Sprintf("%d/0 divides by zero", a)}
		}
		if a == math.MinInt64 && b == -1 {
			return 0, overflow
		}
		if a%b != 0 {
			return 0, &EvalError{Failure: InexactDivision, Msg: fmt.Sprintf("%d/%d is not a whole number (only exact division is allowed)", a, b)}
		}
		return a / b, nil
	}
}

// String writes the equation back in a canonical form: no spaces and
// parentheses only where precedence needs them.
func (e *Equation) String() string {
	var b strings.Builder
	write(&b, e.root, 0, false)
	return b.String()
}

// precedence of an operator; numbers bind tightest.
func precedence(op byte) int {
	switch op {
	case '+', '-':
		return 1
	case '*', '/':
		return 2
	}
	return 3
}

// write prints n; parent is the precedence of the enclosing operator and
// right whether n is its right operand (where equal precedence needs
// parentheses, since - and / are not associative).
func write(b *strings.Builder, n *node, parent int, right bool) {
	if n.op == 0 {
		b.WriteString(strconv.FormatInt(n.value, 10))
		return
	}
	p := precedence(n.op)
	paren := p < parent || (right && p == parent)
	if paren {
		b.WriteByte('(')
	}
	write(b, n.left, p, false)
	b.WriteByte(n.op)
	write(b, n.right, p, true)
	if paren {
		b.WriteByte(')')
	}
}
