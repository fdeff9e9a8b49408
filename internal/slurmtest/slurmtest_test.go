package slurmtest

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestClusterStopsWhatItStarted: a job still running when its test ends is
// cancelled, and the daemons stop.
func TestClusterStopsWhatItStarted(t *testing.T) {
	var c *Cluster
	var pids []int
	t.Run("a job left running", func(t *testing.T) {
		c = Start(t, 1)
		script := filepath.Join(t.TempDir(), "sleep.sh")
		if err := os.WriteFile(script, []byte("#!/bin/sh\nsleep 300\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		id := strings.TrimSpace(c.Run(t, "sbatch", "--parsable", "--output=/dev/null", script))
		deadline := time.Now().Add(30 * time.Second)
		for !strings.Contains(c.Run(t, "squeue", "--noheader", "--jobs="+id, "--format=%T"), "RUNNING") {
			if time.Now().After(deadline) {
				t.Fatalf("job %s did not start within 30s", id)
			}
			time.Sleep(100 * time.Millisecond)
		}
		for _, p := range c.procs {
			pids = append(pids, p.Process.Pid)
		}
	})
	if c == nil || len(pids) == 0 {
		t.Skip("the cluster did not start (see the subtest)")
	}
	if len(pids) != 3 {
		t.Fatalf("the cluster had %d daemons, want 3", len(pids))
	}
	for _, pid := range pids {
		if err := syscall.Kill(pid, 0); err == nil {
			t.Errorf("daemon %d still runs after its test ended", pid)
		}
	}
	if _, err := os.Stat(c.Dir); err == nil {
		t.Errorf("%s is left behind", c.Dir)
	}
}
