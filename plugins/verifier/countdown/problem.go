package countdown

import (
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
)

// Split says which part of the problem space a problem belongs to.
type Split int

// The splits. Every problem belongs to exactly one of them, decided by a
// hash of its numbers (as a multiset) and target, whatever the seed and
// options that drew it: train and eval problems never overlap.
const (
	Train Split = iota
	Eval
)

func (s Split) String() string {
	switch s {
	case Train:
		return "train"
	case Eval:
		return "eval"
	}
	return "Split(" + strconv.Itoa(int(s)) + ")"
}

// evalBuckets: one problem in evalBuckets belongs to Eval.
const evalBuckets = 10

// SplitOf returns the split a problem with these numbers and target belongs
// to. The order of the numbers does not matter.
func SplitOf(numbers []int, target int) Split {
	h := fnv.New64a()
	h.Write([]byte("countdown " + canonicalKey(numbers, target)))
	if h.Sum64()%evalBuckets == 0 {
		return Eval
	}
	return Train
}

// Options shape the problems. The zero value of a field selects its default.
type Options struct {
	// Sizes are the numbers of given numbers a problem may have (its
	// difficulty); each problem draws one of them uniformly. Default {3, 4};
	// each size must be between 2 and 5.
	Sizes []int
	// MaxNumber: given numbers are drawn uniformly from 1..MaxNumber,
	// with repetition. Default 20.
	MaxNumber int
	// MinTarget and MaxTarget bound the targets. Default 10 and 99.
	MinTarget, MaxTarget int
	// MaxValue bounds every intermediate result of the generator's
	// expressions and of the trace policy's steps (1..MaxValue). Answers
	// outside it are still verified like any other. Default 99.
	MaxValue int
}

// withDefaults fills the zero fields and checks the result.
func (o Options) withDefaults() (Options, error) {
	if len(o.Sizes) == 0 {
		o.Sizes = []int{3, 4}
	}
	if o.MaxNumber == 0 {
		o.MaxNumber = 20
	}
	if o.MinTarget == 0 {
		o.MinTarget = 10
	}
	if o.MaxTarget == 0 {
		o.MaxTarget = 99
	}
	if o.MaxValue == 0 {
		o.MaxValue = 99
	}
	for _, k := range o.Sizes {
		if k < 2 || k > maxSize {
			return o, fmt.Errorf("countdown: problem size %d is outside 2..%d", k, maxSize)
		}
	}
	if o.MaxNumber < 1 {
		return o, fmt.Errorf("countdown: MaxNumber is %d; it must be at least 1", o.MaxNumber)
	}
	if o.MinTarget < 1 || o.MaxTarget < o.MinTarget {
		return o, fmt.Errorf("countdown: targets %d..%d are not a range of positive numbers", o.MinTarget, o.MaxTarget)
	}
	if o.MaxValue < o.MaxTarget || o.MaxValue < o.MaxNumber {
		return o, fmt.Errorf("countdown: MaxValue %d is below MaxTarget %d or MaxNumber %d", o.MaxValue, o.MaxTarget, o.MaxNumber)
	}
	return o, nil
}

// Problem is one countdown problem.
type Problem struct {
	Numbers []int  // the given numbers, in prompt order
	Target  int    // the value to reach
	Prompt  string // the prompt, FormatPrompt(Numbers, Target)
	Answer  string // one correct equation, e.g. "(25+7)-3"
}

// Check judges a response to the problem; see the function Check.
func (p Problem) Check(response string) Verdict {
	return Check(p.Numbers, p.Target, response)
}

// Split returns the split the problem belongs to.
func (p Problem) Split() Split { return SplitOf(p.Numbers, p.Target) }

// maxDraws bounds the candidates drawn per problem requested, so that an
// exhausted problem space ends in an error instead of an endless loop.
const maxDraws = 1000

// Problems draws n problems of a split from a seed. The same seed, split,
// n and options give the same problems. Eval problems are distinct;
// train problems are independent draws and may repeat. A problem's
// numbers are drawn first, then its target is the value of a random
// expression over all of them (each intermediate result in 1..MaxValue),
// so every problem has a solution, and targets with many solutions come up
// more often than targets with few.
func Problems(seed uint64, split Split, n int, opts Options) ([]Problem, error) {
	g, err := newGenerator(seed, split, opts)
	if err != nil {
		return nil, err
	}
	out := make([]Problem, 0, n)
	for len(out) < n {
		p, err := g.next()
		if err != nil {
			return out, fmt.Errorf("%w (after %d of %d %s problems)", err, len(out), n, split)
		}
		out = append(out, p)
	}
	return out, nil
}

// generator draws the problems of one split.
type generator struct {
	opts  Options
	split Split
	rng   *stream
	seen  map[string]bool // keys of the problems returned, for Eval
}

func newGenerator(seed uint64, split Split, opts Options) (*generator, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if split != Train && split != Eval {
		return nil, fmt.Errorf("countdown: unknown split %v", split)
	}
	return &generator{opts: opts, split: split, rng: newStream(seed, "countdown/problems/"+split.String()), seen: map[string]bool{}}, nil
}

// next draws the next problem of the generator's split.
func (g *generator) next() (Problem, error) {
	for range maxDraws {
		p, ok := g.draw()
		if !ok || p.Split() != g.split {
			continue
		}
		if g.split == Eval {
			key := canonicalKey(p.Numbers, p.Target)
			if g.seen[key] {
				continue
			}
			g.seen[key] = true
		}
		return p, nil
	}
	return Problem{}, fmt.Errorf("countdown: no new problem found in %d draws; the options allow too few distinct problems", maxDraws)
}

// draw makes one candidate problem; ok is false when its target falls out
// of range.
func (g *generator) draw() (p Problem, ok bool) {
	k := g.opts.Sizes[g.rng.intn(len(g.opts.Sizes))]
	numbers := make([]int, k)
	for i := range numbers {
		numbers[i] = 1 + g.rng.intn(g.opts.MaxNumber)
	}
	items := leaves(numbers)
	for len(items) > 1 {
		ms := moves(values(items), g.opts.MaxValue)
		items = apply(items, ms[g.rng.intn(len(ms))])
	}
	target := items[0].value
	if target < g.opts.MinTarget || target > g.opts.MaxTarget {
		return Problem{}, false
	}
	return Problem{Numbers: numbers, Target: target, Prompt: FormatPrompt(numbers, target), Answer: answer(items[0])}, true
}

// canonicalKey identifies a problem up to the order of its numbers.
func canonicalKey(numbers []int, target int) string {
	sorted := slices.Clone(numbers)
	slices.Sort(sorted)
	return FormatPrompt(sorted, target)
}
