package gemm

// packA writes rows [row0, row0+rows) of op(A), columns [p0, p0+kc), into dst as one panel:
// dst[p*mr+i] = op(A)[row0+i][p0+p], zero-padded to mr rows.
func packA(dst []float32, transA bool, a []float32, lda, row0, rows, p0, kc int) {
	dst = dst[:kc*mr]
	switch {
	case rows < mr:
		clear(dst)
		for i := 0; i < rows; i++ {
			for p := 0; p < kc; p++ {
				dst[p*mr+i] = opAt(transA, a, lda, row0+i, p0+p)
			}
		}
	case transA:
		// op(A)[i][p] = A[p][i]: each packed step is a contiguous run of a row of A.
		gatherRows(kc, a[p0*lda+row0:], lda, dst, mr)
	default:
		var src [8]*float32
		for i := range src {
			src[i] = &a[(row0+min(i, mr-1))*lda+p0]
		}
		done := transpose8(&src, kc, dst, mr, mr)
		for i := 0; i < mr; i++ {
			row := a[(row0+i)*lda+p0 : (row0+i)*lda+p0+kc]
			for p := done; p < kc; p++ {
				dst[p*mr+i] = row[p]
			}
		}
	}
}

// packB writes columns [col0, col0+cols) of op(B), rows [p0, p0+kc), into dst as one panel:
// dst[p*nr+j] = op(B)[p0+p][col0+j], zero-padded to nr columns.
func packB(dst []float32, transB bool, b []float32, ldb, col0, cols, p0, kc int) {
	dst = dst[:kc*nr]
	switch {
	case cols < nr:
		clear(dst)
		for j := 0; j < cols; j++ {
			for p := 0; p < kc; p++ {
				dst[p*nr+j] = opAt(!transB, b, ldb, col0+j, p0+p)
			}
		}
	case !transB:
		gatherRows(kc, b[p0*ldb+col0:], ldb, dst, nr)
	default:
		// op(B)[p][j] = B[j][p]: a transpose, eight rows of B at a time.
		done := kc
		for j0 := 0; j0 < nr; j0 += 8 {
			var src [8]*float32
			for i := range src {
				src[i] = &b[(col0+j0+i)*ldb+p0]
			}
			done = transpose8(&src, kc, dst[j0:], nr, 8)
		}
		for j := 0; j < nr; j++ {
			row := b[(col0+j)*ldb+p0 : (col0+j)*ldb+p0+kc]
			for p := done; p < kc; p++ {
				dst[p*nr+j] = row[p]
			}
		}
	}
}

// opAt returns element (i, p) of M, or of Mᵀ when trans, for a row-major M of stride ld.
func opAt(trans bool, mat []float32, ld, i, p int) float32 {
	if trans {
		return mat[p*ld+i]
	}
	return mat[i*ld+p]
}
