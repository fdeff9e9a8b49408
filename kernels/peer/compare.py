"""Times forkrl's kernels and the same work in PyTorch on the CPU, side by side.

Run from the repository root with Debian's PyTorch:

    /usr/bin/python3 kernels/peer/compare.py [--rounds 3] [--threads 2]

Each round runs `go test -bench` on the kernels and then the PyTorch versions
in this process, alternately, so both see the same machine load. The table
gives the median MB/s of each side over the rounds and their ratio. Byte
counts are the same on both sides (see the Go benchmarks' doc comments).
"""

import argparse
import re
import statistics
import subprocess
import time

import torch

GO_BENCH = "Forward|TopThreshold|Quantile|Policy|ReadBandwidth"
GO_PKGS = ["./kernels/logits", "./kernels/selection", "./kernels/loss"]
BENCH_FLOATS = 16 << 20  # as logits_bench_test.go


def timeit(f, min_time=0.5, min_iters=3):
    """Returns the median seconds per call of f over at least min_time."""
    f()  # warm up
    times = []
    start = time.perf_counter()
    while len(times) < min_iters or time.perf_counter() - start < min_time:
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def entropy_like(n, gen):
    """As selection_bench_test.go: 80% near zero, 20% uniform up to 3 nats."""
    small = torch.empty(n).exponential_(generator=gen) * 0.02
    big = torch.rand(n, generator=gen) * 3
    return torch.where(torch.rand(n, generator=gen) < 0.8, small, big)


def torch_benchmarks(threads):
    gen = torch.Generator().manual_seed(1)
    out = {}  # name -> MB/s

    # Memory read bandwidth of one core, as a reference for the ratios.
    torch.set_num_threads(1)
    x = torch.randn(BENCH_FLOATS, generator=gen)
    out["ReadBandwidth/torch.sum/cores=1"] = x.numel() * 4 / timeit(lambda: x.sum()) / 1e6

    # Entropy + chosen-token log-prob from logits, log_softmax-based.
    for V in (512, 32000, 151936):
        rows = BENCH_FLOATS // V
        x = torch.randn(rows, V, generator=gen) * 3
        ids = torch.randint(0, V, (rows, 1), generator=gen)

        def forward():
            lp = torch.log_softmax(x, dim=-1)
            h = -(lp.exp() * lp).sum(-1)
            return h, lp.gather(1, ids)

        for cores in (1, threads):
            torch.set_num_threads(cores)
            out[f"Forward/V={V}/cores={cores}"] = rows * V * 4 / timeit(forward) / 1e6

    # Top-20% cut over N entropies, one thread.
    torch.set_num_threads(1)
    for n in (1_000_000, 10_000_000):
        e = entropy_like(n, gen)
        k = max(1, int(n * 0.2 + 0.9999))
        mb = n * 4 / 1e6
        out[f"TopThreshold/N={n}/torch.topk"] = mb / timeit(lambda: torch.topk(e, k, sorted=False))
        out[f"TopThreshold/N={n}/torch.kthvalue"] = mb / timeit(lambda: torch.kthvalue(e, n - k + 1))
        out[f"TopThreshold/N={n}/torch.sort"] = mb / timeit(lambda: torch.sort(e))
        out[f"Quantile/N={n}/torch.quantile"] = mb / timeit(lambda: torch.quantile(e, 0.8))

    # Clipped surrogate + gradient over 4M tokens (verl's compute_policy_loss
    # with token-mean aggregation, autograd for dL/dlogp), one thread.
    rows, cols = 1024, 4096
    logp = (-torch.empty(rows, cols).exponential_(generator=gen)).requires_grad_()
    old = -torch.empty(rows, cols).exponential_(generator=gen)
    adv = torch.randn(rows, cols, generator=gen)
    w = (torch.randint(0, 5, (rows, cols), generator=gen) // 4).float()
    mask = (torch.arange(cols)[None, :] < cols - torch.randint(0, cols // 4, (rows, 1), generator=gen)).float()
    lo, hi, c = 0.8, 1.28, 3.0

    def policy():
        ratio = torch.exp(logp - old)
        l1 = -adv * ratio
        l2 = -adv * torch.clamp(ratio, lo, hi)
        pg = torch.maximum(l1, l2)
        pg = torch.where(adv < 0, torch.minimum(pg, -adv * c), pg)
        loss = (pg * w * mask).sum() / mask.sum()
        logp.grad = None
        loss.backward()
        return loss

    out["Policy"] = rows * cols * 21 / timeit(policy) / 1e6
    return out


def go_benchmarks():
    cmd = ["go", "test", "-run", "XXX", "-bench", GO_BENCH, "-benchtime", "2s", *GO_PKGS]
    text = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    out = {}
    for m in re.finditer(r"^Benchmark(\S+?)(?:-\d+)?\s+\d+\s+[\d.]+ ns/op\s+([\d.]+) MB/s", text, re.M):
        out[m.group(1)] = float(m.group(2))
    return out


# Go benchmark ↔ PyTorch benchmark pairs whose MB/s ratio is reported.
def pairs(threads):
    p = []
    for V in (512, 32000, 151936):
        for cores in (1, threads):
            p.append((f"Forward/V={V}/cores={cores}", f"Forward/V={V}/cores={cores}"))
    for n in (1_000_000, 10_000_000):
        for peer in ("torch.topk", "torch.kthvalue", "torch.sort"):
            p.append((f"TopThreshold/N={n}", f"TopThreshold/N={n}/{peer}"))
        p.append((f"Quantile/N={n}", f"Quantile/N={n}/torch.quantile"))
    p.append(("Policy", "Policy"))
    return p


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    go, pt = {}, {}
    for r in range(args.rounds):
        for k, v in go_benchmarks().items():
            go.setdefault(k, []).append(v)
        for k, v in torch_benchmarks(args.threads).items():
            pt.setdefault(k, []).append(v)
        print(f"round {r + 1}/{args.rounds} done", flush=True)
    med = lambda d, k: statistics.median(d[k]) if k in d else float("nan")
    print(f"torch {torch.__version__}; medians of {args.rounds} rounds, MB/s")
    print(f"{'go benchmark':32} {'go':>9} {'torch peer':34} {'torch':>9} {'ratio':>7}")
    for g, t in pairs(args.threads):
        a, b = med(go, g), med(pt, t)
        print(f"{g:32} {a:9.0f} {t:34} {b:9.0f} {a / b:7.2f}")
    bw = med(pt, "ReadBandwidth/torch.sum/cores=1")
    print(f"one core's read bandwidth (torch.sum, 64 MiB): {bw:.0f} MB/s")
    for g in ("Forward/V=151936/cores=1", "Policy"):
        print(f"{g}: {med(go, g) / bw:.2f}x that bandwidth")


if __name__ == "__main__":
    main()
