package backend

import (
	"context"
	"reflect"
	"testing"

	goplugin "github.com/hashicorp/go-plugin"

	"github.com/forkrl/forkrl/framework/pluginapi"
)

// recorder is a Mock whose every call records its request and returns a
// fixed response, so that both directions of each call can be compared.
func recorder(got *[]any) *Mock {
	rec := func(r any) { *got = append(*got, r) }
	return &Mock{
		ModelInfo: ModelInfo{VocabSize: 151936, ContextLength: 4096, Tokenizer: "qwen3", Special: map[string]int32{"eos": 2}, StopTokens: []int32{2, 3}, Parameters: 1 << 33, ValueHead: true},
		EncodeFunc: func(_ context.Context, r EncodeRequest) (EncodeResponse, error) {
			rec(r)
			return EncodeResponse{IDs: [][]int32{{1, 2}, {}}}, nil
		},
		DecodeFunc: func(_ context.Context, r DecodeRequest) (DecodeResponse, error) {
			rec(r)
			return DecodeResponse{Texts: []string{"ab", ""}}, nil
		},
		GenerateFunc: func(_ context.Context, r GenerateRequest) (GenerateResponse, error) {
			rec(r)
			return GenerateResponse{Responses: []Response{
				{Prompt: 0, Tokens: []int32{5, 2}, Pieces: []string{"\xe2\x82", "\xac"}, LogProbs: []float32{-0.5, -0.1}, Entropies: []float32{1.2, 0.3}, Finish: FinishStop},
				{Prompt: 1, Tokens: []int32{}, Pieces: []string{}, LogProbs: []float32{}, Entropies: []float32{}, Finish: FinishLength},
			}}, nil
		},
		ScoreFunc: func(_ context.Context, r ScoreRequest) (ScoreResponse, error) {
			rec(r)
			return ScoreResponse{LogProbs: [][]float32{{-1}}, Entropies: [][]float32{{2}}, Values: [][]float32{{0.5}}}, nil
		},
		ForwardFunc: func(_ context.Context, r ScoreRequest) (ForwardResponse, error) {
			rec(r)
			return ForwardResponse{ScoreResponse: ScoreResponse{LogProbs: [][]float32{{-2}}, Entropies: [][]float32{{1}}}, Handle: 42}, nil
		},
		BackwardFunc: func(_ context.Context, r BackwardRequest) (BackwardResponse, error) {
			rec(r)
			return BackwardResponse{Diagnostics: pluginapi.Diagnostics{{Summary: "unknown handle"}}}, nil
		},
		StepFunc: func(_ context.Context, r StepRequest) (StepResponse, error) {
			rec(r)
			return StepResponse{GradNorm: 3.5}, nil
		},
		SaveFunc: func(_ context.Context, r SaveRequest) (SaveResponse, error) {
			rec(r)
			return SaveResponse{}, nil
		},
		LoadFunc: func(_ context.Context, r LoadRequest) (LoadResponse, error) {
			rec(r)
			return LoadResponse{Diagnostics: pluginapi.Diagnostics{{Severity: pluginapi.Warning, Summary: "old format"}}}, nil
		},
	}
}

func TestBackendRoundTrip(t *testing.T) {
	var got []any
	mock := recorder(&got)
	client, server := goplugin.TestPluginGRPCConn(t, false, map[string]goplugin.Plugin{"backend": Service.Plugin(mock, nil)})
	defer client.Close()
	defer server.Stop()
	raw, err := client.Dispense("backend")
	if err != nil {
		t.Fatal(err)
	}
	b := raw.(Backend)
	ctx := context.Background()
	seqs := []Sequence{{Prompt: []int32{1, 2}, Response: []int32{3}}, {Prompt: []int32{4}, Response: []int32{}}}
	tests := []struct {
		name string
		req  any
		call func() (any, error)
		want any
	}{
		{"Model", nil, func() (any, error) { return b.Model(ctx) }, mock.ModelInfo},
		{"Encode", EncodeRequest{Texts: []string{"ab", ""}}, func() (any, error) {
			return b.Encode(ctx, EncodeRequest{Texts: []string{"ab", ""}})
		}, EncodeResponse{IDs: [][]int32{{1, 2}, {}}}},
		{"Decode", DecodeRequest{IDs: [][]int32{{1, 2}, {}}}, func() (any, error) {
			return b.Decode(ctx, DecodeRequest{IDs: [][]int32{{1, 2}, {}}})
		}, DecodeResponse{Texts: []string{"ab", ""}}},
		{"Generate", GenerateRequest{Prompts: [][]int32{{1}, {2, 3}}, N: 4, Seed: 9, Sampling: Sampling{Temperature: 1, TopP: 0.9, MaxTokens: 10, StopTokens: []int32{7}, EntropyGate: &EntropyGate{Threshold: 0.7, THigh: 1.2, TLow: 0.8}}},
			func() (any, error) {
				return b.Generate(ctx, GenerateRequest{Prompts: [][]int32{{1}, {2, 3}}, N: 4, Seed: 9, Sampling: Sampling{Temperature: 1, TopP: 0.9, MaxTokens: 10, StopTokens: []int32{7}, EntropyGate: &EntropyGate{Threshold: 0.7, THigh: 1.2, TLow: 0.8}}})
			}, GenerateResponse{Responses: []Response{
				{Prompt: 0, Tokens: []int32{5, 2}, Pieces: []string{"\xe2\x82", "\xac"}, LogProbs: []float32{-0.5, -0.1}, Entropies: []float32{1.2, 0.3}, Finish: FinishStop},
				{Prompt: 1, Tokens: []int32{}, Pieces: []string{}, LogProbs: []float32{}, Entropies: []float32{}, Finish: FinishLength},
			}}},
		{"Score", ScoreRequest{Sequences: seqs, Temperature: 0.6, WithValues: true}, func() (any, error) {
			return b.Score(ctx, ScoreRequest{Sequences: seqs, Temperature: 0.6, WithValues: true})
		}, ScoreResponse{LogProbs: [][]float32{{-1}}, Entropies: [][]float32{{2}}, Values: [][]float32{{0.5}}}},
		{"Forward", ScoreRequest{Sequences: seqs}, func() (any, error) { return b.Forward(ctx, ScoreRequest{Sequences: seqs}) },
			ForwardResponse{ScoreResponse: ScoreResponse{LogProbs: [][]float32{{-2}}, Entropies: [][]float32{{1}}}, Handle: 42}},
		{"Backward", BackwardRequest{Handle: 42, GradLogProbs: [][]float32{{0.1}}, GradEntropies: [][]float32{{-0.2}}}, func() (any, error) {
			return b.Backward(ctx, BackwardRequest{Handle: 42, GradLogProbs: [][]float32{{0.1}}, GradEntropies: [][]float32{{-0.2}}})
		}, BackwardResponse{Diagnostics: pluginapi.Diagnostics{{Summary: "unknown handle"}}}},
		{"Step", StepRequest{LearningRate: 1e-6, Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-8, WeightDecay: 0.01, MaxGradNorm: 1}, func() (any, error) {
			return b.Step(ctx, StepRequest{LearningRate: 1e-6, Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-8, WeightDecay: 0.01, MaxGradNorm: 1})
		}, StepResponse{GradNorm: 3.5}},
		{"Save", SaveRequest{Dir: "/ckpt"}, func() (any, error) { return b.Save(ctx, SaveRequest{Dir: "/ckpt"}) }, SaveResponse{}},
		{"Load", LoadRequest{Dir: "/ckpt"}, func() (any, error) { return b.Load(ctx, LoadRequest{Dir: "/ckpt"}) },
			LoadResponse{Diagnostics: pluginapi.Diagnostics{{Severity: pluginapi.Warning, Summary: "old format"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got = nil
			resp, err := tt.call()
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(resp, tt.want) {
				t.Errorf("the host got %+v\nwant %+v", resp, tt.want)
			}
			if tt.req != nil && (len(got) != 1 || !reflect.DeepEqual(got[0], tt.req)) {
				t.Errorf("the plugin got %+v\nwant %+v", got, tt.req)
			}
		})
	}
}
