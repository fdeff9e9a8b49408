package plugin

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/forkrl/forkrl/internal/digest"

	"github.com/forkrl/forkrl/framework/pluginapi"
	"github.com/forkrl/forkrl/framework/pluginapi/selector"
)

// syncBuffer is a log that tests read while plugins write.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func openT(t *testing.T, spec Spec) *Instance {
	t.Helper()
	if spec.Log == nil {
		spec.Log = &syncBuffer{}
	}
	in, err := Open(context.Background(), spec)
	if err != nil {
		t.Fatalf("Open(%s): %v", spec, err)
	}
	t.Cleanup(func() { _ = in.Close() })
	return in
}

// selfSHA256 is the checksum of the test binary, which also serves as an external plugin.
var selfSHA256 = sync.OnceValue(func() string {
	sum, err := digest.File(os.Args[0])
	if err != nil {
		panic(err)
	}
	return sum
})

func TestOpenAndCall(t *testing.T) {
	tests := []struct {
		name string
		spec Spec
	}{
		{"built-in in process", Spec{Kind: pluginapi.KindSelector, Name: "echo", Isolation: Inproc}},
		{"built-in re-executed", Spec{Kind: pluginapi.KindSelector, Name: "echo"}},
		{"external", Spec{Kind: pluginapi.KindSelector, Name: "ext", Source: os.Args[0], Args: []string{"plugin-test", "good"}, SHA256: selfSHA256()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := openT(t, tt.spec)
			if in.Info.Protocol != pluginapi.ProtocolVersion || len(in.Info.Kinds) != 1 || in.Info.Kinds[0] != pluginapi.KindSelector {
				t.Fatalf("Info = %+v", in.Info)
			}
			if tt.spec.Isolation == Inproc && in.PID() != 0 || tt.spec.Isolation != Inproc && in.PID() <= 0 {
				t.Errorf("PID = %d", in.PID())
			}
			ctx := context.Background()
			if _, err := in.Selector().Configure(ctx, pluginapi.ConfigureRequest{Settings: pluginapi.Settings{"rho": 0.2}}); err != nil {
				t.Fatal(err)
			}
			ent := [][]float32{{0.5, 1.5}, {}, {2.5}}
			resp, err := in.Selector().Select(ctx, selector.SelectRequest{Entropies: ent})
			if err != nil {
				t.Fatal(err)
			}
			if len(resp.Weights) != 3 || len(resp.Weights[1]) != 0 || resp.Weights[0][1] != 1.5 || resp.Weights[2][0] != 2.5 {
				t.Errorf("weights = %v, want %v", resp.Weights, ent)
			}
		})
	}
}

func TestTensorOf16MFloatsRoundTrip(t *testing.T) {
	in := openT(t, Spec{Kind: pluginapi.KindSelector, Name: "echo"})
	const n = 16 << 20
	row := make([]float32, n)
	for i := range row {
		row[i] = float32(i) * 0.25
	}
	resp, err := in.Selector().Select(context.Background(), selector.SelectRequest{Entropies: [][]float32{row[:n/2], row[n/2:]}})
	if err != nil {
		t.Fatal(err)
	}
	got := append(append([]float32(nil), resp.Weights[0]...), resp.Weights[1]...)
	if len(got) != n {
		t.Fatalf("got %d values back, want %d", len(got), n)
	}
	for i := range got {
		if got[i] != row[i] {
			t.Fatalf("value %d came back as %g, want %g", i, got[i], row[i])
		}
	}
}

func TestStderrGoesToLogWithPrefix(t *testing.T) {
	log := &syncBuffer{}
	in := openT(t, Spec{Kind: pluginapi.KindSelector, Name: "chatty", Label: "talker", Log: log})
	if _, err := in.Selector().Select(context.Background(), selector.SelectRequest{}); err != nil {
		t.Fatal(err)
	}
	// Printed to stdout by the constructor, before the handshake: it reached the log, not the handshake.
	if !strings.Contains(log.String(), "[selector talker] chatty: constructed\n") {
		t.Errorf("log = %q, want the constructor's line prefixed with the plugin's name", log.String())
	}
}

func TestRefusals(t *testing.T) {
	dir := t.TempDir()
	notExec := filepath.Join(dir, "plain-file")
	if err := os.WriteFile(notExec, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	self := os.Args[0]
	tests := []struct {
		name string
		spec Spec
		want []string
	}{
		{"unknown built-in", Spec{Name: "nope"}, []string{`selector plugin "nope"`, `no built-in selector named "nope"`, "echo"}},
		{"unknown kind", Spec{Kind: "reward", Name: "x"}, []string{`unknown plugin kind "reward"`}},
		{"kind that runs in the host", Spec{Kind: pluginapi.KindGenerator, Name: "recipe-test-gen"}, []string{`generator plugin "recipe-test-gen"`, "runs in the host", "is not opened"}},
		{"missing binary", Spec{Source: filepath.Join(dir, "missing"), SHA256: "00"}, []string{"does not exist", "build it"}},
		{"not executable", Spec{Source: notExec, SHA256: "00"}, []string{"is not executable", "chmod +x"}},
		{"no checksum", Spec{Source: self, Args: []string{"plugin-test", "good"}}, []string{"no sha256 given", selfSHA256()}},
		{"checksum mismatch", Spec{Source: self, Args: []string{"plugin-test", "good"}, SHA256: strings.Repeat("ab", 32)}, []string{"checksum mismatch", "update sha256"}},
		{"bad handshake", Spec{Source: self, Args: []string{"plugin-test", "stdout-garbage"}, SHA256: selfSHA256()}, []string{"bad handshake", "hello from a plugin that prints before serving", "must not print to stdout"}},
		{"wrong protocol version", Spec{Source: self, Args: []string{"plugin-test", "protocol-2"}, SHA256: selfSHA256()}, []string{"speaks plugin protocol 2, this forkrl speaks 1", "rebuild"}},
		{"exits before handshake", Spec{Source: self, Args: []string{"plugin-test", "exit"}, SHA256: selfSHA256()}, []string{"exited before its handshake", "exit: not a plugin after all"}},
		{"external in process", Spec{Source: self, SHA256: selfSHA256(), Isolation: Inproc}, []string{"built-in plugins only"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := tt.spec
			if spec.Kind == "" {
				spec.Kind = pluginapi.KindSelector
			}
			spec.Log = &syncBuffer{}
			spec.StartTimeout = 20 * time.Second
			in, err := Open(context.Background(), spec)
			if err == nil {
				_ = in.Close()
				t.Fatal("Open succeeded, want a refusal")
			}
			var oe *OpenError
			if !errors.As(err, &oe) {
				t.Errorf("error is a %T, want *OpenError", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestCallFailures(t *testing.T) {
	tests := []struct {
		name      string
		builtin   string
		isolation Isolation
		want      []string
		then      string // what a second call says; empty: the plugin is still usable
	}{
		{"crash mid-call", "crash", Process, []string{"exited during the call", "crash: about to fail on purpose"}, "stopped the plugin earlier because its process exited during Select"},
		{"hang past the deadline", "hang", Process, []string{"did not answer within 1s", "forkrl stopped it", "hang: going to sleep"}, "stopped the plugin earlier because it hung in Select"},
		{"hang in process", "hang", Inproc, []string{"did not answer within 1s"}, "stopped the plugin earlier because it hung in Select"},
		{"panic in process", "panic", Inproc, []string{"panicked", "on purpose"}, ""},
		{"error returned", "failing", Process, []string{"the plugin failed", "out of memory on purpose"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := openT(t, Spec{Kind: pluginapi.KindSelector, Name: tt.builtin, Isolation: tt.isolation, CallTimeout: time.Second})
			start := time.Now()
			_, err := in.Selector().Select(context.Background(), selector.SelectRequest{Entropies: [][]float32{{1}}})
			if err == nil {
				t.Fatal("Select succeeded, want an error")
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("the error took %s", d)
			}
			var ce *CallError
			if !errors.As(err, &ce) || ce.Call != "Select" {
				t.Fatalf("error %v (%T) is not a CallError of Select", err, err)
			}
			want := append([]string{`selector plugin "` + tt.builtin + `": Select: `}, tt.want...)
			for _, w := range want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			_, err = in.Selector().Select(context.Background(), selector.SelectRequest{})
			if tt.then == "" && errors.Is(err, ErrClosed) || tt.then != "" && (err == nil || !strings.Contains(err.Error(), tt.then)) {
				t.Errorf("the next call gave %v, want %q", err, tt.then)
			}
		})
	}
}

func TestCloseAll(t *testing.T) {
	a := openT(t, Spec{Kind: pluginapi.KindSelector, Name: "echo"})
	b := openT(t, Spec{Kind: pluginapi.KindSelector, Name: "echo", Isolation: Inproc})
	CloseAll()
	for _, in := range []*Instance{a, b} {
		_, err := in.Selector().Select(context.Background(), selector.SelectRequest{})
		if !errors.Is(err, ErrClosed) {
			t.Errorf("Select after CloseAll: %v, want ErrClosed", err)
		}
	}
	if a.client.Exited() != true {
		t.Error("the plugin process is still running after CloseAll")
	}
}

// TestNoOrphanAfterHostKilled SIGKILLs a host and checks that its plugin
// process goes with it; SIGTERM and SIGINT, with StopOnSignals, also remove
// the plugin's socket, which only CloseAll does.
func TestNoOrphanAfterHostKilled(t *testing.T) {
	tests := []struct {
		host      string
		sig       syscall.Signal
		closedAll bool
	}{
		{"orphan-host", syscall.SIGKILL, false},
		{"signalled-host", syscall.SIGTERM, true},
		{"signalled-host", syscall.SIGINT, true},
	}
	for _, tt := range tests {
		t.Run(tt.sig.String(), func(t *testing.T) {
			host := exec.Command(os.Args[0], tt.host)
			host.Stderr = os.Stderr
			out, err := host.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := host.Start(); err != nil {
				t.Fatal(err)
			}
			line, err := bufio.NewReader(out).ReadString('\n')
			if err != nil {
				_ = host.Process.Kill()
				t.Fatalf("the host printed no plugin pid: %v", err)
			}
			fields := strings.Fields(line)
			if len(fields) != 2 {
				t.Fatalf("bad line from the host %q", line)
			}
			socketDir := fields[1]
			t.Cleanup(func() { _ = os.RemoveAll(socketDir) }) // a SIGKILLed host cannot remove its plugin's socket
			pid, err := strconv.Atoi(fields[0])
			if err != nil || pid <= 0 {
				t.Fatalf("bad pid in %q", line)
			}
			if !alive(pid) {
				t.Fatalf("plugin %d is not running while its host is", pid)
			}
			if err := host.Process.Signal(tt.sig); err != nil {
				t.Fatal(err)
			}
			err = host.Wait()
			if ws, ok := host.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != tt.sig {
				t.Errorf("the host ended with %v, want death by %v", err, tt.sig)
			}
			deadline := time.Now().Add(5 * time.Second)
			for alive(pid) {
				if time.Now().After(deadline) {
					_ = syscall.Kill(pid, syscall.SIGKILL)
					t.Fatalf("plugin process %d outlived its host", pid)
				}
				time.Sleep(20 * time.Millisecond)
			}
			if _, err := os.Stat(socketDir); tt.closedAll && !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the plugin's socket directory %s is still there: CloseAll did not run", socketDir)
			}
		})
	}
}

// alive reports whether a process exists and is not a zombie.
func alive(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// The state follows the command name in parentheses: "pid (comm) S ...".
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}

// TestPluginProcessDoesNotRecurse checks that a process started as a plugin
// refuses to start built-ins, as a test binary without ServeIfAsked would.
func TestPluginProcessDoesNotRecurse(t *testing.T) {
	t.Setenv(Handshake.MagicCookieKey, Handshake.MagicCookieValue)
	_, err := Open(context.Background(), Spec{Kind: pluginapi.KindSelector, Name: "echo", Log: &syncBuffer{}})
	if err == nil || !strings.Contains(err.Error(), "plugin.ServeIfAsked()") {
		t.Errorf("Open in a plugin process: %v, want a refusal naming ServeIfAsked", err)
	}
}

// A relative source names a file, not a command to look up on PATH: a
// recipe in the current directory that says source = "./sel" gets "sel".
func TestRelativeSourceIsAPath(t *testing.T) {
	dir := t.TempDir()
	if err := os.Symlink(os.Args[0], filepath.Join(dir, "sel")); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	in := openT(t, Spec{Kind: pluginapi.KindSelector, Source: "sel", Args: []string{"plugin-test", "good"}, SHA256: selfSHA256()})
	if in.PID() <= 0 {
		t.Errorf("PID = %d", in.PID())
	}
}
