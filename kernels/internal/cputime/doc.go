// Package cputime reads the CPU time of this process, so that benchmarks on a
// loaded machine can report work per CPU-second, which other processes
// disturb less than work per second of wall time.
package cputime
