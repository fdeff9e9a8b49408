//go:build noasm || !amd64

package vecmath

import (
	"os"

	"github.com/forkrl/forkrl/kernels/internal/kernelpath"
)

// Impl names the implementation in use: "go" for the pure-Go reference (the
// only one in this build), "avx2" for the AVX2+FMA assembly, "avx512" for the
// AVX-512 softmax statistics and exp.
var Impl = "go"

func init() {
	if err := setImpl(os.Getenv(ImplEnv)); err != nil {
		panic(err)
	}
}

// setImpl accepts the one path of this build, "go", or none.
func setImpl(name string) error {
	_, err := kernelpath.Choose("vecmath", ImplEnv, name, paths, CanRun)
	return err
}

// CanRun reports whether this build can run the path named: "go" only.
func CanRun(path string) bool { return path == "go" }

func softmaxStats(x []float32, scale float64) (m, s, t float64) {
	return softmaxStatsRef(x, scale)
}

func expAffine(dst, x []float32, scale, shift, alpha, beta float32) {
	expAffineRef(dst, x, scale, shift, alpha, beta)
}

func clippedSurrogate(grad, logp, old, adv, w []float32, valid []bool, lo, hi, dual, coef float32) SurrogateSums {
	return clippedSurrogateRef(grad, logp, old, adv, w, valid, lo, hi, dual, coef)
}
