// Command selector-plugin is an external forkrl selector, built as its own
// executable and named in a recipe by path and sha256 (see README.md).
//
// It keeps, for responses with a positive advantage, only their high-entropy
// forking tokens (the top ρ of those responses' valid tokens), and for
// responses with a zero or negative advantage, every valid token: reinforce
// only the decisions that made a good answer, but push down the whole of a
// bad one.
package main

import (
	"context"
	"fmt"
	"sync"

	"github.com/forkrl/forkrl/framework/plugin"
	"github.com/forkrl/forkrl/framework/pluginapi"
	"github.com/forkrl/forkrl/framework/pluginapi/selector"
	"github.com/forkrl/forkrl/kernels/selection"
)

func main() {
	plugin.Serve(plugin.Set{Selector: &signedForks{rho: 0.2}})
}

// signedForks is the selector. Its setting is rho.
type signedForks struct {
	mu  sync.Mutex
	rho float64
}

// Info names the plugin and declares its settings; the host decodes the
// recipe block against them.
func (s *signedForks) Info(context.Context) (pluginapi.Info, error) {
	zero, one := 0.0, 1.0
	return pluginapi.Info{
		Name:        "signed_forks",
		Version:     "0.1.0",
		Protocol:    pluginapi.ProtocolVersion,
		Kinds:       []pluginapi.Kind{pluginapi.KindSelector},
		Description: "top-ρ entropy tokens of positive-advantage responses, all tokens of the others",
		Settings: pluginapi.Schema{Attributes: []pluginapi.Attribute{
			{Name: "rho", Type: "number", Default: 0.2, Min: &zero, Max: &one, Description: "fraction of the positive responses' valid tokens kept"},
		}},
	}, nil
}

// Configure reads rho; a bad value is a diagnostic, not an error.
func (s *signedForks) Configure(_ context.Context, req pluginapi.ConfigureRequest) (pluginapi.ConfigureResponse, error) {
	var d pluginapi.Diagnostics
	rho := 0.2
	if v, ok := req.Settings["rho"]; ok {
		r, isNum := v.(float64)
		if !isNum || r < 0 || r > 1 {
			d = append(d, pluginapi.Diagnostic{Summary: fmt.Sprintf("rho must be a number in [0, 1], got %v", v), Attribute: "rho"})
		}
		rho = r
	}
	if !d.HasErrors() {
		s.mu.Lock()
		s.rho = rho
		s.mu.Unlock()
	}
	return pluginapi.ConfigureResponse{Diagnostics: d}, nil
}

// Select weighs the tokens of a batch: top-ρ of the positive responses' valid
// tokens by entropy, every valid token of the others.
func (s *signedForks) Select(_ context.Context, req selector.SelectRequest) (selector.SelectResponse, error) {
	if len(req.Advantages) != len(req.Entropies) {
		return selector.SelectResponse{Diagnostics: pluginapi.Diagnostics{}.Errorf("signed_forks needs advantages: %d rows for %d rows of entropies", len(req.Advantages), len(req.Entropies))}, nil
	}
	s.mu.Lock()
	rho := s.rho
	s.mu.Unlock()
	n := len(req.Entropies)
	weights := make([][]float32, n)
	positive := make([][]bool, n) // valid tokens of positive-advantage responses
	for i, row := range req.Entropies {
		weights[i] = make([]float32, len(row))
		positive[i] = make([]bool, len(row))
		if len(req.Advantages[i]) != len(row) {
			return selector.SelectResponse{Diagnostics: pluginapi.Diagnostics{}.Errorf("row %d: %d advantages for %d tokens", i, len(req.Advantages[i]), len(row))}, nil
		}
		for j := range row {
			positive[i][j] = valid(req.Masks, i, j) && req.Advantages[i][j] > 0
		}
	}
	res := selection.Select(weights, req.Entropies, positive, selection.Options{Mode: selection.Top, Rule: selection.TopK, Rho: rho})
	selected := res.Selected
	for i, row := range req.Entropies {
		for j := range row {
			if valid(req.Masks, i, j) && req.Advantages[i][j] <= 0 {
				weights[i][j] = 1
				selected++
			}
		}
	}
	return selector.SelectResponse{Weights: weights, Threshold: res.Threshold, Selected: selected}, nil
}

func valid(mask [][]bool, i, j int) bool { return mask == nil || mask[i][j] }
