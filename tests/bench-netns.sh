#!/usr/bin/env bash
# bench-netns.sh: the whole-switch measurement of the performance work (issue #15), made with
# ../shared/bench/netns-bench.sh: gswitch-ct against OVS 3.1's userspace datapath with TSO and
# against the kernel (bridge + nftables conntrack), ROUNDS interleaved rounds each, and the L2
# adapter against the kernel bridge. It prints the harness's RATIO lines and a summary of
# medians with the switch's CPU per Gb/s and per Mpps (cores busy in the switch process,
# from /proc/PID/stat before and after each test, divided by the rate).
#
# Usage (root): tests/bench-netns.sh [ROUNDS]        (default 3; make bench-netns ROUNDS=N)
# Environment: GSWITCH (default bin/gswitch), BENCH (default ../shared/bench/netns-bench.sh
# beside the repository), OUT (directory for the raw outputs; default a new temp dir),
# PAIRS (default "gswitch-ct:ovs-userspace-ct-tso gswitch-ct:kernel-ct gswitch:kernel-bridge").
# The L2 pair runs only rr, tcp and udp. Needs what netns-bench.sh needs (iperf3, ethtool,
# nftables, conntrack, openvswitch-switch, Go for its load tool).
set -eu -o pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
ROUNDS=${1:-3}
GSWITCH=${GSWITCH:-$TOP/bin/gswitch}
OUT=${OUT:-$(mktemp -d /tmp/bench-netns.XXXXXX)}
PAIRS=${PAIRS:-gswitch-ct:ovs-userspace-ct-tso gswitch-ct:kernel-ct gswitch:kernel-bridge}

bench=${BENCH:-}
if [[ -z $bench ]]; then
	for c in "$TOP/../shared/bench/netns-bench.sh" \
		"$(git -C "$TOP" rev-parse --path-format=absolute --git-common-dir 2>/dev/null)/../../shared/bench/netns-bench.sh"; do
		[[ -x $c ]] && { bench=$c; break; }
	done
fi
[[ -n $bench && -x $bench ]] || { echo "bench-netns: netns-bench.sh not found; set BENCH=" >&2; exit 2; }
[[ -x $GSWITCH ]] || { echo "bench-netns: no gswitch binary at $GSWITCH (make build)" >&2; exit 2; }
export GSWITCH
mkdir -p "$OUT"
echo "INFO bench-netns commit=$(git -C "$TOP" rev-parse --short HEAD 2>/dev/null) gswitch=$GSWITCH rounds=$ROUNDS out=$OUT"

for pair in $PAIRS; do
	a=${pair%%:*} b=${pair#*:}
	tests="latency rr tcp udp cps"
	[[ $a == gswitch ]] && tests="rr tcp udp"
	echo "INFO compare $a $b ($tests)"
	GSB_TESTS=$tests "$bench" compare "$a" "$b" "$ROUNDS" >"$OUT/$a-vs-$b.txt" 2>&1 ||
		echo "WARN $a vs $b: netns-bench.sh exited $? (see $OUT/$a-vs-$b.txt)"
	grep '^RATIO' "$OUT/$a-vs-$b.txt" | grep -E 'metric=(tcp_gbps|udp_kpps|tcp_cps|tcp_rr_us|latency_us) ' || true
	grep -E '^(SKIP|WARN)' "$OUT/$a-vs-$b.txt" || true
done

# Summary: per adapter and output file, the median of each metric and the CPU per rate.
echo
echo "| run | adapter | tcp_gbps | udp_kpps | tcp_cps | tcp_rr_us | switch cores per Gb/s (TCP) | switch cores per Mpps (UDP) |"
echo "|---|---|---|---|---|---|---|---|"
for f in "$OUT"/*-vs-*.txt; do
	awk -v run="$(basename "$f" .txt)" '
	/^RESULT/ {
		for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		if (v["value"] != "nan") { k = v["adapter"] SUBSEP v["metric"]; n[k]++; x[k, n[k]] = v["value"] + 0; seen[v["adapter"]] = 1 }
	}
	function med(a, m,   k, c, i, j, t, arr) {
		k = a SUBSEP m; c = n[k]; if (c == 0) return "nan"
		for (i = 1; i <= c; i++) arr[i] = x[k, i]
		for (i = 2; i <= c; i++) { t = arr[i]; for (j = i - 1; j >= 1 && arr[j] > t; j--) arr[j + 1] = arr[j]; arr[j + 1] = t }
		return c % 2 ? arr[(c + 1) / 2] : (arr[c / 2] + arr[c / 2 + 1]) / 2
	}
	function per(cpu, rate, scale) { return (cpu == "nan" || rate == "nan" || rate == 0) ? "-" : sprintf("%.3f", cpu / 100 / (rate / scale)) }
	END {
		for (a in seen) {
			g = med(a, "tcp_gbps"); u = med(a, "udp_kpps")
			printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", run, a, g, u, med(a, "tcp_cps"), med(a, "tcp_rr_us"),
				per(med(a, "tcp_switch_cpu_pct"), g, 1), per(med(a, "udp_switch_cpu_pct"), u, 1000)
		}
	}' "$f"
done
