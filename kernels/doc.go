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
// comments). The PyTorch peer (kernels/peer/compare.py) runs the same work on
// the CPU with torch.set_num_threads pinned, alternating with `go test -bench`
// so both see the same load, and prints medians and ratios. The figures, with
// the commands, machine, load and date, are in BENCHMARKS.md at the repository
// root.
package kernels
