package countdown

import (
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
)

func TestTracesDeterministic(t *testing.T) {
	a, err := Traces(5, 300, TraceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Traces(5, 300, TraceOptions{})
	if !reflect.DeepEqual(a, b) {
		t.Fatal("the same seed gave different traces")
	}
	c, _ := Traces(6, 300, TraceOptions{})
	if reflect.DeepEqual(a, c) {
		t.Fatal("seeds 5 and 6 gave the same traces")
	}
}

// TestTracePinned pins one trace, so that a change of the policy that would
// change the committed base model's training data does not go unnoticed.
func TestTracePinned(t *testing.T) {
	ex, err := Traces(1, 1, TraceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := ex[0].Prompt + ex[0].Completion
	const want = "6 4 12 3>96:12*4=48 48-3=45 45+6=51 no 6-3=3 12-3=9 9*4=36 no ans:(12-(6-3))*4\n"
	if got != want {
		t.Fatalf("first trace of seed 1: %q, want %q", got, want)
	}
}

// TestTracesFollowTheFormat checks every trace of a sample: alphabet,
// length, correct arithmetic in every step, the verdict after each attempt,
// the answer, and Solved against the verifier.
func TestTracesFollowTheFormat(t *testing.T) {
	const n = 2000
	opts := TraceOptions{}
	ex, err := Traces(11, n, opts)
	if err != nil {
		t.Fatal(err)
	}
	solved := map[int]int{}
	total := map[int]int{}
	patience := map[int]int{} // attempts of traces that gave up
	for _, e := range ex {
		k := len(e.Problem.Numbers)
		total[k]++
		text := e.Prompt + e.Completion
		if len(text) > 126 {
			t.Fatalf("trace %q is longer than 126", text)
		}
		for _, c := range text {
			if !strings.ContainsRune(Alphabet, c) {
				t.Fatalf("trace %q has %q, which is not in the alphabet", text, c)
			}
		}
		if strings.Count(e.Completion, ResponseEnd) != 1 || !strings.HasSuffix(e.Completion, ResponseEnd) {
			t.Fatalf("completion %q does not end with its only newline", e.Completion)
		}
		v := e.Problem.Check(e.Completion)
		if (v.Failure == Correct) != e.Solved {
			t.Fatalf("trace %q: Solved %v, verifier %v (%s)", text, e.Solved, v.Failure, v.Reason)
		}
		if !e.Solved && v.Failure != WrongValue {
			t.Fatalf("trace %q gives up with %v, want a wrong value", text, v.Failure)
		}
		if w := CheckWork(e.Problem.Numbers, e.Problem.Target, e.Completion); w.Failure != v.Failure {
			t.Fatalf("trace %q: CheckWork %v (%s), Check %v", text, w.Failure, w.Reason, v.Failure)
		}
		checkAttempts(t, e)
		if e.Solved {
			solved[k]++
		} else {
			patience[e.Attempts]++
		}
	}
	for _, k := range []int{3, 4} {
		rate := float64(solved[k]) / float64(total[k])
		t.Logf("k=%d: %d traces, %.1f%% solved", k, total[k], 100*rate)
		if rate < 0.1 || rate > 0.8 {
			t.Errorf("k=%d: %.1f%% of the traces are solved, want a fraction well inside (0, 1)", k, 100*rate)
		}
	}
	for a := 1; a <= 4; a++ {
		if patience[a] == 0 {
			t.Errorf("no trace gives up after %d attempts; patience must vary over 1..4 (%v)", a, patience)
		}
	}
}

// checkAttempts re-reads a completion step by step.
func checkAttempts(t *testing.T, e Example) {
	t.Helper()
	body, _, _ := strings.Cut(e.Completion, AnswerMark)
	attempts := strings.Split(strings.TrimSuffix(body, " "), " "+FailMark+" ")
	if len(attempts) != e.Attempts {
		t.Fatalf("completion %q has %d attempts, Attempts says %d", e.Completion, len(attempts), e.Attempts)
	}
	for i, a := range attempts {
		if i == len(attempts)-1 && !e.Solved {
			a = strings.TrimSuffix(a, " "+FailMark)
		}
		pool := append([]int(nil), e.Problem.Numbers...)
		steps := strings.Split(a, " ")
		if len(steps) != len(e.Problem.Numbers)-1 {
			t.Fatalf("attempt %q of %q has %d steps", a, e.Completion, len(steps))
		}
		last := 0
		for _, s := range steps {
			x, y, op, r := parseStep(t, s)
			pool = take(t, pool, x, s)
			pool = take(t, pool, y, s)
			if x < y || want(x, y, op) != r {
				t.Fatalf("step %q of %q is wrong", s, e.Completion)
			}
			pool = append(pool, r)
			last = r
		}
		if hit := last == e.Problem.Target; hit != (i == len(attempts)-1 && e.Solved) {
			t.Fatalf("attempt %q of %q: hit %v out of place", a, e.Completion, hit)
		}
	}
}

func parseStep(t *testing.T, s string) (x, y int, op byte, r int) {
	t.Helper()
	lhs, rhs, ok := strings.Cut(s, "=")
	i := strings.IndexAny(lhs, ops)
	if !ok || i <= 0 {
		t.Fatalf("step %q is malformed", s)
	}
	x, err1 := strconv.Atoi(lhs[:i])
	y, err2 := strconv.Atoi(lhs[i+1:])
	r, err3 := strconv.Atoi(rhs)
	if err1 != nil || err2 != nil || err3 != nil {
		t.Fatalf("step %q is malformed", s)
	}
	return x, y, lhs[i], r
}

func take(t *testing.T, pool []int, v int, step string) []int {
	t.Helper()
	for i, p := range pool {
		if p == v {
			return append(pool[:i:i], pool[i+1:]...)
		}
	}
	t.Fatalf("step %q uses %d, which is not available", step, v)
	return nil
}

func want(x, y int, op byte) int {
	switch op {
	case '+':
		return x + y
	case '-':
		return x - y
	case '*':
		return x * y
	}
	if x%y != 0 {
		return -1
	}
	return x / y
}

func TestTracesSkill(t *testing.T) {
	rate := func(skill float64) float64 {
		ex, err := Traces(2, 1000, TraceOptions{Skill: skill})
		if err != nil {
			t.Fatal(err)
		}
		solved := 0
		for _, e := range ex {
			if e.Solved {
				solved++
			}
		}
		return float64(solved) / float64(len(ex))
	}
	random, skilled, perfect := rate(-1), rate(0.6), rate(1)
	if !(random < skilled && skilled < perfect) || perfect < 0.99 {
		t.Fatalf("solve rates by skill: none %.3f, 0.6 %.3f, 1 %.3f; want increasing, and all at skill 1", random, skilled, perfect)
	}
}

func TestTraceOptionErrors(t *testing.T) {
	tests := []struct {
		opts TraceOptions
		msg  string
	}{
		{TraceOptions{Skill: 1.5}, "Skill 1.5 is above 1"},
		{TraceOptions{MaxAttempts: -2}, "MaxAttempts"},
		{TraceOptions{MaxLen: -1}, "MaxLen"},
		{TraceOptions{Problems: Options{Sizes: []int{9}}}, "size 9"},
	}
	for _, tt := range tests {
		if _, err := Traces(1, 1, tt.opts); err == nil || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("Traces with %+v: error %v, want one containing %q", tt.opts, err, tt.msg)
		}
	}
}

func TestTracesFitMaxLen(t *testing.T) {
	ex, err := Traces(3, 500, TraceOptions{MaxLen: 60})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ex {
		if n := len(e.Prompt) + len(e.Completion); n > 60 {
			t.Fatalf("trace of %d characters with MaxLen 60: %q", n, e.Prompt+e.Completion)
		}
	}
}

// TestTraceEntropies checks the policy's per-character entropies against
// the roles of the characters: results, verdicts, the answer and the
// formatting are determined; choices are not. It logs the figures that
// the quickstart needs of the base model, for a model that imitated the policy
// perfectly.
func TestTraceEntropies(t *testing.T) {
	ex, err := Traces(12, 3000, TraceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var all []float64
	sum := map[Role]float64{}
	count := map[Role]int{}
	for _, e := range ex {
		if len(e.Entropies) != len(e.Completion) {
			t.Fatalf("%d entropies for %d characters of %q", len(e.Entropies), len(e.Completion), e.Completion)
		}
		for i, r := range Roles(e.Completion) {
			h := float64(e.Entropies[i])
			if h < 0 || math.IsNaN(h) {
				t.Fatalf("entropy %g at %d of %q", h, i, e.Completion)
			}
			switch r {
			// The choices; and = ends an operand that another one extends
			// ("15+1=" or "15+12=").
			case RoleOperand, RoleOperandDigit, RoleOperator, RoleGoOn, RoleEquals:
			default:
				if h != 0 {
					t.Fatalf("character %d (%v) of %q has entropy %g, but it is determined", i, r, e.Completion, h)
				}
			}
			all = append(all, h)
			sum[r] += h
			count[r]++
		}
	}
	sort.Sort(sort.Reverse(sort.Float64Slice(all)))
	total, top, below := 0.0, 0.0, 0
	for i, h := range all {
		total += h
		if i < (len(all)+4)/5 {
			top += h
		}
		if h < 0.01 {
			below++
		}
	}
	belowShare, topShare := float64(below)/float64(len(all)), top/total
	t.Logf("%d characters: %.1f%% below 0.01 nats, the top 20%% hold %.1f%% of the entropy", len(all), 100*belowShare, 100*topShare)
	for _, r := range []Role{RoleOperand, RoleOperator, RoleGoOn, RoleOperandDigit, RoleEquals} {
		t.Logf("  %-14s mean %.3f over %d", r, sum[r]/float64(count[r]), count[r])
	}
	if belowShare < 0.5 || topShare < 0.8 {
		t.Errorf("the traces' entropy is not skewed enough: %.1f%% below 0.01, top 20%% hold %.1f%%", 100*belowShare, 100*topShare)
	}
	if sum[RoleOperator]/float64(count[RoleOperator]) < 0.3 || sum[RoleGoOn]/float64(count[RoleGoOn]) < 0.3 {
		t.Errorf("operators (%.3f) and the go-on choice (%.3f) should be uncertain", sum[RoleOperator]/float64(count[RoleOperator]), sum[RoleGoOn]/float64(count[RoleGoOn]))
	}
}

func BenchmarkTraces(b *testing.B) {
	for b.Loop() {
		if _, err := Traces(1, 1000, TraceOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkProblems(b *testing.B) {
	for b.Loop() {
		if _, err := Problems(1, Eval, 512, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
