package plugin

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"time"

	"github.com/forkrl/forkrl/internal/digest"

	hclog "github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/experimental"

	"github.com/forkrl/forkrl/framework/pluginapi"
	pb "github.com/forkrl/forkrl/framework/proto/forkrl/v1"
)

// Handshake is the go-plugin handshake of forkrl plugins. Its protocol
// version is pluginapi.ProtocolVersion; the magic cookie only keeps a plugin
// binary from serving when it is run by hand.
var Handshake = goplugin.HandshakeConfig{
	ProtocolVersion:  pluginapi.ProtocolVersion,
	MagicCookieKey:   "FORKRL_PLUGIN",
	MagicCookieValue: "forkrl-plugin-protocol",
}

// Flow-control windows and socket buffers of plugin connections, sized for
// tensors of tens of MiB.
const (
	windowBytes = 64 << 20
	bufferBytes = 1 << 20
)

// dialOptions are the host side's gRPC options: raised message limits and
// windows, and pluginapi.Codec and pluginapi.FramePool, with which large
// tensors cross with fewer copies; with shm (nil: none), large tensors cross
// through shared memory.
func dialOptions(shm *sharedMemory) []grpc.DialOption {
	return []grpc.DialOption{
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(pluginapi.MaxMessageBytes), grpc.MaxCallSendMsgSize(pluginapi.MaxMessageBytes), grpc.ForceCodecV2(codecFor(shm))),
		experimental.WithBufferPool(pluginapi.FramePool),
		grpc.WithInitialWindowSize(windowBytes),
		grpc.WithInitialConnWindowSize(windowBytes),
		grpc.WithReadBufferSize(bufferBytes),
		grpc.WithWriteBufferSize(bufferBytes),
	}
}

// serverOptions are the plugin side's gRPC options, matching dialOptions;
// they map the shared memory that the host passed, if any.
func serverOptions() []grpc.ServerOption {
	return []grpc.ServerOption{
		grpc.MaxRecvMsgSize(pluginapi.MaxMessageBytes),
		grpc.MaxSendMsgSize(pluginapi.MaxMessageBytes),
		grpc.ForceServerCodecV2(codecFor(attachPluginSharedMemory())),
		experimental.BufferPool(pluginapi.FramePool),
		grpc.InitialWindowSize(windowBytes),
		grpc.InitialConnWindowSize(windowBytes),
		grpc.ReadBufferSize(bufferBytes),
		grpc.WriteBufferSize(bufferBytes),
	}
}

// ServeArgs are the arguments with which the forkrl binary serves one of its
// built-ins: forkrl plugin serve KIND NAME.
func ServeArgs(kind pluginapi.Kind, name string) []string {
	return []string{"plugin", "serve", string(kind), name}
}

// startBuiltin starts the built-in's own command, or re-executes the running
// binary to serve it.
func (in *Instance) startBuiltin(b Builtin) error {
	if b.Command != nil {
		cmd, err := b.Command()
		if err != nil {
			return &OpenError{Plugin: in.Spec.String(), What: "cannot prepare the plugin's command: " + err.Error(), Err: err}
		}
		return in.start(cmd, nil)
	}
	if os.Getenv(Handshake.MagicCookieKey) != "" {
		// A host re-executed a binary that does not serve on `plugin serve`
		// (a test binary without ServeIfAsked): refuse rather than recurse.
		return &OpenError{Plugin: in.Spec.String(), What: "this process was itself started as a plugin and does not serve built-ins; a test binary that opens built-ins in their own process must call plugin.ServeIfAsked() first in its TestMain"}
	}
	exe, err := os.Executable()
	if err != nil {
		return &OpenError{Plugin: in.Spec.String(), What: "cannot find the forkrl executable to serve the built-in: " + err.Error() + `; set isolation = "inproc" to run it in the host`, Err: err}
	}
	return in.start(exec.Command(exe, ServeArgs(in.Spec.Kind, in.Spec.Name)...), nil)
}

// startExternal checks an external plugin's checksum and starts it.
func (in *Instance) startExternal() error {
	sum, err := checkExternal(in.Spec)
	if err != nil {
		return err
	}
	in.SHA256 = hex.EncodeToString(sum)
	secure := &goplugin.SecureConfig{Checksum: sum, Hash: sha256.New()}
	// Source is a path, never a name to look up on PATH: "sel" is ./sel.
	path, err := filepath.Abs(in.Spec.Source)
	if err != nil {
		return &OpenError{Plugin: in.Spec.String(), What: "cannot resolve the plugin executable's path: " + err.Error(), Err: err}
	}
	return in.start(exec.Command(path, in.Spec.Args...), secure)
}

// checkExternal refuses an external plugin that is missing, not executable,
// without a checksum or with another checksum, and returns its checksum.
func checkExternal(spec Spec) ([]byte, error) {
	refuse := func(what string, err error) ([]byte, error) {
		return nil, &OpenError{Plugin: spec.String(), What: what, Err: err}
	}
	st, err := os.Stat(spec.Source)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return refuse(fmt.Sprintf("the plugin executable %s does not exist: build it, or fix the source path in the recipe (relative paths are relative to the recipe's directory)", spec.Source), err)
	case err != nil:
		return refuse("cannot read the plugin executable: "+err.Error(), err)
	case st.IsDir():
		return refuse(fmt.Sprintf("%s is a directory: source must name the plugin's executable file", spec.Source), nil)
	case st.Mode()&0o111 == 0:
		return refuse(fmt.Sprintf("%s is not executable: chmod +x it", spec.Source), nil)
	}
	have, err := digest.File(spec.Source)
	if err != nil {
		return refuse("cannot read the plugin executable: "+err.Error(), err)
	}
	want := strings.ToLower(strings.TrimSpace(spec.SHA256))
	if want == "" {
		return refuse(fmt.Sprintf("no sha256 given: an external plugin runs only when its checksum matches the recipe's; if you trust this file, add sha256 = %q to its block", have), nil)
	}
	if want != have {
		return refuse(fmt.Sprintf("checksum mismatch: the recipe expects sha256 %s, the file has %s; if you rebuilt the plugin and trust the new file, update sha256 in the recipe", want, have), goplugin.ErrChecksumsDoNotMatch)
	}
	sum, _ := hex.DecodeString(have)
	return sum, nil
}

// start launches cmd as a plugin process, completes the handshake and
// dispenses the kind.
func (in *Instance) start(cmd *exec.Cmd, secure *goplugin.SecureConfig) error {
	setDeathSignal(cmd)
	setOwnGroup(cmd)
	// The plugin's socket goes in a directory of its own, removed on Close
	// even when the plugin crashed and could not remove it.
	dir, err := os.MkdirTemp("", "forkrl-plugin-")
	if err != nil {
		return &OpenError{Plugin: in.Spec.String(), What: "cannot create a directory for the plugin's socket: " + err.Error(), Err: err}
	}
	in.socketDir = dir
	cmd.Env = append(cmd.Env, goplugin.EnvUnixSocketDir+"="+dir)
	if shm, err := newHostSharedMemory(); err == nil {
		in.shm = shm
		shm.passTo(&cmd.ExtraFiles, &cmd.Env)
	}
	client := goplugin.NewClient(&goplugin.ClientConfig{
		HandshakeConfig:  Handshake,
		Plugins:          clientPlugins(),
		Cmd:              cmd,
		SecureConfig:     secure,
		AllowedProtocols: []goplugin.Protocol{goplugin.ProtocolGRPC},
		StartTimeout:     in.Spec.StartTimeout,
		Stderr:           in.log,
		SyncStdout:       in.log,
		SyncStderr:       in.log,
		Logger:           hclog.New(&hclog.LoggerOptions{Name: "forkrl-plugin", Level: hclog.Off}),
		GRPCDialOptions:  dialOptions(in.shm),
	})
	in.client = client
	rpc, err := startOnSpawner(client)
	in.shm.closeFile() // the plugin has its own descriptor now
	if err != nil {
		return in.startError(err)
	}
	raw, err := rpc.Dispense(string(in.Spec.Kind))
	if err != nil {
		in.kill()
		return &OpenError{Plugin: in.Spec.String(), What: "cannot use the plugin's " + string(in.Spec.Kind) + " service: " + err.Error(), Err: err}
	}
	in.impl = guard(in, raw)
	return nil
}

// killGrace is how long kill lets go-plugin stop a plugin (it waits up to 2
// seconds for a graceful exit) before it ends the plugin's process group.
const killGrace = 3 * time.Second

// kill stops the plugin process and every process it started (its process
// group), and removes its socket directory. go-plugin waits for the
// plugin's stdout and stderr to close, which a child of the plugin can hold
// open after the plugin has gone: ending the group closes them.
func (in *Instance) kill() {
	pid := in.PID()
	done := make(chan struct{})
	go func() {
		in.client.Kill()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(killGrace):
	}
	killGroup(pid)
	<-done
	_ = os.RemoveAll(in.socketDir)
	in.shm.close()
}

var pluginVersionRE = regexp.MustCompile(`Plugin version: (\d+)`)

// startError stops a plugin process that could not be started and explains why.
func (in *Instance) startError(err error) error {
	e := &OpenError{Plugin: in.Spec.String(), Err: err}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "incompatible API version"):
		v := "another"
		if m := pluginVersionRE.FindStringSubmatch(msg); m != nil {
			v = m[1]
		}
		e.What = fmt.Sprintf("the plugin speaks plugin protocol %s, this forkrl speaks %d: rebuild the plugin against this forkrl's framework/pluginapi, or use a forkrl that speaks its protocol", v, pluginapi.ProtocolVersion)
	case strings.Contains(msg, "incompatible core API version"):
		e.What = "the plugin was built with an incompatible hashicorp/go-plugin: rebuild it against this forkrl's framework/plugin"
	case strings.Contains(msg, "Failed to read any lines from plugin's stdout"), strings.Contains(msg, "plugin exited before we could connect"):
		e.What = "the plugin exited before its handshake: is it a forkrl plugin (its main must call plugin.Serve)? Its stderr may say more"
	case strings.Contains(msg, "Unrecognized remote plugin message"):
		line := strings.TrimPrefix(strings.SplitN(msg, "\n", 2)[0], "Unrecognized remote plugin message: ")
		e.What = fmt.Sprintf("bad handshake: the plugin wrote %q to stdout instead of the handshake line. A plugin must not print to stdout before it serves (log to stderr); if this executable is not a forkrl plugin, fix the source path", line)
		if in.Spec.Source == "" {
			e.What += "; if the host is a test binary, its TestMain must call plugin.ServeIfAsked() first"
		}
	case strings.Contains(msg, "timeout while waiting for plugin to start"):
		e.What = fmt.Sprintf("the plugin did not complete its handshake within %s: is it a forkrl plugin (its main must call plugin.Serve)?", in.Spec.StartTimeout)
	case errors.Is(err, goplugin.ErrChecksumsDoNotMatch):
		e.What = "checksum mismatch: the executable changed after it was checked; check what modifies it, then update sha256 in the recipe"
	default:
		e.What = "cannot start the plugin: " + msg
	}
	killGroup(in.PID()) // it failed: no graceful exit to wait for
	in.kill()           // returns once its stderr has been read to the end
	e.Stderr = in.log.lastLines()
	return e
}

// waitReaped waits up to d for a plugin process to be gone, so that its
// stderr has been read to the end.
func waitReaped(client *goplugin.Client, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for !client.Exited() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}

// spawns runs plugin start-ups on one goroutine locked to its OS thread for
// the life of the host: Linux delivers Pdeathsig when the thread that forked
// the child exits, and a locked thread that never exits keeps plugins alive
// exactly as long as the host process.
var spawns = make(chan func())

func init() {
	go func() {
		runtime.LockOSThread()
		for f := range spawns {
			f()
		}
	}()
}

// startOnSpawner starts the client's process on the spawner thread.
func startOnSpawner(client *goplugin.Client) (goplugin.ClientProtocol, error) {
	type result struct {
		rpc goplugin.ClientProtocol
		err error
	}
	done := make(chan result, 1)
	spawns <- func() {
		rpc, err := client.Client()
		done <- result{rpc, err}
	}
	r := <-done
	return r.rpc, r.err
}

// Inspect starts a plugin executable and returns its Info as a whole: its
// name, version, protocol and every kind it serves (Settings are those of
// its first kind). spec.Kind is ignored.
func Inspect(ctx context.Context, spec Spec) (pluginapi.Info, error) {
	spec.Kind = pluginapi.KindSelector // any kind: only the base service is called
	spec = spec.withDefaults()
	in := &Instance{Spec: spec, Origin: spec.Source, log: newPluginLog(spec.Log, fmt.Sprintf("[plugin %s] ", spec.label()))}
	if err := in.startExternal(); err != nil {
		return pluginapi.Info{}, err
	}
	defer in.kill()
	rpc, err := in.client.Client()
	if err != nil {
		return pluginapi.Info{}, in.startError(err)
	}
	g, ok := rpc.(*goplugin.GRPCClient)
	if !ok {
		return pluginapi.Info{}, &OpenError{Plugin: spec.String(), What: "the plugin does not speak gRPC"}
	}
	base := pb.NewPluginClient(g.Conn)
	return call(ctx, in, "Info", &pb.InfoRequest{}, func(ctx context.Context, req *pb.InfoRequest) (pluginapi.Info, error) {
		resp, err := base.Info(ctx, req)
		if err != nil {
			return pluginapi.Info{}, err
		}
		return pluginapi.InfoFromProto(resp)
	})
}
