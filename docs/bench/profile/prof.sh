#!/usr/bin/env bash
# prof.sh ADAPTER TEST TAG: runs one netns-bench.sh measurement (TEST: tcp or cps, 16 s) of
# ADAPTER and samples the whole machine with perf (-a -g, 999 Hz) for 8 s in its middle;
# writes run-TAG.txt and perf-TAG.data in the current directory and prints the RESULT lines.
# Then: perf script -i perf-TAG.data -F comm,ip,sym | python3 categories.py
# Environment: GSWITCH (the binary netns-bench.sh starts), BENCH (default
# ../../../../shared/bench/netns-bench.sh from this directory, i.e. ../shared beside the
# repository). Root; one run at a time (netns-bench.sh uses fixed namespace names).
set -eu -o pipefail
[[ $# -eq 3 ]] || { echo "usage: prof.sh ADAPTER TEST TAG" >&2; exit 2; }
a=$1 t=$2 tag=$3
here=$(cd "$(dirname "$0")" && pwd)
bench=${BENCH:-$here/../../../../shared/bench/netns-bench.sh}
(GSB_TESTS=$t GSB_TCP_SECS=16 GSB_CPS_SECS=16 "$bench" "$a" >"run-$tag.txt" 2>&1) &
bp=$!
# The load has started when its client runs.
for _ in $(seq 1 300); do
	pgrep -f 'iperf3 -c|gsbload cps' >/dev/null && break
	sleep 0.1
done
sleep 3
perf record -a -g -F 999 -o "perf-$tag.data" -- sleep 8 >/dev/null 2>&1
wait "$bp"
grep -E '^RESULT' "run-$tag.txt"
