package plugin

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/forkrl/forkrl/framework/pluginapi"
	"github.com/forkrl/forkrl/framework/pluginapi/selector"
	pb "github.com/forkrl/forkrl/framework/proto/forkrl/v1"
	"github.com/forkrl/forkrl/internal/digest"
)

// needSharedMemory skips a test where the system has no shared memory for plugins.
func needSharedMemory(t testing.TB) {
	t.Helper()
	f, m, err := createRegion(2 * halfBytes)
	if err != nil {
		t.Skipf("skipped: %v", err)
	}
	_ = unmapRegion(m)
	_ = f.Close()
}

// randomRow is n float32 values of random bits, NaNs with payloads included.
func randomRow(rng *rand.Rand, n int) []float32 {
	row := make([]float32, n)
	for i := range row {
		row[i] = math.Float32frombits(rng.Uint32())
	}
	return row
}

// sameBits says where two batches differ bit for bit.
func sameBits(got, want [][]float32) error {
	if len(got) != len(want) {
		return fmt.Errorf("%d rows, want %d", len(got), len(want))
	}
	for i := range want {
		if len(got[i]) != len(want[i]) {
			return fmt.Errorf("row %d has %d values, want %d", i, len(got[i]), len(want[i]))
		}
		for j := range want[i] {
			if math.Float32bits(got[i][j]) != math.Float32bits(want[i][j]) {
				return fmt.Errorf("row %d value %d came back as %#x, want %#x", i, j, math.Float32bits(got[i][j]), math.Float32bits(want[i][j]))
			}
		}
	}
	return nil
}

// pythonEcho is the spec of testdata/echo.py, a selector in Python that
// sends back the entropies as weights; it skips the test where
// /usr/bin/python3 lacks what the Python scaffolding needs.
func pythonEcho(t testing.TB) Spec {
	t.Helper()
	if out, err := exec.Command("/usr/bin/python3", "-c", "import grpc, google.protobuf, numpy").CombinedOutput(); err != nil {
		t.Skipf("skipped: testdata/echo.py runs with /usr/bin/python3, which cannot import grpc, protobuf and numpy (apt-get install python3-grpcio python3-protobuf python3-numpy, as .ci/run does): %s", out)
	}
	src, err := filepath.Abs("testdata/echo.py")
	if err != nil {
		t.Fatal(err)
	}
	sum, err := digest.File(src)
	if err != nil {
		t.Fatal(err)
	}
	return Spec{Kind: pluginapi.KindSelector, Name: "python-echo", Source: src, SHA256: sum}
}

// openInline opens spec with shared memory turned off in the host.
func openInline(t *testing.T, spec Spec) *Instance {
	t.Helper()
	t.Setenv(envShared, "off")
	in := openT(t, spec)
	if in.shm != nil {
		t.Fatalf("%s=off: the connection has shared memory", envShared)
	}
	return in
}

// roundTrip sends rows of entropies and two large fields more to an echoing
// selector and checks that the weights come back bit for bit.
func roundTrip(t *testing.T, in *Instance, rows [][]float32) {
	t.Helper()
	rng := rand.New(rand.NewPCG(7, 7))
	req := selector.SelectRequest{Entropies: rows, LogProbs: [][]float32{randomRow(rng, 300_000)}, Advantages: [][]float32{randomRow(rng, 10)}}
	resp, err := in.Selector().Select(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if err := sameBits(resp.Weights, rows); err != nil {
		t.Fatalf("%s: %v", in.Spec, err)
	}
}

// TestSharedRoundTrip: tensors of 1 MiB and more cross through shared
// memory, both ways, for the built-in Go echo, the same as an external
// plugin, and the Python echo, and come back bit for bit as they do inline.
func TestSharedRoundTrip(t *testing.T) {
	needSharedMemory(t)
	rng := rand.New(rand.NewPCG(1, 2))
	rows := [][]float32{randomRow(rng, 700_000), randomRow(rng, 5), nil, randomRow(rng, 1<<18)}
	for _, c := range []struct {
		name string
		spec func(t *testing.T) Spec
	}{
		{"built-in", func(*testing.T) Spec { return Spec{Kind: pluginapi.KindSelector, Name: "echo"} }},
		{"external", func(*testing.T) Spec {
			return Spec{Kind: pluginapi.KindSelector, Name: "ext", Source: os.Args[0], Args: []string{"plugin-test", "good"}, SHA256: selfSHA256()}
		}},
		{"python", func(t *testing.T) Spec { return pythonEcho(t) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			spec := c.spec(t)
			in := openT(t, spec)
			roundTrip(t, in, rows)
			sent, received := in.SharedTensors()
			// One request tensor of 3.9 MiB (the rows are copied into one,
			// since there are several) and one of 1.1 MiB; the weights.
			if sent != 2 || received != 1 {
				t.Errorf("tensors through shared memory: %d sent, %d received; want 2 and 1", sent, received)
			}
			if err := allFree(in.shm); err != nil {
				t.Error(err)
			}
			inline := openInline(t, spec)
			roundTrip(t, inline, rows)
		})
	}
}

// allFree says which of s's blocks the peer has not freed.
func allFree(s *sharedMemory) error {
	s.alloc.Lock()
	defer s.alloc.Unlock()
	for _, b := range s.blocks {
		if atomic.LoadUint32(s.word(s.own+b.off)) != 0 {
			return fmt.Errorf("the block at %d is still taken after the call", b.off)
		}
	}
	return nil
}

// TestSharedConcurrentCalls: calls in flight at once through one connection
// each get their own blocks.
func TestSharedConcurrentCalls(t *testing.T) {
	needSharedMemory(t)
	in := openT(t, Spec{Kind: pluginapi.KindSelector, Name: "echo"})
	const callers, calls = 6, 3
	var wg sync.WaitGroup
	errs := make(chan error, callers*calls)
	for g := range callers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 3))
			for range calls {
				rows := [][]float32{randomRow(rng, 300_000+rng.IntN(1000))}
				resp, err := in.Selector().Select(context.Background(), selector.SelectRequest{Entropies: rows})
				if err == nil {
					err = sameBits(resp.Weights, rows)
				}
				if err != nil {
					errs <- fmt.Errorf("caller %d: %w", g, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if sent, received := in.SharedTensors(); sent != callers*calls || received != callers*calls {
		t.Errorf("tensors through shared memory: %d sent, %d received; want %d each", sent, received, callers*calls)
	}
}

// TestSharedFallback: a plugin that does not map the region (served
// without forkrl's transport) gets and sends every tensor inline.
func TestSharedFallback(t *testing.T) {
	needSharedMemory(t)
	in := openT(t, Spec{Kind: pluginapi.KindSelector, Name: "plain", Source: os.Args[0], Args: []string{"plugin-test", "plain"}, SHA256: selfSHA256()})
	if in.shm == nil {
		t.Fatal("the host made no region")
	}
	rng := rand.New(rand.NewPCG(3, 4))
	roundTrip(t, in, [][]float32{randomRow(rng, 600_000)})
	if sent, received := in.SharedTensors(); sent != 0 || received != 0 {
		t.Errorf("%d tensors sent and %d received through shared memory to a plugin that does not map it", sent, received)
	}
}

// TestSharedFailedCallFreesBlocks: a call that fails in the plugin still
// frees the blocks of its request.
func TestSharedFailedCallFreesBlocks(t *testing.T) {
	needSharedMemory(t)
	rng := rand.New(rand.NewPCG(5, 6))
	req := selector.SelectRequest{Entropies: [][]float32{randomRow(rng, 400_000)}, Step: -1}
	for _, spec := range []func(t *testing.T) Spec{
		func(*testing.T) Spec { return Spec{Kind: pluginapi.KindSelector, Name: "failing"} },
		func(t *testing.T) Spec { return pythonEcho(t) },
	} {
		s := spec(t)
		t.Run(s.Name, func(t *testing.T) {
			in := openT(t, s)
			if _, err := in.Selector().Select(context.Background(), req); err == nil {
				t.Fatal("the call did not fail")
			}
			if sent, _ := in.SharedTensors(); sent != 1 {
				t.Fatalf("%d tensors sent through shared memory, want 1", sent)
			}
			if err := allFree(in.shm); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestSharedHostileResponses: a plugin whose response names shared memory
// outside its half, off the grid, with another length than its block, with
// a length that does not fit the tensor's shape, a block it already had
// freed, or both inline and shared data gets a *CallError that names it and
// the call; the host reads nothing out of bounds and goes on.
func TestSharedHostileResponses(t *testing.T) {
	needSharedMemory(t)
	for _, c := range []struct {
		mode  string
		calls int // the call that fails
		want  string
	}{
		{"outside", 1, "lies outside the"},
		{"overflow", 1, "lies outside the"},
		{"unaligned", 1, "64-byte grid"},
		{"length", 1, "its block holds 1048576"},
		{"shape", 1, "needs 1048576 bytes, has 524288"},
		{"twice", 2, "not in a taken block"},
		{"both", 1, "both inline and shared data"},
	} {
		t.Run(c.mode, func(t *testing.T) {
			in := openT(t, Spec{Kind: pluginapi.KindSelector, Name: "hostile", Source: os.Args[0], Args: []string{"plugin-test", "shm-hostile", c.mode}, SHA256: selfSHA256()})
			var err error
			for i := 1; i <= c.calls; i++ {
				_, err = in.Selector().Select(context.Background(), selector.SelectRequest{Entropies: [][]float32{{1, 2}}})
				if i < c.calls && err != nil {
					t.Fatalf("call %d: %v", i, err)
				}
			}
			var ce *CallError
			if !errors.As(err, &ce) {
				t.Fatalf("got %v, want a *CallError", err)
			}
			if msg := err.Error(); ce.Call != "Select" || !strings.HasPrefix(msg, in.Spec.String()+": Select: ") || !strings.Contains(msg, c.want) {
				t.Errorf("error %q: want it to name the plugin and the call and say %q", msg, c.want)
			}
		})
	}
}

// hostileSelector answers Select with a response that misuses shared memory
// in one way (mode).
type hostileSelector struct {
	pb.UnimplementedSelectorServer
	shm  *sharedMemory
	mode string
	last *pb.Shared
}

func (h *hostileSelector) Select(context.Context, *pb.SelectRequest) (*pb.SelectResponse, error) {
	const n = 1 << 18 // float32 values: 1 MiB
	data := make([]byte, 4*n)
	t := &pb.Tensor{Dtype: pb.DType_DTYPE_FLOAT32, Shape: []int64{n}}
	put := func(b []byte) uint64 {
		off, ok := h.shm.put(b)
		if !ok {
			panic("no room in shared memory")
		}
		return uint64(off)
	}
	switch h.mode {
	case "outside":
		t.Shared = &pb.Shared{Offset: halfBytes - sharedAlign, Length: 4 * n}
	case "overflow":
		t.Shared = &pb.Shared{Offset: 2 * sharedAlign, Length: math.MaxUint64 - sharedAlign}
	case "unaligned":
		t.Shared = &pb.Shared{Offset: put(data) + 4, Length: 4 * n}
	case "length":
		t.Shared = &pb.Shared{Offset: put(data), Length: 4*n - sharedAlign}
	case "shape":
		t.Shared = &pb.Shared{Offset: put(data[:2*n]), Length: 2 * n}
	case "twice":
		if h.last == nil {
			h.last = &pb.Shared{Offset: put(data), Length: 4 * n}
		}
		t.Shared = h.last
	case "both":
		t.Shared, t.Data = &pb.Shared{Offset: put(data), Length: 4 * n}, data[:4]
	}
	return &pb.SelectResponse{Weights: &pb.Ragged{Values: t, Lengths: []int64{n}}}, nil
}

// rawSelector serves a forkrl.v1.Selector as it is, with gRPC's default
// codec: a plugin that speaks the protocol without forkrl's transport.
type rawSelector struct {
	goplugin.NetRPCUnsupportedPlugin
	srv pb.SelectorServer
}

func (p *rawSelector) GRPCServer(_ *goplugin.GRPCBroker, s *grpc.Server) error {
	(&pluginapi.BaseServer{}).Register(s, pluginapi.KindSelector, echoSelector("raw"))
	pb.RegisterSelectorServer(s, p.srv)
	return nil
}

func (p *rawSelector) GRPCClient(context.Context, *goplugin.GRPCBroker, *grpc.ClientConn) (any, error) {
	return nil, errors.New("rawSelector serves only")
}

// serveRaw serves srv as a selector plugin without forkrl's transport.
func serveRaw(srv pb.SelectorServer) {
	goplugin.Serve(&goplugin.ServeConfig{
		HandshakeConfig: Handshake,
		Plugins:         goplugin.PluginSet{string(pluginapi.KindSelector): &rawSelector{srv: srv}},
		GRPCServer: func(o []grpc.ServerOption) *grpc.Server {
			return grpc.NewServer(append(o, grpc.MaxRecvMsgSize(pluginapi.MaxMessageBytes), grpc.MaxSendMsgSize(pluginapi.MaxMessageBytes))...)
		},
	})
}

// TestSharedNoLeaks: after plugins that used shared memory have been
// closed — one of them died during a call — the host holds no more file
// descriptors or mappings than before, and /dev/shm has no new files; a Go
// plugin keeps the mapping but not the descriptor.
func TestSharedNoLeaks(t *testing.T) {
	needSharedMemory(t)
	before := resources(t)
	rng := rand.New(rand.NewPCG(8, 9))
	rows := [][]float32{randomRow(rng, 500_000)}
	for _, name := range []string{"echo", "crash"} {
		in, err := Open(context.Background(), Spec{Kind: pluginapi.KindSelector, Name: name, Log: &syncBuffer{}})
		if err != nil {
			t.Fatal(err)
		}
		if name == "echo" {
			if fds := memfds(t, fmt.Sprintf("/proc/%d/fd", in.PID())); fds != 0 {
				t.Errorf("the plugin process holds %d descriptors of the region after mapping it", fds)
			}
		}
		_, err = in.Selector().Select(context.Background(), selector.SelectRequest{Entropies: rows})
		if name == "crash" && (err == nil || !strings.Contains(err.Error(), "exited during the call")) {
			t.Errorf("a plugin that died during a call with a shared tensor: %v", err)
		}
		_ = in.Close()
	}
	deadline := time.Now().Add(5 * time.Second)
	after := resources(t)
	for after != before && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		after = resources(t)
	}
	if after != before {
		t.Errorf("before the plugins: %+v; after closing them: %+v", before, after)
	}
}

// held is what a process holds that shared memory could leak.
type held struct {
	FDs, RegionFDs, RegionMaps int
	DevShm                     string
}

func resources(t *testing.T) held {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("skipped: cannot list /proc/self/fd: %v", err)
	}
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		t.Fatal(err)
	}
	var shm []string
	if entries, err := os.ReadDir("/dev/shm"); err == nil {
		for _, e := range entries {
			shm = append(shm, e.Name())
		}
	}
	return held{FDs: len(fds), RegionFDs: memfds(t, "/proc/self/fd"), RegionMaps: strings.Count(string(maps), "memfd:forkrl-plugin"), DevShm: strings.Join(shm, " ")}
}

// memfds counts the descriptors of regions in a /proc/PID/fd folder.
func memfds(t *testing.T, dir string) int {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if target, err := os.Readlink(filepath.Join(dir, e.Name())); err == nil && strings.Contains(target, "memfd:forkrl-plugin") {
			n++
		}
	}
	return n
}
