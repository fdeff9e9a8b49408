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
// special tokens have no text. Prompts may not be empty (start them with
// <bos> when there is no text). The entropy gate compares the entropy at the
// base temperature (Sampling.Temperature, or 1 when greedy) with its
// threshold; a temperature of 0 samples greedily with a log-prob of 0.
//
// # Speed
//
// bench_test.go times training (forward, backward and AdamW with clipping
// on 16 sequences of 32+96 tokens per step) and generation (8 prompts of 32
// tokens, 8 responses each, 96 new tokens at temperature 1, KV cache) at
// about 1M parameters (4 layers, width 128, 4/2 heads, MLP 512) and about
// 10M (8 layers, width 320, 8/4 heads, MLP 960), vocabulary 31, context 128.
// peer/bench.py builds the same models in PyTorch (Debian's python3-torch
// 1.13, CPU, tied embeddings, KV cache) and times the same work with the
// same thread count; peer/compare.py runs both alternately and prints
// medians. From the repository root:
//
//	apt-get install python3-torch   # once
//	/usr/bin/python3 plugins/backend/tinylm/peer/compare.py --rounds 3 --threads 1 2
//
// Figures of 2026-11-25 on the 2-core AMD EPYC (AVX2+FMA; no AVX-512 exposed) development
// machine, shared with other work (load average 5-16 during the runs), so
// tokens per CPU second (user+system of the process) are given beside
// tokens per wall second; medians of 3 rounds, ratio = median of the
// per-round ratios Go/PyTorch:
//
//	1 thread        Go tok/s  PyTorch tok/s  ratio   Go tok/cpu-s  PyTorch tok/cpu-s  ratio
//	train/1M            6169           2281   2.02           7933               2618   2.89
//	train/10M            828            332   2.07           1047                691   1.48
//	generate/1M         9681           1491   6.77          10428               1789   5.50
//	generate/10M        1135            205   4.88           1472                429   3.43
//
//	2 threads       Go tok/s  PyTorch tok/s  ratio   Go tok/cpu-s  PyTorch tok/cpu-s  ratio
//	train/1M            7529            748  10.07           7695                722  10.45
//	train/10M            686            163   4.21           1052                204   4.81
//	generate/1M         9468            496  19.42           9653                474  20.36
//	generate/10M        1221             90   9.90           1382                113  11.88
//
// The goals were training ≥ 1× and generation ≥ 2× PyTorch. The 2-thread
// rows say little about an idle 2-core machine: with the machine's load
// neither side found a free second core (Go's wall and CPU rates are equal,
// so its work ran about one core wide without waste), and PyTorch's OpenMP
// threads lose most of their time when the cores are oversubscribed.
package tinylm
