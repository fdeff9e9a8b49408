// Package kernelpath chooses, for a kernel package with assembly variants,
// the path that runs: the fastest one this CPU and build can run, or the one
// an environment variable names, so that a run can be replayed on another
// machine with the path it recorded (framework/provenance records each
// package's choice).
package kernelpath

import (
	"fmt"
	"strings"

	"golang.org/x/sys/cpu"
)

// Choose returns the path that forced names, or, when forced is "", the last
// of paths that can run. paths lists every path the package knows, from the
// plainest (the pure-Go "go", which can always run) to the fastest; canRun
// tells which this CPU and build can run. An unknown name, or one that
// cannot run here, is an error naming the package (pkg), the variable (env)
// and the paths that can run.
func Choose(pkg, env, forced string, paths []string, canRun func(path string) bool) (string, error) {
	var runnable []string
	known := false
	for _, p := range paths {
		if canRun(p) {
			runnable = append(runnable, p)
		}
		known = known || p == forced
	}
	if len(runnable) == 0 {
		return "", fmt.Errorf("%s: no kernel path can run", pkg)
	}
	switch {
	case forced == "":
		return runnable[len(runnable)-1], nil
	case !known:
		return "", fmt.Errorf("%s: %s=%q names no kernel path (this CPU has %s)", pkg, env, forced, strings.Join(runnable, ", "))
	case !canRun(forced):
		return "", fmt.Errorf("%s: %s=%q asks for a kernel path this CPU or build lacks (it has %s)", pkg, env, forced, strings.Join(runnable, ", "))
	}
	return forced, nil
}

// FMAPath reports whether this CPU runs path of a package whose "avx2"
// path needs AVX2 and FMA and whose "avx512" path needs AVX-512F on top
// ("go" always runs); a package built without its assembly (noasm, another
// architecture) answers for "go" only, itself.
func FMAPath(path string) bool {
	hasAVX2 := cpu.X86.HasAVX2 && cpu.X86.HasFMA
	switch path {
	case "go":
		return true
	case "avx2":
		return hasAVX2
	case "avx512":
		return hasAVX2 && cpu.X86.HasAVX512F
	}
	return false
}
