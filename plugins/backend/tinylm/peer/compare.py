"""Runs tinylm's Go benchmarks and the PyTorch peer (bench.py) side by side,
alternating, several rounds per thread count, and prints the median figures
and the median of the per-round ratios Go/PyTorch.

    /usr/bin/python3 plugins/backend/tinylm/peer/compare.py --rounds 3 --threads 1 2

Run from the repository root. Both tokens per wall second and tokens per
CPU second (user+system of the process, all threads) are reported: on a
loaded machine the second moves less.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def run_go(binary, threads):
    env = dict(os.environ, GOMAXPROCS=str(threads))
    out = subprocess.run([binary, "-test.run", "^$", "-test.bench", ".", "-test.benchtime", "3x"],
                         env=env, check=True, capture_output=True, text=True, cwd=os.path.dirname(HERE)).stdout
    res = {}
    for line in out.splitlines():
        m = re.match(r"Benchmark(Train|Generate)/(\w+)-?\d*\s.*?([\d.]+) tokens/cpu-s\s+([\d.]+) tokens/s", line)
        if m:
            res[f"{m[1].lower()}/{m[2]}"] = (float(m[4]), float(m[3]))
    return res


def run_peer(threads):
    out = subprocess.run([sys.executable, os.path.join(HERE, "bench.py"), "--threads", str(threads)],
                         check=True, capture_output=True, text=True).stdout
    res = {}
    for line in out.splitlines():
        m = re.match(r"peer (\w+/\w+) .*?([\d.]+) tokens/s ([\d.]+) tokens/cpu-s", line)
        if m:
            res[m[1]] = (float(m[2]), float(m[3]))
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    args = ap.parse_args()
    binary = os.path.join(tempfile.mkdtemp(), "tinylm.test")
    subprocess.run(["go", "test", "-c", "-o", binary, "."], check=True, cwd=os.path.dirname(HERE))
    for threads in args.threads:
        rounds = []
        for r in range(args.rounds):
            go, peer = run_go(binary, threads), run_peer(threads)
            rounds.append((go, peer))
            print(f"threads={threads} round {r + 1}: go {go} peer {peer}", file=sys.stderr, flush=True)
        print(f"\nthreads={threads}, {args.rounds} rounds (medians)")
        print(f"{'benchmark':14} {'Go tok/s':>9} {'peer tok/s':>10} {'ratio':>6}   {'Go tok/cpu-s':>12} {'peer tok/cpu-s':>14} {'ratio':>6}")
        for name in rounds[0][0]:
            med = lambda f: statistics.median(f(go, peer) for go, peer in rounds)
            print(f"{name:14} {med(lambda g, p: g[name][0]):9.0f} {med(lambda g, p: p[name][0]):10.0f} "
                  f"{med(lambda g, p: g[name][0] / p[name][0]):6.2f}   {med(lambda g, p: g[name][1]):12.0f} "
                  f"{med(lambda g, p: p[name][1]):14.0f} {med(lambda g, p: g[name][1] / p[name][1]):6.2f}", flush=True)


if __name__ == "__main__":
    main()
