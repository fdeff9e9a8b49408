#!/usr/bin/env bash
# Runs a command and prints, when it ends, the peak of the resident memory of the command and
# all its descendants together (plugin processes included), sampled every 0.2 s with ps, in MB
# (10^6 bytes), with the peak of the largest single process beside it. The command's own exit
# status is returned.
#
# usage: scripts/peakrss.sh COMMAND [ARG...]
set -uo pipefail
"$@" &
root=$!
peak=0
peak1=0
while kill -0 "$root" 2>/dev/null; do
	read -r sum one < <(ps -e -o pid=,ppid=,rss= | awk -v root="$root" '
		{ parent[$1] = $2; rss[$1] = $3 }
		END {
			for (p in rss) {
				q = p
				while (q != "" && q != root && q in parent && q != 1 && q != 0) q = parent[q]
				if (q == root) { sum += rss[p]; if (rss[p] > one) one = rss[p] }
			}
			print sum + 0, one + 0
		}')
	((sum > peak)) && peak=$sum
	((one > peak1)) && peak1=$one
	sleep 0.2
done
wait "$root"
code=$?
awk -v s="$peak" -v o="$peak1" 'BEGIN { printf "peak RSS, all processes: %.0f MB; largest process: %.0f MB\n", s * 1024 / 1e6, o * 1024 / 1e6 }' >&2
exit "$code"
