package tinylm

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// tensor is one named parameter tensor inside the parameter slab.
type tensor struct {
	name  string // Hugging Face Qwen3 name
	shape []int
	off   int  // offset in the slab
	decay bool // weight decay applies (matrices, not norm gains or biases)
}

func (t tensor) size() int {
	n := 1
	for _, d := range t.shape {
		n *= d
	}
	return n
}

// layerParams are the slab offsets of one block's tensors. q, k and v are
// laid out back to back so that one matrix multiply computes all three, and
// so are gate and up.
type layerParams struct {
	ln1, qkv, qNorm, kNorm, o, ln2, gateUp, down int
}

// layout is where every tensor of a configuration lives in the slab.
type layout struct {
	tensors []tensor
	layers  []layerParams
	embed   int // [V, D]
	norm    int // [D]
	lmHead  int // [V, D]; equals embed when tied
	valueW  int // [D], value head weight (−1 without value head)
	valueB  int // [1]
	size    int
}

func newLayout(c Config, vocab int) layout {
	var l layout
	add := func(name string, decay bool, shape ...int) int {
		t := tensor{name: name, shape: shape, off: l.size, decay: decay}
		l.tensors = append(l.tensors, t)
		l.size += t.size()
		return t.off
	}
	D, hd, F := c.Width, c.HeadDim, c.MLPWidth
	l.embed = add("model.embed_tokens.weight", true, vocab, D)
	for i := range c.Layers {
		p := fmt.Sprintf("model.layers.%d.", i)
		var lp layerParams
		lp.ln1 = add(p+"input_layernorm.weight", false, D)
		lp.qkv = add(p+"self_attn.q_proj.weight", true, c.Heads*hd, D)
		add(p+"self_attn.k_proj.weight", true, c.KVHeads*hd, D)
		add(p+"self_attn.v_proj.weight", true, c.KVHeads*hd, D)
		lp.qNorm = add(p+"self_attn.q_norm.weight", false, hd)
		lp.kNorm = add(p+"self_attn.k_norm.weight", false, hd)
		lp.o = add(p+"self_attn.o_proj.weight", true, D, c.Heads*hd)
		lp.ln2 = add(p+"post_attention_layernorm.weight", false, D)
		lp.gateUp = add(p+"mlp.gate_proj.weight", true, F, D)
		add(p+"mlp.up_proj.weight", true, F, D)
		lp.down = add(p+"mlp.down_proj.weight", true, D, F)
		l.layers = append(l.layers, lp)
	}
	l.norm = add("model.norm.weight", false, D)
	l.lmHead = l.embed
	if !c.Tie {
		l.lmHead = add("lm_head.weight", true, vocab, D)
	}
	l.valueW, l.valueB = -1, -1
	if c.ValueHead {
		l.valueW = add("value_head.weight", false, 1, D)
		l.valueB = add("value_head.bias", false, 1)
	}
	return l
}

// initParams fills the slab: norm gains 1, value head 0, matrices Gaussian
// with standard deviation std from a stream of seed.
func initParams(p []float32, l layout, std float64, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 0x74696e796c6d)) // "tinylm"
	for _, t := range l.tensors {
		dst := p[t.off : t.off+t.size()]
		switch {
		case len(t.shape) == 1 && t.name != "value_head.bias":
			for i := range dst {
				dst[i] = 1
			}
		case t.name == "value_head.weight" || t.name == "value_head.bias":
			clear(dst)
		default:
			for i := range dst {
				dst[i] = float32(std * rng.NormFloat64())
			}
		}
	}
}

// ropeTables returns cos and sin of position·θ^(−2i/d) for every position
// below context and i < d/2, row-major [context, d/2].
func ropeTables(context, d int, theta float64) (cos, sin []float32) {
	half := d / 2
	cos = make([]float32, context*half)
	sin = make([]float32, context*half)
	for pos := range context {
		for i := range half {
			a := float64(pos) * math.Pow(theta, -2*float64(i)/float64(d))
			cos[pos*half+i] = float32(math.Cos(a))
			sin[pos*half+i] = float32(math.Sin(a))
		}
	}
	return cos, sin
}
