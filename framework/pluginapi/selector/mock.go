package selector

import (
	"context"

	"github.com/forkrl/forkrl/framework/pluginapi"
)

// Mock is a Selector for tests: Select runs SelectFunc (nil: weight 1 on
// every token).
type Mock struct {
	pluginapi.MockPlugin
	SelectFunc func(ctx context.Context, req SelectRequest) (SelectResponse, error)
}

var _ Selector = (*Mock)(nil)

// Select runs m.SelectFunc, or weighs every token 1.
func (m *Mock) Select(ctx context.Context, req SelectRequest) (SelectResponse, error) {
	if m.SelectFunc != nil {
		return m.SelectFunc(ctx, req)
	}
	resp := SelectResponse{Weights: make([][]float32, len(req.Entropies))}
	for i, row := range req.Entropies {
		resp.Weights[i] = make([]float32, len(row))
		for j := range row {
			resp.Weights[i][j] = 1
		}
		resp.Selected += len(row)
	}
	return resp, nil
}
