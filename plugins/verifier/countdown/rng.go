package countdown

import "hash/fnv"

// stream is a small deterministic random-number generator (SplitMix64). It
// is defined here rather than taken from math/rand so that problems and
// traces stay bit for bit the same across Go releases.
type stream struct{ state uint64 }

// newStream derives an independent stream from a seed and a name.
func newStream(seed uint64, name string) *stream {
	h := fnv.New64a()
	h.Write([]byte(name))
	s := &stream{state: seed ^ h.Sum64()}
	s.next() // decorrelate seeds that differ in few bits
	return s
}

func (s *stream) next() uint64 {
	s.state += 0x9e3779b97f4a7c15
	z := s.state
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// intn returns a uniform integer in [0, n); n must be positive.
func (s *stream) intn(n int) int {
	if n <= 0 {
		panic("countdown: intn of a non-positive bound")
	}
	bound := uint64(n)
	limit := -bound % bound // 2^64 mod n: values below it are rejected
	for {
		v := s.next()
		if v >= limit {
			return int(v % bound)
		}
	}
}

// float64 returns a uniform number in [0, 1).
func (s *stream) float64() float64 {
	return float64(s.next()>>11) / (1 << 53)
}
