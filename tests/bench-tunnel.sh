#!/usr/bin/env bash
# bench-tunnel.sh - TCP between two VMs on two chassis over a Geneve tunnel,
# gswitch against Open vSwitch 3.1's userspace datapath, in the same run
# (the tunnel companion of ../shared/bench/netns-bench.sh, same output lines).
#
#   netns PVA           netns PCA                                netns PCB           netns PVB
#   eth0 203.0.113.1 -- PVMA [br-int: gnv0 geneve] ...  ... [br-int] PVMB -- eth0 203.0.113.2
#                            [br-phy LOCAL 198.51.100.1] PUA --veth-- PUB [br-phy 198.51.100.2]
#
# Each chassis runs its own ovsdb-server and switch daemon (gswitch with
# ovs-vswitchd's command line, or ovs-vswitchd itself), set up with the same
# ovs-vsctl commands: br-int (NORMAL) with the VM's veth and a Geneve port
# (remote_ip the other chassis, key=flow), br-phy (NORMAL) with the underlay
# address on its LOCAL port and the underlay veth. VM MTU 1450 (Geneve over
# IPv4 adds 50 bytes to the underlay's 1500).
#
# Usage (root, from the repository root; make bench-tunnel runs it):
#   tests/bench-tunnel.sh [ROUNDS]        ROUNDS (default 3) of every adapter in
#                                         TB_ADAPTERS, the order rotated each round,
#                                         then medians and RATIO lines
#   tests/bench-tunnel.sh cleanup         remove what a killed run left
# Adapters:
#   gswitch            gswitch, the VMs' veths with the kernel's default offloads
#                      (TSO, checksum offload: gswitch segments before encapsulating)
#   gswitch-nooffload  gswitch, the VMs' TX offloads off (how OVS must be measured)
#   ovs                OVS 3.1, VMs' TX offloads off (with them on OVS 3.1 without
#                      TSO reads unfinished frames and TCP breaks)
#   ovs-tso            OVS 3.1 with other_config:userspace-tso-enable=true, VMs'
#                      offloads on: OVS 3.1 drops every offloaded frame it would
#                      tunnel ("Tunneling packets with HW offload flags is not
#                      supported"), so this measures nan; listed to show it
#   kernel-vxlan       no switch daemon: Linux's VXLAN device and bridge (a
#                      ceiling under the same load), VMs' offloads on
# Output: RESULT adapter= metric= value= (tcp_gbps, tcp_retrans, tcp_switch_cpu_pct:
# both chassis' daemons together, 100 = one core; tcp_rr_us: median TCP
# request/response time, gsbload rr; latency_us: median ping), INFO lines (load),
# and at the end MEDIAN and RATIO a= b= metric= value= lines (median a / median b,
# each gswitch adapter against each other one).
# Environment: GSWITCH (default bin/gswitch), GSBLOAD (the netns bench's load tool,
# default ../shared/bench/tools/bin/gsbload beside the repository), TB_ADAPTERS
# (default "gswitch gswitch-nooffload ovs"), TB_TCP_SECS=10, TB_RR_SECS=5,
# TB_PREFIX=gtb- (namespace and interface prefix, at most 7 characters),
# TB_PORT=19650 (TCP ports TB_PORT and TB_PORT+1 in the VMs).
set -u -o pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
P=${TB_PREFIX:-gtb-}
PORT=${TB_PORT:-19650}
TB_TCP_SECS=${TB_TCP_SECS:-10}
TB_RR_SECS=${TB_RR_SECS:-5}
TB_ADAPTERS=${TB_ADAPTERS:-gswitch gswitch-nooffload ovs}
GSWITCH=${GSWITCH:-$TOP/bin/gswitch}
SCHEMA=${OVS_SCHEMA:-/usr/share/openvswitch/vswitch.ovsschema}
CLK_TCK=$(getconf CLK_TCK 2>/dev/null || echo 100)
NSS=("${P}ca" "${P}cb" "${P}va" "${P}vb")

say() { printf '%s\n' "$*"; [[ -n ${RES:-} ]] && printf '%s\n' "$*" >>"$RES"; return 0; }
die() { say "ERROR $*"; exit 1; }
nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

find_gsbload() {
	local c
	for c in "${GSBLOAD:-}" "$TOP/../shared/bench/tools/bin/gsbload" \
		"$(git -C "$TOP" rev-parse --path-format=absolute --git-common-dir 2>/dev/null)/../../shared/bench/tools/bin/gsbload"; do
		[[ -n $c && -x $c ]] && { realpath "$c"; return 0; }
	done
	return 1
}

alive() { [[ -r /proc/$1/stat ]] && [[ $(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) != Z ]]; }
stop_pid() { # only PIDs this script started (from its own pid files)
	local pid=$1 i
	[[ -n $pid ]] || return 0
	alive "$pid" || return 0
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < 50; i++)); do alive "$pid" || return 0; sleep 0.1; done
	kill -KILL "$pid" 2>/dev/null
}

teardown() {
	local ns p f
	for f in "$TMP"/*/*.pid; do
		[[ -f $f ]] && stop_pid "$(cat "$f")"
		rm -f "$f"
	done
	for ns in "${NSS[@]}"; do
		ip netns list | awk '{print $1}' | grep -qx "$ns" || continue
		for p in $(ip netns pids "$ns" 2>/dev/null); do stop_pid "$p"; done
		ip netns del "$ns" 2>/dev/null
	done
}

# chassis_up NS DAEMON(gswitch|ovs|ovs-tso) VMPORT UNDERLAY ADDR REMOTE HWADDR
chassis_up() {
	local ns=$1 kind=$2 vm=$3 ul=$4 addr=$5 remote=$6 hw=$7 d=$TMP/$1 bin i
	mkdir -p "$d"
	if [[ $kind == kernel ]]; then
		# The kernel's own: a VXLAN device (the same 50 bytes of outer
		# headers; kernels without the geneve module are common) and the
		# VM's veth in a Linux bridge, the underlay address on the
		# underlay veth.
		nsx "$ns" ip addr add "$addr" dev "$ul" || return 1
		nsx "$ns" ip link add gnv0 type vxlan id 0 remote "$remote" dstport 4789 || return 1
		nsx "$ns" ip link add br0 type bridge || return 1
		nsx "$ns" ip link set "$vm" master br0 || return 1
		nsx "$ns" ip link set gnv0 master br0 up || return 1
		nsx "$ns" ip link set br0 up || return 1
		return 0
	fi
	local env=(env OVS_RUNDIR="$d" OVS_LOGDIR="$d" OVS_DBDIR="$d" OVS_SYSCONFDIR="$d")
	ovsdb-tool create "$d/conf.db" "$SCHEMA" || return 1
	nsx "$ns" "${env[@]}" ovsdb-server "$d/conf.db" --remote="punix:$d/db.sock" --pidfile="$d/ovsdb-server.pid" \
		--unixctl="$d/ovsdb-server.ctl" --log-file="$d/ovsdb-server.log" --detach --no-chdir 2>>"$d/daemons.stderr" || return 1
	local vsctl=(nsx "$ns" "${env[@]}" timeout 30 ovs-vsctl --db="unix:$d/db.sock" --timeout=20)
	"${vsctl[@]}" --no-wait init || return 1
	if [[ $kind == ovs-tso ]]; then
		"${vsctl[@]}" --no-wait set Open_vSwitch . other_config:userspace-tso-enable=true || return 1
	fi
	bin=ovs-vswitchd
	[[ $kind == gswitch ]] && bin=$GSWITCH
	nsx "$ns" "${env[@]}" "$bin" "unix:$d/db.sock" --pidfile="$d/vswitchd.pid" --unixctl="$d/vswitchd.ctl" \
		--log-file="$d/vswitchd.log" --detach --no-chdir -vconsole:off 2>>"$d/daemons.stderr" || return 1
	"${vsctl[@]}" add-br br-int -- set bridge br-int datapath_type=netdev \
		-- add-port br-int "$vm" -- set interface "$vm" ofport_request=1 \
		-- add-port br-int gnv0 -- set interface gnv0 type=geneve ofport_request=2 \
		options:remote_ip="$remote" options:key=flow \
		-- add-br br-phy -- set bridge br-phy datapath_type=netdev "other-config:hwaddr=\"$hw\"" \
		-- add-port br-phy "$ul" || return 1
	for ((i = 0; i < 50; i++)); do
		nsx "$ns" ip link show br-phy >/dev/null 2>&1 && break
		sleep 0.1
	done
	nsx "$ns" ip link set br-phy up || return 1
	nsx "$ns" ip addr add "$addr" dev br-phy || return 1
}

daemon_ticks() { # utime+stime of both chassis' switch daemons
	local f t=0
	for f in "$TMP/${P}ca/vswitchd.pid" "$TMP/${P}cb/vswitchd.pid"; do
		[[ -f $f && -r /proc/$(cat "$f")/stat ]] || continue
		t=$((t + $(sed 's/.*) //' "/proc/$(cat "$f")/stat" 2>/dev/null | awk '{print $12 + $13 + 0}')))
	done
	echo "$t"
}

busy_pct() { # whole machine, over one second
	local a b
	read -r _ a1 a2 a3 a4 a5 a6 a7 a8 _ </proc/stat
	sleep 1
	read -r _ b1 b2 b3 b4 b5 b6 b7 b8 _ </proc/stat
	awk -v busy=$(((b1 + b2 + b3 + b6 + b7) - (a1 + a2 + a3 + a6 + a7))) \
		-v all=$(((b1 + b2 + b3 + b4 + b5 + b6 + b7 + b8) - (a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8))) \
		'BEGIN{printf "%.1f", (all > 0 ? busy / all * 100 : 0)}'
}

result() { say "RESULT adapter=$A metric=$1 value=$2"; }

run_one() {
	A=$1
	local kind=gswitch offload=on ns out json gbps t0 t1 c0 c1 i
	case $A in
	gswitch) ;;
	gswitch-nooffload) offload=off ;;
	ovs) kind=ovs offload=off ;;
	ovs-tso) kind=ovs-tso ;;
	kernel-vxlan) kind=kernel ;;
	*) die "unknown adapter $A" ;;
	esac
	say "INFO adapter=$A date=$(date -u +%Y-%m-%dT%H:%M:%SZ) loadavg=\"$(cut -d' ' -f1-3 /proc/loadavg)\" busy_before_pct=$(busy_pct) vm_offload=$offload"
	for ns in "${NSS[@]}"; do
		ip netns add "$ns" || die "cannot create netns $ns (a killed run? $0 cleanup)"
		nsx "$ns" ip link set lo up
		nsx "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	done
	ip link add eth0 netns "${P}va" type veth peer name "${P}vma" netns "${P}ca" || die veth
	ip link add eth0 netns "${P}vb" type veth peer name "${P}vmb" netns "${P}cb" || die veth
	ip link add "${P}ua" netns "${P}ca" type veth peer name "${P}ub" netns "${P}cb" || die veth
	nsx "${P}ca" ip link set "${P}ua" address 02:00:00:00:00:c1 up
	nsx "${P}cb" ip link set "${P}ub" address 02:00:00:00:00:c2 up
	nsx "${P}ca" ip link set "${P}vma" up
	nsx "${P}cb" ip link set "${P}vmb" up
	for i in 1 2; do
		ns=${P}va
		[[ $i == 2 ]] && ns=${P}vb
		nsx "$ns" ip link set eth0 mtu 1450 up
		nsx "$ns" ip addr add "203.0.113.$i/24" dev eth0
		[[ $offload == off ]] && nsx "$ns" ethtool -K eth0 tx off >/dev/null
	done
	if ! chassis_up "${P}ca" "$kind" "${P}vma" "${P}ua" 198.51.100.1/24 198.51.100.2 02:00:00:00:00:a1 ||
		! chassis_up "${P}cb" "$kind" "${P}vmb" "${P}ub" 198.51.100.2/24 198.51.100.1 02:00:00:00:00:a2; then
		say "ERROR adapter=$A chassis did not start"
		tail -n 5 "$TMP"/*/vswitchd.log 2>/dev/null | sed 's/^/INFO log: /'
		teardown
		return 1
	fi
	for ((i = 0; i < 40; i++)); do
		nsx "${P}va" ping -n -c 1 -W 1 203.0.113.2 >/dev/null 2>&1 && break
		sleep 0.25
	done
	((i < 40)) || say "WARN adapter=$A no ping across the tunnel"

	out=$(nsx "${P}va" ping -n -c 200 -i 0.01 -W 1 203.0.113.2 2>&1)
	result latency_us "$(grep -o 'time=[0-9.]*' <<<"$out" | cut -d= -f2 | sort -g |
		awk '{v[NR] = $1 * 1000} END {if (NR == 0) print "nan"; else printf "%.1f\n", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}')"

	rm -f "$TMP/serve.log" # a previous run's "ready" must not count
	nsx "${P}vb" timeout 120 "$GSBLOAD" serve -lifetime 100s -echo "203.0.113.2:$((PORT + 1))" >"$TMP/serve.log" 2>&1 &
	mkdir -p "$TMP/${P}vb"
	echo $! >"$TMP/${P}vb/serve.pid"
	for ((i = 0; i < 50; i++)); do grep -q ready "$TMP/serve.log" 2>/dev/null && break; sleep 0.1; done
	out=$(nsx "${P}va" timeout $((TB_RR_SECS + 15)) "$GSBLOAD" rr -addr "203.0.113.2:$((PORT + 1))" -t "${TB_RR_SECS}s" 2>&1)
	say "INFO adapter=$A rr: $out"
	result tcp_rr_us "$(sed -n 's/.*\bp50_us=\([^ ]*\).*/\1/p' <<<"$out" | grep . || echo nan)"

	nsx "${P}vb" timeout $((TB_TCP_SECS + 40)) iperf3 -s -1 -B 203.0.113.2 -p "$PORT" >"$TMP/iperf3-s.log" 2>&1 &
	echo $! >"$TMP/${P}vb/iperf3.pid"
	for ((i = 0; i < 50; i++)); do [[ -n $(nsx "${P}vb" ss -Hltn "sport = :$PORT") ]] && break; sleep 0.1; done
	c0=$(daemon_ticks)
	t0=$(date +%s.%N)
	json=$(nsx "${P}va" timeout $((TB_TCP_SECS + 25)) iperf3 -c 203.0.113.2 -p "$PORT" -t "$TB_TCP_SECS" -O 1 -J --connect-timeout 5000 2>&1)
	t1=$(date +%s.%N)
	c1=$(daemon_ticks)
	gbps=$(jq -r '.end.sum_received.bits_per_second // empty' <<<"$json" 2>/dev/null)
	if [[ -z $gbps ]]; then
		say "WARN adapter=$A iperf3 failed: $(jq -r '.error // empty' <<<"$json" 2>/dev/null | head -c 200)"
		result tcp_gbps nan
	else
		result tcp_gbps "$(awk -v b="$gbps" 'BEGIN{printf "%.3f", b / 1e9}')"
		result tcp_retrans "$(jq -r '.end.sum_sent.retransmits // "nan"' <<<"$json")"
		[[ $kind == kernel ]] || result tcp_switch_cpu_pct "$(awk -v d=$((c1 - c0)) -v hz="$CLK_TCK" -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", d / hz / (b - a) * 100}')"
	fi
	if [[ $kind == ovs-tso ]]; then
		say "INFO adapter=$A vswitchd log: $(grep -c 'HW offload flags is not supported' "$TMP/${P}ca/vswitchd.log") lines 'Tunneling packets with HW offload flags is not supported' on chassis A"
	fi
	teardown
	rm -rf "${TMP:?}/${P}ca" "${TMP:?}/${P}cb"
	return 0
}

median() { grep -Evi '^(nan|)$' | sort -g | awk '{v[NR] = $1} END {if (NR == 0) {print "nan"; exit}
	if (NR % 2) print v[(NR + 1) / 2]; else printf "%.6g\n", (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

main() {
	[[ $EUID -eq 0 ]] || die "must run as root (network namespaces)"
	local c
	for c in ip ethtool ping ss iperf3 jq ovsdb-tool ovsdb-server ovs-vswitchd ovs-vsctl; do
		command -v "$c" >/dev/null || die "missing command: $c"
	done
	TMP=$(mktemp -d "${TMPDIR:-/tmp}/bench-tunnel.XXXXXX") || die mktemp
	trap 'teardown; rm -rf "$TMP"' EXIT
	trap 'say "ERROR interrupted"; exit 130' INT TERM HUP
	if [[ ${1:-} == cleanup ]]; then
		teardown
		return 0
	fi
	local rounds=${1:-3} r j n list a m
	[[ -x $GSWITCH ]] || die "no gswitch binary at $GSWITCH (make build, or GSWITCH=)"
	GSBLOAD=$(find_gsbload) || die "no gsbload (the netns bench's load tool): set GSBLOAD=/path/to/gsbload"
	RES=$TMP/results
	: >"$RES"
	say "INFO bench-tunnel $(date -u +%Y-%m-%dT%H:%M:%SZ) kernel=$(uname -r) cpus=$(nproc) gswitch=$("$GSWITCH" --version 2>/dev/null | head -n 1) ovs=$(ovs-vswitchd --version | sed -n '1s/.* //p') adapters=\"$TB_ADAPTERS\" rounds=$rounds"
	read -ra list <<<"$TB_ADAPTERS"
	n=${#list[@]}
	for ((r = 0; r < rounds; r++)); do
		for ((j = 0; j < n; j++)); do
			run_one "${list[$(((j + r) % n))]}"
		done
	done
	for m in tcp_gbps tcp_rr_us latency_us tcp_switch_cpu_pct tcp_retrans; do
		for a in "${list[@]}"; do
			say "MEDIAN adapter=$a metric=$m value=$(sed -n "s/^RESULT adapter=$a metric=$m value=//p" "$RES" | median)"
		done
	done
	local g x y
	for g in "${list[@]}"; do
		[[ $g == gswitch* ]] || continue
		for a in "${list[@]}"; do
			[[ $a == gswitch* ]] && continue
			for m in tcp_gbps tcp_rr_us latency_us; do
				x=$(sed -n "s/^MEDIAN adapter=$g metric=$m value=//p" "$RES")
				y=$(sed -n "s/^MEDIAN adapter=$a metric=$m value=//p" "$RES")
				say "RATIO a=$g b=$a metric=$m value=$(awk -v x="$x" -v y="$y" 'BEGIN{if (x == "nan" || y == "nan" || y + 0 == 0) print "nan"; else printf "%.3f", x / y}')"
			done
		done
	done
}

main "$@"
