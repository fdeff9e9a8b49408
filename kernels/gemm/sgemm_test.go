package gemm

import (
	"math"
	"math/rand/v2"
	"testing"
)

// refGemm is the float64 reference product the tests compare against.
func refGemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) []float64 {
	out := make([]float64, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float64
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
				s += float64(av) * float64(bv)
			}
			v := float64(alpha) * s
			if beta != 0 {
				v += float64(beta) * float64(c[i*ldc+j])
			}
			out[i*n+j] = v
		}
	}
	return out
}

func randSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.NormFloat64())
	}
	return s
}

func TestSgemmMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	shapes := []struct{ m, n, k int }{
		{1, 1, 1}, {1, 7, 3}, {5, 1, 9}, {3, 4, 0}, {17, 33, 65}, {64, 64, 64}, {1, 128, 64}, {31, 1, 128},
	}
	for _, sh := range shapes {
		for _, transA := range []bool{false, true} {
			for _, transB := range []bool{false, true} {
				for _, ab := range [][2]float32{{1, 0}, {0.5, 1}, {-2, 0.25}, {0, 3}} {
					alpha, beta := ab[0], ab[1]
					m, n, k := sh.m, sh.n, sh.k
					aRows, aCols := m, k
					if transA {
						aRows, aCols = k, m
					}
					bRows, bCols := k, n
					if transB {
						bRows, bCols = n, k
					}
					lda, ldb, ldc := aCols+3, bCols+1, n+2
					a := randSlice(r, max(aRows*lda, 1))
					b := randSlice(r, max(bRows*ldb, 1))
					c := randSlice(r, m*ldc)
					want := refGemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
					Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
					for i := 0; i < m; i++ {
						for j := 0; j < n; j++ {
							got, w := float64(c[i*ldc+j]), want[i*n+j]
							if math.Abs(got-w) > 1e-4*(1+math.Abs(w))*math.Sqrt(float64(k+1)) {
								t.Fatalf("m=%d n=%d k=%d transA=%v transB=%v alpha=%v beta=%v: C[%d,%d]=%v, want %v",
									m, n, k, transA, transB, alpha, beta, i, j, got, w)
							}
						}
					}
				}
			}
		}
	}
}
