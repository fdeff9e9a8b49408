// Package tinylm is forkrl's embedded default model: a small decoder-only
// transformer with Qwen3's block, in pure Go and float32, served as the
// built-in backend plugin "tinylm".
//
// The block is Qwen3's: RMSNorm before attention and MLP, grouped-query
// attention with per-head RMSNorm on queries and keys (QK-norm) applied
// before rotary embeddings (Hugging Face's rotate_half pairs (i, i+d/2)), a
// SwiGLU MLP, and tied or untied embeddings. The code follows llm.c: one slab
// of parameters (with their gradients and AdamW moments beside it), one slab
// of activations per forward pass, and a forward and a backward function per
// layer kind (layers.go); the model's forward and backward passes
// (forward.go, backward.go) are lists of those calls. There is no autograd.
// The forward pass keeps the residual stream entering every block and one
// block's attention half (its MLP runs over chunks of 256 tokens, whose
// activations are all it holds); the backward pass recomputes each block's
// from its residual stream with the same code (so the same bits), the MLP
// chunk by chunk and the attention probabilities head by head, which costs
// one more forward pass and keeps memory to a fraction of every block's.
// Generation and training drop each other's buffers when one follows the
// other, and the collector runs when the heap has grown 8 MB (or a tenth,
// if more) over what is live instead of doubling it, unless GOGC or
// GOMEMLIMIT is set (memory.go).
// Matrix products go through kernels/gemm, log-probs, entropies and their
// gradient through kernels/logits; work outside them is split over
// goroutines so that each output has one writer, which keeps every result
// bit-identical whatever GOMAXPROCS is.
//
// Generation is batched with a KV cache: the prompts are run through the
// layers as matrix products with causal attention (the prefill), writing
// their keys and values into the cache and computing logits at each prompt's
// last position only; each prompt's cache is copied to its N responses, then
// all unfinished responses advance one token per step. Weights are used as
// stored (the product kernels read them in place), so nothing is copied
// between Generate calls. Every response samples from its own random stream derived
// from the request seed, its prompt index and its sample index.
//
// Checkpoints are directories with model.safetensors (Hugging Face Qwen3
// tensor names), config.json (Hugging Face's Qwen3 config plus a "tinylm"
// section with the tokenizer's alphabet) and optimizer.safetensors (AdamW
// moments and step), each written atomically; a resumed run continues
// bit-identically.
//
// The tokenizer maps each character of the alphabet that the task chooses to
// one token, followed by <bos>, <eos> and <pad>; <eos> stops generation and
// special tokens have no text. Prompts may not be empty (start them with
// <bos> when there is no text). The entropy gate compares the entropy at
// T = 1 with its threshold, as the paper's gate does (the entropies a
// response reports are at the base temperature, Sampling.Temperature, or 1
// when greedy); a temperature of 0 samples greedily with a log-prob of 0.
//
// # Speed
//
// bench_test.go times training and generation at about 1M and 10M
// parameters, peer/bench.py the same models in PyTorch (peer/compare.py runs
// both alternately), and qwen_speed_test.go a Qwen3-0.6B-shaped model beside
// llama.cpp. The figures, with the commands, machine, load and date, are in
// BENCHMARKS.md at the repository root.
package tinylm
