package cputime

import "testing"

// BenchMB sets the bytes of one operation of b, runs loop (the benchmark's
// b.Loop) and reports besides MB/s the MB per CPU-second of this process,
// which other processes on a loaded machine disturb less (meaningful on one
// core).
func BenchMB(b *testing.B, bytesPerOp int64, loop func()) {
	b.SetBytes(bytesPerOp)
	cpu0, ok := Process()
	loop()
	if cpu1, _ := Process(); ok && cpu1 > cpu0 {
		b.ReportMetric(float64(b.N)*float64(bytesPerOp)/1e6/(cpu1-cpu0).Seconds(), "MB/cpu-s")
	}
}
