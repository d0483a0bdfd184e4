#!/bin/bash
# Runs OVS's `ovstest test-conntrack` benchmarks and gswitch's equivalents
# (ct's BenchmarkOVSConntrack and BenchmarkOVSZones) interleaved, one after
# the other, so that both see the same machine (this VM's speed drifts by
# tens of percent over minutes). Run from the repository root:
#   ct/bench/compare-ovstest.sh micro [ROUNDS] [N]      (default 7, 20000000)
#   ct/bench/compare-ovstest.sh zones [ROUNDS] [ITERS]  (default 3, 1000)
# OVSTEST: the ovstest binary (ct/bench/build-ovstest.sh), default ${TMPDIR:-/tmp}/ovstest.
# Lines: "ovs|go  threads=T ns_per_pkt=X" (aggregate, OVS's "agg ns/pkt"),
# and per benchmark-zones phase the Min and OVS's "Avg" (an EWMA, alpha
# 0.01) in microseconds, plus gswitch's true mean.
set -euo pipefail
mode=${1:?usage: $0 micro|zones [ROUNDS] [N|ITERS]}
ovstest=${OVSTEST:-${TMPDIR:-/tmp}/ovstest}
gotest=$(mktemp)
trap 'rm -f "$gotest"' EXIT
go test -c -o "$gotest" ./ct
case $mode in
micro)
	rounds=${2:-7} n=${3:-20000000}
	for _ in $(seq "$rounds"); do
		for th in 1 2; do
			ms=$("$ovstest" test-conntrack benchmark "$th" "$n" 32 2>/dev/null | awk '/conntrack:/{print $2}')
			echo "ovs threads=$th ns_per_pkt=$(echo "scale=2; $ms*1000000/($th*$n)" | bc)"
			"$gotest" -test.run '^$' -test.bench "OVSConntrack/threads=$th/batch=32\$" \
				-test.benchtime $((n * th))x | awk -v th="$th" '/threads/{print "go  threads=" th " ns_per_pkt=" $5}'
		done
	done
	;;
zones)
	rounds=${2:-3} it=${3:-1000}
	for _ in $(seq "$rounds"); do
		for sz in "1000 10000" "10000 1000"; do
			set -- $sz
			"$ovstest" test-conntrack benchmark-zones "$1" "$2" "$it" 2>/dev/null |
				awk -v c="$1" '/^\| (Min|Avg)/{gsub(/us/,""); split($0,a,"|"); gsub(/ /,"",a[2]);
					printf "ovs conns=%s %s commit=%s nocommit=%s flushfull=%s flushempty=%s\n", c, a[2], a[3]+0, a[4]+0, a[5]+0, a[6]+0}'
			GSWITCH_CT_BENCH_ZONES=1 "$gotest" -test.run '^$' -test.bench "OVSZones/conns=$1/zones=$2\$" \
				-test.benchtime "${it}x" -test.timeout 30m |
				awk -v c="$1" '/Benchmark/{for(i=1;i<=NF;i++){m[$(i+1)]=$i}
					split("Min:min Avg:ovsavg Mean:mean", ks, " ")
					for (j=1;j<=3;j++) { split(ks[j], kv, ":")
						printf "go  conns=%s %s commit=%s nocommit=%s flushfull=%s flushempty=%s\n", c, kv[1],
							m["commit-" kv[2] "-us"], m["no-commit-" kv[2] "-us"], m["flush-full-" kv[2] "-us"], m["flush-empty-" kv[2] "-us"] }}'
		done
	done
	;;
*)
	echo "usage: $0 micro|zones [ROUNDS] [N|ITERS]" >&2
	exit 2
	;;
esac
