package countdown

import "strings"

// Role names what a character of a completion does, for analyses of
// per-token entropy: which characters are decisions of the search and which
// follow from earlier ones.
type Role string

// The roles. Decisions: RoleOperand (which number a step takes), RoleOperator
// (which operation) and RoleGoOn (after a miss: another attempt or give up).
// Determined: everything else.
const (
	RoleOperand      Role = "operand"       // the first digit of an operand of a step
	RoleOperandDigit Role = "operand-digit" // a later digit of an operand
	RoleOperator     Role = "operator"      // the operator of a step
	RoleEquals       Role = "equals"        // the = of a step
	RoleResult       Role = "result"        // a digit of a step's result
	RoleSpace        Role = "space"         // a separator
	RoleVerdict      Role = "verdict"       // "no" after a miss, or the first letter of the answer mark after a hit
	RoleGoOn         Role = "go-on"         // the first character after "no ": a new attempt or the answer
	RoleAnswerMark   Role = "answer-mark"   // the rest of the answer mark
	RoleAnswer       Role = "answer"        // the final equation
	RoleEnd          Role = "end"           // ResponseEnd
	RoleOther        Role = "other"         // anything outside the format
)

// Roles labels each byte of a completion (the alphabet is ASCII, so each
// character is one byte) with its role. Text outside the format is
// RoleOther; the result always has len(completion) entries.
func Roles(completion string) []Role {
	roles := make([]Role, len(completion))
	for i := range roles {
		roles[i] = RoleOther
	}
	pos := 0
	afterMiss := false
	for pos < len(completion) {
		if completion[pos] == ' ' {
			roles[pos] = RoleSpace
			pos++
			continue
		}
		if strings.HasPrefix(completion[pos:], AnswerMark) {
			labelAnswer(completion, pos, roles)
			if afterMiss {
				roles[pos] = RoleGoOn
			} else {
				roles[pos] = RoleVerdict
			}
			return roles
		}
		end := pos + strings.IndexAny(completion[pos:]+" ", " ")
		word := completion[pos:end]
		switch {
		case word == FailMark:
			for i := pos; i < end; i++ {
				roles[i] = RoleVerdict
			}
			afterMiss = true
		default:
			labelStep(word, roles[pos:end])
			if afterMiss {
				roles[pos] = RoleGoOn
			}
			afterMiss = false
		}
		pos = end
	}
	return roles
}

// labelStep labels a step "a op b=c"; a malformed word keeps RoleOther
// from its first unexpected character on.
func labelStep(word string, roles []Role) {
	i := 0
	operand := func() bool {
		start := i
		for i < len(word) && word[i] >= '0' && word[i] <= '9' {
			roles[i] = RoleOperandDigit
			i++
		}
		if i == start {
			return false
		}
		roles[start] = RoleOperand
		return true
	}
	if !operand() || i == len(word) || !strings.ContainsRune(ops, rune(word[i])) {
		return
	}
	roles[i] = RoleOperator
	i++
	if !operand() || i == len(word) || word[i] != '=' {
		return
	}
	roles[i] = RoleEquals
	for i++; i < len(word) && word[i] >= '0' && word[i] <= '9'; i++ {
		roles[i] = RoleResult
	}
}

// labelAnswer labels the answer mark at pos, the equation after it and
// ResponseEnd.
func labelAnswer(completion string, pos int, roles []Role) {
	i := pos
	for ; i < pos+len(AnswerMark); i++ {
		roles[i] = RoleAnswerMark
	}
	for ; i < len(completion) && !strings.HasPrefix(completion[i:], ResponseEnd); i++ {
		roles[i] = RoleAnswer
	}
	if i < len(completion) {
		roles[i] = RoleEnd
	}
}
