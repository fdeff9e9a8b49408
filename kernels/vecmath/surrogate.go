package vecmath

import "math"

// SurrogateSums are what one ClippedSurrogate pass adds up over its tokens.
// Counts and sums run over valid tokens only.
type SurrogateSums struct {
	Loss            float64 // Σ w·ℓ
	Valid           float64 // valid tokens
	Weight          float64 // Σ w
	Selected        float64 // tokens with w > 0
	Clipped         float64 // tokens whose ratio clip is active
	ClippedSelected float64 // clipped tokens with w > 0
	Dual            float64 // tokens bounded by the dual clip
	NegLogRatio     float64 // Σ (old − logp), for the approximate KL to the old policy
}

// Add adds o's sums to s.
func (s *SurrogateSums) Add(o SurrogateSums) {
	s.Loss += o.Loss
	s.Valid += o.Valid
	s.Weight += o.Weight
	s.Selected += o.Selected
	s.Clipped += o.Clipped
	s.ClippedSelected += o.ClippedSelected
	s.Dual += o.Dual
	s.NegLogRatio += o.NegLogRatio
}

// Surrogate returns PPO's clipped surrogate ℓ for one token with probability
// ratio r and advantage A,
//
//	ℓ = max(−A·r, −A·clip(r, lo, hi)), then min(ℓ, −A·dual) where A < 0,
//
// its derivative with respect to log r (0 where a clip is active), whether the
// ratio clip is active (the clipped branch is strictly larger) and whether the
// dual clip bounds it. dual = +Inf disables the dual clip.
func Surrogate(r, A, lo, hi, dual float64) (loss, dLogp float64, clipped, dualClipped bool) {
	l1 := -A * r
	l2 := -A * min(max(r, lo), hi)
	loss, dLogp = l1, l1
	if l2 > l1 {
		loss, dLogp, clipped = l2, 0, true
	}
	if A < 0 {
		if l3 := -A * dual; l3 < loss {
			loss, dLogp, dualClipped = l3, 0, true
		}
	}
	return loss, dLogp, clipped, dualClipped
}

// ClippedSurrogate evaluates Surrogate over a run of tokens with ratio
// r = e^(logp − old), writes grad[t] = coef·w[t]·∂ℓ/∂logp[t] (0 for invalid
// tokens) and returns the sums. All slices have the same length; w and valid
// may be nil (weight 1, all valid). Invalid tokens may hold any values.
func ClippedSurrogate(grad, logp, old, adv, w []float32, valid []bool, lo, hi, dual, coef float32) SurrogateSums {
	n := len(logp)
	if len(grad) != n || len(old) != n || len(adv) != n || (w != nil && len(w) != n) || (valid != nil && len(valid) != n) {
		panic("vecmath: length mismatch")
	}
	return clippedSurrogate(grad, logp, old, adv, w, valid, lo, hi, dual, coef)
}

// clippedSurrogateRef is the pure-Go ClippedSurrogate, in float64.
func clippedSurrogateRef(grad, logp, old, adv, w []float32, valid []bool, lo, hi, dual, coef float32) SurrogateSums {
	var s SurrogateSums
	for t := range logp {
		if valid != nil && !valid[t] {
			grad[t] = 0
			continue
		}
		wt := 1.0
		if w != nil {
			wt = float64(w[t])
		}
		d := float64(logp[t] - old[t])
		r := math.Exp(min(max(d, MinArg), MaxArg))
		l, g, c, dc := Surrogate(r, float64(adv[t]), float64(lo), float64(hi), float64(dual))
		grad[t] = float32(float64(coef)*wt*g) + 0 // +0 turns −0 into +0
		s.Loss += wt * l
		s.Valid++
		s.Weight += wt
		s.NegLogRatio -= d
		if c {
			s.Clipped++
		}
		if dc {
			s.Dual++
		}
		if wt > 0 {
			s.Selected++
			if c {
				s.ClippedSelected++
			}
		}
	}
	return s
}
