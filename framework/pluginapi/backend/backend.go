// Package backend defines the backend plugin kind: a model with its
// tokenizer, sampler and trainer in one process.
//
// The loss lives in the host: Forward returns per-token log-probs and
// entropies, the host computes the loss and its gradient with respect to
// each of them, and Backward back-propagates those per-token coefficients.
// Token sequences and per-token values are ragged: one slice per sequence.
package backend

import (
	"context"

	"github.com/forkrl/forkrl/framework/pluginapi"
)

// Backend is a model served as a plugin.
type Backend interface {
	pluginapi.Plugin

	// Model describes the configured model: vocabulary, special tokens, capabilities.
	Model(ctx context.Context) (ModelInfo, error)
	Encode(ctx context.Context, req EncodeRequest) (EncodeResponse, error)
	Decode(ctx context.Context, req DecodeRequest) (DecodeResponse, error)
	// Generate samples N responses for each prompt.
	Generate(ctx context.Context, req GenerateRequest) (GenerateResponse, error)
	// Score returns per-token log-probs and entropies of the response tokens, without gradient.
	Score(ctx context.Context, req ScoreRequest) (ScoreResponse, error)
	// Forward is Score with the graph kept for a later Backward; the response carries a handle.
	Forward(ctx context.Context, req ScoreRequest) (ForwardResponse, error)
	// Backward accumulates parameter gradients of Σ gLogp·logp + gH·H (+ gValue·value) and
	// releases the handle.
	Backward(ctx context.Context, req BackwardRequest) (BackwardResponse, error)
	// Step applies the accumulated gradients with AdamW and clears them.
	Step(ctx context.Context, req StepRequest) (StepResponse, error)
	// Save writes a checkpoint (weights, config and optimizer state) into a directory.
	Save(ctx context.Context, req SaveRequest) (SaveResponse, error)
	// Load restores a checkpoint written by Save.
	Load(ctx context.Context, req LoadRequest) (LoadResponse, error)
}

// ModelInfo describes a configured model.
type ModelInfo struct {
	VocabSize     int
	ContextLength int              // longest prompt+response the model accepts
	Tokenizer     string           // name of the tokenizer, e.g. "char:countdown", "qwen3"
	Special       map[string]int32 // special tokens by role: "bos", "eos", "pad", ...
	StopTokens    []int32          // tokens that end a response by default
	Parameters    int64            // number of trainable parameters
	ValueHead     bool             // Score/Forward can return per-token values (PPO)
}

// EncodeRequest asks for the token ids of texts.
type EncodeRequest struct {
	Texts []string
}

// EncodeResponse holds one id sequence per text.
type EncodeResponse struct {
	IDs         [][]int32
	Diagnostics pluginapi.Diagnostics
}

// DecodeRequest asks for the texts of id sequences.
type DecodeRequest struct {
	IDs [][]int32
}

// DecodeResponse holds one text per id sequence.
type DecodeResponse struct {
	Texts       []string
	Diagnostics pluginapi.Diagnostics
}

// Sampling are the settings of one generation call.
type Sampling struct {
	Temperature float32 // 0 means greedy
	TopP        float32 // 0 or 1: no nucleus truncation
	MaxTokens   int
	StopTokens  []int32      // in addition to the model's own stop tokens
	EntropyGate *EntropyGate // optional entropy-gated temperature (the paper's eq. 5)
}

// EntropyGate samples a token at THigh when the entropy of its distribution at
// temperature 1 exceeds Threshold, and at TLow otherwise (the paper's eq. 5
// reads the entropy at T = 1, whatever the base temperature).
type EntropyGate struct {
	Threshold   float32
	THigh, TLow float32
}

// GenerateRequest asks for N responses to each prompt.
type GenerateRequest struct {
	Prompts  [][]int32
	N        int
	Sampling Sampling
	Seed     uint64
}

// Finish reasons.
const (
	FinishStop   = "stop"   // a stop token was sampled (it is included in Tokens)
	FinishLength = "length" // MaxTokens or the context was reached
)

// Response is one sampled response.
type Response struct {
	Prompt    int       // index of its prompt in the request
	Tokens    []int32   // the sampled tokens
	Pieces    []string  // the bytes of each token (a byte-level token may hold part of a UTF-8 character; the pieces of a response joined are its text)
	LogProbs  []float32 // the sampler's log-prob of each token
	Entropies []float32 // the entropy of each token's distribution at the base temperature
	Finish    string
}

// GenerateResponse holds len(Prompts)·N responses, prompt-major: the N
// responses of prompt 0 first.
type GenerateResponse struct {
	Responses   []Response
	Diagnostics pluginapi.Diagnostics
}

// Sequence is a prompt and a response; values are computed for the response tokens.
type Sequence struct {
	Prompt, Response []int32
}

// ScoreRequest asks for per-token values of the response tokens of sequences.
type ScoreRequest struct {
	Sequences   []Sequence
	Temperature float32 // logits are divided by it; 0 means 1
	WithValues  bool    // also return the value head's output (PPO)
}

// ScoreResponse holds, per sequence, one value per response token.
type ScoreResponse struct {
	LogProbs    [][]float32
	Entropies   [][]float32
	Values      [][]float32 // only when requested
	Diagnostics pluginapi.Diagnostics
}

// ForwardResponse is a ScoreResponse with the handle of the kept graph.
type ForwardResponse struct {
	ScoreResponse
	Handle uint64
}

// BackwardRequest carries dL/dlogp and dL/dH (and dL/dvalue) per response token.
type BackwardRequest struct {
	Handle        uint64
	GradLogProbs  [][]float32
	GradEntropies [][]float32 // nil: zero
	GradValues    [][]float32 // nil: zero
}

// BackwardResponse reports problems with a backward call.
type BackwardResponse struct {
	Diagnostics pluginapi.Diagnostics
}

// StepRequest carries the optimizer settings for one step.
type StepRequest struct {
	LearningRate float64
	Beta1, Beta2 float64
	Epsilon      float64
	WeightDecay  float64
	MaxGradNorm  float64 // 0: no clipping
}

// StepResponse reports the global gradient norm before clipping.
type StepResponse struct {
	GradNorm    float64
	Diagnostics pluginapi.Diagnostics
}

// SaveRequest names the directory a checkpoint is written to.
type SaveRequest struct {
	Dir string
}

// SaveResponse reports problems with a save.
type SaveResponse struct {
	Diagnostics pluginapi.Diagnostics
}

// LoadRequest names the directory a checkpoint is read from.
type LoadRequest struct {
	Dir string
}

// LoadResponse reports problems with a load.
type LoadResponse struct {
	Diagnostics pluginapi.Diagnostics
}
