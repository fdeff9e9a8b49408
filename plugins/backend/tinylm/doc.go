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
//
// # Qwen3-0.6B versus llama.cpp
//
// qwen_speed_test.go writes random Qwen3-0.6B-shaped weights (28 layers,
// width 1024, 16/8 heads of 128, MLP 3072, vocabulary 151,936, tied
// embeddings) as a Hugging Face folder in bf16, loads them, exports them to
// GGUF F32 and times tinylm and llama.cpp (node-llama-cpp, F32 weights, same
// thread count, through plugins/backend/gguf/llamacpp/speed.mjs) on the same
// work: prefill of a 128-token prompt and greedy generation of 31 more
// tokens after the first. From the repository root:
//
//	FORKRL_QWEN_BENCH=1 go test -run '^$' -bench Qwen06B -benchtime 2x -timeout 60m ./plugins/backend/tinylm
//
// Figures of 2026-11-25 on the same 2-core AMD EPYC (AVX2+FMA), shared with
// other work (load average 2.0-5.9 during the runs); medians of 3 runs of
// the command, ratio = median of the per-run ratios tinylm/llama.cpp, in
// tokens per wall second:
//
//	              tinylm tok/s  llama.cpp tok/s  ratio
//	1 thread
//	prefill               70.5             30.9   2.29
//	generation            6.81             6.35   1.05
//	2 threads
//	prefill               68.9             14.0   4.93
//	generation            6.21             1.26   4.79
//
// The goal was ≥ 0.5× llama.cpp for both, on one and two threads. Before the
// batched prefill, tinylm gave 4.1 prefill and 5.8 generation tokens/s on one
// thread: it ran the prompt one position at a time (reading all 2.4 GB of
// weights and computing the full-vocabulary logits per prompt token) and
// transposed every weight at each Generate call. Generation of one response
// is a matrix-vector product per layer (kernels/gemm's m = 1 path, reading
// the float32 weights once per token, as llama.cpp's F32 does): both sides
// are bound by memory bandwidth, hence the equal rates. The 2-thread rows say
// little about an idle machine: the second core was busy with other work,
// so tinylm gained nothing from it, and llama.cpp's threads, which wait on
// each other at every operation, lost most of their time (its 2-thread
// figures varied from 0.45 to 1.56 generation tokens/s between runs).
package tinylm
