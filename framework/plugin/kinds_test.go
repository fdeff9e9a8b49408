package plugin

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/forkrl/forkrl/framework/pluginapi"
	"github.com/forkrl/forkrl/framework/pluginapi/backend"
	"github.com/forkrl/forkrl/framework/pluginapi/selector"
)

// TestKindsTable checks that the table binds every kind pluginapi declares,
// once, and serves over gRPC exactly the kinds that do not run in the host.
func TestKindsTable(t *testing.T) {
	var names []pluginapi.Kind
	for _, k := range kinds {
		names = append(names, k.name)
		if served := k.grpc != nil; served == k.name.InHost() {
			t.Errorf("kind %s: served over gRPC %v, but InHost says %v", k.name, served, k.name.InHost())
		}
		if (k.guard != nil) != (k.grpc != nil) {
			t.Errorf("kind %s: a served kind needs a guard and a kind in the host none", k.name)
		}
	}
	if !slices.Equal(names, pluginapi.Kinds) {
		t.Errorf("the table binds %v; pluginapi declares %v", names, pluginapi.Kinds)
	}
	set := clientPlugins()
	for _, k := range servedKinds() {
		if set[k] == nil {
			t.Errorf("the host cannot dispense the %s kind", k)
		}
	}
	if len(set) != len(servedKinds()) {
		t.Errorf("the host dispenses %d kinds; %d are served", len(set), len(servedKinds()))
	}
}

func TestGeneratorIsARegisteredKind(t *testing.T) {
	g, ok := Generators()["recipe-test-gen"]
	if !ok {
		t.Fatalf("Generators() = %v; want the generator registered with Register", Generators())
	}
	if a, ok := g.Schema().Lookup("count"); !ok || a.Default != 4.0 {
		t.Errorf("the registered generator's schema: %+v", g.Schema())
	}
	if _, ok := Generators()["echo"]; ok {
		t.Error("Generators() lists a selector")
	}
	if !slices.Contains(builtinNames(pluginapi.KindGenerator), "recipe-test-gen") {
		t.Errorf("built-in generators: %v", builtinNames(pluginapi.KindGenerator))
	}
}

func TestRegisterRefusals(t *testing.T) {
	tests := []struct {
		name string
		b    Builtin
		want string
	}{
		{"unknown kind", Builtin{Kind: "reward", Name: "x", New: func() any { return nil }}, `unknown kind "reward"`},
		{"generator with a command", Builtin{Kind: pluginapi.KindGenerator, Name: "x", Command: func() (*exec.Cmd, error) { return exec.Command("true"), nil }}, "runs in the host"},
		{"generator twice", Builtin{Kind: pluginapi.KindGenerator, Name: "recipe-test-gen", New: func() any { return fakeGenerator{} }}, "registered twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				p := recover()
				if msg, _ := p.(string); !strings.Contains(msg, tt.want) {
					t.Errorf("Register panicked with %v; want a message with %q", p, tt.want)
				}
			}()
			Register(tt.b)
		})
	}
}

// TestImplementation checks the typed access to an instance: the guarded
// interface of its kind, and a panic naming the plugin for another kind.
func TestImplementation(t *testing.T) {
	in := openT(t, Spec{Kind: pluginapi.KindSelector, Name: "echo", Isolation: Inproc})
	sel := Implementation[selector.Selector](in)
	resp, err := sel.Select(context.Background(), selector.SelectRequest{Entropies: [][]float32{{0.5}}, Masks: [][]bool{{true}}})
	if err != nil || len(resp.Weights) != 1 {
		t.Fatalf("Select through Implementation: %+v, %v", resp, err)
	}
	if _, err := in.Plugin().Info(context.Background()); err != nil {
		t.Errorf("Info through Plugin: %v", err)
	}
	defer func() {
		msg, _ := recover().(string)
		if !strings.Contains(msg, `selector plugin "echo"`) || !strings.Contains(msg, "opened as selector, used as backend.Backend") {
			t.Errorf("Implementation of another kind panicked with %q", msg)
		}
	}()
	Implementation[backend.Backend](in)
}

// TestServeRefusesAKindInTheHost runs the test binary as `plugin serve
// generator NAME`, as a host would for a served kind.
func TestServeRefusesAKindInTheHost(t *testing.T) {
	cmd := exec.Command(os.Args[0], ServeArgs(pluginapi.KindGenerator, "recipe-test-gen")...)
	cmd.Env = append(os.Environ(), Handshake.MagicCookieKey+"="+Handshake.MagicCookieValue)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 || !strings.Contains(string(out), "a generator runs in the host and is not served") {
		t.Errorf("serving a generator: %v, %q; want exit status 2 and why", err, out)
	}
}
