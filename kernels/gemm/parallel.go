package gemm

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// minFlopsPerWorker is the least work (in floating-point operations) worth a goroutine:
// about 12 µs of the micro-kernel, several times the cost of starting and waking one.
const minFlopsPerWorker = 1 << 20

// maxWorkers is the number of goroutines a product may use.
func maxWorkers() int { return runtime.GOMAXPROCS(0) }

// workersFor returns how many of at most maxW goroutines a product of the given flop count uses.
func workersFor(maxW, flops int) int {
	return max(1, min(maxW, flops/minFlopsPerWorker))
}

// claimUnits calls f(u) for every u in [0, units) on workers goroutines that take the units
// in turn, so a goroutine that the operating system pauses delays only its current unit.
func claimUnits(workers, units int, f func(u int)) {
	var next atomic.Int64
	parallel(workers, func(int) {
		for u := int(next.Add(1) - 1); u < units; u = int(next.Add(1) - 1) {
			f(u)
		}
	})
}

// parallel runs f(0..workers-1), f(0) on the calling goroutine, and waits for all of them.
func parallel(workers int, f func(w int)) {
	if workers == 1 {
		f(0)
		return
	}
	var wg sync.WaitGroup
	for w := 1; w < workers; w++ {
		wg.Go(func() { f(w) })
	}
	f(0)
	wg.Wait()
}

// ParallelFor calls body(lo, hi) on disjoint ranges that cover [0, n), on up to GOMAXPROCS
// goroutines, and returns when all calls have returned. The goroutines take ranges of about
// n/(4·GOMAXPROCS) indices in turn, so a goroutine that the operating system pauses delays
// only its current range. Which range holds an index depends on GOMAXPROCS and on timing, so
// body must compute each index the same way whatever range holds it (for example with
// SgemmSerial per index); then results do not depend on the thread count.
func ParallelFor(n int, body func(lo, hi int)) {
	if n <= 0 {
		return
	}
	workers := min(n, maxWorkers())
	if workers == 1 {
		body(0, n)
		return
	}
	chunk := (n + 4*workers - 1) / (4 * workers)
	claimUnits(workers, (n+chunk-1)/chunk, func(u int) { body(u*chunk, min(n, (u+1)*chunk)) })
}
