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
	l1 := -A * r
	l2 := -A * min(max(r, 1-p.ClipLow), 1+p.ClipHigh)
	loss, dLogp = l1, l1
	if l2 > l1 {
		loss, dLogp, clipped = l2, 0, true
	}
	if A < 0 && p.DualClip > 0 {
		if l3 := -A * p.DualClip; l3 < loss {
			loss, dLogp, dual = l3, 0, true
		}
	}
	return loss, dLogp, clipped, dual
}

// chunk is how many tokens get their ratios exponentiated at once.
const chunk = 256

// Compute writes the gradient of the loss into g and returns the metrics.
// It panics when shapes disagree or a needed input is missing.
func (p Policy) Compute(g Grad, b Batch) Metrics {
	p.check(g, b)
	n := len(b.Logp)
	length := func(i int) int { return len(b.Logp[i]) }
	pgCoef := p.Aggregate.coefficients(make([]float64, n), b.Mask, b.Weight, length)
	all := p.Aggregate
	all.Denominator = AllTokens
	allCoef := all.coefficients(make([]float64, n), b.Mask, nil, length)

	var m Metrics
	var clipped, clippedSel, dual, selCount, kl1, hAll, hSel float64
	var ratio [chunk]float32
	for i, logp := range b.Logp {
		gl := g.Logp[i]
		var gh []float32
		if g.Entropy != nil {
			gh = g.Entropy[i]
		}
		for lo := 0; lo < len(logp); lo += chunk {
			hi := min(lo+chunk, len(logp))
			r := ratio[:hi-lo]
			if b.OldLogp != nil {
				for t := lo; t < hi; t++ {
					r[t-lo] = logp[t] - b.OldLogp[i][t]
				}
				vecmath.Exp(r, r)
			} else {
				for t := range r {
					r[t] = 1
				}
			}
			for t := lo; t < hi; t++ {
				if gh != nil {
					gh[t] = 0
				}
				if b.Mask != nil && !b.Mask[i][t] {
					gl[t] = 0
					continue
				}
				w := float64(1)
				if b.Weight != nil {
					w = float64(b.Weight[i][t])
				}
				A := float64(b.Advantage[i][t])
				loss, d, c, dc := p.Surrogate(float64(r[t-lo]), A)
				cw := pgCoef[i] * w
				m.PolicyLoss += cw * loss
				grad := cw * d
				m.Tokens++
				m.Selected += w
				if c {
					clipped++
				}
				if dc {
					dual++
				}
				if w > 0 {
					selCount++
					if c {
						clippedSel++
					}
				}
				if b.OldLogp != nil {
					kl1 += float64(b.OldLogp[i][t] - logp[t])
				}
				if p.KLCoef != 0 {
					k, dk := p.KL.Value(float64(logp[t]), float64(b.RefLogp[i][t]))
					m.KL += allCoef[i] * k
					grad += p.KLCoef * allCoef[i] * dk
				}
				if b.Entropy != nil {
					h := float64(b.Entropy[i][t])
					hAll += h
					hSel += w * h
					if p.EntropyCoef != 0 {
						m.Entropy += allCoef[i] * h
						gh[t] = float32(-p.EntropyCoef * allCoef[i])
					}
				}
				gl[t] = float32(grad)
			}
		}
	}
	m.Loss = m.PolicyLoss + p.KLCoef*m.KL - p.EntropyCoef*m.Entropy
	tokens := float64(m.Tokens)
	m.ClipFrac = ratioOf(clipped, tokens)
	m.DualClipFrac = ratioOf(dual, tokens)
	m.ClipFracSelected = ratioOf(clippedSel, selCount)
	m.ApproxKL = ratioOf(kl1, tokens)
	m.FracSelected = ratioOf(m.Selected, tokens)
	m.EntropyAll = ratioOf(hAll, tokens)
	m.EntropySelected = ratioOf(hSel, m.Selected)
	return m
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
