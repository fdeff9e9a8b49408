package vecmath

import "math"

// MinArg is the smallest exponent argument the kernels evaluate: arguments
// below it are clamped to it, so that e^(z−m)·(z−m) stays finite for logits
// of −∞ (masked vocabulary entries). e^MinArg ≈ 1.6e-38 is negligible next to
// the row's largest term, which is 1.
const MinArg = -87

// Exp writes e^x[i] into dst[i]. dst and x must have the same length; dst may
// be x. Arguments are clamped to [-87.3, 88.7] (the finite, normal range of
// float32 results).
func Exp(dst, x []float32) {
	if len(dst) != len(x) {
		panic("vecmath: length mismatch")
	}
	expSlice(dst, x)
}

// SoftmaxStats returns the statistics of z = scale·x that softmax, log-softmax
// and entropy need, computed in one pass over x:
//
//	m = max z,  s = Σ e^(z−m),  t = Σ e^(z−m)·(z−m)
//
// so that log Σe^z = m + log s and the entropy of softmax(z) is log s − t/s.
// Exponent arguments below MinArg are clamped to MinArg. x must be non-empty
// and hold at least one finite value.
func SoftmaxStats(x []float32, scale float32) (m float32, s, t float64) {
	if len(x) == 0 {
		panic("vecmath: empty row")
	}
	return softmaxStats(x, scale)
}

// ExpAffine writes e^u·(alpha + beta·u) into dst[i], where u = scale·x[i] − shift
// (clamped below at MinArg). With shift = log Σe^(scale·x), alpha = 1 and
// beta = 0 it writes softmax(scale·x); other alpha and beta give the gradient of
// log-prob and entropy. dst and x must have the same length; dst may be x.
func ExpAffine(dst, x []float32, scale, shift, alpha, beta float32) {
	if len(dst) != len(x) {
		panic("vecmath: length mismatch")
	}
	expAffine(dst, x, scale, shift, alpha, beta)
}

// expRef is the float64 reference of Exp.
func expRef(dst, x []float32) {
	for i, v := range x {
		dst[i] = float32(math.Exp(float64(clamp(v, -87.3, 88.7))))
	}
}

// softmaxStatsRef is the float64 two-pass reference of SoftmaxStats.
func softmaxStatsRef(x []float32, scale float32) (m float32, s, t float64) {
	m = float32(math.Inf(-1))
	for _, v := range x {
		if z := scale * v; z > m {
			m = z
		}
	}
	for _, v := range x {
		d := float64(max(scale*v-m, MinArg))
		e := math.Exp(d)
		s += e
		t += e * d
	}
	return m, s, t
}

// expAffineRef is the float64 reference of ExpAffine.
func expAffineRef(dst, x []float32, scale, shift, alpha, beta float32) {
	for i, v := range x {
		u := max(scale*v-shift, MinArg)
		dst[i] = float32(math.Exp(float64(u)) * (float64(alpha) + float64(beta)*float64(u)))
	}
}

func clamp(v, lo, hi float32) float32 {
	return min(max(v, lo), hi)
}
