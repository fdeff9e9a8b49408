// Package selection decides which tokens of a ragged batch get a policy
// gradient: the top-ρ highest-entropy tokens (the "forking" tokens), the
// bottom-ρ, a seeded random ρ, or all of them.
//
// Two rules turn ρ into a cut, because public code disagrees:
//
//   - TopK keeps exactly k = max(1, ⌈ρ·n⌉) of the n valid tokens, computed as
//     max(1, int(n·ρ + 0.9999)) like the paper's released code (the 0.9999
//     absorbs floating-point noise such as 100·0.07 = 7.000000000000001). Ties
//     at the cut are broken deterministically: higher entropy first, then the
//     earlier sequence, then the earlier position.
//   - Quantile keeps every valid token whose entropy is ≥ the linearly
//     interpolated (1−ρ)-quantile of the valid entropies, like TRL's
//     get_high_entropy_mask and torch.quantile, in their float32 arithmetic
//     (see Selector.Quantile), so that a quantile whose position falls on a
//     data point keeps the same tokens as TRL; ties at the cut are all kept.
//
// Bottom-ρ is defined as the valid tokens that top-(1−ρ) leaves out, so top-ρ
// and bottom-(1−ρ) always partition the valid tokens exactly, under both rules.
// Random-ρ keeps as many tokens as top-ρ would, drawn uniformly without
// replacement from the valid tokens by a PCG stream seeded with Options.Seed.
//
// The cut is found without sorting, in expected O(n): evenly spaced samples
// bracket the wanted rank, one pass (AVX2 on amd64) counts the values below
// the bracket and gathers the few inside it, and radix select on the
// order-preserving bits of the float32 values finishes on those. Tokens whose
// entropy is NaN are treated as invalid.
//
// The fuzz test runs with
//
//	go test ./kernels/selection -run '^$' -fuzz FuzzSelect -fuzztime 1m
package selection

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Mode is which tokens a selection keeps.
type Mode int

const (
	// Top keeps the highest-entropy ρ of the valid tokens.
	Top Mode = iota
	// Bottom keeps the valid tokens that Top with 1−ρ leaves out.
	Bottom
	// Random keeps as many valid tokens as Top would, chosen uniformly at random.
	Random
	// All keeps every valid token (ρ is ignored).
	All
)

var modeNames = []string{"top", "bottom", "random", "all"}

// String returns the mode's name as recipes spell it: top, bottom, random or all.
func (m Mode) String() string {
	if m >= 0 && int(m) < len(modeNames) {
		return modeNames[m]
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// ParseMode returns the mode named s (top, bottom, random or all).
func ParseMode(s string) (Mode, error) {
	for i, n := range modeNames {
		if s == n {
			return Mode(i), nil
		}
	}
	return 0, fmt.Errorf("unknown selection mode %q: want top, bottom, random or all", s)
}

// Rule is how ρ becomes a cut.
type Rule int

const (
	// TopK keeps exactly max(1, ⌈ρn⌉) tokens with a deterministic tie-break.
	TopK Rule = iota
	// Quantile keeps every token at or above the interpolated (1−ρ)-quantile.
	Quantile
)

var ruleNames = []string{"topk", "quantile"}

// String returns the rule's name as recipes spell it: topk or quantile.
func (r Rule) String() string {
	if r >= 0 && int(r) < len(ruleNames) {
		return ruleNames[r]
	}
	return fmt.Sprintf("Rule(%d)", int(r))
}

// ParseRule returns the rule named s (topk or quantile).
func ParseRule(s string) (Rule, error) {
	for i, n := range ruleNames {
		if s == n {
			return Rule(i), nil
		}
	}
	return 0, fmt.Errorf("unknown selection rule %q: want topk or quantile", s)
}

// Options configure one selection.
type Options struct {
	Mode Mode
	Rule Rule
	Rho  float64 // fraction in [0, 1]; values outside are clamped
	Seed uint64  // the random stream of Random
}

// Result reports what a selection did.
type Result struct {
	// Threshold is the entropy cut of Top and Bottom: the k-th largest valid
	// entropy under TopK, the interpolated quantile under Quantile (for Bottom,
	// the cut of the complementary Top). It is 0 for All, for Random and for an
	// empty valid set.
	Threshold float64
	Selected  int // tokens given weight 1
	Valid     int // valid tokens (mask true, entropy not NaN)
}

// Select writes a 0/1 weight per token of a ragged batch (weights[i] has
// len(entropies[i])). mask[i][j] marks valid tokens; nil mask = all valid.
// Invalid tokens get weight 0. An empty valid set selects nothing.
func Select(weights [][]float32, entropies [][]float32, mask [][]bool, opt Options) Result {
	var s Selector
	return s.Select(weights, entropies, mask, opt)
}

// Selector does what Select does, keeping its scratch memory between calls.
// The zero value is ready to use; a Selector must not be used concurrently.
type Selector struct {
	vals   []float32 // valid entropies in batch order
	cand   []uint32  // keys of the ranks around the one selected
	sample []uint32  // evenly spaced keys that bracket a rank
	work   []uint32  // radix-select scratch
	chosen []bool    // Random: per valid token
	order  []int32   // Random: Fisher–Yates permutation
}

// Select is the scratch-reusing form of the package-level Select.
func (s *Selector) Select(weights [][]float32, entropies [][]float32, mask [][]bool, opt Options) Result {
	checkShapes(weights, entropies, mask)
	s.vals = s.vals[:0]
	for i, row := range entropies {
		m := maskRow(mask, i)
		for j, e := range row {
			if (m == nil || m[j]) && e == e {
				s.vals = append(s.vals, e+0) // +0 turns −0 into +0
			}
		}
	}
	n := len(s.vals)
	rho := min(max(opt.Rho, 0), 1)
	if math.IsNaN(opt.Rho) {
		rho = 0
	}
	res := Result{Valid: n}
	if n == 0 {
		zero(weights)
		return res
	}
	switch opt.Mode {
	case All:
		res.Selected = markCut(weights, entropies, mask, cut{v: float32(math.Inf(-1)), ties: n}, false)
	case Top:
		c := s.topCut(rho, opt.Rule)
		res.Threshold = c.threshold
		res.Selected = markCut(weights, entropies, mask, c, false)
	case Bottom:
		c := s.topCut(1-rho, opt.Rule)
		res.Threshold = c.threshold
		res.Selected = markCut(weights, entropies, mask, c, true)
	case Random:
		c := s.topCut(rho, opt.Rule)
		s.pickRandom(n, c.count(s.vals), opt.Seed)
		res.Selected = markChosen(weights, entropies, mask, s.chosen)
	default:
		panic("selection: unknown mode")
	}
	return res
}

// cut is a top cut over the valid entropies in batch order: keep every
// entropy above v, and the first ties entropies equal to v.
type cut struct {
	v         float32
	ties      int
	threshold float64 // the cut as Result reports it
}

// count returns how many of vals the cut keeps.
func (c cut) count(vals []float32) int {
	above, equal := 0, 0
	for _, e := range vals {
		if e > c.v {
			above++
		} else if e == c.v {
			equal++
		}
	}
	return above + min(equal, c.ties)
}

// topCut returns the cut of top-ρ over s.vals under rule.
func (s *Selector) topCut(rho float64, rule Rule) cut {
	switch rule {
	case TopK:
		k := TopKCount(len(s.vals), rho)
		v, above := s.KthLargest(s.vals, k)
		return cut{v: v, ties: k - above, threshold: float64(v)}
	case Quantile:
		// TRL compares the entropies with the quantile in float32, as here.
		v := s.Quantile(s.vals, 1-rho)
		return cut{v: v, ties: len(s.vals), threshold: float64(v)}
	}
	panic("selection: unknown rule")
}

// markCut writes 1 for the valid tokens that c keeps (or, with invert, that
// it leaves out), 0 for the others, and returns how many it wrote 1 for.
func markCut(weights, entropies [][]float32, mask [][]bool, c cut, invert bool) int {
	n := 0
	for i, row := range entropies {
		w, m := weights[i], maskRow(mask, i)
		for j, e := range row {
			k := false
			if (m == nil || m[j]) && e == e {
				keep := e > c.v
				if e == c.v && c.ties > 0 {
					keep = true
					c.ties--
				}
				k = keep != invert
			}
			w[j] = 0
			if k {
				w[j] = 1
				n++
			}
		}
	}
	return n
}

// markChosen writes chosen[t] as 0/1 for the t-th valid token in batch order,
// 0 for invalid tokens, and returns how many it chose.
func markChosen(weights, entropies [][]float32, mask [][]bool, chosen []bool) int {
	n, t := 0, 0
	for i, row := range entropies {
		w, m := weights[i], maskRow(mask, i)
		for j, e := range row {
			w[j] = 0
			if (m == nil || m[j]) && e == e {
				if chosen[t] {
					w[j] = 1
					n++
				}
				t++
			}
		}
	}
	return n
}

func maskRow(mask [][]bool, i int) []bool {
	if mask == nil {
		return nil
	}
	return mask[i]
}

// pickRandom sets s.chosen[0:n] to c true values at uniformly random places.
func (s *Selector) pickRandom(n, c int, seed uint64) {
	s.chosen = resize(s.chosen, n)
	clear(s.chosen)
	s.order = resize(s.order, n)
	for i := range s.order {
		s.order[i] = int32(i)
	}
	rng := rand.New(rand.NewPCG(seed, 0x666f726b726c)) // second word: a fixed stream id
	for i := range c {
		j := i + rng.IntN(n-i)
		s.order[i], s.order[j] = s.order[j], s.order[i]
		s.chosen[s.order[i]] = true
	}
}

// TopKCount returns the number of tokens the TopK rule keeps out of n valid
// ones: max(1, int(n·ρ + 0.9999)), at most n, and 0 when n is 0.
func TopKCount(n int, rho float64) int {
	if n == 0 {
		return 0
	}
	return min(max(1, int(float64(n)*rho+0.9999)), n)
}

func zero(weights [][]float32) {
	for _, w := range weights {
		clear(w)
	}
}

func checkShapes(weights, entropies [][]float32, mask [][]bool) {
	if len(weights) != len(entropies) || (mask != nil && len(mask) != len(entropies)) {
		panic("selection: weights, entropies and mask must have the same number of rows")
	}
	for i, row := range entropies {
		if len(weights[i]) != len(row) || (mask != nil && len(mask[i]) != len(row)) {
			panic("selection: weights, entropies and mask rows must have the same lengths")
		}
	}
}

func resize[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}
