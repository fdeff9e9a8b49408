//go:build unix

package cputime

import (
	"syscall"
	"time"
)

// Process returns the CPU time this process has used (user and system); ok is
// false where it is not measured.
func Process() (d time.Duration, ok bool) {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
