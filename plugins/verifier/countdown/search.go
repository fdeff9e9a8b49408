package countdown

import (
	"strconv"
	"strings"
)

// item is one number during a search: a given number or an intermediate
// result, with the expression that produced it.
type item struct {
	value int
	expr  string // the expression in answer form, e.g. "(25+7)"
	leaf  bool   // a given number rather than a result
}

// move combines items[i] and items[j] with op into result. i holds the
// larger value (the first operand), so that - never goes negative and /
// divides the larger number by the smaller.
type move struct {
	i, j   int
	op     byte
	result int
}

// ops are the operators, in the order moves are listed.
const ops = "+-*/"

// leaves turns given numbers into search items.
func leaves(numbers []int) []item {
	items := make([]item, len(numbers))
	for k, n := range numbers {
		items[k] = item{value: n, expr: strconv.Itoa(n), leaf: true}
	}
	return items
}

// values returns the values of items.
func values(items []item) []int {
	out := make([]int, len(items))
	for k, it := range items {
		out[k] = it.value
	}
	return out
}

// moves lists the moves allowed on a list of values: results between 1 and
// maxValue, subtraction only of a smaller number, division only when exact.
// When every value is in 1..maxValue the list is never empty: a-b or a/a is
// always allowed.
func moves(vals []int, maxValue int) []move {
	var out []move
	for x := range vals {
		for y := x + 1; y < len(vals); y++ {
			i, j := x, y
			if vals[j] > vals[i] {
				i, j = j, i
			}
			a, b := vals[i], vals[j]
			for _, op := range []byte(ops) {
				r, exact := compute(a, op, b)
				if exact && r >= 1 && r <= maxValue {
					out = append(out, move{i: i, j: j, op: op, result: r})
				}
			}
		}
	}
	return out
}

// apply returns the items after m: the two operands replaced by the result,
// which takes the place of the first of them.
func apply(items []item, m move) []item {
	out := make([]item, 0, len(items)-1)
	first := min(m.i, m.j)
	for k, it := range items {
		switch k {
		case first:
			out = append(out, item{value: m.result, expr: "(" + items[m.i].expr + string(m.op) + items[m.j].expr + ")"})
		case m.i, m.j:
		default:
			out = append(out, it)
		}
	}
	return out
}

// answer is the expression of the last item, without its outer parentheses.
func answer(it item) string {
	if it.leaf {
		return it.expr
	}
	return it.expr[1 : len(it.expr)-1]
}

// stepText writes a move as a step of a trace, e.g. "25+7=32".
func stepText(items []item, m move) string {
	var b strings.Builder
	b.WriteString(strconv.Itoa(items[m.i].value))
	b.WriteByte(m.op)
	b.WriteString(strconv.Itoa(items[m.j].value))
	b.WriteByte('=')
	b.WriteString(strconv.Itoa(m.result))
	return b.String()
}

// combine returns the values after m, laid out as apply lays out items.
func combine(vals []int, m move) []int {
	out := make([]int, 0, len(vals)-1)
	first := min(m.i, m.j)
	for k, v := range vals {
		switch k {
		case first:
			out = append(out, m.result)
		case m.i, m.j:
		default:
			out = append(out, v)
		}
	}
	return out
}

// reachable reports whether the values can be combined, all of them, into
// target with the allowed moves.
func reachable(vals []int, target, maxValue int) bool {
	var v [maxSize]int
	copy(v[:], vals)
	return reach(v, len(vals), target, maxValue)
}

// maxSize is the most numbers a problem may have.
const maxSize = 5

// reach is reachable on the first n values of an array, which is copied
// rather than allocated at each level of the search.
func reach(v [maxSize]int, n, target, maxValue int) bool {
	if n == 1 {
		return v[0] == target
	}
	for x := 0; x < n; x++ {
		for y := x + 1; y < n; y++ {
			a, b := max(v[x], v[y]), min(v[x], v[y])
			// The rest: v without x and y, the result in x's place.
			rest := v
			rest[y] = rest[n-1]
			for _, r := range [4]int{a + b, a - b, a * b, quotient(a, b)} {
				if r < 1 || r > maxValue {
					continue
				}
				rest[x] = r
				if reach(rest, n-1, target, maxValue) {
					return true
				}
			}
		}
	}
	return false
}

// quotient is a/b when the division is exact and 0 (no move) otherwise.
func quotient(a, b int) int {
	if a%b != 0 {
		return 0
	}
	return a / b
}
