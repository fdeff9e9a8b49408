package loss

import (
	"math"

	"github.com/forkrl/forkrl/kernels/vecmath"
)

// Batch is a ragged micro-batch: one slice per response, one value per
// response token. Logp and Advantage are required; every other field may be
// nil. All non-nil fields must have Logp's shape.
type Batch struct {
	Logp      [][]float32 // log-prob of each token under the policy being trained
	OldLogp   [][]float32 // under the policy that sampled it (nil: Logp, i.e. ratio 1)
	RefLogp   [][]float32 // under the reference policy (needed when KLCoef ≠ 0)
	Entropy   [][]float32 // entropy of the policy at each token (bonus and metrics)
	Advantage [][]float32 // per token; broadcast sequence-level advantages before
	Weight    [][]float32 // selector weights (nil: 1 for every token)
	Mask      [][]bool    // valid response tokens (nil: all valid)
}

// Grad receives the gradient of the loss with respect to each token's
// log-prob and entropy: what backend.Backward takes. Both must have the
// batch's shape; Entropy may be nil when no entropy gradient is wanted (then
// EntropyCoef must be 0). Invalid tokens get 0.
type Grad struct {
	Logp    [][]float32
	Entropy [][]float32
}

// NewGrad allocates a Grad shaped like like.
func NewGrad(like [][]float32) Grad {
	g := Grad{Logp: make([][]float32, len(like)), Entropy: make([][]float32, len(like))}
	for i, r := range like {
		g.Logp[i] = make([]float32, len(r))
		g.Entropy[i] = make([]float32, len(r))
	}
	return g
}

// Policy is the PPO-family policy loss: per token
//
//	ℓ = max(−A·r, −A·clip(r, 1−ClipLow, 1+ClipHigh)),  r = exp(logp − oldLogp),
//	then ℓ = min(ℓ, −A·DualClip) where A < 0 (dual clip; DualClip = 0 disables it),
//
// weighted by the selector weight, aggregated by Aggregate, plus
// KLCoef·KL(policy ‖ reference) and minus EntropyCoef·entropy, both
// aggregated over all valid tokens (the selection applies to the surrogate
// only) with the same mode and the AllTokens denominator.
//
// GRPO is ClipLow = ClipHigh = 0.2 with a k3 KL; DAPO is ClipLow 0.2,
// ClipHigh 0.28, no KL, token-mean; the paper's top-20% runs add a selector.
type Policy struct {
	ClipLow, ClipHigh float64 // ε_low and ε_high of the ratio clip
	DualClip          float64 // c > 1 bounds the loss of negative advantages at −A·c; 0: off
	KLCoef            float64 // weight of the KL penalty to RefLogp; 0: off
	KL                Estimator
	EntropyCoef       float64 // weight of the entropy bonus; 0: off
	Aggregate
}

// Metrics are the statistics of one Policy.Compute call. Fractions and means
// are over the micro-batch; Tokens and Selected let a trainer re-weight them
// across micro-batches.
type Metrics struct {
	Loss       float64 // PolicyLoss + KLCoef·KL − EntropyCoef·Entropy
	PolicyLoss float64 // aggregated clipped surrogate
	KL         float64 // aggregated KL estimate to the reference (0 when KLCoef is 0)
	Entropy    float64 // aggregated entropy (0 when EntropyCoef is 0)

	ClipFrac         float64 // valid tokens whose clip branch is active (verl's pg_clipfrac)
	ClipFracSelected float64 // the same over selected tokens (weight > 0)
	DualClipFrac     float64 // valid tokens bounded by the dual clip (verl's pg_clipfrac_lower)
	ApproxKL         float64 // mean of oldLogp − logp over valid tokens (verl's ppo_kl)
	FracSelected     float64 // Selected / Tokens
	EntropyAll       float64 // mean entropy of valid tokens
	EntropySelected  float64 // weight-averaged entropy of selected tokens

	Tokens   int     // valid tokens
	Selected float64 // sum of selector weights over valid tokens
}

// Surrogate returns the clipped surrogate ℓ of one token with probability
// ratio r and advantage A, its derivative with respect to log-prob
// (r·∂ℓ/∂r), whether the ratio clip is active (the clipped branch is strictly
// larger, so the gradient is 0) and whether the dual clip bounds it.
func (p Policy) Surrogate(r, A float64) (loss, dLogp float64, clipped, dual bool) {
	return vecmath.Surrogate(r, A, 1-p.ClipLow, 1+p.ClipHigh, p.dual())
}

// dual returns the dual-clip constant with +Inf standing for "off".
func (p Policy) dual() float64 {
	if p.DualClip > 0 {
		return p.DualClip
	}
	return math.Inf(1)
}

// Compute writes the gradient of the loss into g and returns the metrics.
// It panics when shapes disagree or a needed input is missing.
func (p Policy) Compute(g Grad, b Batch) Metrics {
	p.check(g, b)
	n := len(b.Logp)
	length := func(i int) int { return len(b.Logp[i]) }
	pgCoef := p.Aggregate.coefficients(make([]float64, n), b.Mask, b.Weight, length)
	allCoef := p.Aggregate.allTokens().coefficients(make([]float64, n), b.Mask, nil, length)

	var m Metrics
	var sums vecmath.SurrogateSums
	var hAll, hSel float64
	lo, hi, dual := float32(1-p.ClipLow), float32(1+p.ClipHigh), float32(p.dual())
	for i, logp := range b.Logp {
		old, w, valid := logp, row(b.Weight, i), rowMask(b.Mask, i)
		if b.OldLogp != nil {
			old = b.OldLogp[i]
		}
		s := vecmath.ClippedSurrogate(g.Logp[i], logp, old, b.Advantage[i], w, valid, lo, hi, dual, float32(pgCoef[i]))
		m.PolicyLoss += pgCoef[i] * s.Loss
		sums.Add(s)
		if p.KLCoef != 0 {
			m.KL += p.addKL(g.Logp[i], logp, b.RefLogp[i], valid, allCoef[i])
		}
		if g.Entropy != nil {
			clear(g.Entropy[i])
		}
		if b.Entropy == nil {
			continue
		}
		for t, h := range b.Entropy[i] {
			if valid != nil && !valid[t] {
				continue
			}
			wt := 1.0
			if w != nil {
				wt = float64(w[t])
			}
			hAll += float64(h)
			hSel += wt * float64(h)
			if p.EntropyCoef != 0 {
				m.Entropy += allCoef[i] * float64(h)
				g.Entropy[i][t] = float32(-p.EntropyCoef * allCoef[i])
			}
		}
	}
	m.Loss = m.PolicyLoss + p.KLCoef*m.KL - p.EntropyCoef*m.Entropy
	m.Tokens = int(sums.Valid)
	m.Selected = sums.Weight
	m.ClipFrac = ratioOf(sums.Clipped, sums.Valid)
	m.DualClipFrac = ratioOf(sums.Dual, sums.Valid)
	m.ClipFracSelected = ratioOf(sums.ClippedSelected, sums.Selected)
	m.ApproxKL = ratioOf(sums.NegLogRatio, sums.Valid)
	m.FracSelected = ratioOf(sums.Weight, sums.Valid)
	m.EntropyAll = ratioOf(hAll, sums.Valid)
	m.EntropySelected = ratioOf(hSel, sums.Weight)
	return m
}

// addKL adds KLCoef·coef·∂KL/∂logp to the gradient row and returns
// coef·Σ KL over the row's valid tokens.
func (p Policy) addKL(grad, logp, ref []float32, valid []bool, coef float64) float64 {
	var kl float64
	for t := range logp {
		if valid != nil && !valid[t] {
			continue
		}
		k, dk := p.KL.Value(float64(logp[t]), float64(ref[t]))
		kl += coef * k
		grad[t] += float32(p.KLCoef * coef * dk)
	}
	return kl
}

func row(x [][]float32, i int) []float32 {
	if x == nil {
		return nil
	}
	return x[i]
}

func rowMask(x [][]bool, i int) []bool {
	if x == nil {
		return nil
	}
	return x[i]
}

func ratioOf(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

func (p Policy) check(g Grad, b Batch) {
	if b.Advantage == nil {
		panic("loss: Batch.Advantage is required")
	}
	if p.KLCoef != 0 && b.RefLogp == nil {
		panic("loss: KLCoef is set but Batch.RefLogp is nil")
	}
	if p.EntropyCoef != 0 && (b.Entropy == nil || g.Entropy == nil) {
		panic("loss: EntropyCoef is set but Batch.Entropy or Grad.Entropy is nil")
	}
	sameShape(b.Logp, b.OldLogp, b.RefLogp, b.Entropy, b.Advantage, b.Weight, g.Logp, g.Entropy)
	if b.Mask != nil {
		if len(b.Mask) != len(b.Logp) {
			panic("loss: Mask has the wrong number of rows")
		}
		for i, r := range b.Mask {
			if len(r) != len(b.Logp[i]) {
				panic("loss: Mask rows must match Logp rows")
			}
		}
	}
	if math.IsNaN(p.ClipLow) || math.IsNaN(p.ClipHigh) || p.ClipLow < 0 || p.ClipHigh < 0 {
		panic("loss: clip ranges must be non-negative")
	}
}

// sameShape panics unless every non-nil ragged array has ref's shape.
func sameShape(ref [][]float32, others ...[][]float32) {
	for _, o := range others {
		if o == nil {
			continue
		}
		if len(o) != len(ref) {
			panic("loss: ragged inputs have different numbers of rows")
		}
		for i, r := range o {
			if len(r) != len(ref[i]) {
				panic("loss: ragged inputs have rows of different lengths")
			}
		}
	}
}
