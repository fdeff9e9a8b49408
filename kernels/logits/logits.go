// Package logits computes, from rows of pre-softmax logits, what an RL
// backend needs per generated token: the entropy of the temperature-scaled
// softmax and the log-prob of the chosen token, and the gradient of any
// linear combination of the two with respect to the logits.
//
// Each row is read once for the forward statistics (an online max with
// rescaling, vectorised in kernels/vecmath) and once more by the backward
// pass, which needs no scratch memory and may overwrite the logits in place.
// Rows are spread over goroutines, but every row is computed by one goroutine
// with the same instruction sequence, so results are bit-identical whatever
// GOMAXPROCS is.
package logits

import (
	"math"
	"runtime"
	"sync"

	"github.com/forkrl/forkrl/kernels/vecmath"
)

// Forward writes, for each row r of x (len(ids) rows, V wide), the entropy h[r]
// of softmax(x_r/T) and logp[r] = log softmax(x_r/T)[ids[r]] (ids[r] < 0:
// logp[r] = 0). Rows are split over goroutines in a fixed way; results do not
// depend on GOMAXPROCS.
//
// Every row must hold at least one finite logit; −∞ logits (masked entries)
// are allowed. T must be positive. Forward panics when the shapes disagree or
// an id is ≥ V.
func Forward(h, logp []float32, x []float32, V int, ids []int32, T float32) {
	rows := checkShape(x, V, ids, T)
	if len(h) != rows || len(logp) != rows {
		panic("logits: len(h) and len(logp) must equal len(ids)")
	}
	invT := 1 / float64(T)
	parallelRows(rows, V, func(r int) {
		row := x[r*V : (r+1)*V]
		st := rowStats(row, invT)
		h[r] = float32(st.entropy)
		if id := ids[r]; id >= 0 {
			logp[r] = float32(float64(row[id])*invT - st.logZ)
		} else {
			logp[r] = 0
		}
	})
}

// Backward writes into dx (same shape as x; dx may be x itself, in place) the
// gradient with respect to the logits of gLogp[r]*logp[r] + gH[r]*h[r], i.e.
// (1/T)*(gLogp*(onehot-p) - gH*p*(log p + H)).
//
// Rows whose id is negative have a constant logp of 0, so only their gH term
// contributes. gLogp or gH may be nil,
// meaning all zeros. Backward recomputes the row statistics (one extra read of
// the row) rather than keeping them from Forward, so it can be called alone.
func Backward(dx, x []float32, V int, ids []int32, T float32, gLogp, gH []float32) {
	rows := checkShape(x, V, ids, T)
	if len(dx) != len(x) {
		panic("logits: len(dx) must equal len(x)")
	}
	if (gLogp != nil && len(gLogp) != rows) || (gH != nil && len(gH) != rows) {
		panic("logits: len(gLogp) and len(gH) must equal len(ids)")
	}
	invT := 1 / float64(T)
	parallelRows(rows, V, func(r int) {
		row := x[r*V : (r+1)*V]
		drow := dx[r*V : (r+1)*V]
		var gl, gh float32
		if gLogp != nil && ids[r] >= 0 {
			gl = gLogp[r]
		}
		if gH != nil {
			gh = gH[r]
		}
		st := rowStats(row, invT)
		// d/dz_i of gl·log p_id + gh·H = gl(onehot − p_i) − gh·p_i(log p_i + H),
		// and log p_i = u_i, so the non-one-hot part is p_i·(α + β·u_i).
		alpha := -invT * (float64(gl) + float64(gh)*st.entropy)
		beta := -invT * float64(gh)
		vecmath.ExpAffine(drow, row, float32(invT), float32(st.logZ), float32(alpha), float32(beta))
		if id := ids[r]; id >= 0 {
			drow[id] += float32(invT * float64(gl))
		}
	})
}

// Softmax writes softmax(row/T) into dst and returns its entropy (for
// samplers). dst and row must have the same length; dst may be row.
func Softmax(dst, row []float32, T float32) (entropy float32) {
	if len(dst) != len(row) {
		panic("logits: len(dst) must equal len(row)")
	}
	if len(row) == 0 {
		panic("logits: empty row")
	}
	if !(T > 0) {
		panic("logits: temperature must be positive")
	}
	invT := 1 / float64(T)
	st := rowStats(row, invT)
	vecmath.ExpAffine(dst, row, float32(invT), float32(st.logZ), 1, 0)
	return float32(st.entropy)
}

// Entropy returns the entropy of softmax(row/T), the value Softmax returns
// (the same bits), in one pass over row and without writing the
// probabilities.
func Entropy(row []float32, T float32) float32 {
	if len(row) == 0 {
		panic("logits: empty row")
	}
	if !(T > 0) {
		panic("logits: temperature must be positive")
	}
	return float32(rowStats(row, 1/float64(T)).entropy)
}

// stats are the per-row results of the forward pass.
type stats struct {
	logZ    float64 // log Σ e^(x/T)
	entropy float64 // −Σ p log p
}

func rowStats(row []float32, invT float64) stats {
	m, s, t := vecmath.SoftmaxStats(row, invT)
	ls := math.Log(s)
	return stats{logZ: m + ls, entropy: ls - t/s}
}

func checkShape(x []float32, V int, ids []int32, T float32) int {
	if V <= 0 {
		panic("logits: V must be positive")
	}
	if len(x) != len(ids)*V {
		panic("logits: len(x) must equal len(ids)*V")
	}
	if !(T > 0) {
		panic("logits: temperature must be positive")
	}
	for _, id := range ids {
		if int(id) >= V {
			panic("logits: token id out of range")
		}
	}
	return len(ids)
}

// minWorkPerGoroutine is the number of logits below which a goroutine costs
// more than it saves.
const minWorkPerGoroutine = 1 << 16

// parallelRows calls f for every row in [0, rows), spreading contiguous
// blocks of rows over up to GOMAXPROCS goroutines. Each row is computed by
// exactly one call of f, so the split changes the timing, never the result.
func parallelRows(rows, V int, f func(r int)) {
	workers := min(runtime.GOMAXPROCS(0), rows, max(1, rows*V/minWorkPerGoroutine))
	if workers <= 1 {
		for r := range rows {
			f(r)
		}
		return
	}
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := rows*w/workers, rows*(w+1)/workers
		wg.Go(func() {
			for r := lo; r < hi; r++ {
				f(r)
			}
		})
	}
	wg.Wait()
}
