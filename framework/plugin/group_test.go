//go:build linux

package plugin

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/forkrl/forkrl/internal/digest"

	"github.com/forkrl/forkrl/framework/pluginapi"
)

// readPID waits for a pid written to path.
func readPID(t *testing.T, path string) int {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if b, err := os.ReadFile(path); err == nil && len(b) > 0 {
			pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
			if err != nil {
				t.Fatal(err)
			}
			return pid
		}
	}
	t.Fatalf("no pid in %s", path)
	return 0
}

// waitGone waits a little for process pid to end.
func waitGone(pid int) bool {
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if !alive(pid) {
			return true
		}
	}
	return false
}

// A plugin that never completes its handshake, and whose child holds its
// stdout and stderr, is stopped at its start timeout with its child.
func TestStartTimeoutWithAChildHoldingThePipes(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "child.pid")
	script := filepath.Join(dir, "plugin.sh")
	src := fmt.Sprintf("#!/bin/sh\nsleep 30 &\necho $! > %s\nexec sleep 30\n", pidFile)
	if err := os.WriteFile(script, []byte(src), 0o755); err != nil {
		t.Fatal(err)
	}
	sum, err := digest.File(script)
	if err != nil {
		t.Fatal(err)
	}
	begin := time.Now()
	in, err := Open(context.Background(), Spec{Kind: pluginapi.KindSelector, Source: script, SHA256: sum, StartTimeout: time.Second, Log: &syncBuffer{}})
	took := time.Since(begin)
	if err == nil {
		in.Close()
		t.Fatal("Open succeeded")
	}
	if !strings.Contains(err.Error(), "did not complete its handshake within 1s") || took > 5*time.Second {
		t.Errorf("Open failed after %v with %v; want the start timeout of 1s", took, err)
	}
	if child := readPID(t, pidFile); !waitGone(child) {
		t.Errorf("the plugin's child %d outlived the failed start", child)
	}
}

// Closing a plugin ends the processes it started, even one that holds its
// pipes, and does not wait for them.
func TestCloseEndsThePluginsChildren(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "child.pid")
	in, err := Open(context.Background(), Spec{Kind: pluginapi.KindSelector, Source: os.Args[0], Args: []string{"plugin-test", "child-holds-pipes", pidFile},
		SHA256: selfSHA256(), Log: &syncBuffer{}})
	if err != nil {
		t.Fatal(err)
	}
	child := readPID(t, pidFile)
	begin := time.Now()
	in.Close()
	if took := time.Since(begin); took > 5*time.Second {
		t.Errorf("Close took %v", took)
	}
	if !waitGone(child) {
		t.Errorf("the plugin's child %d outlived Close", child)
	}
}
