package backend

import (
	"context"

	"github.com/forkrl/forkrl/framework/pluginapi"
)

// Mock is a Backend for tests. Each call runs its function field; a nil
// field returns the zero response (and, for Model, About).
type Mock struct {
	pluginapi.MockPlugin
	ModelInfo    ModelInfo
	EncodeFunc   func(ctx context.Context, req EncodeRequest) (EncodeResponse, error)
	DecodeFunc   func(ctx context.Context, req DecodeRequest) (DecodeResponse, error)
	GenerateFunc func(ctx context.Context, req GenerateRequest) (GenerateResponse, error)
	ScoreFunc    func(ctx context.Context, req ScoreRequest) (ScoreResponse, error)
	ForwardFunc  func(ctx context.Context, req ScoreRequest) (ForwardResponse, error)
	BackwardFunc func(ctx context.Context, req BackwardRequest) (BackwardResponse, error)
	StepFunc     func(ctx context.Context, req StepRequest) (StepResponse, error)
	SaveFunc     func(ctx context.Context, req SaveRequest) (SaveResponse, error)
	LoadFunc     func(ctx context.Context, req LoadRequest) (LoadResponse, error)
}

var _ Backend = (*Mock)(nil)

// run calls f when set, and returns the zero response otherwise.
func run[Req, Resp any](ctx context.Context, f func(context.Context, Req) (Resp, error), req Req) (Resp, error) {
	if f == nil {
		var zero Resp
		return zero, nil
	}
	return f(ctx, req)
}

// Model returns m.ModelInfo.
func (m *Mock) Model(context.Context) (ModelInfo, error) { return m.ModelInfo, nil }

// Encode runs m.EncodeFunc.
func (m *Mock) Encode(ctx context.Context, req EncodeRequest) (EncodeResponse, error) {
	return run(ctx, m.EncodeFunc, req)
}

// Decode runs m.DecodeFunc.
func (m *Mock) Decode(ctx context.Context, req DecodeRequest) (DecodeResponse, error) {
	return run(ctx, m.DecodeFunc, req)
}

// Generate runs m.GenerateFunc.
func (m *Mock) Generate(ctx context.Context, req GenerateRequest) (GenerateResponse, error) {
	return run(ctx, m.GenerateFunc, req)
}

// Score runs m.ScoreFunc.
func (m *Mock) Score(ctx context.Context, req ScoreRequest) (ScoreResponse, error) {
	return run(ctx, m.ScoreFunc, req)
}

// Forward runs m.ForwardFunc.
func (m *Mock) Forward(ctx context.Context, req ScoreRequest) (ForwardResponse, error) {
	return run(ctx, m.ForwardFunc, req)
}

// Backward runs m.BackwardFunc.
func (m *Mock) Backward(ctx context.Context, req BackwardRequest) (BackwardResponse, error) {
	return run(ctx, m.BackwardFunc, req)
}

// Step runs m.StepFunc.
func (m *Mock) Step(ctx context.Context, req StepRequest) (StepResponse, error) {
	return run(ctx, m.StepFunc, req)
}

// Save runs m.SaveFunc.
func (m *Mock) Save(ctx context.Context, req SaveRequest) (SaveResponse, error) {
	return run(ctx, m.SaveFunc, req)
}

// Load runs m.LoadFunc.
func (m *Mock) Load(ctx context.Context, req LoadRequest) (LoadResponse, error) {
	return run(ctx, m.LoadFunc, req)
}
