package math

import (
	"math/big"
	"strconv"
	"strings"
)

// nodeKind is the kind of a node of a parsed answer.
type nodeKind uint8

const (
	nNum     nodeKind = iota // num (exact) and f (its float64); dec marks a decimal literal
	nSym                     // name: a variable, or pi, e, i, infty
	nWord                    // name: a text answer
	nAdd                     // kids summed
	nMul                     // kids multiplied
	nNeg                     // -kids[0]
	nDiv                     // kids[0] / kids[1]; frac marks \frac
	nPow                     // kids[0] ^ kids[1]
	nFunc                    // name(kids[0]); log has the base as kids[1]
	nFact                    // kids[0]!
	nPM                      // kids[0] ± kids[1]
	nPercent                 // kids[0] %
	nDegree                  // kids[0] °
	nSeq                     // a tuple, interval, list or set: open/close are its brackets (0 for a bare list)
	nMatrix                  // rows, each an nSeq
	nRel                     // kids related by rels (=, <, <=, >, >=, !=, in)
	nUnion                   // kids joined by ∪
)

// node is one node of a parsed answer.
type node struct {
	kind        nodeKind
	num         *big.Rat
	f           float64 // num as a float64, for evaluation
	dec, frac   bool
	name        string
	open, close string
	rels        []string
	kids        []*node
}

// parser reads tokens into a node tree.
type parser struct {
	toks  []token
	pos   int
	depth int
	units []string // the units dropped after values
}

// parseFailure aborts a parse; parse recovers it.
type parseFailure struct{}

// maxDepth bounds the nesting of a parsed answer.
const maxDepth = 120

// parse reads a cleaned answer. It reports false when the answer is not
// mathematics the grader understands.
func parse(s string) (n *node, ok bool) {
	n, _, ok = parseWithUnits(s)
	return n, ok
}

// parseWithUnits is parse that also returns the units dropped after values
// ("cm" of 5\text{ cm}), in order.
func parseWithUnits(s string) (n *node, units []string, ok bool) {
	toks, ok := tokenize(s)
	if !ok || len(toks) == 0 {
		return nil, nil, false
	}
	p := &parser{toks: toks}
	defer func() {
		if r := recover(); r != nil {
			if _, is := r.(parseFailure); !is {
				panic(r)
			}
			n, units, ok = nil, nil, false
		}
	}()
	n = p.top()
	if p.pos != len(p.toks) {
		return nil, nil, false
	}
	return n, p.units, true
}

func (p *parser) fail() { panic(parseFailure{}) }

func (p *parser) peek() token {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return token{}
}

func (p *parser) next() token {
	t := p.peek()
	if p.pos < len(p.toks) {
		p.pos++
	}
	return t
}

func (p *parser) is(k tokKind, s string) bool {
	t := p.peek()
	return t.kind == k && t.s == s
}

func (p *parser) expect(k tokKind, s string) {
	if !p.is(k, s) {
		p.fail()
	}
	p.pos++
}

func (p *parser) enter() {
	p.depth++
	if p.depth > maxDepth {
		p.fail()
	}
}

func (p *parser) leave() { p.depth-- }

// top reads the whole answer: answers separated by ";", "and" or "or" hold
// tuples of answers separated by ",". When those tuples differ in length the
// words only close a list: "3, 5, and 8" is the list 3, 5, 8 (DAPO's grader
// reads "\text{and}" as a comma; math-verify joins such a list).
func (p *parser) top() *node {
	var lists [][]*node
	var words []string
	for {
		lists = append(lists, p.list(func() bool { return p.topSep() || p.peek().kind == tEOF }))
		if p.topSep() {
			words = append(words, p.next().s)
			continue
		}
		break
	}
	if len(lists) == 2 && len(lists[0]) == 1 && len(lists[1]) == 1 && words[0] == "and" {
		if r := bounds(lists[0][0], lists[1][0]); r != nil {
			return r
		}
	}
	if len(lists) > 1 && !sameLengths(lists) {
		var all []*node
		for _, l := range lists {
			all = append(all, l...)
		}
		lists = [][]*node{all}
	}
	groups := make([]*node, 0, len(lists))
	for _, items := range lists {
		if len(items) == 1 {
			groups = append(groups, items[0])
		} else {
			groups = append(groups, &node{kind: nSeq, open: "", kids: items})
		}
	}
	if len(groups) == 1 {
		return groups[0]
	}
	for _, g := range groups {
		if g.kind == nSeq && g.open == "" {
			g.open, g.close = "(", ")"
		}
	}
	return &node{kind: nSeq, kids: groups}
}

// bounds joins a lower and an upper bound of one variable given as two
// conditions, "x > -3 and x < 3", into the chain -3 < x < 3: "and" between
// two conditions means both hold, the intersection of the sets they
// describe (math-verify compares a relation as its set). It returns nil for
// any other pair.
func bounds(a, b *node) *node {
	av, aop, ac := bound(a)
	bv, bop, bc := bound(b)
	if av == nil || bv == nil || av.name != bv.name {
		return nil
	}
	if aop == ">" || aop == ">=" {
		av, aop, ac, bv, bop, bc = bv, bop, bc, av, aop, ac
	}
	if aop != "<" && aop != "<=" || bop != ">" && bop != ">=" {
		return nil // not one upper and one lower bound
	}
	return &node{kind: nRel, rels: []string{flipped[bop], aop}, kids: []*node{bc, av, ac}}
}

// bound reads "x < c" and "c > x" as the variable x, the relation "<" and
// the constant c; it returns nil for any other node.
func bound(n *node) (v *node, op string, c *node) {
	if n.kind != nRel || len(n.kids) != 2 {
		return nil, "", nil
	}
	op = n.rels[0]
	if _, ok := flipped[op]; !ok || op == "!=" {
		return nil, "", nil
	}
	l, r := n.kids[0], n.kids[1]
	if isConst(l) {
		l, r, op = r, l, flipped[op]
	}
	if l.kind != nSym || isConst(l) || !isConst(r) {
		return nil, "", nil
	}
	return l, op, r
}

func sameLengths(lists [][]*node) bool {
	for _, l := range lists {
		if len(l) != len(lists[0]) {
			return false
		}
	}
	return true
}

// topSep reports whether the next token separates whole answers: ";",
// "and", "or".
func (p *parser) topSep() bool {
	t := p.peek()
	return t.kind == tSep && t.s != ","
}

// list reads relations separated by separators until stop reports true.
// Empty items (a trailing comma, "and and") are skipped.
func (p *parser) list(stop func() bool) []*node {
	var items []*node
	for !stop() {
		t := p.peek()
		if t.kind == tSep {
			p.next()
			continue
		}
		if t.kind == tEOF {
			p.fail()
		}
		items = append(items, p.relation())
		if !stop() && p.peek().kind != tSep {
			p.fail()
		}
	}
	return items
}

var relOps = map[string]bool{"=": true, "<": true, ">": true, "<=": true, ">=": true, "!=": true, "in": true, "~": true, "->": true}

// relation reads a chain a = b = c, a < x <= b, x \in [0, 1]. What follows
// \approx is dropped: the answer is what comes before it, unless that is
// only the name of the answer: "x \approx 4" is 4, as "x = 4" is (the value
// of an assignment, as math-verify and the Hendrycks grader read "x = 4").
func (p *parser) relation() *node {
	first := p.union()
	n := first
	for p.peek().kind == tOp && relOps[p.peek().s] {
		op := p.next().s
		rhs := p.union()
		if op == "~" && n == first && namedSide(n) && !isConst(n) {
			n, first = rhs, rhs
			continue
		}
		if op == "~" || op == "->" {
			continue
		}
		if n.kind != nRel {
			n = &node{kind: nRel, kids: []*node{first}}
		}
		n.rels = append(n.rels, op)
		n.kids = append(n.kids, rhs)
	}
	return n
}

func (p *parser) union() *node {
	n := p.sum()
	if !p.is(tOp, "cup") {
		return n
	}
	u := &node{kind: nUnion, kids: []*node{n}}
	for p.is(tOp, "cup") {
		p.next()
		u.kids = append(u.kids, p.sum())
	}
	return u
}

func (p *parser) sum() *node {
	p.enter()
	defer p.leave()
	n := p.unary()
	for {
		t := p.peek()
		if t.kind != tOp {
			return n
		}
		switch t.s {
		case "+":
			p.next()
			n = add(n, p.product())
		case "-":
			p.next()
			n = add(n, &node{kind: nNeg, kids: []*node{p.product()}})
		case "pm", "mp":
			p.next()
			n = &node{kind: nPM, kids: []*node{n, p.product()}}
		default:
			return n
		}
	}
}

func add(a, b *node) *node {
	if a.kind == nAdd {
		a.kids = append(a.kids, b)
		return a
	}
	return &node{kind: nAdd, kids: []*node{a, b}}
}

// unary reads a leading sign, then a product.
func (p *parser) unary() *node {
	t := p.peek()
	if t.kind == tOp {
		switch t.s {
		case "-":
			p.next()
			return &node{kind: nNeg, kids: []*node{p.product()}}
		case "+":
			p.next()
			return p.product()
		case "pm", "mp":
			p.next()
			return &node{kind: nPM, kids: []*node{ratNode(new(big.Rat), false), p.product()}}
		}
	}
	return p.product()
}

// product reads factors joined by *, /, : or by juxtaposition. A word after
// a factor is a unit and is dropped; an integer before \frac{p}{q} makes a
// mixed number.
func (p *parser) product() *node {
	n := p.power()
	for {
		t := p.peek()
		switch {
		case t.kind == tOp && (t.s == "*" || t.s == "/" || t.s == ":"):
			p.next()
			rhs := p.power()
			switch {
			case t.s == "*":
				n = mul(n, rhs)
			case t.s == ":" && n.kind == nSeq && n.open == ":":
				n.kids = append(n.kids, rhs)
			case t.s == ":" && n.kind == nDiv && n.name == ":":
				// a:b:c is a ratio of three parts, compared up to a factor
				n = &node{kind: nSeq, open: ":", close: ":", kids: []*node{n.kids[0], n.kids[1], rhs}}
			default:
				n = &node{kind: nDiv, name: t.s, kids: []*node{n, rhs}} // a:b is a/b
			}
		case t.kind == tWord && t.s != "...":
			p.units = append(p.units, p.next().s) // a unit
			if p.is(tOp, "^") {
				p.next()
				p.argument()
			}
		case startsFactor(t):
			if n.kind == nWord {
				p.fail()
			}
			rhs := p.power()
			if n.kind == nNum && !n.dec && n.num.IsInt() && rhs.kind == nDiv && rhs.frac &&
				rhs.kids[0].kind == nNum && rhs.kids[1].kind == nNum && rhs.kids[0].num.IsInt() && rhs.kids[1].num.IsInt() {
				n = &node{kind: nAdd, kids: []*node{n, rhs}} // 2\frac{5}{8}
			} else {
				n = mul(n, rhs)
			}
		default:
			return n
		}
	}
}

func mul(a, b *node) *node {
	if a.kind == nMul {
		a.kids = append(a.kids, b)
		return a
	}
	return &node{kind: nMul, kids: []*node{a, b}}
}

// startsFactor reports whether a token can begin an implicitly multiplied
// factor.
func startsFactor(t token) bool {
	switch t.kind {
	case tNum, tSym:
		return true
	case tCmd:
		return !strings.HasPrefix(t.s, "end:")
	case tOpen:
		return t.s == "(" || t.s == "[" || t.s == "{" || t.s == "lfloor" || t.s == "lceil"
	}
	return false
}

// power reads a postfix expression, then ^ exponents (right-associative).
func (p *parser) power() *node {
	p.enter()
	defer p.leave()
	base := p.postfix()
	if p.is(tOp, "^") {
		p.next()
		var exp *node
		if p.is(tOp, "-") || p.is(tOp, "+") {
			neg := p.next().s == "-"
			exp = p.argument()
			if neg {
				exp = &node{kind: nNeg, kids: []*node{exp}}
			}
		} else {
			exp = p.argument()
		}
		n := &node{kind: nPow, kids: []*node{base, exp}}
		return p.suffixes(n)
	}
	return base
}

// argument reads a TeX argument: a brace group, or a single token (one
// digit of a number: x^23 is x^2·3, \frac34 is 3/4).
func (p *parser) argument() *node {
	t := p.peek()
	switch {
	case t.kind == tOpen && t.s == "{":
		return p.primary()
	case t.kind == tNum && len(t.s) > 1 && isDigit(t.s[0]):
		p.toks[p.pos].s = t.s[1:]
		return number(t.s[:1])
	case t.kind == tCmd && (t.s == "frac" || t.s == "sqrt"):
		return p.primary()
	default:
		return p.postfix()
	}
}

// postfix reads a primary, then !, %, °, subscripts and primes.
func (p *parser) postfix() *node {
	return p.suffixes(p.primary())
}

func (p *parser) suffixes(n *node) *node {
	for {
		t := p.peek()
		if t.kind != tOp {
			return n
		}
		switch t.s {
		case "!":
			p.next()
			n = &node{kind: nFact, kids: []*node{n}}
		case "%":
			p.next()
			n = &node{kind: nPercent, kids: []*node{n}}
		case "°":
			p.next()
			n = &node{kind: nDegree, kids: []*node{n}}
		case "'":
			p.next()
			if n.kind != nSym {
				p.fail()
			}
			n = &node{kind: nSym, name: n.name + "'"}
		case "_":
			p.next()
			sub := p.argument()
			key := render(sub)
			switch n.kind {
			case nNum, nSym:
				// 204_5 is a numeral in base 5; a_{37} is one variable.
				n = &node{kind: nSym, name: render(n) + "_" + key}
			default:
				p.fail()
			}
		default:
			return n
		}
	}
}

// number builds the node of a numeric literal.
func number(s string) *node {
	if i := strings.IndexAny(s, "eE"); i >= 0 && len(s)-i > 4 {
		panic(parseFailure{}) // an exponent beyond 999 is not an answer
	}
	if len(s) <= 18 && !strings.ContainsAny(s, ".eE") {
		// Most literals are small integers: skip the general parser.
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return ratNode(new(big.Rat).SetInt64(i), false)
		}
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		panic(parseFailure{})
	}
	return ratNode(r, strings.ContainsAny(s, ".eE"))
}

// ratNode builds a number node; dec marks a decimal literal.
func ratNode(r *big.Rat, dec bool) *node {
	f, _ := r.Float64()
	return &node{kind: nNum, num: r, f: f, dec: dec}
}

var closers = map[string]string{"(": ")", "[": "]", "{": "}", `\{`: `\}`, "|": "|", "lfloor": "rfloor", "lceil": "rceil"}

// primary reads a number, a variable, a bracketed group, a command or a word.
func (p *parser) primary() *node {
	p.enter()
	defer p.leave()
	t := p.next()
	switch t.kind {
	case tNum:
		return number(t.s)
	case tSym:
		return &node{kind: nSym, name: t.s}
	case tWord:
		words := []string{t.s}
		for p.peek().kind == tWord {
			words = append(words, p.next().s)
		}
		return &node{kind: nWord, name: strings.Join(words, " ")}
	case tOpen:
		return p.group(t.s)
	case tCmd:
		return p.command(t.s)
	}
	p.fail()
	return nil
}

// group reads what follows an opening bracket.
func (p *parser) group(open string) *node {
	switch open {
	case "|", "lfloor", "lceil":
		inner := p.sum()
		if p.peek().s != closers[open] {
			p.fail()
		}
		p.next()
		if open == "|" {
			// The lexer emits every | as an opener; the closing one is read here.
			return &node{kind: nFunc, name: "abs", kids: []*node{inner}}
		}
		return &node{kind: nFunc, name: strings.TrimPrefix(open, "l"), kids: []*node{inner}}
	case `\{`:
		if cond := p.setBuilder(); cond != nil {
			return cond
		}
	}
	items := p.list(func() bool { return p.peek().kind == tClose || p.peek().kind == tEOF })
	cl := p.next()
	if cl.kind != tClose {
		p.fail()
	}
	switch {
	case open == "{":
		if cl.s != "}" {
			p.fail()
		}
		if len(items) == 1 {
			return items[0]
		}
		return &node{kind: nSeq, kids: items}
	case open == `\{`:
		if cl.s != `\}` {
			p.fail()
		}
		return &node{kind: nSeq, open: `\{`, close: `\}`, kids: items}
	case cl.s != ")" && cl.s != "]":
		p.fail()
	}
	if len(items) == 1 && (open == "(" && cl.s == ")" || open == "[" && cl.s == "]") {
		return items[0]
	}
	return &node{kind: nSeq, open: open, close: cl.s, kids: items}
}

// setBuilder reads the rest of a set written by a condition, \{x \mid x > 2\}
// or \{x : x > 2\}, after its opening brace: the set is its condition, which
// is compared as the intervals it describes (math-verify turns a condition
// into its set, sympy's as_set). It returns nil, reading nothing, when the
// set is not of that form.
func (p *parser) setBuilder() *node {
	if p.pos+1 >= len(p.toks) || p.toks[p.pos].kind != tSym {
		return nil
	}
	if sep := p.toks[p.pos+1]; !(sep.kind == tOpen && sep.s == "|" || sep.kind == tOp && sep.s == ":") {
		return nil
	}
	p.pos += 2
	cond := p.relation()
	p.expect(tClose, `\}`)
	return cond
}

// command reads a LaTeX command and its arguments.
func (p *parser) command(name string) *node {
	switch {
	case name == "frac":
		num := p.argument()
		den := p.argument()
		return &node{kind: nDiv, frac: true, kids: []*node{num, den}}
	case name == "sqrt":
		var index *node
		if p.is(tOpen, "[") {
			p.next()
			index = p.sum()
			p.expect(tClose, "]")
		}
		arg := p.argument()
		if index != nil {
			return &node{kind: nPow, kids: []*node{arg, {kind: nDiv, kids: []*node{number("1"), index}}}}
		}
		return &node{kind: nFunc, name: "sqrt", kids: []*node{arg}}
	case name == "binom":
		a := p.argument()
		b := p.argument()
		return &node{kind: nFunc, name: "binom", kids: []*node{a, b}}
	case functionNames[name]:
		return p.function(name)
	case strings.HasPrefix(name, "begin:"):
		return p.matrix(strings.TrimPrefix(name, "begin:"))
	case strings.HasPrefix(name, "end:"):
		p.fail()
	}
	// Greek letters and other symbols: a variable named by the command.
	return &node{kind: nSym, name: `\` + name}
}

// function reads \sin x, \sin^2 x, \log_2 8, \sin(x).
func (p *parser) function(name string) *node {
	var pow, base *node
	for p.is(tOp, "^") || p.is(tOp, "_") {
		if p.next().s == "^" {
			pow = p.argument()
		} else {
			base = p.argument()
		}
	}
	var arg *node
	if p.is(tOpen, "(") {
		arg = p.postfix()
	} else {
		// Without parentheses the argument is the juxtaposed factors that
		// follow: \sin 2x is sin(2x).
		arg = p.power()
		for t := p.peek(); (t.kind == tNum || t.kind == tSym || t.kind == tOpen && t.s == "{") && !p.is(tOp, "^"); t = p.peek() {
			arg = mul(arg, p.power())
		}
	}
	f := &node{kind: nFunc, name: name, kids: []*node{arg}}
	if base != nil {
		f.kids = append(f.kids, base)
	}
	if pow != nil {
		return &node{kind: nPow, kids: []*node{f, pow}}
	}
	return f
}

// matrix reads the rows of a matrix environment up to its \end.
func (p *parser) matrix(env string) *node {
	switch env {
	case "pmatrix", "bmatrix", "matrix", "Bmatrix", "vmatrix", "smallmatrix", "array":
	default:
		p.fail()
	}
	m := &node{kind: nMatrix, name: env}
	row := &node{kind: nSeq}
	for {
		if p.is(tCmd, "end:"+env) {
			p.next()
			break
		}
		if p.peek().kind == tEOF {
			p.fail()
		}
		if p.peek().kind == tRowSep {
			p.next()
			if len(row.kids) > 0 {
				m.kids = append(m.kids, row)
			}
			row = &node{kind: nSeq}
			continue
		}
		if p.is(tOp, "&") {
			p.next()
			continue
		}
		row.kids = append(row.kids, p.relation())
	}
	if len(row.kids) > 0 {
		m.kids = append(m.kids, row)
	}
	if len(m.kids) == 0 {
		p.fail()
	}
	for _, r := range m.kids {
		if len(r.kids) != len(m.kids[0].kids) {
			p.fail()
		}
	}
	return m
}

// render writes a node back as text: the names of subscripted variables and
// the canonical form used when nothing else can compare two answers.
func render(n *node) string {
	var b strings.Builder
	renderTo(&b, n)
	return b.String()
}

func renderTo(b *strings.Builder, n *node) {
	switch n.kind {
	case nNum:
		b.WriteString(n.num.RatString())
	case nSym, nWord:
		b.WriteString(n.name)
	default:
		b.WriteString("(")
		b.WriteString(kindNames[n.kind])
		b.WriteString(n.name)
		b.WriteString(n.open)
		for i, k := range n.kids {
			if i > 0 {
				b.WriteByte(' ')
			}
			if i > 0 && i-1 < len(n.rels) {
				b.WriteString(n.rels[i-1])
				b.WriteByte(' ')
			}
			renderTo(b, k)
		}
		b.WriteString(n.close)
		b.WriteString(")")
	}
}

var kindNames = map[nodeKind]string{
	nAdd: "+", nMul: "*", nNeg: "-", nDiv: "/", nPow: "^", nFunc: "f:", nFact: "!", nPM: "pm",
	nPercent: "%", nDegree: "deg", nSeq: "seq", nMatrix: "mat", nRel: "rel", nUnion: "cup",
}
