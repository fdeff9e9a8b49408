package gemm

// Sgemm computes C = alpha*op(A)*op(B) + beta*C for row-major matrices, where op(A) is m×k
// (A is k×m when transA), op(B) is k×n (B is n×k when transB); lda/ldb/ldc are row strides.
// Work is split over goroutines in a fixed way so that every element of C is computed by the
// same sequence of operations whatever GOMAXPROCS is (bit-identical results).
//
// As in BLAS, when beta is zero C is not read, so NaNs or infinities already in C do not
// propagate. Bad sizes, strides or slice lengths panic with a message naming the argument.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkArgs(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// checkArgs panics when a size, stride or slice length does not fit the matrices it describes.
func checkArgs(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	if m < 0 {
		panic("gemm: m < 0")
	}
	if n < 0 {
		panic("gemm: n < 0")
	}
	if k < 0 {
		panic("gemm: k < 0")
	}
	aRows, aCols := m, k
	if transA {
		aRows, aCols = k, m
	}
	bRows, bCols := k, n
	if transB {
		bRows, bCols = n, k
	}
	if lda < max(1, aCols) {
		panic("gemm: lda smaller than the number of columns of A")
	}
	if ldb < max(1, bCols) {
		panic("gemm: ldb smaller than the number of columns of B")
	}
	if ldc < max(1, n) {
		panic("gemm: ldc smaller than n")
	}
	if aRows > 0 && aCols > 0 && len(a) < (aRows-1)*lda+aCols {
		panic("gemm: A is shorter than its rows and stride imply")
	}
	if bRows > 0 && bCols > 0 && len(b) < (bRows-1)*ldb+bCols {
		panic("gemm: B is shorter than its rows and stride imply")
	}
	if m > 0 && n > 0 && len(c) < (m-1)*ldc+n {
		panic("gemm: C is shorter than its rows and stride imply")
	}
}

// sgemm is the unchecked product; see Sgemm.
func sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		crow := c[i*ldc : i*ldc+n]
		for j := range crow {
			var s float32
			for p := 0; p < k; p++ {
				var av, bv float32
				if transA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if transB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += av * bv
			}
			if beta == 0 {
				crow[j] = alpha * s
			} else {
				crow[j] = alpha*s + beta*crow[j]
			}
		}
	}
}
