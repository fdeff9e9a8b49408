//go:build amd64 && !noasm

package vecmath

import (
	"math"
	"os"

	"github.com/forkrl/forkrl/kernels/internal/kernelpath"
)

// Impl names the implementation in use: "go" for the pure-Go reference,
// "avx2" for the AVX2+FMA assembly, "avx512" for the AVX-512 softmax
// statistics and exp (the clipped surrogate stays AVX2).
var Impl = "go"

// useAVX2 selects the AVX2+FMA assembly, useAVX512 the AVX-512 kernels on top of it.
var useAVX2, useAVX512 bool

func init() {
	if err := setImpl(os.Getenv(ImplEnv)); err != nil {
		panic(err)
	}
}

// setImpl selects the path name names, or the best the CPU has when name is "".
func setImpl(name string) error {
	p, err := kernelpath.Choose("vecmath", ImplEnv, name, paths, CanRun)
	if err != nil {
		return err
	}
	Impl, useAVX2, useAVX512 = p, p != "go", p == "avx512"
	return nil
}

// CanRun reports whether this CPU and build can run the path named (see Impl).
func CanRun(path string) bool { return kernelpath.FMAPath(path) }

// lanes is the per-lane state of softmaxStatsAVX2; its layout is read by the
// assembly: m at 0, s at 32, t at 96.
type lanes struct {
	m    [8]float32
	s, t [8]float64
}

//go:noescape
func expAffineAVX2(dst, x []float32, scale, shift, alpha, beta float32)

//go:noescape
func clippedSurrogateAVX2(grad, logp, old, adv, w *float32, valid *bool, n int, prm *surrogateParams, acc *[8][8]float32)

//go:noescape
func softmaxStatsAVX2(x []float32, scale2 float32, st *lanes)

// lanes512 is the per-lane state of softmaxStatsAVX512; its layout is read by
// the assembly: m at 0, ms at 64, s at 128, t at 256.
type lanes512 struct {
	m, ms [16]float32
	s, t  [16]float64
}

//go:noescape
func expAffineAVX512(dst, x []float32, scale, shift, alpha, beta float32)

//go:noescape
func softmaxStatsAVX512(x []float32, scale2 float32, st *lanes512)

// block512 is the number of floats softmaxStatsAVX512 takes at a time.
const block512 = 128

func expAffine(dst, x []float32, scale, shift, alpha, beta float32) {
	if useAVX512 {
		expAffineAVX512(dst, x, scale, shift, alpha, beta)
		return
	}
	if !useAVX2 {
		expAffineRef(dst, x, scale, shift, alpha, beta)
		return
	}
	n := len(x) &^ 7
	expAffineAVX2(dst[:n], x[:n], scale, shift, alpha, beta)
	expAffineRef(dst[n:], x[n:], scale, shift, alpha, beta)
}

func softmaxStats(x []float32, scale float64) (m, s, t float64) {
	if useAVX512 {
		return softmaxStats512(x, scale)
	}
	if !useAVX2 || len(x) < 32 {
		return softmaxStatsRef(x, scale)
	}
	st := lanes{}
	for i := range st.m {
		st.m[i] = -math.MaxFloat32
	}
	n := len(x) &^ 31
	softmaxStatsAVX2(x[:n], float32(scale*math.Log2E), &st)
	// Merge the lanes (base-2 sums) and the tail in float64, natural units.
	mx := st.m[0]
	for _, v := range st.m[1:] {
		mx = max(mx, v)
	}
	for _, v := range x[n:] {
		mx = max(mx, v)
	}
	// The 8 lane factors e^((m_l − m)·scale) come from one vector exp.
	var d, f [8]float32
	for l, ml := range st.m {
		d[l] = ml - mx
	}
	expAffineAVX2(f[:], d[:], float32(scale), 0, 1, 0)
	for l, ml := range st.m {
		dl := (float64(ml) - float64(mx)) * scale
		fl := float64(f[l])
		s += fl * st.s[l]
		t += fl * (math.Ln2*st.t[l] + st.s[l]*dl)
	}
	for _, v := range x[n:] {
		d := max((float64(v)-float64(mx))*scale, MinArg)
		e := math.Exp(d)
		s += e
		t += e * d
	}
	return float64(mx) * scale, s, t
}

// softmaxStats512 is softmaxStats with the AVX-512 kernel. The last, partial
// block is copied into a full one padded with −∞, whose terms (2^MINARG2 each,
// relative to a lane's largest term 1) are far below the float64 sums'
// rounding.
func softmaxStats512(x []float32, scale float64) (m, s, t float64) {
	st := lanes512{}
	for l := range st.m {
		st.m[l], st.ms[l] = float32(math.Inf(-1)), -math.MaxFloat32
	}
	scale2 := float32(scale * math.Log2E)
	n := len(x) &^ (block512 - 1)
	if n > 0 {
		softmaxStatsAVX512(x[:n], scale2, &st)
	}
	if n < len(x) {
		var pad [block512]float32
		copy(pad[:], x[n:])
		for i := len(x) - n; i < block512; i++ {
			pad[i] = float32(math.Inf(-1))
		}
		softmaxStatsAVX512(pad[:], scale2, &st)
	}
	// Merge the lanes in float64, base 2, relative to the largest shift g;
	// lanes that saw no finite value add nothing.
	g := math.Inf(-1)
	for l, ms := range st.ms {
		if st.m[l] > float32(math.Inf(-1)) {
			g = max(g, float64(ms))
		}
	}
	// The 16 lane factors 2^(ms − g) come from one vector exp.
	var d, f [16]float32
	for l, ms := range st.ms {
		d[l] = float32(float64(ms) - g)
	}
	expAffineAVX512(f[:], d[:], math.Ln2, 0, 1, 0)
	var t2 float64
	for l, ms := range st.ms {
		if st.m[l] == float32(math.Inf(-1)) {
			continue
		}
		fl := float64(f[l])
		s += fl * st.s[l]
		t2 += fl * (st.t[l] + st.s[l]*(float64(ms)-g))
	}
	// The sums are relative to x = g/scale2, which m states in scale's
	// units: the rounding of scale2 moves the terms, never the shift.
	return g / float64(scale2) * scale, s, t2 * math.Ln2
}

// surrogateParams is read by clippedSurrogateAVX2: lo, hi, dual and coef,
// each replicated over 8 lanes.
type surrogateParams struct {
	lo, hi, dual, coef [8]float32
}

// surrogateChunk bounds the tokens one clippedSurrogateAVX2 call sums in
// float32 lanes (128 terms a lane) before the sums move to float64.
const surrogateChunk = 1024

// Stand-ins for nil weights and masks, filled by init.
var (
	ones  [surrogateChunk]float32
	trues [surrogateChunk]bool
)

func init() {
	for i := range ones {
		ones[i], trues[i] = 1, true
	}
}

func clippedSurrogate(grad, logp, old, adv, w []float32, valid []bool, lo, hi, dual, coef float32) SurrogateSums {
	if !useAVX2 {
		return clippedSurrogateRef(grad, logp, old, adv, w, valid, lo, hi, dual, coef)
	}
	var prm surrogateParams
	for l := range 8 {
		prm.lo[l], prm.hi[l], prm.dual[l], prm.coef[l] = lo, hi, dual, coef
	}
	var s SurrogateSums
	var acc [8][8]float32
	n := len(logp) &^ 7
	for a := 0; a < n; a += surrogateChunk {
		b := min(a+surrogateChunk, n)
		wp, vp := &ones[0], &trues[0]
		if w != nil {
			wp = &w[a]
		}
		if valid != nil {
			vp = &valid[a]
		}
		clippedSurrogateAVX2(&grad[a], &logp[a], &old[a], &adv[a], wp, vp, b-a, &prm, &acc)
		s.add(&acc)
	}
	var wt []float32
	var vt []bool
	if w != nil {
		wt = w[n:]
	}
	if valid != nil {
		vt = valid[n:]
	}
	tail := clippedSurrogateRef(grad[n:], logp[n:], old[n:], adv[n:], wt, vt, lo, hi, dual, coef)
	s.Add(tail)
	return s
}

// add folds the assembly's per-lane sums into s.
func (s *SurrogateSums) add(acc *[8][8]float32) {
	var t [8]float64
	for k := range acc {
		for _, v := range acc[k] {
			t[k] += float64(v)
		}
	}
	s.Add(SurrogateSums{t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7]})
}
