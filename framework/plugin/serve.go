package plugin

import (
	"context"
	"fmt"
	"os"
	"sync"

	hclog "github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/forkrl/forkrl/framework/pluginapi"
	"github.com/forkrl/forkrl/framework/pluginapi/backend"
	"github.com/forkrl/forkrl/framework/pluginapi/selector"
	"github.com/forkrl/forkrl/framework/pluginapi/verifier"
)

// Set is what one plugin binary serves: any of the three kinds (nil: not served).
type Set struct {
	Backend  backend.Backend
	Verifier verifier.Verifier
	Selector selector.Selector
}

// impls returns the kinds the set serves and their implementations.
func (s Set) impls() map[pluginapi.Kind]any {
	impls := map[pluginapi.Kind]any{}
	if s.Backend != nil {
		impls[pluginapi.KindBackend] = s.Backend
	}
	if s.Verifier != nil {
		impls[pluginapi.KindVerifier] = s.Verifier
	}
	if s.Selector != nil {
		impls[pluginapi.KindSelector] = s.Selector
	}
	return impls
}

// Serve serves the plugins of set to the forkrl host that started this
// process, and returns when the host stops it. An external plugin's main
// calls it and nothing else that prints to stdout: stdout carries the
// handshake, so Serve sends everything else written to file descriptor 1
// to stderr, which the host logs under the plugin's name.
func Serve(set Set) {
	serve(claimStdout(), set.impls())
}

// ServeCommand runs `forkrl plugin ARGS`: with ARGS "serve KIND NAME" it
// serves the built-in plugin and returns the exit code. cmd/forkrl and test
// binaries that re-execute themselves call it.
func ServeCommand(args []string) int {
	handshake := claimStdout() // before New: a constructor that prints must not break the handshake
	if len(args) != 3 || args[0] != "serve" {
		fmt.Fprintln(os.Stderr, "usage: forkrl plugin serve KIND NAME (the forkrl host runs this to serve a built-in plugin)")
		return 2
	}
	kind, name := pluginapi.Kind(args[1]), args[2]
	b, ok := LookupBuiltin(kind, name)
	if !ok {
		fmt.Fprintf(os.Stderr, "forkrl plugin serve: no built-in %s named %q (built-in %ss: %s)\n", kind, name, kind, orNone(builtinNames(kind)))
		return 2
	}
	if os.Getenv(Handshake.MagicCookieKey) != Handshake.MagicCookieValue {
		fmt.Fprintln(os.Stderr, "forkrl plugin serve: this command is run by the forkrl host to serve a built-in plugin; it is not meant to be run by hand")
		return 2
	}
	if b.New == nil {
		fmt.Fprintf(os.Stderr, "forkrl plugin serve: built-in %s %q is served by its own command, not by forkrl\n", kind, name)
		return 2
	}
	k, _ := lookupKind(kind) // a registered built-in's kind is in the table
	if k.grpc == nil {
		fmt.Fprintf(os.Stderr, "forkrl plugin serve: a %s runs in the host and is not served\n", kind)
		return 2
	}
	impl := b.New()
	if !k.implements(impl) {
		fmt.Fprintf(os.Stderr, "forkrl plugin serve: built-in %s %q is a %T, which does not implement the %s interface\n", kind, name, impl, kind)
		return 1
	}
	serve(handshake, map[pluginapi.Kind]any{kind: impl})
	return 0
}

// ServeIfAsked serves a built-in and exits when this process was started by
// a host as `BINARY plugin serve KIND NAME`, and returns otherwise. The host
// serves built-ins by re-executing its own binary, so a test binary whose
// tests open built-ins with Process isolation calls it first in TestMain:
//
//	func TestMain(m *testing.M) {
//		plugin.ServeIfAsked()
//		os.Exit(m.Run())
//	}
func ServeIfAsked() {
	if len(os.Args) > 2 && os.Args[1] == "plugin" && os.Args[2] == "serve" {
		os.Exit(ServeCommand(os.Args[2:]))
	}
}

// serve runs go-plugin's server for the implementations of impls, by kind,
// with the handshake written to handshake.
func serve(handshake *os.File, impls map[pluginapi.Kind]any) {
	base := &pluginapi.BaseServer{}
	plugins := goplugin.PluginSet{}
	for kind, impl := range impls {
		k, _ := lookupKind(kind)
		plugins[string(kind)] = k.grpc(impl, base)
	}
	os.Stdout = handshake
	var stdio sync.Once
	// go-plugin points os.Stdout and os.Stderr at pipes that it streams to the
	// host asynchronously, which loses the last lines of a plugin that
	// crashes. By the first call that swap is done; undo it so that both
	// write straight to the process's stderr, which the host reads to the end.
	unstream := func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		stdio.Do(writeStdioToStderr)
		return handler(ctx, req)
	}
	goplugin.Serve(&goplugin.ServeConfig{
		HandshakeConfig: Handshake,
		Plugins:         plugins,
		GRPCServer: func(opts []grpc.ServerOption) *grpc.Server {
			opts = append(opts, serverOptions()...)
			return grpc.NewServer(append(opts, grpc.ChainUnaryInterceptor(unstream))...)
		},
		Logger: hclog.New(&hclog.LoggerOptions{Name: "go-plugin", Level: hclog.Warn, Output: os.Stderr}),
	})
}
