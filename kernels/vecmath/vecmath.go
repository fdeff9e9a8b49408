package vecmath

import "math"

// ImplEnv is the environment variable that forces a path (go, avx2 or avx512)
// instead of the best one the CPU has, so that a run can be replayed on
// another machine with the path it recorded. A path the CPU or build lacks,
// or an unknown name, stops the program at start.
const ImplEnv = "FORKRL_VECMATH"

// paths are the implementations this package knows, plainest first.
var paths = []string{"go", "avx2", "avx512"}

// MinArg is the smallest exponent argument the kernels evaluate: arguments
// below it are clamped to it, so that e^(z−m)·(z−m) stays finite for logits
// of −∞ (masked vocabulary entries). e^MinArg ≈ 1.6e-38 is negligible next to
// the row's largest term, which is 1.
const MinArg = -87

// MaxArg is the largest exponent argument the kernels evaluate; larger ones
// are clamped to it, so results stay finite.
const MaxArg = 88

// Exp writes e^x[i] into dst[i]. dst and x must have the same length; dst may
// be x. Arguments are clamped to [MinArg, MaxArg], so results are normal,
// finite floats. The relative error is below 2e-7 + 6e-8·|x|, the second term
// being what one rounding of a float32 argument costs (e^x has condition
// number |x|).
func Exp(dst, x []float32) {
	ExpAffine(dst, x, 1, 0, 1, 0)
}

// SoftmaxStats returns the statistics of z = scale·x that softmax, log-softmax
// and entropy need, computed in one pass over x:
//
//	m = max z,  s = Σ e^(z−m),  t = Σ e^(z−m)·(z−m)
//
// so that log Σe^z = m + log s and the entropy of softmax(z) is log s − t/s.
// Exponent arguments below MinArg are clamped to MinArg. x must be non-empty
// and hold at least one finite value; scale must be positive.
func SoftmaxStats(x []float32, scale float64) (m, s, t float64) {
	if len(x) == 0 {
		panic("vecmath: empty row")
	}
	if !(scale > 0) {
		panic("vecmath: scale must be positive")
	}
	return softmaxStats(x, scale)
}

// ExpAffine writes e^u·(alpha + beta·u) into dst[i], where u = scale·x[i] − shift
// (clamped to [MinArg, MaxArg]). With shift = log Σe^(scale·x), alpha = 1 and
// beta = 0 it writes softmax(scale·x); other alpha and beta give the gradient of
// log-prob and entropy. dst and x must have the same length; dst may be x.
func ExpAffine(dst, x []float32, scale, shift, alpha, beta float32) {
	if len(dst) != len(x) {
		panic("vecmath: length mismatch")
	}
	expAffine(dst, x, scale, shift, alpha, beta)
}

// softmaxStatsRef is the float64 two-pass reference of SoftmaxStats.
func softmaxStatsRef(x []float32, scale float64) (m, s, t float64) {
	mx := float32(math.Inf(-1))
	for _, v := range x {
		mx = max(mx, v)
	}
	for _, v := range x {
		d := max((float64(v)-float64(mx))*scale, MinArg)
		e := math.Exp(d)
		s += e
		t += e * d
	}
	return float64(mx) * scale, s, t
}

// expAffineRef is the float64 reference of ExpAffine.
func expAffineRef(dst, x []float32, scale, shift, alpha, beta float32) {
	for i, v := range x {
		u := min(max(scale*v-shift, MinArg), MaxArg)
		dst[i] = float32(math.Exp(float64(u)) * (float64(alpha) + float64(beta)*float64(u)))
	}
}
