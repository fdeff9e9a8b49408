//go:build noasm || !amd64

package vecmath

// Impl names the implementation in use: "go" for the pure-Go reference,
// "avx2" for the AVX2+FMA assembly.
var Impl = "go"

func softmaxStats(x []float32, scale float64) (m, s, t float64) {
	return softmaxStatsRef(x, scale)
}

func expAffine(dst, x []float32, scale, shift, alpha, beta float32) {
	expAffineRef(dst, x, scale, shift, alpha, beta)
}

func clippedSurrogate(grad, logp, old, adv, w []float32, valid []bool, lo, hi, dual, coef float32) SurrogateSums {
	return clippedSurrogateRef(grad, logp, old, adv, w, valid, lo, hi, dual, coef)
}
