package logits

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/forkrl/forkrl/kernels/internal/cputime"
)

// benchFloats is the size of the logits buffer the benchmarks stream over:
// 64 MiB, larger than the caches, so MB/s is read from memory.
const benchFloats = 16 << 20

func benchRows(b *testing.B, f func(h, lp, x []float32, V int, ids []int32)) {
	for _, V := range []int{512, 32000, 151936} {
		rows := benchFloats / V
		rng := rand.New(rand.NewPCG(1, uint64(V)))
		x, ids := randomLogits(rng, rows, V)
		h, lp := make([]float32, rows), make([]float32, rows)
		for _, cores := range []int{1, runtime.GOMAXPROCS(0)} {
			b.Run(fmt.Sprintf("V=%d/cores=%d", V, cores), func(b *testing.B) {
				defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(cores))
				cputime.BenchMB(b, int64(4*rows*V), func() {
					for b.Loop() {
						f(h, lp, x, V, ids)
					}
				})
			})
		}
	}
}

// BenchmarkForward times entropy + log-prob; bytes are the logits read.
func BenchmarkForward(b *testing.B) {
	benchRows(b, func(h, lp, x []float32, V int, ids []int32) { Forward(h, lp, x, V, ids, 1) })
}

// BenchmarkBackward times the in-place logits gradient; bytes are the logits
// (each is read twice and written once).
func BenchmarkBackward(b *testing.B) {
	benchRows(b, func(h, lp, x []float32, V int, ids []int32) { Backward(x, x, V, ids, 1, lp, h) })
}

// BenchmarkReadBandwidth streams the benchmarks' 64 MiB logits buffer through
// bytes.IndexByte (the runtime's vectorised scan, looking for a byte that is
// not there): one core's plain read bandwidth, the ceiling Forward is quoted
// against. Alternate it with BenchmarkForward to compare them under one load.
func BenchmarkReadBandwidth(b *testing.B) {
	buf := make([]byte, 4*benchFloats)
	for i := range buf {
		buf[i] = byte(i%255) + 1
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	cputime.BenchMB(b, int64(len(buf)), func() {
		for b.Loop() {
			if bytes.IndexByte(buf, 0) >= 0 {
				b.Fatal("the buffer holds no zero byte")
			}
		}
	})
}
