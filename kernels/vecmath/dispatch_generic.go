package vecmath

// Impl names the implementation in use: "go" for the pure-Go reference.
const Impl = "go"

func expSlice(dst, x []float32) { expRef(dst, x) }

func softmaxStats(x []float32, scale float32) (float32, float64, float64) {
	return softmaxStatsRef(x, scale)
}

func expAffine(dst, x []float32, scale, shift, alpha, beta float32) {
	expAffineRef(dst, x, scale, shift, alpha, beta)
}
