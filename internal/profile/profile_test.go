package profile

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// readProfile checks that path holds a gzip-compressed pprof profile and returns its bytes.
func readProfile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s is not a gzip-compressed profile: %v", path, err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil || len(raw) == 0 {
		t.Fatalf("%s: %d bytes, %v", path, len(raw), err)
	}
	return raw
}

// TestStartWritesProfiles checks that the host writes the named files and a plugin process
// the named path followed by its role and process ID.
func TestStartWritesProfiles(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(CPUEnv, filepath.Join(dir, "cpu.pprof"))
	t.Setenv(MemEnv, filepath.Join(dir, "mem.pprof"))
	for _, role := range []string{"", "backend-tinylm"} {
		stop, err := Start(role)
		if err != nil {
			t.Fatal(err)
		}
		if err := stop(); err != nil {
			t.Fatal(err)
		}
	}
	readProfile(t, filepath.Join(dir, "cpu.pprof"))
	if raw := readProfile(t, filepath.Join(dir, "mem.pprof")); !bytes.Contains(raw, []byte("alloc_space")) {
		t.Fatal("the heap profile has no alloc_space sample")
	}
	for _, kind := range []string{"cpu", "mem"} {
		m, _ := filepath.Glob(filepath.Join(dir, kind+".pprof.backend-tinylm.*"))
		if len(m) != 1 || !strings.HasSuffix(m[0], "."+strconv.Itoa(os.Getpid())) {
			t.Fatalf("%s profile files of the plugin process: %v", kind, m)
		}
		readProfile(t, m[0])
	}
}

// TestStartUnwritablePath checks that a profile that cannot be written is an error naming the
// variable, and that nothing is left running.
func TestStartUnwritablePath(t *testing.T) {
	t.Setenv(CPUEnv, filepath.Join(t.TempDir(), "missing", "cpu.pprof"))
	if _, err := Start(""); err == nil || !strings.Contains(err.Error(), CPUEnv) {
		t.Fatalf("Start = %v, want an error naming %s", err, CPUEnv)
	}
	t.Setenv(CPUEnv, "")
	t.Setenv(MemEnv, filepath.Join(t.TempDir(), "missing", "mem.pprof"))
	stop, err := Start("")
	if err != nil {
		t.Fatal(err)
	}
	if err := stop(); err == nil || !strings.Contains(err.Error(), MemEnv) {
		t.Fatalf("stop = %v, want an error naming %s", err, MemEnv)
	}
}
