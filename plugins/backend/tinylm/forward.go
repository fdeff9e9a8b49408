package tinylm

import (
	"math"

	"github.com/forkrl/forkrl/kernels/gemm"
	"github.com/forkrl/forkrl/kernels/logits"
)

// batch is the token layout of a batch of sequences. Sequence b feeds its
// prompt and all but the last response token (inputs, length lens[b]) and
// predicts its response tokens from positions prompt[b]−1 … lens[b]−1.
type batch struct {
	starts  []int   // first token of each sequence in the flat token arrays
	lens    []int   // input tokens of each sequence
	prompts []int   // prompt length of each sequence
	attOff  []int   // offset of each sequence's attention probabilities in one layer
	tgtOff  []int   // first target of each sequence
	tokens  []int32 // inputs, n
	pos     []int32 // position of each input in its sequence, n
	targets []int32 // response tokens, m
	n, m    int     // inputs and targets
	att     int     // attention probabilities of one layer: Σ heads·len²
}

// set lays out sequences for a model with the given number of heads.
func (b *batch) set(seqs [][2][]int32, heads int) {
	b.starts, b.lens, b.prompts, b.attOff, b.tgtOff = b.starts[:0], b.lens[:0], b.prompts[:0], b.attOff[:0], b.tgtOff[:0]
	b.tokens, b.pos, b.targets = b.tokens[:0], b.pos[:0], b.targets[:0]
	b.n, b.m, b.att = 0, 0, 0
	for _, s := range seqs {
		prompt, resp := s[0], s[1]
		L := 0
		if len(resp) > 0 {
			L = len(prompt) + len(resp) - 1
		}
		b.starts = append(b.starts, b.n)
		b.lens = append(b.lens, L)
		b.prompts = append(b.prompts, len(prompt))
		b.attOff = append(b.attOff, b.att)
		b.tgtOff = append(b.tgtOff, b.m)
		if L == 0 {
			continue
		}
		b.tokens = append(b.tokens, prompt...)
		b.tokens = append(b.tokens, resp[:len(resp)-1]...)
		for p := range L {
			b.pos = append(b.pos, int32(p))
		}
		b.targets = append(b.targets, resp...)
		b.n += L
		b.m += len(resp)
		b.att += heads * L * L
	}
}

// targetRange returns the targets [lo, hi) of sequence s.
func (b *batch) targetRange(s int) (lo, hi int) {
	if s+1 < len(b.tgtOff) {
		return b.tgtOff[s], b.tgtOff[s+1]
	}
	return b.tgtOff[s], b.m
}

// acts are the activations of one forward pass kept for its backward pass.
// Buffers grow and are reused: first touches of fresh memory are slow.
type acts struct {
	b    batch
	temp float32
	res  []float32 // (layers+1)·n·D: the residual stream entering each block, and the last
	// One block's activations (the last block's after forward; Backward recomputes each
	// block's with layerForward):
	ln1, ln2, mid     []float32 // n·D
	rstd1, rstd2      []float32 // n
	qkv               []float32 // n·(H+2KV)·hd: raw projections
	q, k              []float32 // n·H·hd, n·KV·hd: normalised and rotated
	rstdQ, rstdK      []float32 // n·H, n·KV
	att               []float32 // Σ H·len²: attention probabilities
	y                 []float32 // n·H·hd: attention output
	gu                []float32 // n·2F: MLP gate and up projections
	act, sig          []float32 // n·F, n·F: SwiGLU output and sigmoid of the gate
	lnf, rstdf        []float32 // n·D, n
	hsel              []float32 // m·D: final hidden states at the predicting positions
	logits            []float32 // m·V
	logp, ent, values []float32 // m
}

func grow(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}

// dims are the sizes derived from a configuration.
type dims struct {
	L, D, H, KV, hd, F, V, qkv int
}

func (m *model) dims() dims {
	c := m.cfg
	return dims{L: c.Layers, D: c.Width, H: c.Heads, KV: c.KVHeads, hd: c.HeadDim, F: c.MLPWidth, V: m.vocab, qkv: (c.Heads + 2*c.KVHeads) * c.HeadDim}
}

func (a *acts) size(d dims) {
	n, m := a.b.n, a.b.m
	a.res = grow(a.res, (d.L+1)*n*d.D)
	a.ln1 = grow(a.ln1, n*d.D)
	a.ln2 = grow(a.ln2, n*d.D)
	a.mid = grow(a.mid, n*d.D)
	a.rstd1 = grow(a.rstd1, n)
	a.rstd2 = grow(a.rstd2, n)
	a.qkv = grow(a.qkv, n*d.qkv)
	a.q = grow(a.q, n*d.H*d.hd)
	a.k = grow(a.k, n*d.KV*d.hd)
	a.rstdQ = grow(a.rstdQ, n*d.H)
	a.rstdK = grow(a.rstdK, n*d.KV)
	a.att = grow(a.att, a.b.att)
	a.y = grow(a.y, n*d.H*d.hd)
	a.gu = grow(a.gu, n*2*d.F)
	a.act = grow(a.act, n*d.F)
	a.sig = grow(a.sig, n*d.F)
	a.lnf = grow(a.lnf, n*d.D)
	a.rstdf = grow(a.rstdf, n)
	a.hsel = grow(a.hsel, m*d.D)
	a.logits = grow(a.logits, m*d.V)
	a.logp = grow(a.logp, m)
	a.ent = grow(a.ent, m)
	a.values = grow(a.values, m)
}

// forward runs the model over a laid-out batch at temperature T, filling a's
// per-target log-probs, entropies and (with a value head) values.
func (m *model) forward(a *acts, T float32) {
	d := m.dims()
	a.temp = T
	a.size(d)
	b := &a.b
	n, D, P := b.n, d.D, m.params
	for t, tok := range b.tokens {
		copy(a.res[t*D:(t+1)*D], P[m.lay.embed+int(tok)*D:])
	}
	for l := range m.lay.layers {
		m.layerForward(a, l)
	}
	rmsnormForward(a.lnf, a.rstdf, a.res[d.L*n*D:], P[m.lay.norm:], n, D, m.cfg.NormEps)
	for s := range b.starts {
		if b.lens[s] == 0 {
			continue
		}
		r := b.lens[s] - b.prompts[s] + 1 // response tokens
		first := b.starts[s] + b.prompts[s] - 1
		copy(a.hsel[b.tgtOff[s]*D:(b.tgtOff[s]+r)*D], a.lnf[first*D:(first+r)*D])
	}
	if b.m == 0 {
		return
	}
	matmulForward(a.logits, a.hsel, P[m.lay.lmHead:], b.m, D, d.V)
	logits.Forward(a.ent, a.logp, a.logits, d.V, b.targets, T)
	if m.lay.valueW >= 0 {
		w, bias := P[m.lay.valueW:m.lay.valueW+D], P[m.lay.valueB]
		for i := range b.m {
			a.values[i] = dot(a.hsel[i*D:(i+1)*D], w) + bias
		}
	}
}

// layerForward runs block l on the residual stream entering it, a.res's layer l, writing
// its output into layer l+1 and its activations into a's one-layer buffers. Backward calls
// it again for each block, with the same code on the same input, so the same bits, instead of
// keeping every block's activations: only the residual stream is kept for all of them.
func (m *model) layerForward(a *acts, l int) {
	d := m.dims()
	b := &a.b
	n, D, P, lp := b.n, d.D, m.params, m.lay.layers[l]
	x := a.res[l*n*D : (l+1)*n*D]
	ln1, rstd1, qkv, q, k, rstdQ, rstdK, att, y := a.ln1, a.rstd1, a.qkv, a.q, a.k, a.rstdQ, a.rstdK, a.att, a.y
	mid, ln2, rstd2, gu, act, sig := a.mid, a.ln2, a.rstd2, a.gu, a.act, a.sig
	out := a.res[(l+1)*n*D : (l+2)*n*D]

	rmsnormForward(ln1, rstd1, x, P[lp.ln1:], n, D, m.cfg.NormEps)
	matmulForward(qkv, ln1, P[lp.qkv:], n, D, d.qkv)
	m.qkNormRopeForward(q, k, rstdQ, rstdK, qkv, b.pos, P[lp.qNorm:lp.qNorm+d.hd], P[lp.kNorm:lp.kNorm+d.hd])
	m.attentionForward(y, att, q, k, qkv, b)
	matmulForward(mid, y, P[lp.o:], n, d.H*d.hd, D)
	axpy(mid, 1, x)
	rmsnormForward(ln2, rstd2, mid, P[lp.ln2:], n, D, m.cfg.NormEps)
	matmulForward(gu, ln2, P[lp.gateUp:], n, D, 2*d.F)
	swigluForward(act, sig, gu, n, d.F)
	matmulForward(out, act, P[lp.down:], n, d.F, D)
	axpy(out, 1, mid)
}

// qkNormRopeForward normalises each query and key head (QK-norm) and rotates
// it by its position.
func (m *model) qkNormRopeForward(q, k, rstdQ, rstdK, qkv []float32, pos []int32, qn, kn []float32) {
	d := m.dims()
	half := d.hd / 2
	eps := m.cfg.NormEps
	forRows(len(pos), d.qkv, func(lo, hi int) {
		for t := lo; t < hi; t++ {
			p := pos[t]
			cos, sin := m.cos[int(p)*half:(int(p)+1)*half], m.sin[int(p)*half:(int(p)+1)*half]
			row := qkv[t*d.qkv:]
			for h := range d.H {
				dst := q[(t*d.H+h)*d.hd : (t*d.H+h+1)*d.hd]
				rstdQ[t*d.H+h] = rmsnormRow(dst, row[h*d.hd:(h+1)*d.hd], qn, eps)
				ropeRow(dst, cos, sin, 1)
			}
			for g := range d.KV {
				src := row[(d.H+g)*d.hd : (d.H+g+1)*d.hd]
				dst := k[(t*d.KV+g)*d.hd : (t*d.KV+g+1)*d.hd]
				rstdK[t*d.KV+g] = rmsnormRow(dst, src, kn, eps)
				ropeRow(dst, cos, sin, 1)
			}
		}
	})
}

// attentionForward runs causal grouped-query attention for every sequence
// and head, keeping the probabilities. Each (sequence, head) is two serial
// matrix products, S = Q·Kᵀ/√hd and Y = softmax(S)·V; work is spread over
// the pairs.
func (m *model) attentionForward(y, att, q, k, qkv []float32, b *batch) {
	d := m.dims()
	scale := float32(1 / math.Sqrt(float64(d.hd)))
	group := d.H / d.KV
	parallelFor(len(b.starts)*d.H, func(_, i int) {
		s, h := i/d.H, i%d.H
		L, st, g := b.lens[s], b.starts[s], h/group
		if L == 0 {
			return
		}
		qh := q[st*d.H*d.hd+h*d.hd:]
		keys := k[st*d.KV*d.hd+g*d.hd:]
		vals := qkv[st*d.qkv+(d.H+d.KV+g)*d.hd:]
		p := att[b.attOff[s]+h*L*L : b.attOff[s]+(h+1)*L*L]
		gemm.SgemmSerial(false, true, L, L, d.hd, scale, qh, d.H*d.hd, keys, d.KV*d.hd, 0, p, L)
		softmaxRows(p, L, L, L, func(t int) int { return t + 1 })
		gemm.SgemmSerial(false, false, L, d.hd, L, 1, p, L, vals, d.qkv, 0, y[st*d.H*d.hd+h*d.hd:], d.H*d.hd)
	})
}
