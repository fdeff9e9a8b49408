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

// rank returns the key of rank r (0-based, ascending) among the keys of x,
// and how many values have a smaller and an equal key. It reads x once for a
// histogram of the top 11 bits and once to gather that digit's bucket, then
// finishes on the (usually small) bucket. x must be non-empty and 0 ≤ r < len(x).
func (s *Selector) rank(x []float32, r int) (k uint32, below, equal int) {
	// Four interleaved histograms keep runs of equal digits (clustered
	// entropies) from serialising on one counter.
	var hist [4][2048]uint32
	i := 0
	for ; i+4 <= len(x); i += 4 {
		hist[0][key(x[i])>>21]++
		hist[1][key(x[i+1])>>21]++
		hist[2][key(x[i+2])>>21]++
		hist[3][key(x[i+3])>>21]++
	}
	for ; i < len(x); i++ {
		hist[0][key(x[i])>>21]++
	}
	var h [2048]uint32
	for d := range h {
		h[d] = hist[0][d] + hist[1][d] + hist[2][d] + hist[3][d]
	}
	b, before := bucketOf(h[:], r)
	below += before
	r -= before

	// Gather the bucket's keys, branch-free.
	s.keys = resize(s.keys, int(h[b])+1)
	j := 0
	for _, v := range x {
		kv := key(v)
		s.keys[j] = kv
		if kv>>21 == uint32(b) {
			j++
		}
	}
	cand := s.keys[:j]
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
// default): with x sorted ascending and p = q·(len(x)−1), it is
// x[⌊p⌋] + (x[⌊p⌋+1] − x[⌊p⌋])·(p − ⌊p⌋), computed in O(len(x)) without sorting.
// q is clamped to [0, 1]; x must be non-empty and free of NaNs.
func (s *Selector) Quantile(x []float32, q float64) float64 {
	if len(x) == 0 {
		panic("selection: quantile of nothing")
	}
	q = min(max(q, 0), 1)
	pos := q * float64(len(x)-1)
	lo := int(pos)
	frac := pos - float64(lo)
	kv, below, equal := s.rank(x, lo)
	vlo := float64(value(kv))
	if frac == 0 || below+equal > lo+1 {
		return vlo // the next rank holds the same value
	}
	// The next rank is the smallest value above vlo.
	next := math.Inf(1)
	for _, v := range x {
		if key(v) > kv {
			next = min(next, float64(v))
		}
	}
	if q := vlo + (next-vlo)*frac; q == q {
		return q
	}
	return vlo // −∞ interpolated towards a larger value: keep the lower end
}
