package gemm

// A product with transB, m ≤ smallM and k ≥ minDotK skips packing: packing B would cost
// more than multiplying by it. Shorter dot products pay too much for their final sums.
const (
	smallM  = 16
	minDotK = 64
)

// dotGemm computes C = alpha*op(A)*Bᵀ + beta*C with B n×k for small m, without packing B:
// each element is a dot product of a row of op(A) and a row of B, computed three rows of A
// by four rows of B at a time while those B rows sit in L1. Goroutines take blocks of
// gemvBlock columns in turn.
func dotGemm(maxW int, transA bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	s := gemvPool.Get().(*gemvScratch)
	defer gemvPool.Put(s)
	ar, ald := a, lda
	if transA {
		// Rows of op(A) must be contiguous: transpose the k×m matrix A into m×k.
		s.buf = grow(s.buf, m*k)
		for i := 0; i < m; i++ {
			row := s.buf[i*k : (i+1)*k]
			for p := range row {
				row[p] = a[p*lda+i]
			}
		}
		ar, ald = s.buf, k
	}
	units := (n + gemvBlock - 1) / gemvBlock
	workers := min(units, workersFor(maxW, 2*m*n*k))
	if workers == 1 {
		dotColumns(0, n, m, n, k, alpha, ar, ald, b, ldb, beta, c, ldc)
		return
	}
	claimUnits(workers, units, func(u int) {
		dotColumns(u*gemvBlock, min(n, (u+1)*gemvBlock), m, n, k, alpha, ar, ald, b, ldb, beta, c, ldc)
	})
}

// dotColumns computes columns [lo, hi) of dotGemm, with lo a multiple of 4. Tiles at the
// edges of C repeat their last row or column so that every element sees the same operations.
func dotColumns(lo, hi, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	var out [12]float32
	var ar [3][]float32
	var br [4][]float32
	for j0 := lo; j0 < hi; j0 += 4 {
		for jj := range br {
			j := min(j0+jj, n-1)
			br[jj] = b[j*ldb : j*ldb+k]
		}
		cols := min(4, n-j0)
		for i0 := 0; i0 < m; i0 += 3 {
			for ii := range ar {
				i := min(i0+ii, m-1)
				ar[ii] = a[i*lda : i*lda+k]
			}
			dotTile(k, &ar, &br, &out)
			for ii := 0; ii < min(3, m-i0); ii++ {
				cr := c[(i0+ii)*ldc+j0 : (i0+ii)*ldc+j0+cols]
				for jj := range cr {
					if beta == 0 {
						cr[jj] = alpha * out[ii*4+jj]
					} else {
						cr[jj] = alpha*out[ii*4+jj] + beta*cr[jj]
					}
				}
			}
		}
	}
}
