package tinylm

import (
	"math"
	"math/rand/v2"
	"sort"

	"github.com/forkrl/forkrl/framework/pluginapi/backend"
	"github.com/forkrl/forkrl/kernels/gemm"
	"github.com/forkrl/forkrl/kernels/logits"
)

// genBuffers are the buffers of generation, reused across calls.
type genBuffers struct {
	// Prefill: the prompts' layout and the final hidden state of each prompt.
	pre  batch
	last []float32
	// The KV cache: keys [layer][stream][KV·hd][context] (transposed),
	// values [layer][stream][context][KV·hd].
	kc, vc                   []float32
	x, ln, qkv, q, k, y, tmp []float32 // one row per active stream
	gu, act, sig             []float32
	rstdQ, rstdK, rstd       []float32
	logits                   []float32
	p                        [][]float32 // per worker: attention probabilities
	probs                    []float32
	order                    []int
	streams                  []int
	pos                      []int32
	ids                      []int32
}

// decodeStep feeds one token to each active stream at its position, appends
// its key and value to the stream's cache and writes the next-token logits of
// each stream (one row per entry of streams) into g.logits.
func (m *model) decodeStep(streams []int, toks []int32, pos []int32, nStreams int) {
	d := m.dims()
	g := &m.gen
	S, D, P, ctx := len(streams), d.D, m.params, m.cfg.Context
	kvw := d.KV * d.hd
	g.growRows(d, S)
	g.logits = grow(g.logits, S*d.V)
	group := d.H / d.KV
	rows := attRows(group)
	for len(g.p) < workers() { // queries, then scores, then outputs
		g.p = append(g.p, make([]float32, rows*(d.hd+ctx+d.hd)))
	}
	for i, tok := range toks {
		copy(g.x[i*D:(i+1)*D], P[m.lay.embed+int(tok)*D:])
	}
	scale := float32(1 / math.Sqrt(float64(d.hd)))
	for l, lp := range m.lay.layers {
		rmsnormForward(g.ln, g.rstd, g.x, P[lp.ln1:], S, D, m.cfg.NormEps)
		matmulForward(g.qkv, g.ln, P[lp.qkv:], S, D, d.qkv)
		m.qkNormRopeForward(g.q, g.k, g.rstdQ, g.rstdK, g.qkv, pos, P[lp.qNorm:lp.qNorm+d.hd], P[lp.kNorm:lp.kNorm+d.hd])
		layer := l * nStreams * ctx * kvw
		for i, s := range streams {
			at := layer + (s*ctx+int(pos[i]))*kvw
			copy(g.vc[at:at+kvw], g.qkv[i*d.qkv+(d.H+d.KV)*d.hd:(i+1)*d.qkv])
			kt := g.kc[layer+s*ctx*kvw+int(pos[i]):]
			for j, v := range g.k[i*kvw : (i+1)*kvw] {
				kt[j*ctx] = v
			}
		}
		// One query per stream against its cache: each (stream, KV group) is
		// two products, of the group's heads (padded with rows of zeros to
		// attRows) by its cached keys, then values. The scores are computed
		// for whole panels of 16 cached positions (nc ≥ n, within the cache).
		// Both paddings let the product pack whole panels, without its slow
		// path for partial ones; a value's bits do not depend on the number
		// of rows or columns of the product, and the padding goes unused.
		parallelFor(S*d.KV, func(w, j int) {
			i, kv := j/d.KV, j%d.KV
			n := int(pos[i]) + 1
			nc := min((n+scorePanel-1)/scorePanel*scorePanel, ctx)
			kbase := layer + streams[i]*ctx*kvw + kv*d.hd*ctx
			vbase := layer + streams[i]*ctx*kvw + kv*d.hd
			qg, sc, yg := g.p[w][:rows*d.hd], g.p[w][rows*d.hd:rows*(d.hd+nc)], g.p[w][rows*(d.hd+ctx):rows*(d.hd+ctx+d.hd)]
			copy(qg, g.q[i*d.H*d.hd+kv*group*d.hd:i*d.H*d.hd+(kv+1)*group*d.hd]) // rows past group stay zero
			gemm.SgemmSerial(false, false, rows, nc, d.hd, scale, qg, d.hd, g.kc[kbase:], ctx, 0, sc, nc)
			softmaxRows(sc, group, n, nc, func(int) int { return n })
			gemm.SgemmSerial(false, false, rows, d.hd, n, 1, sc, nc, g.vc[vbase:], kvw, 0, yg, d.hd)
			copy(g.y[i*d.H*d.hd+kv*group*d.hd:], yg[:group*d.hd])
		})
		m.layerTail(lp, S)
	}
	rmsnormForward(g.ln, g.rstd, g.x, P[m.lay.norm:], S, D, m.cfg.NormEps)
	matmulForward(g.logits, g.ln, P[m.lay.lmHead:], S, D, d.V)
}

// scorePanel and scoreRows are the column and row panel sizes of gemm's
// packed product, to which decodeStep rounds its attention products.
const (
	scorePanel = 16
	scoreRows  = 6
)

// attRows is the number of rows of decodeStep's attention products for a KV
// group of group query heads: a whole number of row panels, or 1 (which the
// product computes on another path, so padding it would change its bits).
func attRows(group int) int {
	if group == 1 {
		return 1
	}
	return (group + scoreRows - 1) / scoreRows * scoreRows
}

// growRows sizes the generation buffers that hold one row per token for
// rows tokens.
func (g *genBuffers) growRows(d dims, rows int) {
	g.x = grow(g.x, rows*d.D)
	g.ln = grow(g.ln, rows*d.D)
	g.tmp = grow(g.tmp, rows*d.D)
	g.rstd = grow(g.rstd, rows)
	g.qkv = grow(g.qkv, rows*d.qkv)
	g.q = grow(g.q, rows*d.H*d.hd)
	g.k = grow(g.k, rows*d.KV*d.hd)
	g.y = grow(g.y, rows*d.H*d.hd)
	g.rstdQ = grow(g.rstdQ, rows*d.H)
	g.rstdK = grow(g.rstdK, rows*d.KV)
	g.gu = grow(g.gu, rows*2*d.F)
	g.act = grow(g.act, rows*d.F)
	g.sig = grow(g.sig, rows*d.F)
}

// layerTail finishes layer lp for rows tokens after attention has written
// g.y: the output projection and its residual, then the second norm, the
// SwiGLU MLP and its residual, all in g.x.
func (m *model) layerTail(lp layerParams, rows int) {
	d, g, P := m.dims(), &m.gen, m.params
	matmulForward(g.tmp, g.y, P[lp.o:], rows, d.H*d.hd, d.D)
	axpy(g.x, 1, g.tmp)
	rmsnormForward(g.ln, g.rstd, g.x, P[lp.ln2:], rows, d.D, m.cfg.NormEps)
	matmulForward(g.gu, g.ln, P[lp.gateUp:], rows, d.D, 2*d.F)
	swigluForward(g.act, g.sig, g.gu, rows, d.F)
	matmulForward(g.tmp, g.act, P[lp.down:], rows, d.F, d.D)
	axpy(g.x, 1, g.tmp)
}

// prefillRows bounds the prompt tokens run through the layers at once, and
// so the prefill's activations.
const prefillRows = 2048

// prefill runs the prompts through the model as matrix products, a group of
// prompts at a time, with causal attention within each prompt. It writes
// each layer's keys and values into the cache of each prompt's first stream
// (stream p·n) and the next-token logits after each prompt's last token into
// first (one row of vocabulary size per prompt).
func (m *model) prefill(prompts [][]int32, n, nStreams int, first []float32) {
	for lo := 0; lo < len(prompts); {
		hi, rows := lo, 0
		for hi < len(prompts) && (hi == lo || rows+len(prompts[hi]) <= prefillRows) {
			rows += len(prompts[hi])
			hi++
		}
		m.prefillGroup(prompts[lo:hi], lo, n, nStreams, first)
		lo = hi
	}
}

// prefillGroup is prefill for one group of prompts, the first of which is
// prompt p0 of the request.
func (m *model) prefillGroup(prompts [][]int32, p0, n, nStreams int, first []float32) {
	d := m.dims()
	g := &m.gen
	b := &g.pre
	seqs := make([][2][]int32, len(prompts))
	for p, pr := range prompts {
		seqs[p] = [2][]int32{pr, pr[:1]} // one placeholder target: the inputs are the prompt
	}
	b.set(seqs)
	N, D, P, ctx := b.n, d.D, m.params, m.cfg.Context
	kvw := d.KV * d.hd
	g.growRows(d, N)
	g.last = grow(g.last, len(prompts)*D)
	for t, tok := range b.tokens {
		copy(g.x[t*D:(t+1)*D], P[m.lay.embed+int(tok)*D:])
	}
	for l, lp := range m.lay.layers {
		rmsnormForward(g.ln, g.rstd, g.x, P[lp.ln1:], N, D, m.cfg.NormEps)
		matmulForward(g.qkv, g.ln, P[lp.qkv:], N, D, d.qkv)
		m.qkNormRopeForward(g.q, g.k, g.rstdQ, g.rstdK, g.qkv, b.pos, P[lp.qNorm:lp.qNorm+d.hd], P[lp.kNorm:lp.kNorm+d.hd])
		layer := l * nStreams * ctx * kvw
		parallelFor(len(prompts), func(_, p int) {
			base := layer + (p0+p)*n*ctx*kvw
			for t := range b.lens[p] {
				row := b.starts[p] + t
				copy(g.vc[base+t*kvw:base+(t+1)*kvw], g.qkv[row*d.qkv+(d.H+d.KV)*d.hd:(row+1)*d.qkv])
				for j, v := range g.k[row*kvw : (row+1)*kvw] {
					g.kc[base+j*ctx+t] = v
				}
			}
		})
		m.attentionForward(g.y, g.q, g.k, g.qkv, b)
		m.layerTail(lp, N)
	}
	for p := range prompts {
		row := b.starts[p] + b.lens[p] - 1
		copy(g.last[p*D:(p+1)*D], g.x[row*D:(row+1)*D])
	}
	rmsnormForward(g.ln, g.rstd, g.last, P[m.lay.norm:], len(prompts), D, m.cfg.NormEps)
	matmulForward(first[p0*d.V:(p0+len(prompts))*d.V], g.ln[:len(prompts)*D], P[m.lay.lmHead:], len(prompts), D, d.V)
}

// streamRNG is the random stream of one response: it depends on the request
// seed and the response's place only, never on batching or threads.
func streamRNG(seed uint64, prompt, sample int) *rand.Rand {
	return rand.New(rand.NewPCG(seed, uint64(prompt)<<32|uint64(uint32(sample))))
}

// sampleToken draws a token from one row of logits under the sampling
// settings. It returns the token, the sampler's log-prob of it (after
// temperature, entropy gate and top-p) and the entropy of the distribution
// at the base temperature (1 when greedy). The entropy gate reads the
// entropy at T = 1, as the paper's gate does.
func (m *model) sampleToken(row []float32, s backend.Sampling, rng *rand.Rand) (int32, float32, float32) {
	g := &m.gen
	g.probs = grow(g.probs, len(row))
	base := s.Temperature
	if base <= 0 {
		base = 1
	}
	T := s.Temperature
	// Softmax writes the probabilities at a temperature and its entropy in
	// two passes, Entropy the entropy alone in one: the probabilities are
	// written once, at the temperature the token is drawn at.
	var ent, probsAt float32 // probsAt: the temperature g.probs holds, 0 for none
	if s.EntropyGate == nil && T > 0 {
		ent, probsAt = logits.Softmax(g.probs, row, base), base
	} else {
		ent = logits.Entropy(row, base)
	}
	if s.EntropyGate != nil {
		gate := ent
		if base != 1 {
			gate = logits.Entropy(row, 1)
		}
		T = s.EntropyGate.TLow
		if gate > s.EntropyGate.Threshold {
			T = s.EntropyGate.THigh
		}
	}
	if T <= 0 {
		best := 0
		for i, v := range row {
			if v > row[best] {
				best = i
			}
		}
		return int32(best), 0, ent
	}
	if T != probsAt {
		logits.Softmax(g.probs, row, T)
	}
	if cap(g.order) < len(row) {
		g.order = make([]int, len(row))
	}
	order := g.order[:len(row)]
	for i := range order {
		order[i] = i
	}
	kept := len(order)
	if s.TopP > 0 && s.TopP < 1 {
		p := g.probs
		sort.SliceStable(order, func(a, b int) bool { return p[order[a]] > p[order[b]] })
		var cum float32
		for i, id := range order {
			cum += p[id]
			if cum >= s.TopP {
				kept = i + 1
				break
			}
		}
	}
	var z float64
	for _, id := range order[:kept] {
		z += float64(g.probs[id])
	}
	u := rng.Float64() * z
	pick := order[kept-1]
	var cum float64
	for _, id := range order[:kept] {
		cum += float64(g.probs[id])
		if u < cum && g.probs[id] > 0 {
			pick = id
			break
		}
	}
	return int32(pick), float32(math.Log(float64(g.probs[pick]) / z)), ent
}

// stream is the state of one response being generated.
type stream struct {
	prompt, sample int
	rng            *rand.Rand
	resp           backend.Response
	done           bool
}

// generate samples n responses to each prompt with a KV cache. Prompts are
// run once and their cache is copied to their n streams. Inputs must have
// been checked (ids in range, 0 < len(prompt) < context).
func (m *model) generate(prompts [][]int32, n int, s backend.Sampling, seed uint64, stop map[int32]bool) []backend.Response {
	d := m.dims()
	g := &m.gen
	ctx, kvw := m.cfg.Context, d.KV*d.hd
	nStreams := len(prompts) * n
	g.kc = grow(g.kc, d.L*nStreams*ctx*kvw)
	g.vc = grow(g.vc, d.L*nStreams*ctx*kvw)
	streams := make([]stream, nStreams)
	for i := range streams {
		streams[i] = stream{prompt: i / n, sample: i % n, rng: streamRNG(seed, i/n, i%n)}
		streams[i].resp.Prompt = i / n
	}

	// Prefill: each prompt in the cache of its first stream.
	first := make([]float32, len(prompts)*d.V) // logits after each prompt's last token
	m.prefill(prompts, n, nStreams, first)
	for p, pr := range prompts {
		for l := range d.L {
			src := (l*nStreams + p*n) * ctx * kvw
			for j := 1; j < n; j++ {
				dst := (l*nStreams + p*n + j) * ctx * kvw
				for r := range kvw { // rows of the transposed keys
					copy(g.kc[dst+r*ctx:dst+r*ctx+len(pr)], g.kc[src+r*ctx:src+r*ctx+len(pr)])
				}
				copy(g.vc[dst:dst+len(pr)*kvw], g.vc[src:src+len(pr)*kvw])
			}
		}
	}

	// Decode: sample from the last logits of each stream, feed the token back.
	emit := func(st *stream, row []float32) {
		tok, lp, ent := m.sampleToken(row, s, st.rng)
		piece, _ := m.tok.piece(tok)
		r := &st.resp
		r.Tokens = append(r.Tokens, tok)
		r.Pieces = append(r.Pieces, piece)
		r.LogProbs = append(r.LogProbs, lp)
		r.Entropies = append(r.Entropies, ent)
		switch {
		case stop[tok]:
			r.Finish, st.done = backend.FinishStop, true
		case len(r.Tokens) == s.MaxTokens || len(prompts[st.prompt])+len(r.Tokens) >= ctx:
			r.Finish, st.done = backend.FinishLength, true
		}
	}
	for i := range streams {
		p := streams[i].prompt
		emit(&streams[i], first[p*d.V:(p+1)*d.V])
	}
	for {
		g.streams, g.ids, g.pos = g.streams[:0], g.ids[:0], g.pos[:0]
		for i := range streams {
			st := &streams[i]
			if st.done {
				continue
			}
			g.streams = append(g.streams, i)
			g.ids = append(g.ids, st.resp.Tokens[len(st.resp.Tokens)-1])
			g.pos = append(g.pos, int32(len(prompts[st.prompt])+len(st.resp.Tokens)-1))
		}
		if len(g.streams) == 0 {
			break
		}
		m.decodeStep(g.streams, g.ids, g.pos, nStreams)
		for i, st := range g.streams {
			emit(&streams[st], g.logits[i*d.V:(i+1)*d.V])
		}
	}
	out := make([]backend.Response, nStreams)
	for i := range streams {
		out[i] = streams[i].resp
	}
	return out
}
