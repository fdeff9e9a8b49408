package countdown

import (
	"reflect"
	"strings"
	"testing"
)

func TestProblemsDeterministic(t *testing.T) {
	for _, split := range []Split{Train, Eval} {
		a, err := Problems(7, split, 200, Options{})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := Problems(7, split, 200, Options{})
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("%v: the same seed gave different problems", split)
		}
		c, _ := Problems(8, split, 200, Options{})
		if reflect.DeepEqual(a, c) {
			t.Fatalf("%v: seeds 7 and 8 gave the same problems", split)
		}
	}
}

// TestProblemsPinned pins the first problems of a seed, so that a change of
// the generator that would change every dataset (and the committed base
// model's training data) does not go unnoticed.
func TestProblemsPinned(t *testing.T) {
	ps, err := Problems(1, Eval, 3, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range ps {
		got = append(got, p.Prompt+p.Answer)
	}
	want := []string{"18 4 2 11>69:((18+2)*4)-11", "2 20 1>18:(20*1)-2", "14 6 9 16>34:(16*(9-6))-14"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("first eval problems of seed 1: %q, want %q", got, want)
	}
}

func TestProblemsValidAndGraded(t *testing.T) {
	for _, split := range []Split{Train, Eval} {
		ps, err := Problems(3, split, 1000, Options{})
		if err != nil {
			t.Fatal(err)
		}
		sizes := map[int]int{}
		for _, p := range ps {
			sizes[len(p.Numbers)]++
			if p.Split() != split {
				t.Fatalf("%v problem %q belongs to %v", split, p.Prompt, p.Split())
			}
			if p.Prompt != FormatPrompt(p.Numbers, p.Target) {
				t.Fatalf("prompt %q of %v>%d", p.Prompt, p.Numbers, p.Target)
			}
			if v := p.Check(AnswerMark + p.Answer + ResponseEnd); v.Failure != Correct {
				t.Fatalf("reference answer %q of %q: %s", p.Answer, p.Prompt, v.Reason)
			}
			if p.Target < 10 || p.Target > 99 {
				t.Fatalf("target of %q out of 10..99", p.Prompt)
			}
			for _, n := range p.Numbers {
				if n < 1 || n > 20 {
					t.Fatalf("number %d of %q out of 1..20", n, p.Prompt)
				}
			}
		}
		if sizes[3] < 400 || sizes[4] < 400 || len(sizes) != 2 {
			t.Fatalf("%v: problem sizes %v, want about half 3 and half 4", split, sizes)
		}
	}
}

func TestSplitsDisjoint(t *testing.T) {
	opts := Options{Sizes: []int{3}, MaxNumber: 10}
	eval, err := Problems(1, Eval, 100, opts)
	if err != nil {
		t.Fatal(err)
	}
	evalKeys := map[string]bool{}
	for _, p := range eval {
		key := canonicalKey(p.Numbers, p.Target)
		if evalKeys[key] {
			t.Fatalf("eval problem %q drawn twice", key)
		}
		evalKeys[key] = true
	}
	// Train problems of other seeds and options never hit an eval problem.
	for seed := uint64(1); seed <= 3; seed++ {
		train, err := Problems(seed, Train, 3000, opts)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range train {
			if evalKeys[canonicalKey(p.Numbers, p.Target)] {
				t.Fatalf("train problem %q (seed %d) is an eval problem", p.Prompt, seed)
			}
		}
	}
	// The split does not depend on the order of the numbers.
	if SplitOf([]int{3, 7, 25}, 29) != SplitOf([]int{25, 3, 7}, 29) {
		t.Fatal("the split depends on the order of the numbers")
	}
}

func TestProblemsOptionErrors(t *testing.T) {
	tests := []struct {
		opts Options
		msg  string
	}{
		{Options{Sizes: []int{1}}, "size 1 is outside 2..5"},
		{Options{MaxNumber: -1}, "MaxNumber"},
		{Options{MinTarget: 50, MaxTarget: 20}, "not a range"},
		{Options{MaxValue: 50}, "MaxValue 50 is below MaxTarget 99"},
	}
	for _, tt := range tests {
		if _, err := Problems(1, Train, 1, tt.opts); err == nil || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("Problems with %+v: error %v, want one containing %q", tt.opts, err, tt.msg)
		}
	}
	if _, err := Problems(1, Split(5), 1, Options{}); err == nil || !strings.Contains(err.Error(), "unknown split") {
		t.Errorf("unknown split: error %v", err)
	}
	// A space of few problems runs out of distinct eval problems.
	small := Options{Sizes: []int{2}, MaxNumber: 3, MinTarget: 1, MaxTarget: 9, MaxValue: 9}
	if _, err := Problems(1, Eval, 50, small); err == nil || !strings.Contains(err.Error(), "too few distinct problems") {
		t.Errorf("exhausted eval space: error %v", err)
	}
}
