// Package entropy holds forkrl's built-in token selectors, on
// kernels/selection: top-ρ entropy (the paper's forking tokens), bottom-ρ
// entropy, random-ρ and all tokens. Each is one Selector of a fixed mode,
// registered under the mode's name (top, bottom, random, all) by
// cmd/forkrl/builtins.go.
//
// Settings (declared in Info's schema):
//
//   - rho: the fraction of valid tokens kept, in [0, 1] (default 0.2; not for all);
//   - rule: "topk" (exactly max(1, ⌈ρn⌉) tokens, deterministic tie-break) or
//     "quantile" (every token at or above the interpolated (1−ρ)-quantile, in
//     torch.quantile's float32 arithmetic, as TRL) (default "topk"; not for all).
//
// The batch over which ρ is taken (a micro-batch, a mini-batch or the whole
// step) is the selector block's scope, which the host reads itself and
// applies by the batch it hands Select; the selector ranks whatever batch it
// gets.
package entropy

import (
	"context"
	"fmt"
	"sync"

	"github.com/forkrl/forkrl/framework/pluginapi"
	"github.com/forkrl/forkrl/framework/pluginapi/selector"
	"github.com/forkrl/forkrl/kernels/selection"
)

// Version is the version of the built-in selectors.
const Version = "1.1.0"

// Defaults of the settings.
const (
	DefaultRho  = 0.2
	DefaultRule = "topk"
)

// Selector selects tokens in one mode of kernels/selection. It is safe for
// concurrent use.
type Selector struct {
	mode selection.Mode

	mu   sync.Mutex
	opts selection.Options  // Rho and Rule from the settings; Seed per call
	seed uint64             // the instance's stream, from Configure
	k    selection.Selector // scratch memory reused between calls
}

var _ selector.Selector = (*Selector)(nil)

// New returns a selector of the given mode with the default settings.
func New(mode selection.Mode) *Selector {
	return &Selector{mode: mode, opts: selection.Options{Mode: mode, Rule: selection.TopK, Rho: DefaultRho}}
}

var descriptions = map[selection.Mode]string{
	selection.Top:    "the highest-entropy ρ of the valid tokens (the forking tokens)",
	selection.Bottom: "the valid tokens that top-(1−ρ) leaves out: the lowest-entropy ρ",
	selection.Random: "as many valid tokens as top-ρ would keep, chosen uniformly at random (a control)",
	selection.All:    "every valid token",
}

// Info describes the selector and its settings.
func (s *Selector) Info(context.Context) (pluginapi.Info, error) {
	zero, one := 0.0, 1.0
	var attrs []pluginapi.Attribute
	if s.mode != selection.All {
		attrs = append(attrs,
			pluginapi.Attribute{Name: "rho", Type: "number", Default: DefaultRho, Min: &zero, Max: &one,
				Description: "fraction of the valid tokens kept"},
			pluginapi.Attribute{Name: "rule", Type: "string", Default: DefaultRule, Enum: []string{"topk", "quantile"},
				Description: "topk: exactly max(1, ⌈ρn⌉) tokens with a deterministic tie-break; quantile: every token at or above the interpolated (1−ρ)-quantile"})
	}
	return pluginapi.Info{
		Name:        s.mode.String(),
		Version:     Version,
		Protocol:    pluginapi.ProtocolVersion,
		Kinds:       []pluginapi.Kind{pluginapi.KindSelector},
		Description: "keeps " + descriptions[s.mode],
		Settings:    pluginapi.Schema{Attributes: attrs},
	}, nil
}

// Configure reads rho and rule; unknown or ill-typed settings are diagnostics.
func (s *Selector) Configure(ctx context.Context, req pluginapi.ConfigureRequest) (pluginapi.ConfigureResponse, error) {
	info, _ := s.Info(ctx)
	var d pluginapi.Diagnostics
	opts := selection.Options{Mode: s.mode, Rule: selection.TopK, Rho: DefaultRho}
	for name, v := range req.Settings {
		if _, ok := info.Settings.Lookup(name); !ok {
			d = append(d, pluginapi.Diagnostic{Summary: fmt.Sprintf("unknown setting %q", name), Detail: "the " + s.mode.String() + " selector takes " + attrNames(info.Settings), Attribute: name})
			continue
		}
		switch name {
		case "rho":
			rho, ok := v.(float64)
			if !ok || !(rho >= 0 && rho <= 1) {
				d = append(d, pluginapi.Diagnostic{Summary: fmt.Sprintf("rho must be a number in [0, 1], got %v", v), Attribute: name})
				continue
			}
			opts.Rho = rho
		case "rule":
			str, _ := v.(string)
			r, err := selection.ParseRule(str)
			if err != nil {
				d = append(d, pluginapi.Diagnostic{Summary: err.Error(), Attribute: name})
				continue
			}
			opts.Rule = r
		}
	}
	if d.HasErrors() {
		return pluginapi.ConfigureResponse{Diagnostics: d}, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opts, s.seed = opts, req.Seed
	return pluginapi.ConfigureResponse{}, nil
}

// Select weighs each valid token 0 or 1. The random stream of random-ρ is
// the call's Seed mixed with the instance's, so that equal seeds give equal
// selections. Rows of Masks that disagree with Entropies are a diagnostic.
func (s *Selector) Select(_ context.Context, req selector.SelectRequest) (selector.SelectResponse, error) {
	if d := checkShapes(req); d != nil {
		return selector.SelectResponse{Diagnostics: d}, nil
	}
	total := 0
	for _, row := range req.Entropies {
		total += len(row)
	}
	slab := make([]float32, total)
	weights := make([][]float32, len(req.Entropies))
	for i, row := range req.Entropies {
		weights[i], slab = slab[:len(row):len(row)], slab[len(row):]
	}
	s.mu.Lock()
	opts := s.opts
	opts.Seed = mix(s.seed, req.Seed)
	res := s.k.Select(weights, req.Entropies, req.Masks, opts)
	s.mu.Unlock()
	return selector.SelectResponse{Weights: weights, Threshold: res.Threshold, Selected: res.Selected}, nil
}

func checkShapes(req selector.SelectRequest) pluginapi.Diagnostics {
	if req.Masks == nil {
		return nil
	}
	if len(req.Masks) != len(req.Entropies) {
		return pluginapi.Diagnostics{}.Errorf("masks has %d rows, entropies %d", len(req.Masks), len(req.Entropies))
	}
	for i, row := range req.Entropies {
		if len(req.Masks[i]) != len(row) {
			return pluginapi.Diagnostics{}.Errorf("row %d: masks has %d tokens, entropies %d", i, len(req.Masks[i]), len(row))
		}
	}
	return nil
}

// mix combines two seeds with SplitMix64's finalizer.
func mix(a, b uint64) uint64 {
	z := a ^ (b + 0x9e3779b97f4a7c15)
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func attrNames(s pluginapi.Schema) string {
	out := ""
	for i, a := range s.Attributes {
		if i > 0 {
			out += ", "
		}
		out += a.Name
	}
	return out
}
