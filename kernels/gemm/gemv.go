package gemm

// gemvBlock is the granularity of the split of a matrix-vector product over goroutines;
// fixed, so that the split never changes how an element is computed.
const gemvBlock = 64

// gemv computes y[i*ys] = alpha * Σ_p op(M)[i][p]·x[p*xs] + beta*y[i*ys] for i < rows, where
// op(M) is rows×k: M itself (rows×k, stride ld) when !trans, or Mᵀ (M is k×rows) when trans.
func gemv(maxW int, trans bool, rows, k int, alpha float32, mat []float32, ld int, x []float32, xs int, beta float32, y []float32, ys int) {
	buf := packPool.Get().(*packBuffers)
	defer packPool.Put(buf)
	buf.a = grow(buf.a, k+rows)
	xc, acc := buf.a[:k], buf.a[k:]
	if xs == 1 {
		xc = x[:k]
	} else {
		for p := range xc {
			xc[p] = x[p*xs]
		}
	}
	units := (rows + gemvBlock - 1) / gemvBlock
	workers := min(units, workersFor(maxW, 2*rows*k))
	parallel(workers, func(w int) {
		lo, hi := split(units, workers, w)
		lo, hi = lo*gemvBlock, min(rows, hi*gemvBlock)
		if trans {
			sumRows(k, xc, mat[lo:], ld, acc[lo:hi])
		} else {
			dotRows(k, xc, mat[lo*ld:], ld, acc[lo:hi])
		}
		for i := lo; i < hi; i++ {
			if beta == 0 {
				y[i*ys] = alpha * acc[i]
			} else {
				y[i*ys] = alpha*acc[i] + beta*y[i*ys]
			}
		}
	})
}
