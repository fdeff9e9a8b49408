package gemm

import "sync"

// gemvBlock is the granularity of the split of a matrix-vector product over goroutines;
// fixed, so that the split never changes how an element is computed.
const gemvBlock = 64

// gemvScratch holds the gathered vector and the sums of a matrix-vector product.
type gemvScratch struct{ buf []float32 }

var gemvPool = sync.Pool{New: func() any { return new(gemvScratch) }}

// gemv computes y[i*ys] = alpha * Σ_p op(M)[i][p]·x[p*xs] + beta*y[i*ys] for i < rows, where
// op(M) is rows×k: M itself (rows×k, stride ld) when !trans, or Mᵀ (M is k×rows) when trans.
func gemv(maxW int, trans bool, rows, k int, alpha float32, mat []float32, ld int, x []float32, xs int, beta float32, y []float32, ys int) {
	s := gemvPool.Get().(*gemvScratch)
	defer gemvPool.Put(s)
	s.buf = grow(s.buf, k+rows)
	xc, acc := s.buf[:k], s.buf[k:]
	if xs == 1 {
		xc = x[:k]
	} else {
		for p := range xc {
			xc[p] = x[p*xs]
		}
	}
	units := (rows + gemvBlock - 1) / gemvBlock
	workers := min(units, workersFor(maxW, 2*rows*k))
	if workers == 1 {
		gemvRows(trans, 0, rows, k, alpha, mat, ld, xc, beta, y, ys, acc)
		return
	}
	claimUnits(workers, units, func(u int) {
		gemvRows(trans, u*gemvBlock, min(rows, (u+1)*gemvBlock), k, alpha, mat, ld, xc, beta, y, ys, acc)
	})
}

// gemvRows computes rows [lo, hi) of gemv, with x gathered and acc as scratch.
func gemvRows(trans bool, lo, hi, k int, alpha float32, mat []float32, ld int, x []float32, beta float32, y []float32, ys int, acc []float32) {
	if trans {
		sumRows(k, x, mat[lo:], ld, acc[lo:hi])
	} else {
		dotRows(k, x, mat[lo*ld:], ld, acc[lo:hi])
	}
	for i := lo; i < hi; i++ {
		if beta == 0 {
			y[i*ys] = alpha * acc[i]
		} else {
			y[i*ys] = alpha*acc[i] + beta*y[i*ys]
		}
	}
}
