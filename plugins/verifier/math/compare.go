package math

import (
	"hash/fnv"
	stdmath "math"
	"math/big"
	"math/cmplx"
	"sort"
)

// comparer decides whether two parsed answers are equivalent.
type comparer struct {
	relTol float64
	points int
	seed   uint64
	budget int // comparisons left before the answer is given up on
	// absTol is the absolute tolerance of the comparison in progress: 1e-12
	// for evaluation noise, 0 when an answer has literals that small.
	absTol float64
}

// errBudget aborts a comparison that ran out of work; grade recovers it.
type errBudget struct{}

func (c *comparer) spend() {
	c.budget--
	if c.budget < 0 {
		panic(errBudget{})
	}
}

// equal reports whether two answers are equivalent.
func (c *comparer) equal(a, b *node) bool {
	c.spend()
	a, b = c.answerForm(a, b), c.answerForm(b, a)
	var products int
	if m, ok := reduceMatrix(a, &products); ok {
		a = m
	}
	products = 0
	if m, ok := reduceMatrix(b, &products); ok {
		b = m
	}
	if hasPM(a) || hasPM(b) {
		return c.sameSet(expandPM(a), expandPM(b))
	}
	switch {
	case a.kind == nSeq && b.kind == nSeq:
		return c.equalSeq(a, b)
	case a.kind == nSeq && a.open == "" && len(a.kids) == 1:
		return c.equal(a.kids[0], b)
	case b.kind == nSeq && b.open == "" && len(b.kids) == 1:
		return c.equal(a, b.kids[0])
	case a.kind == nMatrix || b.kind == nMatrix:
		return c.equalMatrix(a, b)
	case a.kind == nUnion && b.kind == nUnion:
		return c.sameSet(a.kids, b.kids)
	case a.kind == nUnion && b.kind == nSeq && b.open == "", b.kind == nUnion && a.kind == nSeq && a.open == "":
		// "x < -1 or x > 1" against (-∞, -1) ∪ (1, ∞)
		return c.sameSet(a.kids, b.kids)
	case a.kind == nRel && b.kind == nRel:
		return c.equalRel(a, b)
	case a.kind == nWord || b.kind == nWord:
		return a.kind == b.kind && a.name == b.name
	case a.kind == nSeq || b.kind == nSeq || a.kind == nUnion || b.kind == nUnion || a.kind == nRel || b.kind == nRel:
		return false
	}
	// A degree sign or a percent sign on one side only: the number as
	// written, or the angle in radians / the fraction.
	if a.kind == nDegree && b.kind != nDegree {
		return c.scalar(a.kids[0], b) || c.scalar(radians(a.kids[0]), b)
	}
	if b.kind == nDegree && a.kind != nDegree {
		return c.scalar(a, b.kids[0]) || c.scalar(a, radians(b.kids[0]))
	}
	if a.kind == nPercent && b.kind != nPercent {
		return c.scalar(a.kids[0], b) || c.scalar(percentOf(a.kids[0]), b)
	}
	if b.kind == nPercent && a.kind != nPercent {
		return c.scalar(a, b.kids[0]) || c.scalar(a, percentOf(b.kids[0]))
	}
	return c.scalar(a, b)
}

// formsOfOne reports whether an answer that is a bare list gives one answer
// in several forms, each equal to a reference that is not a list:
// "\boxed{15\frac{39}{40}}, or \boxed{\frac{639}{40}}" against 639/40. Only
// the answer side is read so: a reference that lists a value twice has two
// answers.
func (c *comparer) formsOfOne(a, ref *node) bool {
	if a.kind != nSeq || a.open != "" || len(a.kids) < 2 || ref.kind == nSeq {
		return false
	}
	for _, k := range a.kids {
		if !c.equal(k, ref) {
			return false
		}
	}
	return true
}

// radians converts an angle in degrees: 90° against π/2.
func radians(n *node) *node {
	return &node{kind: nMul, kids: []*node{n, {kind: nSym, name: "pi"}, {kind: nDiv, kids: []*node{number("1"), number("180")}}}}
}

func percentOf(n *node) *node {
	return &node{kind: nDiv, kids: []*node{n, number("100")}}
}

// answerForm rewrites an answer into the form it is compared in, given the
// other answer: "x = 3" against a value is 3, "2 + 3 = 5" is 5, "x > 5" is
// the interval (5, ∞).
func (c *comparer) answerForm(n, other *node) *node {
	if n.kind != nRel {
		return n
	}
	if iv := intervalOf(n, c); iv != nil {
		return iv
	}
	if !allRel(n, "=") && !allRel(n, "in") {
		return n
	}
	if other.kind == nRel && allRel(other, "=") && !namedSide(other.kids[0]) {
		return n // two equations: compared as equations
	}
	if namedSide(n.kids[0]) || constantChain(n) || n.rels[0] == "in" {
		return n.kids[len(n.kids)-1]
	}
	if len(n.kids) == 2 && namedSide(n.kids[1]) && isConst(n.kids[0]) {
		return n.kids[0] // 4 = x
	}
	return n
}

func allRel(n *node, op string) bool {
	for _, r := range n.rels {
		if r != op {
			return false
		}
	}
	return true
}

// namedSide reports whether the left side of an equation names the answer
// rather than constrains it: x, a_{37}, f(x), |AB|, A:B, \frac{NO}{BO}.
func namedSide(n *node) bool {
	switch n.kind {
	case nSym:
		return true
	case nMul, nDiv:
		for _, k := range n.kids {
			if !namedSide(k) {
				return false
			}
		}
		return true
	case nFunc:
		return n.name == "abs" && namedSide(n.kids[0])
	case nSeq:
		if n.open == "(" || n.open == "" {
			for _, k := range n.kids {
				if !namedSide(k) {
					return false
				}
			}
			return true
		}
	}
	return false
}

// constantChain reports whether every side of an equation is a constant:
// a computation such as 5+5+1 = 11 whose answer is its last side.
func constantChain(n *node) bool {
	vars := map[string]bool{}
	for _, k := range n.kids {
		variables(k, vars)
	}
	return len(vars) == 0
}

// scalar compares two expressions: exactly when both are rational without
// decimal literals, otherwise numerically at seeded points.
func (c *comparer) scalar(a, b *node) bool {
	if x, ok := exact(a); ok {
		if y, ok := exact(b); ok {
			if x.Cmp(y) == 0 {
				return true
			}
			if !hasDecimal(a) && !hasDecimal(b) {
				return false
			}
		}
	}
	vars := map[string]bool{}
	variables(a, vars)
	variables(b, vars)
	names := sortedNames(vars)
	c.absTol = 1e-12
	if smallestLiteral(a) < 1e-6 || smallestLiteral(b) < 1e-6 {
		c.absTol = 0 // 2.88e-19 is an answer, not rounding noise around 0
	}
	valid := 0
	points := c.pointCount(len(names))
	if hasStep(a) || hasStep(b) {
		points *= 4 // floor and ceil are constant almost everywhere: look harder
	}
	for k := 0; k < points; k++ {
		c.spend()
		at := c.point(names, k)
		x, y := eval(a, at, false), eval(b, at, false)
		if isBad(x) || isBad(y) {
			if isBad(x) != isBad(y) && !cmplx.IsNaN(x) && !cmplx.IsNaN(y) {
				return false
			}
			if cmplx.IsInf(x) && cmplx.IsInf(y) && sameInf(x, y) {
				valid++
			}
			continue
		}
		if !c.close(x, y) {
			return false
		}
		valid++
	}
	if valid > 0 {
		return true
	}
	return render(a) == render(b)
}

// hasStep reports whether a node uses floor or ceil.
func hasStep(n *node) bool {
	if n.kind == nFunc && (n.name == "floor" || n.name == "ceil") {
		return true
	}
	for _, k := range n.kids {
		if hasStep(k) {
			return true
		}
	}
	return false
}

func (c *comparer) pointCount(vars int) int {
	if vars == 0 {
		return 1
	}
	return c.points
}

func isBad(z complex128) bool { return cmplx.IsNaN(z) || cmplx.IsInf(z) }

func sameInf(x, y complex128) bool {
	return stdmath.Signbit(real(x)) == stdmath.Signbit(real(y)) && stdmath.IsInf(real(x), 0) == stdmath.IsInf(real(y), 0)
}

// close reports whether two values agree within the relative tolerance.
func (c *comparer) close(x, y complex128) bool {
	d := cmplx.Abs(x - y)
	m := max(cmplx.Abs(x), cmplx.Abs(y))
	return d <= c.relTol*m || d <= c.absTol
}

// smallestLiteral returns the smallest magnitude of the non-zero numeric
// literals of a node (+Inf when it has none).
func smallestLiteral(n *node) float64 {
	if n.kind == nNum {
		if f, _ := n.num.Float64(); f != 0 {
			return stdmath.Abs(f)
		}
		return stdmath.Inf(1)
	}
	m := stdmath.Inf(1)
	for _, k := range n.kids {
		m = min(m, smallestLiteral(k))
	}
	return m
}

// point gives every variable a value at evaluation point k. The value is a
// function of the grader's seed, the variable's name and k only, so both
// answers see the same values and every run sees the same points.
func (c *comparer) point(names []string, k int) env {
	at := make(env, len(names))
	for _, name := range names {
		h := fnv.New64a()
		h.Write([]byte(name))
		x := splitmix(c.seed ^ h.Sum64() ^ uint64(k+1)*0x9e3779b97f4a7c15)
		u := float64(x>>11) / float64(1<<53)
		at[name] = complex(0.35+4.5*u, 0)
	}
	return at
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

func sortedNames(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// equalSeq compares tuples, intervals, lists and sets. A bare list ("1, 2")
// and a set ("\{1, 2\}") ignore order; brackets must match otherwise, since
// the ends of an interval matter. A bare list also matches a tuple with the
// same elements in the same order ("1,3" against "(1,3)").
func (c *comparer) equalSeq(a, b *node) bool {
	ak, bk, named := c.assignments(a, b)
	if named {
		return c.sameList(ak, bk) // matched name by name
	}
	if a.open == ":" || b.open == ":" {
		return a.open == b.open && c.proportionalParts(ak, bk)
	}
	setA := a.open == "" || a.open == `\{`
	setB := b.open == "" || b.open == `\{`
	switch {
	case setA && setB:
		return c.sameSet(ak, bk)
	case setA || setB:
		// "1, 3" against the point "(1, 3)"; never against an interval
		// with a closed end.
		tuple := func(n *node) bool { return n.open == "(" && n.close == ")" }
		return (a.open == "" && tuple(b) || b.open == "" && tuple(a)) && c.sameList(ak, bk)
	case a.open != b.open || a.close != b.close:
		return false
	}
	return c.sameList(ak, bk)
}

// proportionalParts reports whether two ratios of several parts are equal
// up to a factor: 1:2:3 is 2:4:6, as a:b is the number a/b (the convention
// of a ratio; math-verify and the Hendrycks grader compare a ratio's text).
func (c *comparer) proportionalParts(a, b []*node) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 1; i < len(a); i++ {
		if !c.scalar(&node{kind: nMul, kids: []*node{a[i], b[0]}}, &node{kind: nMul, kids: []*node{b[i], a[0]}}) {
			return false
		}
	}
	return true
}

// assignments strips the names off "x = 1, y = 2" style elements. When both
// lists name all their elements with the same names, once each, they are
// matched by name ("a_3 = 2, a_{37} = 19" equals "a_{37} = 19, a_3 = 2") and
// named is true: the values come back in the order of the names.
func (c *comparer) assignments(a, b *node) (ak, bk []*node, named bool) {
	na, nb := names(a), names(b)
	if na != nil && nb != nil && len(na) == len(nb) {
		ka, kb := make([]*node, 0, len(na)), make([]*node, 0, len(nb))
		ok := true
		for _, k := range sortedKeys(na) {
			v, has := nb[k]
			if !has {
				ok = false
				break
			}
			ka, kb = append(ka, na[k]), append(kb, v)
		}
		if ok {
			return ka, kb, true
		}
	}
	return stripNames(a.kids), stripNames(b.kids), false
}

func names(n *node) map[string]*node {
	m := map[string]*node{}
	for _, k := range n.kids {
		if k.kind != nRel || len(k.rels) != 1 || k.rels[0] != "=" || k.kids[0].kind != nSym {
			return nil
		}
		if _, dup := m[k.kids[0].name]; dup {
			return nil // "a = 2, a = -6": several values of one name, not a tuple
		}
		m[k.kids[0].name] = k.kids[1]
	}
	return m
}

func sortedKeys(m map[string]*node) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func stripNames(kids []*node) []*node {
	out := make([]*node, len(kids))
	for i, k := range kids {
		if k.kind == nRel && allRel(k, "=") && namedSide(k.kids[0]) {
			k = k.kids[len(k.kids)-1]
		}
		out[i] = k
	}
	return out
}

func (c *comparer) sameList(a, b []*node) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !c.equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

// sameSet reports whether two lists hold the same elements, each matched
// once, in any order.
func (c *comparer) sameSet(a, b []*node) bool {
	if len(a) != len(b) {
		return false
	}
	used := make([]bool, len(b))
	for _, x := range a {
		found := false
		for j, y := range b {
			if !used[j] && c.equal(x, y) {
				used[j], found = true, true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// equalMatrix compares matrices entry by entry; a matrix with one row or one
// column also equals a tuple or list of its entries.
func (c *comparer) equalMatrix(a, b *node) bool {
	if a.kind != nMatrix {
		a, b = b, a
	}
	if b.kind == nMatrix {
		if len(a.kids) != len(b.kids) {
			return false
		}
		for i := range a.kids {
			if !c.sameList(a.kids[i].kids, b.kids[i].kids) {
				return false
			}
		}
		return true
	}
	if b.kind != nSeq || b.open == `\{` {
		return false
	}
	var flat []*node
	for _, r := range a.kids {
		flat = append(flat, r.kids...)
	}
	if len(a.kids) != 1 && len(a.kids[0].kids) != 1 {
		return false
	}
	return c.sameList(flat, b.kids)
}

// equalRel compares two relations. Equations are equal when their sides'
// differences are proportional (y = -x/2 + 3/4 and 2x + 4y - 3 = 0);
// inequalities that are not intervals of one variable must have the same
// direction and positively proportional differences.
func (c *comparer) equalRel(a, b *node) bool {
	if len(a.rels) != 1 || len(b.rels) != 1 {
		if len(a.rels) != len(b.rels) {
			return false
		}
		for i := range a.rels {
			if a.rels[i] != b.rels[i] {
				return false
			}
		}
		return c.sameList(a.kids, b.kids)
	}
	ra, da := relDiff(a)
	rb, db := relDiff(b)
	if ra != rb {
		return false
	}
	return c.proportional(da, db, ra != "=" && ra != "!=")
}

// relDiff writes a relation as (op, lhs - rhs) with op one of =, !=, <, <=.
func relDiff(n *node) (string, *node) {
	l, r := n.kids[0], n.kids[1]
	op := n.rels[0]
	switch op {
	case ">":
		l, r, op = r, l, "<"
	case ">=":
		l, r, op = r, l, "<="
	}
	return op, &node{kind: nAdd, kids: []*node{l, {kind: nNeg, kids: []*node{r}}}}
}

// proportional reports whether a = k·b for a constant k ≠ 0 (k > 0 when
// positive is set) at every evaluation point.
func (c *comparer) proportional(a, b *node, positive bool) bool {
	vars := map[string]bool{}
	variables(a, vars)
	variables(b, vars)
	names := sortedNames(vars)
	var ratio complex128
	have, valid := false, false
	for k := 0; k < c.pointCount(len(names)); k++ {
		c.spend()
		at := c.point(names, k)
		x, y := eval(a, at, false), eval(b, at, false)
		if isBad(x) || isBad(y) {
			continue
		}
		valid = true
		zx, zy := cmplx.Abs(x) < 1e-12, cmplx.Abs(y) < 1e-12
		if zx || zy {
			if zx != zy {
				return false
			}
			continue
		}
		r := x / y
		if !have {
			ratio, have = r, true
			if positive && (real(r) <= 0 || stdmath.Abs(imag(r)) > 1e-9) {
				return false
			}
			continue
		}
		if !c.close(r, ratio) {
			return false
		}
	}
	return valid
}

// intervalOf turns a relation of one variable into intervals: a < x <= b,
// x > 5, 5 <= x, x != 3, -x >= -1. It returns nil when the relation is not
// of that form.
func intervalOf(n *node, c *comparer) *node {
	if len(n.kids) == 3 && namedSide(n.kids[1]) && isConst(n.kids[0]) && isConst(n.kids[2]) {
		r0, r1 := n.rels[0], n.rels[1]
		if (r0 == "<" || r0 == "<=") && (r1 == "<" || r1 == "<=") {
			return interval(n.kids[0], r0 == "<=", n.kids[2], r1 == "<=")
		}
		if (r0 == ">" || r0 == ">=") && (r1 == ">" || r1 == ">=") {
			return interval(n.kids[2], r1 == ">=", n.kids[0], r0 == ">=")
		}
		return nil
	}
	if len(n.kids) != 2 || n.rels[0] == "=" || n.rels[0] == "in" {
		return nil
	}
	if iv := absInterval(n, c); iv != nil {
		return iv
	}
	vars := map[string]bool{}
	variables(n.kids[0], vars)
	variables(n.kids[1], vars)
	if len(vars) != 1 {
		return nil
	}
	op, d := relDiff(n)
	// d is linear in the variable: d(v) = s·v + t.
	name := sortedNames(vars)[0]
	at := func(v float64) complex128 { return eval(d, env{name: complex(v, 0)}, false) }
	t := at(0)
	s := at(1) - t
	if isBad(t) || isBad(s) || imag(s) != 0 || imag(t) != 0 || !c.close(at(2), 2*s+t) || real(s) == 0 {
		return nil
	}
	root := &node{kind: nDiv, kids: []*node{{kind: nNeg, kids: []*node{constantOf(real(t))}}, constantOf(real(s))}}
	if r, ok := exactRoot(d, name); ok {
		root = r
	}
	negInf := &node{kind: nNeg, kids: []*node{{kind: nSym, name: "infty"}}}
	posInf := &node{kind: nSym, name: "infty"}
	closed := op == "<="
	switch {
	case op == "!=":
		return &node{kind: nUnion, kids: []*node{interval(negInf, false, root, false), interval(root, false, posInf, false)}}
	case real(s) > 0: // s·v + t < 0  ⇔  v < root
		return interval(negInf, false, root, closed)
	default:
		return interval(root, closed, posInf, false)
	}
}

// flipped turns a relation around: a < b is b > a.
var flipped = map[string]string{"<": ">", "<=": ">=", ">": "<", ">=": "<=", "!=": "!="}

// absInterval turns an inequality between the absolute value of a linear
// expression and a constant into intervals: |x - 2| < 1 is (1, 3), |x| >= 3
// is (-∞, -3] ∪ [3, ∞) (math-verify turns a relation into the set it
// describes, sympy's as_set, to compare it with a set). It returns nil for
// any other relation.
func absInterval(n *node, c *comparer) *node {
	l, r, op := n.kids[0], n.kids[1], n.rels[0]
	if r.kind == nFunc && r.name == "abs" {
		l, r, op = r, l, flipped[op]
	}
	if l.kind != nFunc || l.name != "abs" || !isConst(r) || op == "!=" || op == "" {
		return nil
	}
	u := l.kids[0]
	rel := func(op string, rhs *node) *node {
		return intervalOf(&node{kind: nRel, rels: []string{op}, kids: []*node{u, rhs}}, c)
	}
	a, b := rel(op, r), rel(flipped[op], &node{kind: nNeg, kids: []*node{r}})
	if a == nil || b == nil {
		return nil
	}
	if op == ">" || op == ">=" {
		return &node{kind: nUnion, kids: []*node{b, a}} // u > c or u < -c
	}
	// u < c and u > -c: the half-line up to +∞ gives the lower end.
	if toNegInf(a) {
		a, b = b, a
	}
	return &node{kind: nSeq, open: a.open, close: b.close, kids: []*node{a.kids[0], b.kids[1]}}
}

// toNegInf reports whether an interval starts at -∞.
func toNegInf(iv *node) bool {
	k := iv.kids[0]
	return k.kind == nNeg && k.kids[0].kind == nSym && k.kids[0].name == "infty"
}

func isConst(n *node) bool {
	vars := map[string]bool{}
	variables(n, vars)
	return len(vars) == 0
}

func interval(lo *node, loClosed bool, hi *node, hiClosed bool) *node {
	open, close := "(", ")"
	if loClosed {
		open = "["
	}
	if hiClosed {
		close = "]"
	}
	return &node{kind: nSeq, open: open, close: close, kids: []*node{lo, hi}}
}

// constantOf wraps a float as a decimal literal node.
func constantOf(f float64) *node {
	return ratNode(new(big.Rat).SetFloat64(f), true)
}

// exactRoot solves d(v) = 0 for linear d in rational arithmetic when d has
// rational coefficients.
func exactRoot(d *node, name string) (*node, bool) {
	sub := func(v int64) *node { return substitute(d, name, v) }
	t, ok := exact(sub(0))
	if !ok {
		return nil, false
	}
	s1, ok := exact(sub(1))
	if !ok {
		return nil, false
	}
	s := s1.Sub(s1, t)
	if s.Sign() == 0 {
		return nil, false
	}
	r := t.Neg(t)
	r.Quo(r, s)
	return ratNode(r, false), true
}

// substitute replaces a variable by an integer.
func substitute(n *node, name string, v int64) *node {
	if n.kind == nSym && n.name == name {
		return ratNode(new(big.Rat).SetInt64(v), false)
	}
	if len(n.kids) == 0 {
		return n
	}
	cp := *n
	cp.kids = make([]*node, len(n.kids))
	for i, k := range n.kids {
		cp.kids[i] = substitute(k, name, v)
	}
	return &cp
}

func hasPM(n *node) bool {
	if n.kind == nPM {
		return true
	}
	if n.kind == nSeq || n.kind == nMatrix || n.kind == nUnion {
		return false
	}
	for _, k := range n.kids {
		if hasPM(k) {
			return true
		}
	}
	return false
}

// expandPM writes an expression with ± as the list of its values
// (1 ± √19 is 1 + √19 and 1 - √19); at most 16 alternatives are kept.
func expandPM(n *node) []*node {
	if n.kind == nSeq && n.open == "" {
		var out []*node
		for _, k := range n.kids {
			out = append(out, expandPM(k)...)
		}
		return out
	}
	if !hasPM(n) {
		return []*node{n}
	}
	if n.kind == nPM {
		var out []*node
		rs := expandPM(n.kids[1])
		for _, l := range expandPM(n.kids[0]) {
			for _, r := range rs {
				out = append(out,
					&node{kind: nAdd, kids: []*node{l, r}},
					&node{kind: nAdd, kids: []*node{l, {kind: nNeg, kids: []*node{r}}}})
			}
		}
		return capAlternatives(out)
	}
	alts := []*node{{kind: n.kind, name: n.name, num: n.num, rels: n.rels, open: n.open, close: n.close}}
	for _, k := range n.kids {
		var next []*node
		vs := expandPM(k)
		for _, a := range alts {
			for _, v := range vs {
				cp := *a
				cp.kids = append(append([]*node(nil), a.kids...), v)
				next = append(next, &cp)
			}
		}
		alts = capAlternatives(next)
	}
	return alts
}

func capAlternatives(n []*node) []*node {
	if len(n) > 16 {
		return n[:16]
	}
	return n
}
