package plugin

import (
	"context"

	"github.com/forkrl/forkrl/framework/pluginapi"
	"github.com/forkrl/forkrl/framework/pluginapi/backend"
	"github.com/forkrl/forkrl/framework/pluginapi/selector"
	"github.com/forkrl/forkrl/framework/pluginapi/verifier"
)

// guard wraps a kind implementation (in process, or a gRPC client) so that
// every call goes through call: deadline, panic recovery, errors naming the
// plugin and the call. The kinds table says how for each kind.
func guard(in *Instance, impl any) any {
	k, _ := lookupKind(in.Spec.Kind)
	return k.guard(guardedBase{in, impl.(pluginapi.Plugin)}, impl)
}

type guardedBase struct {
	in   *Instance
	impl pluginapi.Plugin
}

// Info calls the plugin's Info through call.
func (g guardedBase) Info(ctx context.Context) (pluginapi.Info, error) {
	return call(ctx, g.in, "Info", struct{}{}, func(ctx context.Context, _ struct{}) (pluginapi.Info, error) {
		return g.impl.Info(ctx)
	})
}

// Configure calls the plugin's Configure through call.
func (g guardedBase) Configure(ctx context.Context, req pluginapi.ConfigureRequest) (pluginapi.ConfigureResponse, error) {
	return call(ctx, g.in, "Configure", req, g.impl.Configure)
}

func guardSelector(base guardedBase, impl selector.Selector) selector.Selector {
	return guardedSelector{base, impl}
}

type guardedSelector struct {
	guardedBase
	impl selector.Selector
}

// Select calls the plugin's Select through call.
func (g guardedSelector) Select(ctx context.Context, req selector.SelectRequest) (selector.SelectResponse, error) {
	return call(ctx, g.in, "Select", req, g.impl.Select)
}

func guardVerifier(base guardedBase, impl verifier.Verifier) verifier.Verifier {
	return guardedVerifier{base, impl}
}

type guardedVerifier struct {
	guardedBase
	impl verifier.Verifier
}

// Verify calls the plugin's Verify through call.
func (g guardedVerifier) Verify(ctx context.Context, req verifier.VerifyRequest) (verifier.VerifyResponse, error) {
	return call(ctx, g.in, "Verify", req, g.impl.Verify)
}

func guardBackend(base guardedBase, impl backend.Backend) backend.Backend {
	return guardedBackend{base, impl}
}

type guardedBackend struct {
	guardedBase
	impl backend.Backend
}

// Model calls the plugin's Model through call.
func (g guardedBackend) Model(ctx context.Context) (backend.ModelInfo, error) {
	return call(ctx, g.in, "Model", struct{}{}, func(ctx context.Context, _ struct{}) (backend.ModelInfo, error) {
		return g.impl.Model(ctx)
	})
}

// Encode calls the plugin's Encode through call.
func (g guardedBackend) Encode(ctx context.Context, req backend.EncodeRequest) (backend.EncodeResponse, error) {
	return call(ctx, g.in, "Encode", req, g.impl.Encode)
}

// Decode calls the plugin's Decode through call.
func (g guardedBackend) Decode(ctx context.Context, req backend.DecodeRequest) (backend.DecodeResponse, error) {
	return call(ctx, g.in, "Decode", req, g.impl.Decode)
}

// Generate calls the plugin's Generate through call.
func (g guardedBackend) Generate(ctx context.Context, req backend.GenerateRequest) (backend.GenerateResponse, error) {
	return call(ctx, g.in, "Generate", req, g.impl.Generate)
}

// Score calls the plugin's Score through call.
func (g guardedBackend) Score(ctx context.Context, req backend.ScoreRequest) (backend.ScoreResponse, error) {
	return call(ctx, g.in, "Score", req, g.impl.Score)
}

// Forward calls the plugin's Forward through call.
func (g guardedBackend) Forward(ctx context.Context, req backend.ScoreRequest) (backend.ForwardResponse, error) {
	return call(ctx, g.in, "Forward", req, g.impl.Forward)
}

// Backward calls the plugin's Backward through call.
func (g guardedBackend) Backward(ctx context.Context, req backend.BackwardRequest) (backend.BackwardResponse, error) {
	return call(ctx, g.in, "Backward", req, g.impl.Backward)
}

// Step calls the plugin's Step through call.
func (g guardedBackend) Step(ctx context.Context, req backend.StepRequest) (backend.StepResponse, error) {
	return call(ctx, g.in, "Step", req, g.impl.Step)
}

// Save calls the plugin's Save through call.
func (g guardedBackend) Save(ctx context.Context, req backend.SaveRequest) (backend.SaveResponse, error) {
	return call(ctx, g.in, "Save", req, g.impl.Save)
}

// Load calls the plugin's Load through call.
func (g guardedBackend) Load(ctx context.Context, req backend.LoadRequest) (backend.LoadResponse, error) {
	return call(ctx, g.in, "Load", req, g.impl.Load)
}
