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
				measureCPU(b, int64(4*rows*V), func() {
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
	measureCPU(b, int64(len(buf)), func() {
		for b.Loop() {
			if bytes.IndexByte(buf, 0) >= 0 {
				b.Fatal("the buffer holds no zero byte")
			}
		}
	})
}

// measureCPU sets the bytes of one operation, runs loop (the benchmark's
// b.Loop) and reports besides MB/s the MB per CPU-second of this process,
// which other processes on a loaded machine disturb less (meaningful on one
// core).
func measureCPU(b *testing.B, bytes int64, loop func()) {
	b.SetBytes(bytes)
	cpu0, ok := cputime.Process()
	loop()
	if cpu1, _ := cputime.Process(); ok && cpu1 > cpu0 {
		b.ReportMetric(float64(b.N)*float64(bytes)/1e6/(cpu1-cpu0).Seconds(), "MB/cpu-s")
	}
}
