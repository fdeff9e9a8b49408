package main

import (
	"bytes"
	"context"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/forkrl/forkrl/framework/plugin"
	"github.com/forkrl/forkrl/framework/pluginapi"
	"github.com/forkrl/forkrl/framework/pluginapi/selector"
)

// The test binary stands in for the forkrl binary when the host re-executes
// itself to serve a built-in (`forkrl plugin serve KIND NAME`), in the tasks
// of a sweep on Slurm (under actAsForkrl=1), and when a test runs `forkrl
// bundle` in a process of its own.
func TestMain(m *testing.M) {
	if len(os.Args) > 2 && os.Args[1] == "plugin" && os.Args[2] == "serve" || os.Getenv(actAsForkrl) == "1" || len(os.Args) > 1 && os.Args[1] == "bundle" {
		os.Exit(dispatch(os.Args[1:]))
	}
	os.Exit(m.Run())
}

func TestPluginsListsBuiltins(t *testing.T) {
	var out bytes.Buffer
	writeRows(&out, builtinRows())
	listed := map[string]bool{}
	for _, line := range strings.Split(out.String(), "\n") {
		f := strings.Fields(line)
		if len(f) >= 5 {
			listed[f[0]+" "+f[1]+" protocol "+f[3]] = true
		}
	}
	for _, name := range []string{"selector top", "selector bottom", "selector random", "selector all", "generator countdown"} {
		if !listed[name+" protocol 1"] {
			t.Errorf("listing lacks the built-in %s with protocol 1:\n%s", name, out.String())
		}
	}
	rows, failed := externalRows(t.TempDir(), &out)
	if len(rows) != 0 || failed {
		t.Errorf("an empty plugin directory lists %v (failed %v)", rows, failed)
	}
}

// TestBuiltinSelectorsServedByTheBinary runs each built-in selector in its own
// process through `forkrl plugin serve` and in the host, and compares.
func TestBuiltinSelectorsServedByTheBinary(t *testing.T) {
	ctx := context.Background()
	req := selector.SelectRequest{
		Entropies: [][]float32{{0.1, 2.5, 0.3, 1.7}, {3.1, 0.2}, {0.9, 0.9, 4.2}},
		Masks:     [][]bool{{true, true, true, false}, {true, true}, {true, true, true}},
		Seed:      5,
	}
	for _, name := range []string{"top", "bottom", "random", "all"} {
		t.Run(name, func(t *testing.T) {
			var got [2][][]float32
			for i, iso := range []plugin.Isolation{plugin.Process, plugin.Inproc} {
				in, err := plugin.Open(ctx, plugin.Spec{Kind: pluginapi.KindSelector, Name: name, Isolation: iso})
				if err != nil {
					t.Fatal(err)
				}
				defer in.Close()
				settings := pluginapi.Settings{}
				if name != "all" {
					settings["rho"] = 0.3
				}
				if r, err := in.Selector().Configure(ctx, pluginapi.ConfigureRequest{Settings: settings, Seed: 1}); err != nil || r.Diagnostics.HasErrors() {
					t.Fatal(err, r.Diagnostics.Err())
				}
				resp, err := in.Selector().Select(ctx, req)
				if err != nil {
					t.Fatal(err)
				}
				got[i] = resp.Weights
			}
			for i := range got[0] {
				if !slices.Equal(got[0][i], got[1][i]) {
					t.Fatalf("process gives %v, in-process %v", got[0], got[1])
				}
			}
		})
	}
}
