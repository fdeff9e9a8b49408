package tinylm

import (
	"math"

	"github.com/forkrl/forkrl/kernels/gemm"
	"github.com/forkrl/forkrl/kernels/logits"
)

// scratch holds the gradient buffers of a backward pass, reused across calls.
type scratch struct {
	dres, dln, dy, dk, dqkv, dhsel []float32   // n or m rows; dy holds dq after attention
	dact, dgu                      []float32   // one MLP chunk's rows
	dp                             [][]float32 // per worker: one head's attention-probability gradients
}

// backward adds to m.grads the gradient of Σ gLogp·logp + gH·H + gV·value over
// the targets of the forward pass a. It consumes a's logits.
func (m *model) backward(a *acts, gLogp, gH, gV []float32) {
	d := m.dims()
	b := &a.b
	m.trainState()
	n, D, P, G := b.n, d.D, m.params, m.grads
	if b.m == 0 {
		return
	}
	sc := &m.scratch
	rows := min(n, mlpChunk+mlpTail)
	sc.dres = grow(sc.dres, n*D)
	sc.dln = grow(sc.dln, n*D)
	sc.dact = grow(sc.dact, rows*d.F)
	sc.dgu = grow(sc.dgu, rows*2*d.F)
	sc.dy = grow(sc.dy, n*d.H*d.hd)
	sc.dk = grow(sc.dk, n*d.KV*d.hd)
	sc.dqkv = grow(sc.dqkv, n*d.qkv)
	sc.dhsel = grow(sc.dhsel, b.m*D)
	maxLen := 0
	for _, L := range b.lens {
		maxLen = max(maxLen, L)
	}
	sc.dp = perWorker(sc.dp, maxLen*maxLen)

	// Head: logits, then the value head.
	logits.Backward(a.logits, a.logits, d.V, b.targets, a.temp, gLogp, gH)
	matmulBackward(sc.dhsel, G[m.lay.lmHead:], a.logits, a.hsel, P[m.lay.lmHead:], b.m, D, d.V)
	if m.lay.valueW >= 0 && gV != nil {
		w, dw := P[m.lay.valueW:m.lay.valueW+D], G[m.lay.valueW:m.lay.valueW+D]
		for i, g := range gV {
			axpy(sc.dhsel[i*D:(i+1)*D], g, w)
			axpy(dw, g, a.hsel[i*D:(i+1)*D])
			G[m.lay.valueB] += g
		}
	}
	clear(sc.dln)
	for s := range b.starts {
		if b.lens[s] == 0 {
			continue
		}
		r := b.lens[s] - b.prompts[s] + 1
		first := b.starts[s] + b.prompts[s] - 1
		copy(sc.dln[first*D:(first+r)*D], sc.dhsel[b.tgtOff[s]*D:(b.tgtOff[s]+r)*D])
	}
	clear(sc.dres)
	rmsnormBackward(sc.dres, G[m.lay.norm:], sc.dln, a.res[d.L*n*D:], P[m.lay.norm:], a.rstdf, n, D)

	for l := d.L - 1; l >= 0; l-- {
		lp := m.lay.layers[l]
		if l < d.L-1 { // the forward pass left the last block's attention half in a
			m.attentionHalf(a, l)
		}
		// dres holds dL/d(block output); the residual passes it to mid unchanged. The MLP
		// goes chunk by chunk, each chunk's activations computed again.
		for _, c := range mlpChunks(n) {
			lo, hi := c[0], c[1]
			r := hi - lo
			dres, dln := sc.dres[lo*D:hi*D], sc.dln[lo*D:hi*D]
			m.mlpChunkForward(a, l, lo, hi)
			matmulBackward(sc.dact, G[lp.down:], dres, a.act, P[lp.down:], r, d.F, D)
			swigluBackward(sc.dgu, sc.dact, a.gu, a.sig, r, d.F)
			matmulBackward(dln, G[lp.gateUp:], sc.dgu, a.ln2, P[lp.gateUp:], r, D, 2*d.F)
			rmsnormBackward(dres, G[lp.ln2:], dln, a.mid[lo*D:hi*D], P[lp.ln2:], a.rstd2, r, D)
		}
		// dres now holds dL/dmid; the residual passes it to x unchanged.
		x := a.res[l*n*D : (l+1)*n*D]
		matmulBackward(sc.dy, G[lp.o:], sc.dres, a.y, P[lp.o:], n, d.H*d.hd, D)
		m.attentionBackward(sc.dy, sc.dk, sc.dqkv, sc.dy, a.q, a.k, a.qkv, b) // dq overwrites dy
		m.qkNormRopeBackward(sc.dqkv, G[lp.qNorm:lp.qNorm+d.hd], G[lp.kNorm:lp.kNorm+d.hd], sc.dy, sc.dk, a.qkv, b.pos,
			P[lp.qNorm:lp.qNorm+d.hd], P[lp.kNorm:lp.kNorm+d.hd], a.rstdQ, a.rstdK)
		matmulBackward(sc.dln, G[lp.qkv:], sc.dqkv, a.ln1, P[lp.qkv:], n, D, d.qkv)
		rmsnormBackward(sc.dres, G[lp.ln1:], sc.dln, x, P[lp.ln1:], a.rstd1, n, D)
	}
	for t, tok := range b.tokens {
		axpy(G[m.lay.embed+int(tok)*D:m.lay.embed+int(tok+1)*D], 1, sc.dres[t*D:(t+1)*D])
	}
}

// attentionBackward writes dq, dk and the value part of dqkv from dy, with
// serial matrix products per head (dq may be dy: each head's dq is written
// after its dy is read); the attention probabilities are computed
// again, with the forward pass's code. Work is split by (sequence, KV head) so
// that every output has one writer.
func (m *model) attentionBackward(dq, dk, dqkv, dy, q, k, qkv []float32, b *batch) {
	d := m.dims()
	scale := float32(1 / math.Sqrt(float64(d.hd)))
	group := d.H / d.KV
	probs := m.probScratch(b)
	parallelFor(len(b.starts)*d.KV, func(w, i int) {
		s, g := i/d.KV, i%d.KV
		L, st := b.lens[s], b.starts[s]
		if L == 0 {
			return
		}
		ds, p := m.scratch.dp[w][:L*L], probs[w][:L*L]
		keys, dkeys := k[st*d.KV*d.hd+g*d.hd:], dk[st*d.KV*d.hd+g*d.hd:]
		vo := st*d.qkv + (d.H+d.KV+g)*d.hd
		vals, dvals := qkv[vo:], dqkv[vo:]
		for j := range group {
			h := g*group + j
			beta := float32(min(j, 1)) // the first head of the group overwrites dK and dV
			dyh, qh, dqh := dy[st*d.H*d.hd+h*d.hd:], q[st*d.H*d.hd+h*d.hd:], dq[st*d.H*d.hd+h*d.hd:]
			m.attentionProbs(p, qh, keys, L)
			gemm.SgemmSerial(true, false, L, d.hd, L, 1, p, L, dyh, d.H*d.hd, beta, dvals, d.qkv) // dV = Pᵀ·dY
			gemm.SgemmSerial(false, true, L, L, d.hd, 1, dyh, d.H*d.hd, vals, d.qkv, 0, ds, L)    // dP = dY·Vᵀ
			for t := range L {
				pr, dr := p[t*L:t*L+t+1], ds[t*L:(t+1)*L]
				var sum float32
				for u, pv := range pr {
					sum += pv * dr[u]
				}
				for u, pv := range pr {
					dr[u] = pv * (dr[u] - sum)
				}
				clear(dr[t+1:])
			}
			gemm.SgemmSerial(false, false, L, d.hd, L, scale, ds, L, keys, d.KV*d.hd, 0, dqh, d.H*d.hd)   // dQ = dS·K/√hd
			gemm.SgemmSerial(true, false, L, d.hd, L, scale, ds, L, qh, d.H*d.hd, beta, dkeys, d.KV*d.hd) // dK = dSᵀ·Q/√hd
		}
	})
}

// qkNormRopeBackward turns dq and dk (gradients of the rotated, normalised
// heads; overwritten) into the query and key parts of dqkv and adds the
// QK-norm gains' gradients to dqn and dkn.
func (m *model) qkNormRopeBackward(dqkv, dqn, dkn, dq, dk, qkv []float32, pos []int32, qn, kn, rstdQ, rstdK []float32) {
	d := m.dims()
	half := d.hd / 2
	forRows(len(pos), d.qkv, func(lo, hi int) {
		for t := lo; t < hi; t++ {
			p := int(pos[t])
			cos, sin := m.cos[p*half:(p+1)*half], m.sin[p*half:(p+1)*half]
			row, drow := qkv[t*d.qkv:], dqkv[t*d.qkv:]
			clear(drow[:(d.H+d.KV)*d.hd])
			for h := range d.H {
				g := dq[(t*d.H+h)*d.hd : (t*d.H+h+1)*d.hd]
				ropeRow(g, cos, sin, -1)
				rmsnormRowBackwardX(drow[h*d.hd:(h+1)*d.hd], g, row[h*d.hd:(h+1)*d.hd], qn, rstdQ[t*d.H+h])
			}
			for h := range d.KV {
				g := dk[(t*d.KV+h)*d.hd : (t*d.KV+h+1)*d.hd]
				ropeRow(g, cos, sin, -1)
				o := (d.H + h) * d.hd
				rmsnormRowBackwardX(drow[o:o+d.hd], g, row[o:o+d.hd], kn, rstdK[t*d.KV+h])
			}
		}
	})
	for t := range pos { // the gains' gradients sum over rows in a fixed order
		row := qkv[t*d.qkv:]
		for h := range d.H {
			rmsnormRowBackwardW(dqn, dq[(t*d.H+h)*d.hd:(t*d.H+h+1)*d.hd], row[h*d.hd:(h+1)*d.hd], rstdQ[t*d.H+h])
		}
		for h := range d.KV {
			o := (d.H + h) * d.hd
			rmsnormRowBackwardW(dkn, dk[(t*d.KV+h)*d.hd:(t*d.KV+h+1)*d.hd], row[o:o+d.hd], rstdK[t*d.KV+h])
		}
	}
}
