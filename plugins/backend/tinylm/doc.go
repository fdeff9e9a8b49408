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
// Matrix products go through kernels/gemm, log-probs, entropies and their
// gradient through kernels/logits; work outside them is split over
// goroutines so that each output has one writer, which keeps every result
// bit-identical whatever GOMAXPROCS is.
//
// Generation is batched with a KV cache: each prompt is run once and its
// cache copied to its N responses, then all unfinished responses advance one
// token per step. Every response samples from its own random stream derived
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
// special tokens have no text.
package tinylm
