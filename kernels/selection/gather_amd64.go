//go:build amd64 && !noasm

package selection

import "golang.org/x/sys/cpu"

var useAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasBMI1 && cpu.X86.HasPOPCNT

// Impl names the implementation of the candidate gathering in use: "go" for
// the pure-Go loop, "avx2" for the AVX2 assembly.
var Impl = "go"

func init() {
	if useAVX2 {
		Impl = "avx2"
	}
}

//go:noescape
func gatherBracketAVX2(x []float32, lo, hi int32, cand []uint32) (below, n int)

// gatherBracket is gatherBracketGo, vectorised where the CPU allows.
func gatherBracket(x []float32, lo, hi uint32, cand []uint32) (below, n int) {
	if !useAVX2 {
		return gatherBracketGo(x, lo, hi, cand)
	}
	m := len(x) &^ 7
	below, n = gatherBracketAVX2(x[:m], int32(lo^1<<31), int32(hi^1<<31), cand)
	b, k := gatherBracketGo(x[m:], lo, hi, cand[n:])
	return below + b, n + k
}
