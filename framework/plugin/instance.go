package plugin

import (
	"context"
	"fmt"
	"reflect"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"

	goplugin "github.com/hashicorp/go-plugin"

	"github.com/forkrl/forkrl/framework/pluginapi"
	"github.com/forkrl/forkrl/framework/pluginapi/backend"
	"github.com/forkrl/forkrl/framework/pluginapi/selector"
	"github.com/forkrl/forkrl/framework/pluginapi/verifier"
)

// Instance is an opened plugin of one kind. Its typed accessor (Backend,
// Verifier or Selector) gives the kind's interface; every call through it is
// bounded by Spec.CallTimeout and fails with a *CallError that names the
// plugin and the call. An Instance is safe for concurrent use.
type Instance struct {
	// Spec is the spec it was opened with, defaults filled in.
	Spec Spec
	// Info is what the plugin said about itself when it was opened.
	Info pluginapi.Info
	// Origin is "built-in" or the path of the external executable.
	Origin string
	// SHA256 is the checksum of the external executable that runs it; empty for built-ins.
	SHA256 string

	impl      any              // the guarded kind interface
	client    *goplugin.Client // nil when in process
	socketDir string           // the directory of the plugin's socket
	shm       *sharedMemory    // the connection's shared memory; nil: tensors go inline
	log       *pluginLog
	closed    atomic.Bool
	// stopReason says why forkrl stopped the plugin after a failed call.
	stopReason atomic.Value
}

// Implementation returns the instance's interface of kind T (a
// backend.Backend, verifier.Verifier or selector.Selector), guarded; it
// panics when the instance is of another kind.
func Implementation[T pluginapi.Plugin](in *Instance) T {
	impl, ok := in.impl.(T)
	if !ok {
		panic(fmt.Sprintf("plugin: %s opened as %s, used as %s", in.Spec, in.Spec.Kind, reflect.TypeFor[T]()))
	}
	return impl
}

// Backend returns the backend interface; it panics when the instance is of another kind.
func (in *Instance) Backend() backend.Backend { return Implementation[backend.Backend](in) }

// Verifier returns the verifier interface; it panics when the instance is of another kind.
func (in *Instance) Verifier() verifier.Verifier { return Implementation[verifier.Verifier](in) }

// Selector returns the selector interface; it panics when the instance is of another kind.
func (in *Instance) Selector() selector.Selector { return Implementation[selector.Selector](in) }

// Plugin returns the instance's kind interface as what every kind shares
// (Info and Configure); Implementation gives the kind's own interface.
func (in *Instance) Plugin() pluginapi.Plugin { return in.impl.(pluginapi.Plugin) }

// Close stops the plugin's process (if it has one) and unregisters the
// instance. Calls after Close fail with ErrClosed. Close is idempotent.
func (in *Instance) Close() error {
	if in.closed.Swap(true) {
		return nil
	}
	open.Lock()
	delete(open.m, in)
	open.Unlock()
	if in.client != nil {
		in.kill()
	}
	return nil
}

// open tracks the instances to close on exit.
var open = struct {
	sync.Mutex
	m map[*Instance]struct{}
}{m: map[*Instance]struct{}{}}

// CloseAll closes every open instance. Hosts call it before they exit (defer
// it in main and call it from SIGINT/SIGTERM handlers); on Linux a host that
// dies without calling it still takes its plugin processes with it (Pdeathsig).
func CloseAll() {
	open.Lock()
	all := make([]*Instance, 0, len(open.m))
	for in := range open.m {
		all = append(all, in)
	}
	open.Unlock()
	var wg sync.WaitGroup
	for _, in := range all {
		wg.Add(1)
		go func() { defer wg.Done(); _ = in.Close() }()
	}
	wg.Wait()
}

// Open starts (or, with Inproc, instantiates) the plugin that spec names,
// asks its Info and checks that it serves spec.Kind with this forkrl's
// protocol version. The returned instance is not configured yet: call
// Configure with the settings decoded against Info.Settings.
//
// Refusals (unknown built-in, missing binary, checksum mismatch, bad
// handshake, other protocol version) are *OpenError values whose message
// names the plugin and says what to do.
func Open(ctx context.Context, spec Spec) (*Instance, error) {
	spec = spec.withDefaults()
	switch k, ok := lookupKind(spec.Kind); {
	case !ok:
		return nil, &OpenError{Plugin: spec.String(), What: fmt.Sprintf("unknown plugin kind %q: use %s", spec.Kind, strings.Join(servedKinds(), ", "))}
	case k.grpc == nil:
		return nil, &OpenError{Plugin: spec.String(), What: fmt.Sprintf("a %s runs in the host as a function of its settings and is not opened: use it through its recipe block", spec.Kind)}
	}
	in := &Instance{Spec: spec, log: newPluginLog(spec.Log, fmt.Sprintf("[%s %s] ", spec.Kind, spec.label()))}
	var err error
	switch {
	case spec.Isolation != Process && spec.Isolation != Inproc:
		return nil, &OpenError{Plugin: spec.String(), What: fmt.Sprintf("unknown isolation %q: use %q or %q", spec.Isolation, Process, Inproc)}
	case spec.Source != "" && spec.Isolation == Inproc:
		return nil, &OpenError{Plugin: spec.String(), What: fmt.Sprintf("isolation %q is for built-in plugins only: an external plugin always runs in its own process; remove the isolation setting", Inproc)}
	case spec.Source != "":
		in.Origin = spec.Source
		err = in.startExternal()
	default:
		b, ok := LookupBuiltin(spec.Kind, spec.Name)
		if !ok {
			return nil, &OpenError{Plugin: spec.String(), What: fmt.Sprintf("no built-in %s named %q (built-in %ss: %s); for an external plugin give its source and sha256", spec.Kind, spec.Name, spec.Kind, orNone(builtinNames(spec.Kind)))}
		}
		in.Origin = "built-in"
		if spec.Isolation == Inproc {
			err = in.instantiate(b)
		} else {
			err = in.startBuiltin(b)
		}
	}
	if err != nil {
		return nil, err
	}
	open.Lock()
	open.m[in] = struct{}{}
	open.Unlock()
	if err := in.checkInfo(ctx); err != nil {
		_ = in.Close()
		return nil, err
	}
	return in, nil
}

// instantiate creates a built-in in the host process.
func (in *Instance) instantiate(b Builtin) error {
	if b.New == nil {
		return &OpenError{Plugin: in.Spec.String(), What: fmt.Sprintf("isolation %q is for built-ins written in Go: this one runs in its own process; remove the isolation setting", Inproc)}
	}
	impl := b.New()
	if k, _ := lookupKind(in.Spec.Kind); !k.implements(impl) {
		return &OpenError{Plugin: in.Spec.String(), What: fmt.Sprintf("built-in's New returned %T, which does not implement the %s interface (a bug in its registration)", impl, in.Spec.Kind)}
	}
	in.impl = guard(in, impl)
	return nil
}

// checkInfo asks the plugin's Info and checks its protocol and kinds.
func (in *Instance) checkInfo(ctx context.Context) error {
	info, err := in.impl.(pluginapi.Plugin).Info(ctx)
	if err != nil {
		return err
	}
	in.Info = info
	if info.Protocol != pluginapi.ProtocolVersion {
		return &OpenError{Plugin: in.Spec.String(), What: fmt.Sprintf("the plugin says it speaks plugin protocol %d, this forkrl speaks %d: rebuild it against this forkrl's framework/pluginapi", info.Protocol, pluginapi.ProtocolVersion)}
	}
	for _, k := range info.Kinds {
		if k == in.Spec.Kind {
			return nil
		}
	}
	return &OpenError{Plugin: in.Spec.String(), What: fmt.Sprintf("the plugin %q serves %s, not %s: check the block's kind in the recipe", info.Name, kindList(info.Kinds), in.Spec.Kind)}
}

// callResult carries an in-process call's result out of its goroutine.
type callResult[Resp any] struct {
	resp Resp
	err  error
}

// call runs one call of the plugin under the instance's deadline and turns a
// failure into a *CallError. In process, the call runs on its own goroutine so
// that a plugin that ignores its context cannot hang the host.
func call[Req, Resp any](ctx context.Context, in *Instance, name string, req Req, f func(context.Context, Req) (Resp, error)) (Resp, error) {
	var zero Resp
	if in.closed.Load() || in.stopReason.Load() != nil {
		what := "the plugin was closed"
		if r, ok := in.stopReason.Load().(string); ok {
			what = "forkrl stopped the plugin earlier because " + r
		}
		return zero, &CallError{Plugin: in.Spec.String(), Call: name, What: what, Err: ErrClosed}
	}
	cctx, cancel := context.WithTimeout(ctx, in.Spec.CallTimeout)
	defer cancel()
	if in.client != nil {
		resp, err := f(cctx, req)
		if err != nil {
			return zero, in.explain(ctx, cctx, name, err)
		}
		return resp, nil
	}
	done := make(chan callResult[Resp], 1)
	go func() {
		var r callResult[Resp]
		defer func() {
			if p := recover(); p != nil {
				_, _ = fmt.Fprintf(in.log, "panic: %v\n%s", p, debug.Stack())
				r.err = &CallError{Plugin: in.Spec.String(), Call: name, What: fmt.Sprintf("the plugin panicked: %v", p), Stderr: in.log.lastLines()}
			}
			done <- r
		}()
		r.resp, r.err = f(cctx, req)
	}()
	select {
	case r := <-done:
		if r.err != nil {
			return zero, in.explain(ctx, cctx, name, r.err)
		}
		return r.resp, nil
	case <-cctx.Done():
		return zero, in.explain(ctx, cctx, name, cctx.Err())
	}
}

func orNone(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

func kindList(kinds []pluginapi.Kind) string {
	s := make([]string, len(kinds))
	for i, k := range kinds {
		s[i] = string(k)
	}
	return orNone(s)
}

// PID returns the id of the plugin's process, or 0 when it runs in the host.
func (in *Instance) PID() int {
	if in.client == nil {
		return 0
	}
	pid := 0
	_, _ = fmt.Sscan(in.client.ID(), &pid)
	return pid
}
