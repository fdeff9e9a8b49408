// Package profile writes Go CPU and heap profiles of a forkrl process when the
// environment asks for them, so that a run can be profiled without rebuilding:
//
//	FORKRL_CPUPROFILE=cpu.pprof FORKRL_MEMPROFILE=mem.pprof forkrl run recipes/quickstart.hcl
//	go tool pprof -top cpu.pprof.backend-tinylm.*
//
// Plugin processes inherit the environment, and most of a run's work is done in
// them (the tinylm backend trains and generates in its own process), so every
// process writes its own files: the host the named path, and a built-in plugin
// process the path followed by ".KIND-NAME.PID". The heap profile is written when
// the process ends, after a garbage collection; it holds allocation totals
// (pprof's -sample_index=alloc_space) as well as what was live at the end.
package profile

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
)

// Environment variables naming the profile files.
const (
	CPUEnv = "FORKRL_CPUPROFILE"
	MemEnv = "FORKRL_MEMPROFILE"
)

// Start begins a CPU profile when $FORKRL_CPUPROFILE is set and returns a
// function that stops it and writes the heap profile when $FORKRL_MEMPROFILE is
// set. role is "" for the host process, else the suffix that tells this
// process's files apart (a plugin's "KIND-NAME"). Errors name the file.
func Start(role string) (stop func() error, err error) {
	path := func(env string) string {
		p := os.Getenv(env)
		if p == "" || role == "" {
			return p
		}
		return fmt.Sprintf("%s.%s.%d", p, role, os.Getpid())
	}
	cpuPath, memPath := path(CPUEnv), path(MemEnv)
	var cpuFile *os.File
	if cpuPath != "" {
		if cpuFile, err = os.Create(cpuPath); err != nil {
			return nil, fmt.Errorf("%s: %w", CPUEnv, err)
		}
		if err = pprof.StartCPUProfile(cpuFile); err != nil {
			cpuFile.Close()
			return nil, fmt.Errorf("%s: %s: %w", CPUEnv, cpuPath, err)
		}
	}
	return func() error {
		if cpuFile != nil {
			pprof.StopCPUProfile()
			if err := cpuFile.Close(); err != nil {
				return fmt.Errorf("%s: %s: %w", CPUEnv, cpuPath, err)
			}
		}
		if memPath == "" {
			return nil
		}
		f, err := os.Create(memPath)
		if err != nil {
			return fmt.Errorf("%s: %w", MemEnv, err)
		}
		runtime.GC()
		if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
			f.Close()
			return fmt.Errorf("%s: %s: %w", MemEnv, memPath, err)
		}
		if err := f.Close(); err != nil {
			return fmt.Errorf("%s: %s: %w", MemEnv, memPath, err)
		}
		return nil
	}, nil
}
