//go:build noasm || !amd64

package selection

// Impl names the implementation of the candidate gathering in use: "go" for
// the pure-Go loop, "avx2" for the AVX2 assembly.
var Impl = "go"

func gatherBracket(x []float32, lo, hi uint32, cand []uint32) (below, n int) {
	return gatherBracketGo(x, lo, hi, cand)
}
