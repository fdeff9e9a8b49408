package selection

// gatherBracketGo counts the keys of x below lo and copies the keys within
// [lo, hi] to cand in input order; cand must hold len(x) keys. It returns the
// count below and the number copied.
func gatherBracketGo(x []float32, lo, hi uint32, cand []uint32) (below, n int) {
	width := hi - lo
	for _, v := range x {
		kv := key(v)
		cand[n] = kv
		if kv-lo <= width {
			n++
		}
		if kv < lo {
			below++
		}
	}
	return below, n
}
