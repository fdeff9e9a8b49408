package tinylm

import (
	"fmt"
	"math"
)

// model is a Qwen3-style decoder: its configuration, its parameters, their
// gradients and AdamW moments, each one slab laid out by lay.
type model struct {
	cfg      Config
	tok      tokenizer
	vocab    int
	lay      layout
	params   []float32
	grads    []float32 // accumulated by backward, cleared by step; nil until the first backward
	m1, m2   []float32 // AdamW first and second moments; nil until the first step or a load
	step     int64     // AdamW steps taken
	cos, sin []float32 // rotary tables [context, head_dim/2]
	scratch  scratch
	probs    [][]float32 // per worker: one head's attention probabilities (forward, Backward, prefill)
	gen      genBuffers
}

// newModel lays out a model of vocab tokens with zero parameters; init or a
// checkpoint fills them. Gradients and optimizer moments are allocated when
// training first needs them, so that a model only sampled from or scored
// (a reference policy, an evaluation of a large checkpoint) costs its
// parameters alone.
func newModel(cfg Config, tok tokenizer, vocab int) *model {
	m := &model{cfg: cfg, tok: tok, vocab: vocab}
	m.lay = newLayout(cfg, m.vocab)
	m.params = make([]float32, m.lay.size)
	m.cos, m.sin = ropeTables(cfg.Context, cfg.HeadDim, cfg.RopeTheta)
	return m
}

// init draws fresh parameters from seed.
func (m *model) init(seed uint64) { initParams(m.params, m.lay, m.cfg.InitStd, seed) }

// trainState allocates the gradients and the optimizer moments on first use.
func (m *model) trainState() {
	if m.grads == nil {
		m.grads = make([]float32, m.lay.size)
	}
	if m.m1 == nil {
		m.m1 = make([]float32, m.lay.size)
		m.m2 = make([]float32, m.lay.size)
	}
}

// adamW are the settings of one optimizer step.
type adamW struct {
	lr, beta1, beta2, eps, weightDecay, maxGradNorm float64
}

// chunk is the fixed unit of work of the optimizer's loops; the split, and so
// every sum, does not depend on the number of goroutines.
const chunk = 1 << 14

// gradNorm returns the global L2 norm of the accumulated gradients, summed in
// a fixed order.
func (m *model) gradNorm() float64 {
	parts := make([]float64, (len(m.grads)+chunk-1)/chunk)
	parallelFor(len(parts), func(_, c int) {
		var s float64
		for _, g := range m.grads[c*chunk : min((c+1)*chunk, len(m.grads))] {
			s += float64(g) * float64(g)
		}
		parts[c] = s
	})
	var s float64
	for _, p := range parts {
		s += p
	}
	return math.Sqrt(s)
}

// applyAdamW clips the gradients to a global norm, takes one AdamW step
// (decoupled weight decay on the weight matrices only, as PyTorch's AdamW
// with parameter groups) and clears the gradients. It returns the norm
// before clipping.
func (m *model) applyAdamW(o adamW) (float64, error) {
	m.trainState()
	norm := m.gradNorm()
	if math.IsNaN(norm) || math.IsInf(norm, 0) {
		clear(m.grads)
		return norm, fmt.Errorf("the gradient norm is %v; the step was skipped and the gradients cleared", norm)
	}
	clip := 1.0
	if o.maxGradNorm > 0 && norm > o.maxGradNorm {
		clip = o.maxGradNorm / (norm + 1e-6)
	}
	m.step++
	bc1 := 1 - math.Pow(o.beta1, float64(m.step))
	bc2 := 1 - math.Pow(o.beta2, float64(m.step))
	for _, t := range m.lay.tensors {
		decay := 1.0
		if t.decay {
			decay = 1 - o.lr*o.weightDecay
		}
		lo, hi := t.off, t.off+t.size()
		parallelFor((hi-lo+chunk-1)/chunk, func(_, c int) {
			for i := lo + c*chunk; i < min(lo+(c+1)*chunk, hi); i++ {
				g := float64(m.grads[i]) * clip
				m1 := o.beta1*float64(m.m1[i]) + (1-o.beta1)*g
				m2 := o.beta2*float64(m.m2[i]) + (1-o.beta2)*g*g
				m.m1[i], m.m2[i] = float32(m1), float32(m2)
				p := float64(m.params[i]) * decay
				p -= o.lr * (m1 / bc1) / (math.Sqrt(m2/bc2) + o.eps)
				m.params[i] = float32(p)
			}
		})
	}
	clear(m.grads)
	return norm, nil
}
