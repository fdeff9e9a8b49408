//go:build noasm || !amd64

package selection

import (
	"os"

	"github.com/forkrl/forkrl/kernels/internal/kernelpath"
)

// Impl names the implementation of the candidate gathering in use: "go" for
// the pure-Go loop (the only one in this build), "avx2" for the AVX2 assembly.
var Impl = "go"

func init() {
	if err := setImpl(os.Getenv(ImplEnv)); err != nil {
		panic(err)
	}
}

// setImpl accepts the one path of this build, "go", or none.
func setImpl(name string) error {
	_, err := kernelpath.Choose("selection", ImplEnv, name, paths, CanRun)
	return err
}

// CanRun reports whether this build can run the path named: "go" only.
func CanRun(path string) bool { return path == "go" }

func gatherBracket(x []float32, lo, hi uint32, cand []uint32) (below, n int) {
	return gatherBracketGo(x, lo, hi, cand)
}
