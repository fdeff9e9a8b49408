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
// Last measured 2026-11-25 21:44–21:51 UTC on the project's shared 2-vCPU AMD
// EPYC machine (AVX2+FMA, no AVX-512, so the AVX2 path ran), Debian's torch
// 1.13, medians of 3 rounds. The machine was heavily loaded by other work
// throughout (load average 16–19 on 2 CPUs), so absolute MB/s are several
// times below what an idle core gives and the 2-core rows cannot scale; the
// ratios come from side-by-side runs under the same load.
//
//	                                         forkrl MB/s  torch MB/s  ratio
//	entropy+logp V=512,    1 core                  1216        199     6.1×  (log_softmax-based)
//	entropy+logp V=512,    2 cores                 1099        154     7.2×
//	entropy+logp V=32000,  1 core                  2127        184    12×
//	entropy+logp V=32000,  2 cores                 2714        181    15×
//	entropy+logp V=151936, 1 core                  1972        280     7.1×
//	entropy+logp V=151936, 2 cores                 1772        242     7.3×
//	top-20% cut, N=1e6                             1153         86    13×   torch.topk
//	                                                            71    16×   torch.kthvalue
//	                                                             6   195×   torch.sort
//	top-20% cut, N=1e7 (30 ms vs 950 ms)           1346         42    32×   torch.topk
//	                                                            31    44×   torch.kthvalue
//	                                                             6   216×   torch.sort
//	quantile cut, N=1e7                            1231          6   206×   torch.quantile
//	clipped surrogate + grad, 4M tokens            2311        103    22×   verl-style, autograd
//
// One core's read bandwidth measured in the same runs (torch.sum over
// 64 MiB) was 3988 MB/s, so entropy+logp at V=151936 ran at 0.49× and the
// surrogate at 0.58× of it. Measured by CPU time instead (user time over many
// iterations, GOMAXPROCS=1), which the load distorts less, the softmax
// statistics of a cache-resident 151936-wide row run at about 10.8 GB/s, the
// top-20% cut of 1e7 values takes about 7 ms and the surrogate streams about
// 13 GB/s.
package kernels
