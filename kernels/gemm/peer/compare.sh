#!/usr/bin/env bash
# Times Sgemm (BenchmarkSgemm) and OpenBLAS's cblas_sgemm (openblas_sgemm.c) side by side on
# this machine, on 1 and on 2 threads (GOMAXPROCS / OPENBLAS_NUM_THREADS). Each round runs,
# for every shape, the Go benchmark and then OpenBLAS back to back, so that the two see the
# same machine load; the table gives the median GFLOP/s of each over the rounds and the
# median of the per-round ratios Go/OpenBLAS.
#
# Needs gcc and Debian's libopenblas-dev (apt-get install -y libopenblas-dev); the Go
# package itself never uses OpenBLAS.
#
# usage: kernels/gemm/peer/compare.sh [rounds] [seconds per measurement] [shape regexp]
set -euo pipefail
cd "$(dirname "$0")"
rounds=${1:-5}
secs=${2:-0.3}
filter=${3:-.*}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
gcc -O2 -o "$tmp/openblas_sgemm" openblas_sgemm.c -lopenblas
(cd .. && go test -c -o "$tmp/gemm.test" .)
shapes=$("$tmp/openblas_sgemm" 0 -l | grep -E "^($filter)\$")
for round in $(seq "$rounds"); do
	for threads in 1 2; do
		for shape in $shapes; do
			"$tmp/gemm.test" -test.run '^$' -test.bench "BenchmarkSgemm/^${shape}\$" \
				-test.benchtime "${secs}s" -test.cpu "$threads" |
				awk -v r="$round" -v t="$threads" -v s="$shape" '/GFLOP\/s/ {
					for (i = 1; i < NF; i++) if ($(i+1) == "GFLOP/s") print r, "go", s, t, $i }' >>"$tmp/results"
			OPENBLAS_NUM_THREADS=$threads "$tmp/openblas_sgemm" "$secs" "$shape" |
				awk -v r="$round" '{ print r, "openblas", $1, $2, $3 }' >>"$tmp/results"
		done
	done
done
/usr/bin/python3 - "$tmp/results" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    rnd, who, name, threads, gflops = line.split()
    runs.setdefault((name, int(threads)), {}).setdefault(who, {})[rnd] = float(gflops)
print(f"{'shape':22} {'threads':>7} {'Go GFLOP/s':>11} {'OpenBLAS':>9} {'ratio':>6}")
for (name, threads), by in runs.items():
    go, ob = by.get("go", {}), by.get("openblas", {})
    ratios = [go[r] / ob[r] for r in go if r in ob]
    if not ratios:
        continue
    print(f"{name:22} {threads:>7} {statistics.median(go.values()):11.1f} "
          f"{statistics.median(ob.values()):9.1f} {statistics.median(ratios):6.2f}")
PY
