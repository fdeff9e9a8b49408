package selection

// ImplEnv is the environment variable that forces the path of the candidate
// gathering (go or avx2) instead of the best one the CPU has, so that a run
// can be replayed on another machine with the path it recorded. A path the CPU
// or build lacks, or an unknown name, stops the program at start. Both paths
// give the same selection; the switch exists to replay and to compare them.
const ImplEnv = "FORKRL_SELECTION"

// paths are the implementations of the candidate gathering, plainest first.
var paths = []string{"go", "avx2"}

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
