//go:build noasm || !amd64

package selection

func gatherBracket(x []float32, lo, hi uint32, cand []uint32) (below, n int) {
	return gatherBracketGo(x, lo, hi, cand)
}
