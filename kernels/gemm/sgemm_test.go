package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync/atomic"
	"testing"
)

// product is one Sgemm call's arguments with random operands.
type product struct {
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	a, b, c        []float32
	lda, ldb, ldc  int
}

// newProduct makes random operands for the given shape, with padded strides.
func newProduct(r *rand.Rand, transA, transB bool, m, n, k int, alpha, beta float32) *product {
	aRows, aCols := m, k
	if transA {
		aRows, aCols = k, m
	}
	bRows, bCols := k, n
	if transB {
		bRows, bCols = n, k
	}
	p := &product{transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, beta: beta,
		lda: aCols + 3, ldb: bCols + 1, ldc: n + 2}
	p.a = randSlice(r, max(aRows*p.lda, 1))
	p.b = randSlice(r, max(bRows*p.ldb, 1))
	p.c = randSlice(r, m*p.ldc)
	return p
}

func (p *product) opA(i, q int) float32 {
	if p.transA {
		return p.a[q*p.lda+i]
	}
	return p.a[i*p.lda+q]
}

func (p *product) opB(q, j int) float32 {
	if p.transB {
		return p.b[j*p.ldb+q]
	}
	return p.b[q*p.ldb+j]
}

// run calls f with p's arguments on a copy of C and returns the result.
func (p *product) run(f func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)) []float32 {
	c := slices.Clone(p.c)
	f(p.transA, p.transB, p.m, p.n, p.k, p.alpha, p.a, p.lda, p.b, p.ldb, p.beta, c, p.ldc)
	return c
}

// check compares got (a result of p) with a float64 reference, within a bound on float32
// rounding error proportional to k and to the magnitudes summed. Padding past n in each row
// of C must be untouched.
func (p *product) check(t *testing.T, got []float32) {
	t.Helper()
	const eps = 1.0 / (1 << 23)
	for i := 0; i < p.m; i++ {
		for j := 0; j < p.ldc; j++ {
			at := i*p.ldc + j
			if j >= p.n {
				if got[at] != p.c[at] {
					t.Fatalf("%s: C[%d,%d] beyond n was changed", p, i, j)
				}
				continue
			}
			var s, mag float64
			for q := 0; q < p.k; q++ {
				v := float64(p.opA(i, q)) * float64(p.opB(q, j))
				s += v
				mag += math.Abs(v)
			}
			want := float64(p.alpha) * s
			bound := math.Abs(float64(p.alpha)) * mag
			if p.beta != 0 {
				want += float64(p.beta) * float64(p.c[at])
				bound += math.Abs(float64(p.beta) * float64(p.c[at]))
			}
			if d := math.Abs(float64(got[at]) - want); d > 2*float64(p.k+2)*eps*bound {
				t.Fatalf("%s: C[%d,%d] = %v, want %v (error %.3g, bound %.3g)", p, i, j, got[at], want, d, 2*float64(p.k+2)*eps*bound)
			}
		}
	}
}

func (p *product) String() string {
	op := func(t bool) string {
		if t {
			return "T"
		}
		return "N"
	}
	return fmt.Sprintf("Sgemm(%s%s, m=%d n=%d k=%d alpha=%v beta=%v)", op(p.transA), op(p.transB), p.m, p.n, p.k, p.alpha, p.beta)
}

func randSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.NormFloat64())
	}
	return s
}

// testShapes covers the matrix-vector paths (m or n = 1), edge tiles (sizes not multiples
// of the 6×16 tile), small m with long rows (the dot-product path of x·Wᵀ), several k-blocks
// (k > 256), several row blocks (m > 144), several column blocks (n > 4080), tails of k
// that are not multiples of 8, and transformer shapes (head_dim 16..128).
var testShapes = []struct{ m, n, k int }{
	{1, 1, 1}, {1, 7, 3}, {5, 1, 9}, {3, 4, 0}, {2, 2, 1},
	{1, 200, 300}, {1, 130, 64}, {300, 1, 129}, {1, 1, 77},
	{6, 16, 8}, {7, 17, 5}, {17, 33, 65}, {64, 64, 64}, {12, 32, 256},
	{150, 70, 520}, {40, 300, 257}, {7, 4100, 3},
	{128, 128, 16}, {33, 128, 128}, {4, 100, 64}, {5, 9, 67}, {16, 70, 99}, {17, 70, 99},
}

func TestSgemmMatchesReference(t *testing.T) {
	forEachKernel(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(1, 2))
		for _, sh := range testShapes {
			for _, transA := range []bool{false, true} {
				for _, transB := range []bool{false, true} {
					for _, ab := range [][2]float32{{1, 0}, {0.5, 1}, {-2, 0.25}} {
						p := newProduct(r, transA, transB, sh.m, sh.n, sh.k, ab[0], ab[1])
						p.check(t, p.run(Sgemm))
					}
				}
			}
		}
	})
}

// TestSgemmDeterministic checks that results are bit-identical whatever GOMAXPROCS is, and
// that SgemmSerial gives the same bits as Sgemm.
func TestSgemmDeterministic(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	forEachKernel(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(5, 6))
		shapes := []struct{ m, n, k int }{{1, 4000, 600}, {4000, 1, 600}, {200, 190, 300}, {9, 1000, 400}, {130, 60, 300}}
		for _, sh := range shapes {
			if workersFor(3, 2*sh.m*sh.n*sh.k) < 3 {
				t.Fatalf("m=%d n=%d k=%d is too small to be split over 3 goroutines", sh.m, sh.n, sh.k)
			}
			for _, transA := range []bool{false, true} {
				for _, transB := range []bool{false, true} {
					p := newProduct(r, transA, transB, sh.m, sh.n, sh.k, 1.5, 0.5)
					want := p.run(SgemmSerial)
					for _, procs := range []int{1, 2, 3} {
						runtime.GOMAXPROCS(procs)
						if got := p.run(Sgemm); !slices.Equal(got, want) {
							t.Fatalf("%s with GOMAXPROCS=%d differs from SgemmSerial", p, procs)
						}
					}
				}
			}
		}
	})
}

// TestSgemmSpecialScalars checks BLAS's rules: C is not read when beta is 0, and A and B
// are not read when alpha is 0 or k is 0.
func TestSgemmSpecialScalars(t *testing.T) {
	nan := float32(math.NaN())
	for _, tc := range []struct {
		name        string
		m, n, k     int
		alpha, beta float32
		a, b, c     float32 // value of every element
		want        float32
	}{
		{"beta 0 ignores NaN in C", 20, 20, 3, 1, 0, 1, 2, nan, 6},
		{"beta 0 ignores NaN in C, m=1", 1, 20, 3, 1, 0, 1, 2, nan, 6},
		{"alpha 0 ignores NaN in A", 20, 20, 3, 0, 2, nan, 1, 3, 6},
		{"alpha 0 and beta 0 clear C", 20, 20, 3, 0, 0, 1, 1, nan, 0},
		{"k 0 scales C", 20, 20, 0, 1, 0.5, 1, 1, 4, 2},
		{"negative zero beta", 20, 20, 3, 1, float32(math.Copysign(0, -1)), 1, 1, nan, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fill := func(n int, v float32) []float32 {
				s := make([]float32, max(n, 1))
				for i := range s {
					s[i] = v
				}
				return s
			}
			a, b, c := fill(tc.m*tc.k, tc.a), fill(tc.k*tc.n, tc.b), fill(tc.m*tc.n, tc.c)
			Sgemm(false, false, tc.m, tc.n, tc.k, tc.alpha, a, max(tc.k, 1), b, tc.n, tc.beta, c, tc.n)
			for i, v := range c {
				if v != tc.want {
					t.Fatalf("C[%d] = %v, want %v", i, v, tc.want)
				}
			}
		})
	}
}

func TestSgemmBadArguments(t *testing.T) {
	s := make([]float32, 12)
	for _, tc := range []struct {
		name string
		call func()
		want string
	}{
		{"negative m", func() { Sgemm(false, false, -1, 2, 2, 1, s, 2, s, 2, 0, s, 2) }, "gemm: m < 0"},
		{"negative n", func() { Sgemm(false, false, 2, -1, 2, 1, s, 2, s, 2, 0, s, 2) }, "gemm: n < 0"},
		{"negative k", func() { Sgemm(false, false, 2, 2, -1, 1, s, 2, s, 2, 0, s, 2) }, "gemm: k < 0"},
		{"lda too small", func() { Sgemm(false, false, 2, 2, 3, 1, s, 2, s, 2, 0, s, 2) }, "gemm: lda smaller than the number of columns of A"},
		{"lda too small transA", func() { Sgemm(true, false, 3, 2, 2, 1, s, 2, s, 2, 0, s, 2) }, "gemm: lda smaller than the number of columns of A"},
		{"ldb too small transB", func() { Sgemm(false, true, 2, 2, 3, 1, s, 3, s, 2, 0, s, 2) }, "gemm: ldb smaller than the number of columns of B"},
		{"ldc too small", func() { Sgemm(false, false, 2, 3, 2, 1, s, 2, s, 3, 0, s, 2) }, "gemm: ldc smaller than n"},
		{"A too short", func() { Sgemm(false, false, 4, 2, 4, 1, s, 4, s, 2, 0, s, 2) }, "gemm: A is shorter than its rows and stride imply"},
		{"B too short", func() { Sgemm(false, false, 2, 4, 4, 1, s, 4, s, 4, 0, s, 4) }, "gemm: B is shorter than its rows and stride imply"},
		{"C too short", func() { Sgemm(false, false, 4, 4, 1, 1, s, 1, s, 4, 0, s, 4) }, "gemm: C is shorter than its rows and stride imply"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if got := recover(); got != tc.want {
					t.Fatalf("panic %v, want %q", got, tc.want)
				}
			}()
			tc.call()
		})
	}
}

func TestParallelFor(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, procs := range []int{1, 2, 3} {
		runtime.GOMAXPROCS(procs)
		for _, n := range []int{0, 1, 2, 5, 100} {
			hits := make([]atomic.Int32, n)
			ParallelFor(n, func(lo, hi int) {
				for i := lo; i < hi; i++ {
					hits[i].Add(1)
				}
			})
			for i := range hits {
				if h := hits[i].Load(); h != 1 {
					t.Fatalf("GOMAXPROCS=%d n=%d: index %d visited %d times", procs, n, i, h)
				}
			}
		}
	}
}

// TestSgemmPackedRowsIndependentOfShape checks that on the packed path (m and n above 1, and
// for x·Wᵀ m above 16 or k below 64) an element of C does not depend on how many rows and
// columns the product has: the first rows and columns of a product equal, bit for bit, a
// product of just those rows and columns.
func TestSgemmPackedRowsIndependentOfShape(t *testing.T) {
	forEachKernel(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(9, 10))
		for _, tc := range []struct{ m, n, k, m2, n2 int }{
			{70, 50, 300, 17, 33},
			{40, 40, 48, 2, 5},
			{30, 20, 520, 29, 2},
		} {
			for _, transA := range []bool{false, true} {
				for _, transB := range []bool{false, true} {
					p := newProduct(r, transA, transB, tc.m, tc.n, tc.k, 1.25, 0.5)
					full := p.run(Sgemm)
					// The same operands viewed as an m2×n2 product: op(A)'s first m2 rows
					// and op(B)'s first n2 columns keep their strides.
					small := *p
					small.m, small.n = tc.m2, tc.n2
					part := small.run(Sgemm)
					for i := 0; i < tc.m2; i++ {
						for j := 0; j < tc.n2; j++ {
							if got, want := part[i*p.ldc+j], full[i*p.ldc+j]; got != want {
								t.Fatalf("%s: C[%d,%d] = %v in the %d×%d product, %v in the full one",
									p, i, j, got, tc.m2, tc.n2, want)
							}
						}
					}
				}
			}
		}
	})
}

// TestSgemmConcurrentCalls checks that products running at once on several goroutines (each
// with its own C) give the same bits as when run alone.
func TestSgemmConcurrentCalls(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	var products []*product
	var want [][]float32
	for _, sh := range []struct{ m, n, k int }{{100, 90, 300}, {1, 500, 70}, {8, 200, 100}, {60, 1, 80}} {
		p := newProduct(r, false, true, sh.m, sh.n, sh.k, 1, 0.5)
		products = append(products, p)
		want = append(want, p.run(Sgemm))
	}
	got := make([][]float32, len(products))
	ParallelFor(len(products)*3, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			if c := products[i%len(products)].run(Sgemm); i < len(products) {
				got[i] = c
			}
		}
	})
	for i, p := range products {
		if !slices.Equal(got[i], want[i]) {
			t.Fatalf("%s run alongside others differs from the same product run alone", p)
		}
	}
}
