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
	tgtOff  []int   // first target of each sequence
	tokens  []int32 // inputs, n
	pos     []int32 // position of each input in its sequence, n
	targets []int32 // response tokens, m
	n, m    int     // inputs and targets
}

// set lays out sequences.
func (b *batch) set(seqs [][2][]int32) {
	b.starts, b.lens, b.prompts, b.tgtOff = b.starts[:0], b.lens[:0], b.prompts[:0], b.tgtOff[:0]
	b.tokens, b.pos, b.targets = b.tokens[:0], b.pos[:0], b.targets[:0]
	b.n, b.m = 0, 0
	for _, s := range seqs {
		prompt, resp := s[0], s[1]
		L := 0
		if len(resp) > 0 {
			L = len(prompt) + len(resp) - 1
		}
		b.starts = append(b.starts, b.n)
		b.lens = append(b.lens, L)
		b.prompts = append(b.prompts, len(prompt))
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
	// One block's attention half for every token (the last block's after forward; Backward
	// recomputes each block's with attentionHalf):
	ln1, mid     []float32 // n·D
	rstd1        []float32 // n
	qkv          []float32 // n·(H+2KV)·hd: raw projections
	q, k         []float32 // n·H·hd, n·KV·hd: normalised and rotated
	rstdQ, rstdK []float32 // n·H, n·KV
	y            []float32 // n·H·hd: attention output
	// The MLP of one chunk of at most mlpChunk+mlpTail tokens (see mlpChunks): forward and
	// Backward compute it chunk by chunk.
	ln2      []float32 // rows·D
	rstd2    []float32 // rows
	gu       []float32 // rows·2F: MLP gate and up projections
	act, sig []float32 // rows·F, rows·F: SwiGLU output and sigmoid of the gate
	// The head:
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
	rows := min(n, mlpChunk+mlpTail)
	a.res = grow(a.res, (d.L+1)*n*d.D)
	a.ln1 = grow(a.ln1, n*d.D)
	a.mid = grow(a.mid, n*d.D)
	a.rstd1 = grow(a.rstd1, n)
	a.qkv = grow(a.qkv, n*d.qkv)
	a.q = grow(a.q, n*d.H*d.hd)
	a.k = grow(a.k, n*d.KV*d.hd)
	a.rstdQ = grow(a.rstdQ, n*d.H)
	a.rstdK = grow(a.rstdK, n*d.KV)
	a.y = grow(a.y, n*d.H*d.hd)
	a.ln2 = grow(a.ln2, rows*d.D)
	a.rstd2 = grow(a.rstd2, rows)
	a.gu = grow(a.gu, rows*2*d.F)
	a.act = grow(a.act, rows*d.F)
	a.sig = grow(a.sig, rows*d.F)
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
// its output into layer l+1. Backward runs the same code on the same input again for each
// block, so it gets the same bits, instead of keeping every block's activations: only the
// residual stream is kept for all of them, and one block's attention half.
func (m *model) layerForward(a *acts, l int) {
	m.attentionHalf(a, l)
	n, D := a.b.n, m.cfg.Width
	out := a.res[(l+1)*n*D : (l+2)*n*D]
	for _, c := range mlpChunks(n) {
		m.mlpChunkForward(a, l, c[0], c[1])
		axpy(out[c[0]*D:c[1]*D], 1, a.mid[c[0]*D:c[1]*D])
	}
}

// attentionHalf runs the first half of block l, from the residual stream entering it to
// mid = x + attention(norm(x)), keeping its activations in a.
func (m *model) attentionHalf(a *acts, l int) {
	d := m.dims()
	b := &a.b
	n, D, P, lp := b.n, d.D, m.params, m.lay.layers[l]
	x := a.res[l*n*D : (l+1)*n*D]
	rmsnormForward(a.ln1, a.rstd1, x, P[lp.ln1:], n, D, m.cfg.NormEps)
	matmulForward(a.qkv, a.ln1, P[lp.qkv:], n, D, d.qkv)
	m.qkNormRopeForward(a.q, a.k, a.rstdQ, a.rstdK, a.qkv, b.pos, P[lp.qNorm:lp.qNorm+d.hd], P[lp.kNorm:lp.kNorm+d.hd])
	m.attentionForward(a.y, a.q, a.k, a.qkv, b)
	matmulForward(a.mid, a.y, P[lp.o:], n, d.H*d.hd, D)
	axpy(a.mid, 1, x)
}

// mlpChunkForward runs the MLP of block l on the tokens [lo, hi) of a.mid, keeping the
// chunk's activations (ln2, rstd2, gu, act, sig) and, in the output layer of a.res, the
// MLP's output (the caller adds the residual).
func (m *model) mlpChunkForward(a *acts, l, lo, hi int) {
	d := m.dims()
	n, D, P, lp := a.b.n, d.D, m.params, m.lay.layers[l]
	rows := hi - lo
	out := a.res[(l+1)*n*D+lo*D : (l+1)*n*D+hi*D]
	rmsnormForward(a.ln2, a.rstd2, a.mid[lo*D:hi*D], P[lp.ln2:], rows, D, m.cfg.NormEps)
	matmulForward(a.gu, a.ln2, P[lp.gateUp:], rows, D, 2*d.F)
	swigluForward(a.act, a.sig, a.gu, rows, d.F)
	matmulForward(out, a.act, P[lp.down:], rows, d.F, D)
}

// mlpChunk is the number of tokens whose MLP runs at once in forward and Backward, so that
// the MLP's activations, the largest of a block (4·mlp_width values a token, and as many
// gradients), take the memory of one chunk instead of the whole batch. It is a multiple of
// 256, the depth of gemm's blocks: a weight gradient, a sum over tokens, then adds the same
// blocks of 256 tokens in the same order as over the whole batch, so chunking changes no
// bit (TestMLPChunksKeepBits). A last chunk of fewer than mlpTail tokens joins the one before,
// so that no chunk is short enough for gemm's small-matrix paths.
var mlpChunk = 256

// mlpTail is the shortest last chunk of mlpChunks.
const mlpTail = 256

// mlpChunks returns the [lo, hi) token ranges of n tokens' MLP chunks.
func mlpChunks(n int) [][2]int {
	var out [][2]int
	for lo := 0; lo < n; lo += mlpChunk {
		hi := min(lo+mlpChunk, n)
		if n-hi < mlpTail {
			hi = n
		}
		out = append(out, [2]int{lo, hi})
		if hi == n {
			break
		}
	}
	return out
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
// and head. Each (sequence, head) is two serial matrix products, S = Q·Kᵀ/√hd
// and Y = softmax(S)·V, the probabilities in per-worker scratch (Backward
// computes them again); work is spread over the pairs.
func (m *model) attentionForward(y, q, k, qkv []float32, b *batch) {
	d := m.dims()
	group := d.H / d.KV
	probs := m.probScratch(b)
	parallelFor(len(b.starts)*d.H, func(w, i int) {
		s, h := i/d.H, i%d.H
		L, st, g := b.lens[s], b.starts[s], h/group
		if L == 0 {
			return
		}
		p := probs[w][:L*L]
		m.attentionProbs(p, q[st*d.H*d.hd+h*d.hd:], k[st*d.KV*d.hd+g*d.hd:], L)
		gemm.SgemmSerial(false, false, L, d.hd, L, 1, p, L, qkv[st*d.qkv+(d.H+d.KV+g)*d.hd:], d.qkv, 0, y[st*d.H*d.hd+h*d.hd:], d.H*d.hd)
	})
}

// attentionProbs writes into p (L×L) the causal attention probabilities of one head of one
// sequence of L tokens: softmax(Q·Kᵀ/√hd) with qh and keys the head's first query and key in
// the q and k layouts.
func (m *model) attentionProbs(p, qh, keys []float32, L int) {
	d := m.dims()
	scale := float32(1 / math.Sqrt(float64(d.hd)))
	gemm.SgemmSerial(false, true, L, L, d.hd, scale, qh, d.H*d.hd, keys, d.KV*d.hd, 0, p, L)
	softmaxRows(p, L, L, L, func(t int) int { return t + 1 })
}

// probScratch returns one buffer per worker for the attention probabilities of one head of
// the longest sequence of b.
func (m *model) probScratch(b *batch) [][]float32 {
	maxLen := 0
	for _, L := range b.lens {
		maxLen = max(maxLen, L)
	}
	m.probs = perWorker(m.probs, maxLen*maxLen)
	return m.probs
}

// perWorker sizes s to one buffer of n values per worker, reusing what it holds.
func perWorker(s [][]float32, n int) [][]float32 {
	for len(s) < workers() {
		s = append(s, nil)
	}
	for w := range s {
		s[w] = grow(s[w], n)
	}
	return s
}
