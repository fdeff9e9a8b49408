package plugin

import (
	"fmt"
	"math"
	"os"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	pb "github.com/forkrl/forkrl/framework/proto/forkrl/v1"
)

// TestSharedMemoryBlocks: a block is read back as written, freed by the
// reader and reused by the writer; refs that point outside the half, off
// the grid, at a freed block or with another length are refused.
func TestSharedMemoryBlocks(t *testing.T) {
	needSharedMemory(t)
	host, err := newHostSharedMemory()
	if err != nil {
		t.Fatal(err)
	}
	defer host.close()
	fd, err := unix.Dup(int(host.file.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(envSharedFD, fmt.Sprint(fd))
	plug := attachPluginSharedMemory()
	if plug == nil {
		t.Fatal("the plugin side could not map the region")
	}
	defer plug.close()
	if _, set := os.LookupEnv(envSharedFD); set {
		t.Errorf("%s is still set after attaching: the plugin's children would inherit it", envSharedFD)
	}
	host.mu.RLock()
	attached := host.peerAttached()
	host.mu.RUnlock()
	if !attached {
		t.Fatal("the host does not see the plugin's header")
	}

	a, b := make([]byte, 3000), make([]byte, 5000)
	for i := range a {
		a[i] = byte(i)
	}
	for i := range b {
		b[i] = byte(7 * i)
	}
	offA, ok := host.put(a)
	offB, ok2 := host.put(b)
	if !ok || !ok2 || offA == offB || offA%sharedAlign != 0 || offB < offA+len(a) {
		t.Fatalf("put: offsets %d and %d (ok %v %v) overlap or are off the grid", offA, offB, ok, ok2)
	}
	got, err := plug.take(&pb.Shared{Offset: uint64(offA), Length: uint64(len(a))})
	if err != nil || string(got) != string(a) {
		t.Fatalf("take A: %v (equal: %v)", err, string(got) == string(a))
	}
	if _, err := plug.take(&pb.Shared{Offset: uint64(offA), Length: uint64(len(a))}); err == nil || !strings.Contains(err.Error(), "not in a taken block") {
		t.Errorf("taking a freed block twice: %v", err)
	}
	offC, ok := host.put(a[:1000])
	if !ok || offC != offA {
		t.Errorf("a block that fits the freed one went to %d, want %d", offC, offA)
	}
	for _, c := range []struct {
		ref  *pb.Shared
		want string
	}{
		{&pb.Shared{Offset: uint64(offB), Length: uint64(len(b) - 1)}, "its block holds 5000"},
		{&pb.Shared{Offset: uint64(offB) + 4, Length: 1}, "64-byte grid"},
		{&pb.Shared{Offset: 0, Length: 1}, "64-byte grid"},
		{&pb.Shared{Offset: halfBytes - sharedAlign, Length: 2 * sharedAlign}, "outside"},
		{&pb.Shared{Offset: 2 * sharedAlign, Length: math.MaxUint64 - sharedAlign}, "outside"},
		{&pb.Shared{Offset: math.MaxUint64 - sharedAlign + 1, Length: 0}, "outside"},
	} {
		if _, err := plug.take(c.ref); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("take(%v): %v, want an error with %q", c.ref, err, c.want)
		}
	}
	if got, err := plug.take(&pb.Shared{Offset: uint64(offB), Length: uint64(len(b))}); err != nil || string(got) != string(b) {
		t.Errorf("take B after the refused refs: %v", err)
	}
	host.close()
	if _, ok := host.put(a); ok {
		t.Error("put after close succeeded")
	}
}
