// Package selectorpython tests numpy_top.py, an external selector plugin
// written in Python, through the forkrl plugin host.
package selectorpython

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/forkrl/forkrl/internal/digest"

	"github.com/forkrl/forkrl/framework/plugin"
	"github.com/forkrl/forkrl/framework/pluginapi"
	"github.com/forkrl/forkrl/framework/pluginapi/selector"
	"github.com/forkrl/forkrl/kernels/selection"
)

// TestNumpyTopMatchesTopK: the Python selector, started by path and sha256
// like any external plugin, keeps the same tokens and reports the same
// threshold as forkrl's own top-ρ selection (kernels/selection, TopK).
func TestNumpyTopMatchesTopK(t *testing.T) {
	if out, err := exec.Command("/usr/bin/python3", "-c", "import grpc, google.protobuf, numpy").CombinedOutput(); err != nil {
		t.Skipf("skipped: numpy_top.py runs with /usr/bin/python3, which cannot import grpc, protobuf and numpy (apt-get install python3-grpcio python3-protobuf python3-numpy, as .ci/run does): %s", out)
	}
	ctx := context.Background()
	src, _ := filepath.Abs("numpy_top.py")
	sum, err := digest.File(src)
	if err != nil {
		t.Fatal(err)
	}
	in, err := plugin.Open(ctx, plugin.Spec{Kind: pluginapi.KindSelector, Name: "numpy_top", Label: "forks", Source: src, SHA256: sum})
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	if in.Info.Name != "numpy_top" || len(in.Info.Settings.Attributes) != 1 { // rho; scope and entropy are the host's
		t.Errorf("Info: %+v", in.Info)
	}
	sel := in.Selector()
	if r, err := sel.Configure(ctx, pluginapi.ConfigureRequest{Settings: pluginapi.Settings{"rho": 1.5}}); err != nil || !r.Diagnostics.HasErrors() {
		t.Errorf("rho = 1.5 was not refused: %v %v", err, r.Diagnostics)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, rho := range []float64{0.2, 0.5} {
		for _, masked := range []bool{false, true} {
			t.Run(fmt.Sprintf("rho %g masked %v", rho, masked), func(t *testing.T) {
				if r, err := sel.Configure(ctx, pluginapi.ConfigureRequest{Settings: pluginapi.Settings{"rho": rho}}); err != nil || r.Diagnostics.HasErrors() {
					t.Fatalf("Configure: %v %v", err, r.Diagnostics)
				}
				var req selector.SelectRequest
				for _, n := range []int{7, 0, 30, 12} {
					e, m := make([]float32, n), make([]bool, n)
					for j := range e {
						e[j] = float32(rng.IntN(8)) / 4 // ties at the cut
						m[j] = rng.IntN(4) > 0
					}
					req.Entropies = append(req.Entropies, e)
					req.Masks = append(req.Masks, m)
				}
				if !masked {
					req.Masks = nil
				}
				got, err := sel.Select(ctx, req)
				if err != nil || got.Diagnostics.HasErrors() {
					t.Fatalf("Select: %v %v", err, got.Diagnostics)
				}
				want := make([][]float32, len(req.Entropies))
				for i, e := range req.Entropies {
					want[i] = make([]float32, len(e))
				}
				res := selection.Select(want, req.Entropies, req.Masks, selection.Options{Mode: selection.Top, Rule: selection.TopK, Rho: rho})
				if fmt.Sprint(got.Weights) != fmt.Sprint(want) || got.Threshold != res.Threshold || got.Selected != res.Selected {
					t.Errorf("numpy_top: %v (threshold %g, %d selected)\nkernels/selection: %v (threshold %g, %d selected)", got.Weights, got.Threshold, got.Selected, want, res.Threshold, res.Selected)
				}
			})
		}
	}
}
