package entropy

import (
	"context"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/forkrl/forkrl/framework/pluginapi"
	"github.com/forkrl/forkrl/framework/pluginapi/selector"
	"github.com/forkrl/forkrl/kernels/selection"
)

func configured(t *testing.T, mode selection.Mode, settings pluginapi.Settings) *Selector {
	t.Helper()
	s := New(mode)
	resp, err := s.Configure(context.Background(), pluginapi.ConfigureRequest{Settings: settings, Seed: 7})
	if err != nil || resp.Diagnostics.HasErrors() {
		t.Fatalf("Configure(%v): %v %v", settings, err, resp.Diagnostics.Err())
	}
	return s
}

func TestSelect(t *testing.T) {
	ent := [][]float32{{1, 4}, {3, 2, 5}, {}}
	mask := [][]bool{{true, true}, {true, true, false}, {}}
	tests := []struct {
		name     string
		mode     selection.Mode
		settings pluginapi.Settings
		mask     [][]bool
		want     [][]float32
		thr      float64
	}{
		{"top half", selection.Top, pluginapi.Settings{"rho": 0.4}, nil, [][]float32{{0, 1}, {0, 0, 1}, {}}, 4},
		{"top half masked", selection.Top, pluginapi.Settings{"rho": 0.5}, mask, [][]float32{{0, 1}, {1, 0, 0}, {}}, 3},
		{"bottom", selection.Bottom, pluginapi.Settings{"rho": 0.4}, nil, [][]float32{{1, 0}, {0, 1, 0}, {}}, 3},
		{"top quantile", selection.Top, pluginapi.Settings{"rho": 0.5, "rule": "quantile"}, nil, [][]float32{{0, 1}, {1, 0, 1}, {}}, 3},
		{"all masked", selection.All, nil, mask, [][]float32{{1, 1}, {1, 1, 0}, {}}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := configured(t, tt.mode, tt.settings)
			resp, err := s.Select(context.Background(), selector.SelectRequest{Entropies: ent, Masks: tt.mask})
			if err != nil || resp.Diagnostics.HasErrors() {
				t.Fatal(err, resp.Diagnostics.Err())
			}
			for i := range tt.want {
				if !slices.Equal(resp.Weights[i], tt.want[i]) {
					t.Fatalf("weights = %v, want %v", resp.Weights, tt.want)
				}
			}
			if resp.Threshold != tt.thr {
				t.Errorf("threshold = %g, want %g", resp.Threshold, tt.thr)
			}
		})
	}
}

// TestMatchesKernel checks every mode and rule against kernels/selection on a random batch.
func TestMatchesKernel(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	ent := make([][]float32, 40)
	for i := range ent {
		ent[i] = make([]float32, rng.IntN(60))
		for j := range ent[i] {
			ent[i][j] = float32(rng.IntN(20)) / 7 // ties on purpose
		}
	}
	for _, mode := range []selection.Mode{selection.Top, selection.Bottom, selection.Random, selection.All} {
		for _, rule := range []string{"topk", "quantile"} {
			s := New(mode)
			settings := pluginapi.Settings{}
			if mode != selection.All {
				settings["rho"], settings["rule"] = 0.2, rule
			}
			if _, err := s.Configure(context.Background(), pluginapi.ConfigureRequest{Settings: settings, Seed: 3}); err != nil {
				t.Fatal(err)
			}
			resp, _ := s.Select(context.Background(), selector.SelectRequest{Entropies: ent, Seed: 11})
			want := make([][]float32, len(ent))
			for i := range ent {
				want[i] = make([]float32, len(ent[i]))
			}
			r, _ := selection.ParseRule(rule)
			res := selection.Select(want, ent, nil, selection.Options{Mode: mode, Rule: r, Rho: 0.2, Seed: mix(3, 11)})
			if mode == selection.All {
				res = selection.Select(want, ent, nil, selection.Options{Mode: mode, Rule: selection.TopK, Rho: DefaultRho, Seed: mix(3, 11)})
			}
			for i := range want {
				if !slices.Equal(resp.Weights[i], want[i]) {
					t.Fatalf("%s/%s: row %d = %v, kernel gives %v", mode, rule, i, resp.Weights[i], want[i])
				}
			}
			if resp.Selected != res.Selected || resp.Threshold != res.Threshold {
				t.Errorf("%s/%s: selected %d threshold %g, kernel %d %g", mode, rule, resp.Selected, resp.Threshold, res.Selected, res.Threshold)
			}
		}
	}
}

func TestConfigureDiagnostics(t *testing.T) {
	tests := []struct {
		name     string
		mode     selection.Mode
		settings pluginapi.Settings
		want     string
	}{
		{"rho above 1", selection.Top, pluginapi.Settings{"rho": 1.5}, "rho must be a number in [0, 1]"},
		{"rho not a number", selection.Top, pluginapi.Settings{"rho": "0.2"}, "rho must be a number"},
		{"unknown rule", selection.Bottom, pluginapi.Settings{"rule": "median"}, "unknown selection rule"},
		{"scope is the host's", selection.Random, pluginapi.Settings{"scope": "mini"}, `unknown setting "scope"`},
		{"rho for all", selection.All, pluginapi.Settings{"rho": 0.2}, `unknown setting "rho"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := New(tt.mode).Configure(context.Background(), pluginapi.ConfigureRequest{Settings: tt.settings})
			if err != nil {
				t.Fatal(err)
			}
			if e := resp.Diagnostics.Err(); e == nil || !strings.Contains(e.Error(), tt.want) {
				t.Errorf("diagnostics %v, want %q", e, tt.want)
			}
		})
	}
}

func TestShapeMismatchIsADiagnostic(t *testing.T) {
	resp, err := New(selection.Top).Select(context.Background(), selector.SelectRequest{
		Entropies: [][]float32{{1, 2}}, Masks: [][]bool{{true}},
	})
	if err != nil || !resp.Diagnostics.HasErrors() {
		t.Fatalf("err %v, diagnostics %v; want an error diagnostic", err, resp.Diagnostics)
	}
}

func TestInfoDeclaresSettings(t *testing.T) {
	for _, mode := range []selection.Mode{selection.Top, selection.Bottom, selection.Random, selection.All} {
		info, _ := New(mode).Info(context.Background())
		_, hasRho := info.Settings.Lookup("rho")
		_, hasScope := info.Settings.Lookup("scope") // a host attribute of the selector block
		if info.Name != mode.String() || hasScope || hasRho == (mode == selection.All) {
			t.Errorf("%s: Info = %+v", mode, info)
		}
	}
}
