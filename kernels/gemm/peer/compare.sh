#!/usr/bin/env bash
# Times Sgemm (BenchmarkSgemm) and OpenBLAS's cblas_sgemm (openblas_sgemm.c) side by side on
# this machine, on 1 and on 2 threads (GOMAXPROCS / OPENBLAS_NUM_THREADS). Each round runs,
# for every shape, the Go benchmark and then OpenBLAS back to back, so that the two see the
# same machine load; the table gives the median GFLOP/s of each over the rounds and the
# median of the per-round ratios Go/OpenBLAS, per second of wall time and, on one thread,
# per second of CPU time (work per CPU-second, less disturbed by other processes on a loaded
# machine; on two threads OpenBLAS's waiting threads spin, so it is not shown there).
#
# Needs gcc and Debian's libopenblas-dev (apt-get install -y libopenblas-dev); the Go
# package itself never uses OpenBLAS.
#
# OpenBLAS picks its kernel for the CPU (OPENBLAS_CORETYPE, when set, forces one) and Go its
# path (FORKRL_GEMM, when set, forces one); the script prints both before the table.
#
# usage: kernels/gemm/peer/compare.sh [rounds] [seconds per measurement] [shape regexp] [threads]
# (threads: a list such as "1 2", the default, or "1")
set -euo pipefail
cd "$(dirname "$0")"
rounds=${1:-5}
secs=${2:-0.3}
filter=${3:-.*}
threadlist=${4:-1 2}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if ! gcc -O2 -o "$tmp/openblas_sgemm" openblas_sgemm.c -lopenblas; then
	echo "compare.sh: cannot build the OpenBLAS peer; install gcc and libopenblas-dev" >&2
	exit 1
fi
(cd .. && go test -c -o "$tmp/gemm.test" .)
shapes=$("$tmp/openblas_sgemm" 0 -l | grep -E "^($filter)\$")
echo "OpenBLAS kernel: $("$tmp/openblas_sgemm" 0 -c)  Go path: ${FORKRL_GEMM:-the best this CPU has}"
for round in $(seq "$rounds"); do
	for threads in $threadlist; do
		for shape in $shapes; do
			"$tmp/gemm.test" -test.run '^$' -test.bench "BenchmarkSgemm/^${shape}\$" \
				-test.benchtime "${secs}s" -test.cpu "$threads" |
				awk -v r="$round" -v t="$threads" -v s="$shape" '/GFLOP\/s/ {
					for (i = 1; i < NF; i++) {
						if ($(i+1) == "GFLOP/s") wall = $i
						if ($(i+1) == "GFLOP/cpu-s") cpu = $i
					}
					print r, "go", s, t, wall, cpu }' >>"$tmp/results"
			OPENBLAS_NUM_THREADS=$threads "$tmp/openblas_sgemm" "$secs" "$shape" |
				awk -v r="$round" '{ print r, "openblas", $1, $2, $3, $4 }' >>"$tmp/results"
		done
	done
done
/usr/bin/python3 - "$tmp/results" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    rnd, who, name, threads, wall, cpu = line.split()
    runs.setdefault((name, int(threads)), {}).setdefault(who, {})[rnd] = (float(wall), float(cpu))
def medians(go, ob, i):
    ratios = [go[r][i] / ob[r][i] for r in go if r in ob]
    return (statistics.median(v[i] for v in go.values()),
            statistics.median(v[i] for v in ob.values()), statistics.median(ratios))
print(f"{'':29}{'GFLOP/s (wall)':^27}  {'GFLOP/cpu-s (1 thread)':^27}")
print(f"{'shape':22} {'threads':>7} {'Go':>8} {'OpenBLAS':>9} {'ratio':>7}  {'Go':>8} {'OpenBLAS':>9} {'ratio':>7}")
for (name, threads), by in runs.items():
    go, ob = by.get("go", {}), by.get("openblas", {})
    if not any(r in ob for r in go):
        continue
    line = f"{name:22} {threads:>7} " + "{:8.1f} {:9.1f} {:7.2f}".format(*medians(go, ob, 0))
    if threads == 1:
        line += "  {:8.1f} {:9.1f} {:7.2f}".format(*medians(go, ob, 1))
    print(line)
PY
