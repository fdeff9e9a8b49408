// Package kernels is the numeric core of forkrl: pure functions over float32
// slices with no I/O and no dependency on the rest of the project.
//
//   - kernels/vecmath: vectorised exp, one-pass softmax statistics and the
//     fused clipped-surrogate loop (Go assembly, AVX2+FMA, chosen at run time
//     from golang.org/x/sys/cpu; the pure-Go reference under the noasm build
//     tag, and on CPUs without AVX2).
//   - kernels/logits: entropy and log-prob of the chosen token from logits,
//     and their gradient with respect to the logits.
//   - kernels/selection: top-ρ, bottom-ρ, random-ρ and all-token selection
//     over a ragged batch, under the topk and quantile rules.
//   - kernels/loss: PPO clipped surrogate (clip-higher, dual clip) with token
//     weights, aggregation modes and denominators; KL estimators; entropy
//     bonus; clipped value loss; and the metrics a trainer logs.
//   - kernels/advantage: GRPO, Dr.GRPO, RLOO, REINFORCE++ and GAE.
//   - kernels/reward: DAPO's overlong shaping and the dynamic-sampling filter.
//   - kernels/estimate: avg@k and the unbiased pass@k estimator.
//
// # Tests
//
//	go test ./kernels/...               # assembly where the CPU has it
//	go test -tags noasm ./kernels/...   # the pure-Go reference everywhere
//	go test ./kernels/selection -run '^$' -fuzz FuzzSelect -fuzztime 1m
//
// # Speed
//
// Benchmarks report MB/s of the data each kernel streams (see their doc
// comments). The PyTorch peer runs the same work on the CPU with
// torch.set_num_threads pinned, alternating with `go test -bench` in the same
// process tree so both see the same load, and prints medians and ratios:
//
//	go test -run '^$' -bench 'Forward|TopThreshold|Quantile|Policy' ./kernels/logits ./kernels/selection ./kernels/loss
//	/usr/bin/python3 kernels/peer/compare.py --rounds 3 --threads 2
//
// Last measured 2026-11-25 on the project's shared 2-vCPU AMD EPYC machine
// (AVX2+FMA, no AVX-512, so the AVX2 path ran), Debian's torch 1.13, medians
// of 3 rounds. The machine was heavily loaded by other work throughout (load
// average 14–21 on 2 CPUs), so absolute MB/s are several times below what an
// idle core gives; the ratios come from side-by-side runs under the same load.
//
//	                                         forkrl MB/s  torch MB/s  ratio
//	entropy+logp V=512,    1 core                  1191        298     4.0×
//	entropy+logp V=512,    2 cores                  915        188     4.9×
//	entropy+logp V=32000,  1 core                  2027        271     7.5×
//	entropy+logp V=32000,  2 cores                 2342        240     9.8×
//	entropy+logp V=151936, 1 core                  2389        344     6.9×  (log_softmax-based)
//	entropy+logp V=151936, 2 cores                 2325        286     8.1×
//	top-20% cut, N=1e6                             1593        102    16×   torch.topk
//	                                                            88    18×   torch.kthvalue
//	                                                            10   158×   torch.sort
//	top-20% cut, N=1e7                             1176         42    28×   torch.topk (34 ms vs 950 ms)
//	                                                            45    26×   torch.kthvalue
//	                                                             7   169×   torch.sort
//	quantile cut, N=1e7                            1358          9   146×   torch.quantile
//	clipped surrogate + grad, 4M tokens            2513         86    29×   verl-style, autograd
//
// One core's read bandwidth measured in the same runs (torch.sum over
// 64 MiB) was 4220 MB/s, so entropy+logp at V=151936 ran at 0.57× and the
// surrogate at 0.60× of it. On an idle core the kernels' CPU time (user time
// over many iterations) gives about 10.8 GB/s for the softmax statistics of a
// cache-resident 151936-wide row, 7 ms for the top-20% cut of 1e7 values and
// about 13 GB/s for the surrogate.
package kernels
