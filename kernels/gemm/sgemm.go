package gemm

import (
	"sync"
	"sync/atomic"
)

// Block sizes of the packed product. A panel holds mr rows of op(A) and a B panel nr
// columns of op(B), both kcBlock deep; mcBlock rows of packed A stay in L2 while one B
// panel sits in L1, and ncBlock columns of packed B stay in L3.
const (
	mr      = 6
	nr      = 16
	kcBlock = 256
	mcBlock = 144
	ncBlock = 4080
)

// Sgemm computes C = alpha*op(A)*op(B) + beta*C for row-major matrices, where op(A) is m×k
// (A is k×m when transA), op(B) is k×n (B is n×k when transB); lda/ldb/ldc are row strides.
// Work is split over goroutines in a fixed way so that every element of C is computed by the
// same sequence of operations whatever GOMAXPROCS is (bit-identical results).
//
// Sgemm and SgemmSerial may be called from several goroutines at once. C must not overlap A
// or B. As in BLAS, when beta is zero C is not read, so NaNs or infinities already in C do not
// propagate, and when alpha is zero or k is zero A and B are not read. Bad sizes, strides or
// slice lengths panic with a message naming the argument.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkArgs(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	sgemm(maxWorkers(), transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// SgemmSerial is Sgemm on the calling goroutine only. Use it inside ParallelFor, where the
// parallelism is over independent products (heads, batch items) rather than inside one.
// Its results are bit-identical to Sgemm's.
func SgemmSerial(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkArgs(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	sgemm(1, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
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

// sgemm is the checked-argument product on at most maxW goroutines. The number of goroutines
// decides only who computes a tile, never how, so results do not depend on maxW.
func sgemm(maxW int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	switch {
	case m == 0 || n == 0:
		return
	case k == 0 || alpha == 0:
		scaleC(m, n, beta, c, ldc)
	case m == 1:
		// One row of C: c = alpha*x·op(B) + beta*c with x the single row of op(A).
		x, xs := a, 1
		if transA {
			xs = lda
		}
		gemv(maxW, !transB, n, k, alpha, b, ldb, x, xs, beta, c, 1)
	case n == 1:
		// One column of C: c = alpha*op(A)·y + beta*c with y the single column of op(B).
		y, ys := b, ldb
		if transB {
			ys = 1
		}
		gemv(maxW, transA, m, k, alpha, a, lda, y, ys, beta, c, ldc)
	case transB && m <= smallM && k >= minDotK:
		dotGemm(maxW, transA, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	default:
		packedGemm(maxW, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	}
}

// scaleC sets C = beta*C, or C = 0 when beta is zero.
func scaleC(m, n int, beta float32, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}

// gemmJob is one packed product: its arguments, the block being computed and the packing
// buffers, which are pooled because first touch of fresh memory costs more than a small
// product.
type gemmJob struct {
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	a, b, c        []float32
	lda, ldb, ldc  int
	workers        int

	// The block of ncBlock columns from jc and kcBlock depth from pc being computed.
	jc, nc, pc, kc int
	betaBlock      float32 // beta for the first k-block, then 1

	packedB []float32   // op(B) block in nr-column panels, shared
	packedA [][]float32 // per worker: up to mcBlock rows of op(A) in mr-row panels
	packedI []int       // per worker: the row chunk now in packedA, or -1

	// Work units of the current phase, claimed in order by whichever worker is free, so a
	// worker that the operating system pauses holds up only its current unit.
	next               atomic.Int64
	rowChunk, colChunk int // panels of A and of B per unit of the compute phase
}

var jobPool = sync.Pool{New: func() any { return new(gemmJob) }}

// grow returns s resized to n elements, reusing its storage when it is large enough.
func grow(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}

// packedGemm runs the blocked product. For each block of ncBlock columns and kcBlock depth,
// op(B) is packed into nr-column panels by all workers together; then the workers take units
// of rows × columns of C in turn, pack the unit's rows of op(A) into their own buffer (kept in
// L2) and update every mr×nr tile of the unit with the micro-kernel. Each element of C
// accumulates its k-blocks in order, whichever goroutine computes its tile.
func packedGemm(maxW int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	j := jobPool.Get().(*gemmJob)
	defer jobPool.Put(j)
	workers := workersFor(maxW, 2*m*n*k)
	j.transA, j.transB, j.m, j.n, j.k, j.alpha, j.beta = transA, transB, m, n, k, alpha, beta
	j.a, j.b, j.c, j.lda, j.ldb, j.ldc, j.workers = a, b, c, lda, ldb, ldc, workers
	kcMax := min(k, kcBlock)
	j.packedB = grow(j.packedB, (min(n, ncBlock)+nr-1)/nr*nr*kcMax)
	for len(j.packedA) < workers {
		j.packedA = append(j.packedA, nil)
		j.packedI = append(j.packedI, -1)
	}
	for w := range workers {
		j.packedA[w] = grow(j.packedA[w], mcBlock*kcMax)
	}
	// One worker runs row chunks of mcBlock rows across all columns; several share about
	// four units each, of at most mcBlock rows by 256 columns.
	mPanels := (m + mr - 1) / mr
	j.rowChunk, j.colChunk = mcBlock/mr, (min(n, ncBlock)+nr-1)/nr
	if workers > 1 {
		j.rowChunk = min(mcBlock/mr, (mPanels+4*workers-1)/(4*workers))
		j.colChunk = 256 / nr
	}
	for j.jc = 0; j.jc < n; j.jc += ncBlock {
		j.nc = min(ncBlock, n-j.jc)
		for j.pc = 0; j.pc < k; j.pc += kcBlock {
			j.kc = min(kcBlock, k-j.pc)
			j.betaBlock = beta
			if j.pc > 0 {
				j.betaBlock = 1
			}
			j.run((*gemmJob).packBBlock)
			j.run((*gemmJob).computeBlock)
		}
	}
	j.a, j.b, j.c = nil, nil, nil
}

// run calls phase for every worker and waits for all of them.
func (j *gemmJob) run(phase func(j *gemmJob, w int)) {
	j.next.Store(0)
	if j.workers == 1 {
		phase(j, 0)
		return
	}
	parallel(j.workers, func(w int) { phase(j, w) })
}

// claim returns the next unclaimed unit of the current phase.
func (j *gemmJob) claim() int { return int(j.next.Add(1) - 1) }

// packBBlock packs nr-column panels of the current op(B) block, four at a time, until none
// are left.
func (j *gemmJob) packBBlock(int) {
	const perUnit = 4
	nPanels := (j.nc + nr - 1) / nr
	for u := j.claim(); u*perUnit < nPanels; u = j.claim() {
		for v := u * perUnit; v < min(nPanels, (u+1)*perUnit); v++ {
			packB(j.packedB[v*nr*j.kc:(v+1)*nr*j.kc], j.transB, j.b, j.ldb, j.jc+v*nr, min(nr, j.nc-v*nr), j.pc, j.kc)
		}
	}
}

// computeBlock updates units of C with the current block until none are left. A unit is
// rowChunk row panels by colChunk column panels; units go row chunk by row chunk, so a
// worker that takes consecutive units packs their rows of op(A) once.
func (j *gemmJob) computeBlock(w int) {
	kc, m, n := j.kc, j.m, j.n
	mPanels, nPanels := (m+mr-1)/mr, (j.nc+nr-1)/nr
	colUnits := (nPanels + j.colChunk - 1) / j.colChunk
	units := (mPanels + j.rowChunk - 1) / j.rowChunk * colUnits
	pa, pb := j.packedA[w], j.packedB
	j.packedI[w] = -1
	for u := j.claim(); u < units; u = j.claim() {
		rc, cc := u/colUnits, u%colUnits
		ic, icEnd := rc*j.rowChunk, min(mPanels, (rc+1)*j.rowChunk)
		if j.packedI[w] != rc {
			for ir := ic; ir < icEnd; ir++ {
				packA(pa[(ir-ic)*mr*kc:(ir-ic+1)*mr*kc], j.transA, j.a, j.lda, ir*mr, min(mr, m-ir*mr), j.pc, kc)
			}
			j.packedI[w] = rc
		}
		for jr := cc * j.colChunk; jr < min(nPanels, (cc+1)*j.colChunk); jr++ {
			bp := pb[jr*nr*kc : (jr+1)*nr*kc]
			col := j.jc + jr*nr
			cols := min(nr, n-col)
			for ir := ic; ir < icEnd; ir++ {
				row := ir * mr
				if cols == nr && ir+1 < icEnd && m-row >= 2*mr {
					kernelPair(kc, pa[(ir-ic)*mr*kc:(ir-ic+2)*mr*kc], bp, j.c[row*j.ldc+col:(row+2*mr-1)*j.ldc+col+nr], j.ldc, j.alpha, j.betaBlock)
					ir++
					continue
				}
				ap := pa[(ir-ic)*mr*kc : (ir-ic+1)*mr*kc]
				tile(kc, ap, bp, j.c, row*j.ldc+col, j.ldc, min(mr, m-row), cols, j.alpha, j.betaBlock)
			}
		}
	}
}

// tile updates the rows×cols tile of C at offset off with the micro-kernel. Partial tiles at
// the edges of C go through an mr×nr scratch tile so that every element sees the same
// operations as in a full tile.
func tile(kc int, pa, pb, c []float32, off, ldc, rows, cols int, alpha, beta float32) {
	if rows == mr && cols == nr {
		kernel(kc, pa, pb, c[off:off+(mr-1)*ldc+nr], ldc, alpha, beta)
		return
	}
	var t [mr * nr]float32
	if beta != 0 {
		for i := 0; i < rows; i++ {
			copy(t[i*nr:i*nr+cols], c[off+i*ldc:off+i*ldc+cols])
		}
	}
	kernel(kc, pa, pb, t[:], nr, alpha, beta)
	for i := 0; i < rows; i++ {
		copy(c[off+i*ldc:off+i*ldc+cols], t[i*nr:i*nr+cols])
	}
}
