#!/usr/bin/env bash
# conformance.sh - run os-ken's OpenFlow Switch Test Tool (OpenFlow 1.3 cases
# in tests/osken/of13, see of13/SOURCE) against a target switch, with a private
# OVS 3.1 (tests/ovsref/ovs-env.sh) as the tester switch, and record one line
# per case. As root:
#
#   tests/osken/conformance.sh run gswitch|ovs [OUT]   one run (OUT defaults
#        to tests/osken/results-TARGET.txt); gswitch is $GSWITCH_BIN or
#        bin/gswitch
#   tests/osken/conformance.sh check                   compare the two results
#        files with tests/osken/known-failures.txt, write summary.txt; exit 1
#        on any unexplained difference (compare.py says which)
#   tests/osken/conformance.sh [all]                   run gswitch, then check
#        (what `make conformance` does; the OVS results are committed, and
#        `run ovs` re-captures them)
#
# Topology: the tester switch and osken-manager in namespace NS (g11v-c; g11v-o
# when OVS is the target), the target in NSt (a userspace OVS's datapath is a
# tap device named ovs-netdev: two OVS need two namespaces). No IPv6 and no
# addresses on the test links: only the tester's packets cross them.
#
#   osken-manager (tester app) on tcp:203.0.113.1:PORT (17920; 17930 for OVS)
#      NS g11v-c0 203.0.113.1/24 <-veth-> g11v-c1 203.0.113.2/24 NSt (control only)
#   target (NSt, dpid 1)  port 1 g11v-t1 <-veth-> g11v-s1 port 1  tester (NS, dpid 2, OVS)
#                         port 2 g11v-t2 <-veth-> g11v-s2 port 2
#                         port 3 g11v-t3 <-veth-> g11v-s3 port 3
#
# Both OVS instances run with other_config:flow-limit=0 (no datapath flow
# cache): with the cache on, OVS's verdicts under this tester are not
# repeatable. Everything started here is stopped by PID on every exit path and
# the namespace is deleted.
set -u -o pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
# namespace and controller port (gswitch's OpenFlow listener is PORT+1): one
# per target, so the two runs may go at the same time
NS=g11v-c
PORT=17920
if [[ ${1:-} == run && ${2:-} == ovs ]]; then
	NS=g11v-o
	PORT=17930
fi
TARGET_DPID=0000000000000001
TESTER_DPID=0000000000000002
CTL_IP=203.0.113.1 # osken-manager's address, on the control link
RUN_LIMIT=${CONFORMANCE_TIMEOUT:-1800} # seconds for one whole run
DIR=${CONFORMANCE_DIR:-$HERE/of13}    # a subset (a copy of some of of13) for trying things

log() { printf 'conformance: %s\n' "$*" >&2; }

WORK=""
declare -a PIDS=()
cleanup() {
	local p
	[[ -n $WORK ]] && rm -f "$WORK/run" 2>/dev/null
	for p in "${PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in "${PIDS[@]}"; do
		for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null
	done
	PIDS=()
	ip netns del "$NS" 2>/dev/null
	ip netns del "${NS}t" 2>/dev/null
	[[ -n $WORK && ${CONFORMANCE_KEEP:-0} != 1 ]] && rm -rf "$WORK"
	WORK=""
}

# start_ovs NAME NAMESPACE DPID PORT1 PORT2 PORT3: a private OVS (ovs-env.sh in
# script mode, in the background) whose command waits until $WORK/run goes away.
start_ovs() {
	local name=$1 ns=$2 dpid=$3
	shift 3
	(
		# the bridge's LOCAL port is a tap device in NS: one name per OVS
		exec "$TOP/tests/ovsref/ovs-env.sh" -n "$ns" -b "g11v-$name" -P OpenFlow13 -s -d "$dpid" \
			-m "02:00:00:00:0$((10#$dpid)):fe" -c "tcp:$CTL_IP:$PORT" \
			-p "$1=1" -p "$2=2" -p "$3=3" -- sh -c '
			ovs-vsctl --db="$OVSENV_DB" set Open_vSwitch . other_config:flow-limit=0 \
				-- set bridge "$OVSENV_BR" other-config:disable-in-band=true &&
			echo "$OVSENV_DIR" >"$0/ovs-$1.dir" &&
			while [ -e "$0/run" ]; do sleep 0.2; done' "$WORK" "$name"
	) >"$WORK/ovs-$name.log" 2>&1 &
	PIDS+=($!)
	for _ in $(seq 300); do
		[[ -e $WORK/ovs-$name.dir ]] && return 0
		kill -0 "${PIDS[-1]}" 2>/dev/null || break
		sleep 0.1
	done
	log "OVS $name did not start:"; cat "$WORK/ovs-$name.log" >&2
	return 1
}

run() {
	local target=$1 out=${2:-$HERE/results-$1.txt}
	[[ $target == gswitch || $target == ovs ]] || { log "target must be gswitch or ovs"; return 2; }
	[[ $(id -u) == 0 ]] || { log "needs root (namespaces)"; return 2; }
	command -v osken-manager >/dev/null || { log "osken-manager missing (Debian: python3-os-ken)"; return 2; }
	local bin=${GSWITCH_BIN:-$TOP/bin/gswitch}
	if [[ $target == gswitch && ! -x $bin ]]; then log "no $bin: make build"; return 2; fi

	WORK=$(mktemp -d /tmp/g11v-conf.XXXXXX) || return 1
	touch "$WORK/run"
	trap cleanup EXIT
	trap 'exit 130' INT TERM
	local ns i
	for ns in "$NS" "${NS}t"; do
		ip netns del "$ns" 2>/dev/null
		ip netns add "$ns" || return 1
		ip -n "$ns" link set lo up
		# no IPv6 on the links: no router solicitations or MLD reports
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	done
	ip -n "$NS" link add g11v-c0 type veth peer name g11v-c1 netns "${NS}t" || return 1
	ip -n "$NS" addr add "$CTL_IP/24" dev g11v-c0
	ip -n "${NS}t" addr add 203.0.113.2/24 dev g11v-c1
	ip -n "$NS" link set g11v-c0 up
	ip -n "${NS}t" link set g11v-c1 up
	for i in 1 2 3; do
		ip -n "${NS}t" link add "g11v-t$i" type veth peer name "g11v-s$i" netns "$NS" || return 1
		ip -n "${NS}t" link set "g11v-t$i" up
		ip -n "$NS" link set "g11v-s$i" up
	done

	start_ovs tester "$NS" "$TESTER_DPID" g11v-s1 g11v-s2 g11v-s3 || return 1
	local tver
	tver=$(ovs-vswitchd --version | head -1)
	if [[ $target == ovs ]]; then
		start_ovs target "${NS}t" "$TARGET_DPID" g11v-t1 g11v-t2 g11v-t3 || return 1
		local what="$tver (flow-limit=0)"
	else
		mkdir -p "$WORK/gs"
		ip netns exec "${NS}t" env OVS_RUNDIR="$WORK/gs" "$bin" --port g11v-t1=1 --port g11v-t2=2 --port g11v-t3=3 \
			--datapath-id "$TARGET_DPID" --hwaddr 02:00:00:00:01:fe --fail-mode secure --no-mgmt-socket \
			--ctl "$WORK/gs/gswitch.ctl" --of-listen "ptcp:$((PORT + 1)):127.0.0.1" \
			--controller "tcp:$CTL_IP:$PORT" >"$WORK/gswitch.log" 2>&1 &
		PIDS+=($!)
		local what
		what="$("$bin" --version 2>/dev/null | head -1) ($(git -C "$TOP" describe --always --dirty 2>/dev/null))"
	fi

	log "target $what, tester $tver (flow-limit=0); ${#PIDS[@]} daemons up"
	local raw=$WORK/raw.tsv start=$SECONDS
	: >"$raw"
	ip netns exec "$NS" env OSKEN_RESULTS="$raw" timeout -k 10 "$RUN_LIMIT" osken-manager \
		--ofp-listen-host "$CTL_IP" --ofp-tcp-listen-port "$PORT" \
		--test-switch-target "$TARGET_DPID" --test-switch-tester "$TESTER_DPID" \
		--test-switch-dir "$DIR" "$HERE/record_tester.py" >"$WORK/osken.log" 2>&1 &
	local mgr=$!
	PIDS+=("$mgr")
	# the tester waits for both switches without end: give up when no case
	# has finished after 90 s
	for _ in $(seq 900); do
		[[ -s $raw ]] && break
		kill -0 "$mgr" 2>/dev/null || break
		sleep 0.1
	done
	if [[ ! -s $raw ]] && kill -0 "$mgr" 2>/dev/null; then
		log "no case finished in 90 s (a switch did not connect?)"
		kill -TERM "$mgr"
	fi
	wait "$mgr"
	local rc=$? took=$((SECONDS - start))
	local n
	n=$(wc -l <"$raw")
	log "osken-manager exited $rc after ${took}s with $n results"
	if ((n == 0)); then
		tail -30 "$WORK/osken.log" >&2
		return 1
	fi
	{
		echo "# os-ken OpenFlow Switch Test Tool, OpenFlow 1.3 cases of tests/osken/of13 (see of13/SOURCE)"
		echo "# target: $what"
		echo "# tester: $tver, other_config:flow-limit=0"
		echo "# written by tests/osken/conformance.sh run $target; one line per case, tab-separated:"
		echo "# FILE-DESCRIPTION	CASE-DESCRIPTION	OK|ERROR	TESTER'S ERROR MESSAGE (first 200 characters)"
		echo "# $(grep -c $'\tOK\t' "$raw") OK / $(grep -c $'\tERROR\t' "$raw") ERROR of $n cases; run took ${took}s"
		LC_ALL=C sort -s -t $'\t' -k1,1 "$raw"
	} >"$out"
	log "wrote $out"
	cleanup
	trap - EXIT
	[[ $DIR != "$HERE/of13" ]] || ((n == 991)) || { log "expected 991 cases, got $n"; return 1; }
}

check() {
	python3 "$HERE/compare.py" --ovs "$HERE/results-ovs.txt" --gswitch "$HERE/results-gswitch.txt" \
		--known "$HERE/known-failures.txt" --summary "$HERE/summary.txt"
}

case ${1:-all} in
run) shift; run "$@" ;;
check) check ;;
all) run gswitch && check ;;
*) sed -n '2,/^$/s/^# \{0,1\}//p' "$0"; exit 2 ;;
esac
