package plugin

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"

	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/forkrl/forkrl/framework/pluginapi"
	"github.com/forkrl/forkrl/framework/pluginapi/selector"
)

// The test binary doubles as a plugin binary: the host under test
// re-executes it with ServeArgs (built-ins below, ServeIfAsked), with "plugin-test MODE"
// (misbehaving external plugins) or as a host for the orphan test.
func TestMain(m *testing.M) {
	ServeIfAsked()
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "plugin-test":
			os.Exit(misbehave(os.Args[2]))
		case "orphan-host":
			os.Exit(orphanHost())
		case "pipe-echo":
			os.Exit(pipeEcho())
		case "signalled-host":
			StopOnSignals()
			os.Exit(orphanHost())
		}
	}
	os.Exit(m.Run())
}

// testInfo is the Info of the test selectors.
func testInfo(name string) pluginapi.Info {
	return pluginapi.Info{Name: name, Version: "0.0.1", Protocol: pluginapi.ProtocolVersion, Kinds: []pluginapi.Kind{pluginapi.KindSelector}}
}

// echoSelector weighs each token by its entropy, so that the weights that come
// back are the entropies that went in.
func echoSelector(name string) *selector.Mock {
	return &selector.Mock{
		MockPlugin: pluginapi.MockPlugin{About: testInfo(name)},
		SelectFunc: func(_ context.Context, req selector.SelectRequest) (selector.SelectResponse, error) {
			return selector.SelectResponse{Weights: req.Entropies, Selected: len(req.Entropies)}, nil
		},
	}
}

func init() {
	Register(Builtin{Kind: pluginapi.KindSelector, Name: "echo", New: func() any { return echoSelector("echo") }})
	Register(Builtin{Kind: pluginapi.KindSelector, Name: "chatty", New: func() any {
		fmt.Println("chatty: constructed") // stdout before the handshake must not break it
		return echoSelector("chatty")
	}})
	Register(Builtin{Kind: pluginapi.KindSelector, Name: "crash", New: func() any {
		m := echoSelector("crash")
		m.SelectFunc = func(context.Context, selector.SelectRequest) (selector.SelectResponse, error) {
			fmt.Fprintln(os.Stderr, "crash: about to fail on purpose")
			os.Exit(3)
			return selector.SelectResponse{}, nil
		}
		return m
	}})
	Register(Builtin{Kind: pluginapi.KindSelector, Name: "hang", New: func() any {
		m := echoSelector("hang")
		m.SelectFunc = func(context.Context, selector.SelectRequest) (selector.SelectResponse, error) {
			fmt.Fprintln(os.Stderr, "hang: going to sleep")
			select {} // ignores its context on purpose
		}
		return m
	}})
	Register(Builtin{Kind: pluginapi.KindSelector, Name: "panic", New: func() any {
		m := echoSelector("panic")
		m.SelectFunc = func(context.Context, selector.SelectRequest) (selector.SelectResponse, error) {
			panic("panic: index out of range on purpose")
		}
		return m
	}})
	Register(Builtin{Kind: pluginapi.KindSelector, Name: "failing", New: func() any {
		m := echoSelector("failing")
		m.SelectFunc = func(context.Context, selector.SelectRequest) (selector.SelectResponse, error) {
			return selector.SelectResponse{}, fmt.Errorf("out of memory on purpose")
		}
		return m
	}})
}

// misbehave serves an external plugin that breaks the protocol in one way.
func misbehave(mode string) int {
	switch mode {
	case "stdout-garbage":
		fmt.Println("hello from a plugin that prints before serving")
		time.Sleep(time.Minute)
	case "protocol-2":
		goplugin.Serve(&goplugin.ServeConfig{
			HandshakeConfig: goplugin.HandshakeConfig{ProtocolVersion: 2, MagicCookieKey: Handshake.MagicCookieKey, MagicCookieValue: Handshake.MagicCookieValue},
			Plugins:         goplugin.PluginSet{"selector": selector.Service.Plugin(echoSelector("v2"), nil)},
			GRPCServer:      func(o []grpc.ServerOption) *grpc.Server { return grpc.NewServer(o...) },
		})
	case "exit":
		fmt.Fprintln(os.Stderr, "exit: not a plugin after all")
		return 1
	case "good":
		Serve(Set{Selector: echoSelector("external-echo")})
	case "plain":
		serveRaw(&selector.GRPCServer{Impl: echoSelector("plain")})
	case "shm-hostile":
		serveRaw(&hostileSelector{shm: attachPluginSharedMemory(), mode: os.Args[3]})
	case "child-holds-pipes":
		// A plugin that starts a long-running child on its own stdout and
		// stderr, and writes the child's pid to the file os.Args[3].
		child := exec.Command("sleep", "60")
		child.Stdout, child.Stderr = os.Stdout, os.Stderr
		if err := child.Start(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		if err := os.WriteFile(os.Args[3], []byte(fmt.Sprint(child.Process.Pid)), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		Serve(Set{Selector: echoSelector("parent")})
	}
	return 0
}

// orphanHost opens a built-in in its own process, prints the plugin's pid
// and waits to be killed.
func orphanHost() int {
	in, err := Open(context.Background(), Spec{Kind: pluginapi.KindSelector, Name: "echo"})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println(in.PID(), in.socketDir)
	time.Sleep(time.Minute)
	return 0
}

// pipeEcho copies stdin to stdout in 1 MiB chunks: the bare process-to-process
// transfer that BenchmarkPipe64MB compares the plugin transport with.
func pipeEcho() int {
	buf := make([]byte, 1<<20)
	for {
		n, err := os.Stdin.Read(buf)
		if n > 0 {
			if _, werr := os.Stdout.Write(buf[:n]); werr != nil {
				return 1
			}
		}
		if err != nil {
			return 0
		}
	}
}
