package selection

import "math"

// key maps a float32 to a uint32 whose unsigned order is the float order
// (−∞ < … < −0 < +0 < … < +∞; NaNs sort beyond the infinities).
func key(v float32) uint32 {
	u := math.Float32bits(v)
	return u ^ (uint32(int32(u)>>31) | 0x80000000)
}

// value inverts key.
func value(k uint32) float32 {
	return math.Float32frombits(k ^ (^uint32(int32(k)>>31) | 0x80000000))
}

// Radix digits, most significant first: 11, 11 and 10 bits.
var digits = [3]struct{ shift, mask uint32 }{{21, 0x7ff}, {10, 0x7ff}, {0, 0x3ff}}

const (
	// sampleSize is how many evenly spaced values bracket a rank.
	sampleSize = 1 << 14
	// minSampled is the input size from which sampling pays off.
	minSampled = 1 << 16
)

// rank returns the key of rank r (0-based, ascending) among the keys of x,
// how many keys are smaller and how many are equal, and leaves in s.cand the
// keys of a range of ranks that contains r and, if it exists, r+1.
//
// Large inputs are read once: a sorted-free sample brackets rank r between
// two keys, one pass counts the keys below the bracket and gathers those
// inside, and radix select finishes on the gathered few. If the bracket
// misses (rare), the keys of all of x are radix-selected instead.
func (s *Selector) rank(x []float32, r int) (k uint32, below, equal int) {
	if len(x) >= minSampled {
		lo, hi := s.bracket(x, r)
		cand := resize(s.cand, len(x))
		n, j := gatherBracket(x, lo, hi, cand) // keys below the bracket, keys inside it
		s.cand = cand[:j]
		last := min(r+1, len(x)-1) // the next rank, if any
		if n <= r && last < n+j {
			k, b, e := s.rankKeys(s.cand, r-n)
			return k, n + b, e
		}
	}
	s.cand = resize(s.cand, len(x))
	for i, v := range x {
		s.cand[i] = key(v)
	}
	return s.rankKeys(s.cand, r)
}

// bracket returns keys lo ≤ hi such that, with high probability, the ranks
// r and r+1 of x lie between them: sample quantiles a few standard
// deviations either side of r/len(x).
func (s *Selector) bracket(x []float32, r int) (lo, hi uint32) {
	n := len(x)
	s.sample = resize(s.sample, sampleSize)
	stride := n / sampleSize
	for i := range s.sample {
		s.sample[i] = key(x[i*stride+stride/2])
	}
	p := float64(r) / float64(n)
	rs := int(p * sampleSize)
	delta := int(5*math.Sqrt(sampleSize*p*(1-p))) + 8
	// A bracket that reaches an end of the sample stays open on that side:
	// the sample's extremes are rarely the input's.
	lo, hi = 0, math.MaxUint32
	if rs-delta > 0 {
		lo, _, _ = s.rankKeys(s.sample, rs-delta)
	}
	if rs+delta < sampleSize-1 {
		hi, _, _ = s.rankKeys(s.sample, rs+delta)
	}
	return lo, hi
}

// rankKeys returns the key of rank r (0-based, ascending) in keys and how
// many keys are smaller and equal, by radix select over 11/11/10-bit digits.
// keys is not modified; s.work is scratch.
func (s *Selector) rankKeys(keys []uint32, r int) (k uint32, below, equal int) {
	// Four interleaved histograms keep runs of equal digits (clustered
	// entropies) from serialising on one counter.
	var hist [4][2048]uint32
	i := 0
	for ; i+4 <= len(keys); i += 4 {
		hist[0][keys[i]>>21]++
		hist[1][keys[i+1]>>21]++
		hist[2][keys[i+2]>>21]++
		hist[3][keys[i+3]>>21]++
	}
	for ; i < len(keys); i++ {
		hist[0][keys[i]>>21]++
	}
	var h [2048]uint32
	for d := range h {
		h[d] = hist[0][d] + hist[1][d] + hist[2][d] + hist[3][d]
	}
	b, before := bucketOf(h[:], r)
	below += before
	r -= before

	// Gather the bucket's keys, branch-free.
	s.work = resize(s.work, int(h[b])+1)
	j := 0
	for _, kv := range keys {
		s.work[j] = kv
		if kv>>21 == uint32(b) {
			j++
		}
	}
	cand := s.work[:j]
	prefix := uint32(b) << 21
	for _, dg := range digits[1:] {
		var h [2048]uint32
		for _, kv := range cand {
			h[kv>>dg.shift&dg.mask]++
		}
		b, before := bucketOf(h[:dg.mask+1], r)
		below += before
		r -= before
		prefix |= uint32(b) << dg.shift
		n := 0
		for _, kv := range cand {
			cand[n] = kv
			if kv>>dg.shift&dg.mask == uint32(b) {
				n++
			}
		}
		cand = cand[:n]
	}
	return prefix, below, len(cand)
}

// bucketOf returns the bucket holding rank r and the count of all buckets before it.
func bucketOf(h []uint32, r int) (int, int) {
	before := 0
	for b, c := range h {
		if before+int(c) > r {
			return b, before
		}
		before += int(c)
	}
	panic("selection: rank out of range")
}

// KthLargest returns the k-th largest value of x (1 ≤ k ≤ len(x)) and how many
// values of x are strictly larger than it, in O(len(x)). x is not modified.
// NaNs must not occur in x.
func (s *Selector) KthLargest(x []float32, k int) (v float32, above int) {
	if k < 1 || k > len(x) {
		panic("selection: k out of range")
	}
	kv, below, equal := s.rank(x, len(x)-k)
	return value(kv), len(x) - below - equal
}

// Quantile returns the linearly interpolated q-quantile of x (torch.quantile's
// default), computed as torch.quantile computes it for float32 values: with x
// sorted ascending, q rounded to float32, the position p = q·(len(x)−1) and the
// weight w = p − ⌊p⌋ in float32, and x[⌊p⌋] lerped towards x[⌈p⌉] by w in
// float32 with torch's lerp (a + w·(b − a) for w < 0.5, else b − (b − a)·(1 − w)).
// So a position that float64 arithmetic puts a rounding error past a data point
// (q = 1 − 0.7 = 0.30000000000000004 over 21 values: p = 6.000000000000001)
// falls on it, as in torch: p = 6 and the quantile is x[6] exactly. Where an
// infinite end makes torch's lerp NaN, the quantile is that end (−∞ first).
// It runs in O(len(x)) without sorting. q is clamped to [0, 1]; x must be
// non-empty and free of NaNs.
func (s *Selector) Quantile(x []float32, q float64) float32 {
	if len(x) == 0 {
		panic("selection: quantile of nothing")
	}
	q = min(max(q, 0), 1)
	// Explicit float32 conversions round each operation, as torch does: no
	// fused multiply-add.
	pos := float32(float32(q) * float32(len(x)-1))
	lo := int(pos)
	w := float32(pos - float32(lo))
	kv, below, equal := s.rank(x, lo)
	a := value(kv)
	if w == 0 || below+equal > lo+1 {
		return a // on a data point, or the next rank holds the same value
	}
	// The next rank is the smallest key above kv; rank left both ranks among
	// its candidates.
	next := uint32(math.MaxUint32)
	for _, c := range s.cand {
		if c > kv {
			next = min(next, c)
		}
	}
	b := value(next)
	var v float32
	if w < 0.5 {
		v = a + float32(w*float32(b-a))
	} else {
		v = b - float32(float32(b-a)*float32(1-w))
	}
	if v != v { // an infinite end
		if math.IsInf(float64(a), -1) {
			return a
		}
		return b
	}
	return v
}
