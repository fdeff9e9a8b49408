//go:build amd64 && !noasm

package selection

import (
	"os"

	"github.com/forkrl/forkrl/kernels/internal/kernelpath"
	"golang.org/x/sys/cpu"
)

// Impl names the implementation of the candidate gathering in use: "go" for
// the pure-Go loop, "avx2" for the AVX2 assembly.
var Impl = "go"

// useAVX2 selects the AVX2 assembly.
var useAVX2 bool

func init() {
	if err := setImpl(os.Getenv(ImplEnv)); err != nil {
		panic(err)
	}
}

// setImpl selects the path name names, or the best the CPU has when name is "".
func setImpl(name string) error {
	p, err := kernelpath.Choose("selection", ImplEnv, name, paths, CanRun)
	if err != nil {
		return err
	}
	Impl, useAVX2 = p, p == "avx2"
	return nil
}

// CanRun reports whether this CPU and build can run the path named (see Impl).
func CanRun(path string) bool {
	switch path {
	case "go":
		return true
	case "avx2":
		return cpu.X86.HasAVX2 && cpu.X86.HasBMI1 && cpu.X86.HasPOPCNT
	}
	return false
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
