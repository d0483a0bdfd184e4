#!/usr/bin/env bash
# capture.sh - regenerate the golden files in tests/golden/ from real Open
# vSwitch (the Debian openvswitch-switch package, 3.1), run privately with
# tests/ovsref/ovs-env.sh inside network namespaces ggo-*.
#
# Usage (as root, from anywhere):
#   tests/ovsref/capture.sh [SECTION...]    default: all sections
#   tests/ovsref/capture.sh cleanup         only remove what a killed run left behind
# Sections: flows ofctl errors of15 conntrack ctpkt monitor nat ftp ftpnat ftpnatct ftpnatport tftp ctrewrite ctflush learn tunnel mpls meters tlv tlvfields tlvfields2 tlvlearn multipath bundlefail queues grouphash
# Environment: GOLDEN_OUT=DIR writes the goldens there instead of tests/golden
# (flow inputs are still read from tests/golden/flows).
#
# Every golden X.txt gets a sibling X.cmd with the setup and the exact
# command; the text is piped through tests/ovsref/normalize (the Go
# golden.Normalize that tests use too). Reruns rewrite the same bytes: each
# section starts a fresh OVS, traffic uses fixed ports and bounded counts and
# timeouts, and everything this script starts (namespaces ggo-*, daemons,
# servers) is stopped by PID / deleted by name on every exit path.
#
# Topology of the traffic sections (conntrack, monitor, nat, ftp):
#   ggo-left  ggo-l1 198.51.100.1/24 2001:db8::1/64 02:00:00:00:01:01
#      |  veth
#   ggo-sw    P1 (ofport 1) [ OVS br0, netdev datapath ] P2 (ofport 2)
#      |  veth
#   ggo-right ggo-r1 198.51.100.2/24 2001:db8::2/64 02:00:00:00:02:01
# P1/P2 are ggo-p1/ggo-p2, except in the ftp section: eth0/veth1 (the talk's names).
set -u -o pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
FLOWS=$ROOT/tests/golden/flows
# GOLDEN_OUT: where to write (default tests/golden itself); a privileged test
# points it at a temp dir and compares with the committed files
GOLD=${GOLDEN_OUT:-$ROOT/tests/golden}
# shellcheck source=ovs-env.sh
source "$HERE/ovs-env.sh"

# CAPTURE_NS_PREFIX renames the three namespaces (default ggo: ggo-left,
# ggo-sw, ggo-right), so that runs of different sections can go side by side
NS_L=${CAPTURE_NS_PREFIX:-ggo}-left
NS_R=${CAPTURE_NS_PREFIX:-ggo}-right
NS_SW=${CAPTURE_NS_PREFIX:-ggo}-sw
IP4_L=198.51.100.1
IP4_R=198.51.100.2
IP6_L=2001:db8::1
IP6_R=2001:db8::2
MAC_L=02:00:00:00:01:01
MAC_R=02:00:00:00:02:01
OFPORT_TCP=17501 # OVS's ptcp listener (127.0.0.1 in ggo-sw)

TMPD=$(mktemp -d /tmp/ggo-capture.XXXXXX)
echo $$ >"$TMPD/capture.pid"
NORMALIZE=$TMPD/normalize
BG_PIDS=()
FAILED=0

log() { printf 'capture: %s\n' "$*" >&2; }

stop_bg() {
	local p
	for p in "${BG_PIDS[@]}"; do
		ovsenv_kill "$p" 3
		wait "$p" 2>/dev/null
	done
	BG_PIDS=()
}

del_ns() {
	local ns
	for ns in "$NS_L" "$NS_R" "$NS_SW"; do
		ip netns del "$ns" 2>/dev/null
	done
	return 0
}

cleanup() {
	stop_bg
	ovsenv_stop
	del_ns
	rm -rf "$TMPD"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ------------------------------------------------------------ helpers
SETUP="" # description of the setup, written into each .cmd

# cap KIND NAME CMD...: run CMD (stdout+stderr), normalize as KIND, store
# $GOLD/NAME.txt and $GOLD/NAME.cmd.
cap() {
	local kind=$1 name=$2 rc
	shift 2
	mkdir -p "$(dirname "$GOLD/$name")"
	"$@" >"$TMPD/raw" 2>&1
	rc=$?
	"$NORMALIZE" "$kind" <"$TMPD/raw" >"$GOLD/$name.txt"
	{
		printf '# setup: %s\n' "$SETUP"
		printf '# normalize: %s\n' "$kind"
		printf '# exit status: %s\n' "$rc"
		printf '%q ' "$@" | sed 's/ $//'
		printf '\n'
	} >"$GOLD/$name.cmd"
	grep -q 'decode error' "$GOLD/$name.txt" && log "WARNING: decode error in $name"
	return 0
}

# capsh KIND NAME 'shell text': like cap, for pipelines; the .cmd shows the text
capsh() {
	local kind=$1 name=$2 text=$3 rc
	mkdir -p "$(dirname "$GOLD/$name")"
	# from the repository's top, so a command may name its files relative to it
	# (no path of the capturing machine in the goldens)
	(cd "$ROOT" && bash -c "$text") >"$TMPD/raw" 2>&1
	rc=$?
	"$NORMALIZE" "$kind" <"$TMPD/raw" >"$GOLD/$name.txt"
	{
		printf '# setup: %s\n' "$SETUP"
		printf '# normalize: %s\n' "$kind"
		printf '# exit status: %s\n' "$rc"
		printf '%s\n' "$text"
	} >"$GOLD/$name.cmd"
	return 0
}

must() { "$@" || { log "failed: $*"; exit 1; }; }

# switch_ns: an empty ggo-sw namespace in which the kernel sends nothing by
# itself (no IPv6: no DAD/MLD/RS on the veth ends, so port counters stay put)
switch_ns() {
	ip netns del "$NS_SW" 2>/dev/null
	must ip netns add "$NS_SW"
	ip netns exec "$NS_SW" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	ip -n "$NS_SW" link set lo up
}

# lone_ports P1 P2: two veth pairs inside ggo-sw with fixed MACs, their far
# ends up and idle; P1=ofport 1, P2=ofport 2
lone_ports() {
	local n i=1
	for n in "$@"; do
		must ip -n "$NS_SW" link add "$n" address "02:00:00:00:00:0$i" type veth peer name "$n-x" address "02:00:00:00:00:1$i"
		ip -n "$NS_SW" link set "$n-x" up
		ip -n "$NS_SW" link set "$n" up
		i=$((i + 1))
	done
}

# hosts P1 P2: ggo-left and ggo-right, wired to ports P1 and P2 in ggo-sw
hosts() {
	local p1=$1 p2=$2 ns
	for ns in "$NS_L" "$NS_R"; do
		ip netns del "$ns" 2>/dev/null
		must ip netns add "$ns"
		ip -n "$ns" link set lo up
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
			net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0 \
			net.ipv6.conf.all.router_solicitations=0 net.ipv6.conf.default.router_solicitations=0
	done
	must ip link add ggo-l1 netns "$NS_L" address "$MAC_L" type veth peer name "$p1" netns "$NS_SW" address 02:00:00:00:00:01
	must ip link add ggo-r1 netns "$NS_R" address "$MAC_R" type veth peer name "$p2" netns "$NS_SW" address 02:00:00:00:00:02
	ip -n "$NS_L" addr add "$IP4_L/24" dev ggo-l1
	ip -n "$NS_L" addr add "$IP6_L/64" dev ggo-l1 nodad
	ip -n "$NS_R" addr add "$IP4_R/24" dev ggo-r1
	ip -n "$NS_R" addr add "$IP6_R/64" dev ggo-r1 nodad
	ip -n "$NS_L" link set ggo-l1 up
	ip -n "$NS_R" link set ggo-r1 up
	ip -n "$NS_SW" link set "$p1" up
	ip -n "$NS_SW" link set "$p2" up
	# static neighbours: no ARP/ND needed for the first packet of each test
	ip -n "$NS_L" neigh replace "$IP4_R" lladdr "$MAC_R" dev ggo-l1 nud permanent
	ip -n "$NS_L" neigh replace "$IP6_R" lladdr "$MAC_R" dev ggo-l1 nud permanent
	ip -n "$NS_R" neigh replace "$IP4_L" lladdr "$MAC_L" dev ggo-r1 nud permanent
	ip -n "$NS_R" neigh replace "$IP6_L" lladdr "$MAC_L" dev ggo-r1 nud permanent
	# no TX checksum offload: the userspace datapath sees real checksums
	ip netns exec "$NS_L" ethtool -K ggo-l1 tx off >/dev/null 2>&1
	ip netns exec "$NS_R" ethtool -K ggo-r1 tx off >/dev/null 2>&1
}

ovs_up() { # ovs_up OVSENV-OPTIONS...
	must ovsenv_start -n "$NS_SW" -s "$@"
}

ovs_down() {
	stop_bg
	ovsenv_stop
	del_ns
}

# ------------------------------------------------------------ sections
section_flows() {
	local f name p1 p2 opts
	for f in ct-firewall l2-forward talk-firewall talk-ftp ftp-nat nat tftp kitchen-sink kitchen-sink-metadata nx-actions sample; do
		p1=ggo-p1 p2=ggo-p2
		if [[ $f == talk-ftp || $f == ftp-nat ]]; then p1=eth0 p2=veth1; fi
		switch_ns
		lone_ports "$p1" "$p2"
		ovs_up -p "$p1=1" -p "$p2=2"
		SETUP="private OVS 3.1 (tests/ovsref/ovs-env.sh), bridge br0 datapath_type=netdev protocols=OpenFlow10,OpenFlow13 fail-mode=secure, ports $p1=1 $p2=2;"
		if [[ $f == kitchen-sink* ]]; then
			must ovs-ofctl -O OpenFlow13 add-groups br0 "$FLOWS/kitchen-sink.groups"
			SETUP+=" ovs-ofctl -O OpenFlow13 add-groups br0 tests/golden/flows/kitchen-sink.groups;"
		fi
		must ovs-ofctl -O OpenFlow13 add-flows br0 "$FLOWS/$f.flows"
		SETUP+=" ovs-ofctl -O OpenFlow13 add-flows br0 tests/golden/flows/$f.flows"
		cap flows "dump-flows/$f.of13" ovs-ofctl -O OpenFlow13 dump-flows br0
		cap flows "dump-flows/$f.of13-nostats" ovs-ofctl -O OpenFlow13 dump-flows br0 --no-stats
		if [[ $f != kitchen-sink-metadata ]]; then
			cap flows "dump-flows/$f.of10" ovs-ofctl dump-flows br0
			cap flows "dump-flows/$f.of10-nostats" ovs-ofctl dump-flows br0 --no-stats
		fi
		if [[ $f == talk-ftp ]]; then
			cap flows "dump-flows/$f.of13-names" ovs-ofctl -O OpenFlow13 --names dump-flows br0
			cap flows "dump-flows/$f.of13-names-nostats" ovs-ofctl -O OpenFlow13 --names --no-stats dump-flows br0
			cap flows "dump-flows/$f.of10-names" ovs-ofctl --names dump-flows br0
			cap flows "dump-flows/$f.of10-names-nostats" ovs-ofctl --names --no-stats dump-flows br0
		fi
		ovs_down
	done
}

# An ARP request from 02:00:00:00:00:01 (198.51.100.1) for 198.51.100.2, as hex
ARP_HEX=ffffffffffff0200000000010806000108000604000102000000000001c6336401000000000000c6336402

section_ofctl() {
	local v o
	switch_ns
	lone_ports ggo-p1 ggo-p2
	ovs_up -p ggo-p1=1 -p ggo-p2=2
	must ovs-ofctl -O OpenFlow13 add-groups br0 "$FLOWS/kitchen-sink.groups"
	must ovs-ofctl -O OpenFlow13 add-flows br0 "$FLOWS/ct-firewall.flows"
	# three ARP requests in at port 1: table=0 arp,in_port=1 -> output:2
	for _ in 1 2 3; do
		must ovs-ofctl packet-out br0 "in_port=1 packet=$ARP_HEX actions=table"
	done
	SETUP="private OVS 3.1, bridge br0 datapath_type=netdev protocols=OpenFlow10,OpenFlow13 fail-mode=secure dpid 0000000000000001 hwaddr 02:00:00:00:00:fe, ports ggo-p1=1 (02:00:00:00:00:01) ggo-p2=2 (02:00:00:00:00:02), veth peers idle (IPv6 off); ovs-ofctl -O OpenFlow13 add-groups br0 tests/golden/flows/kitchen-sink.groups; ovs-ofctl -O OpenFlow13 add-flows br0 tests/golden/flows/ct-firewall.flows; 3x ovs-ofctl packet-out br0 'in_port=1 packet=$ARP_HEX actions=table' (ARP request 198.51.100.1 -> 198.51.100.2)"
	for v in of13 of10; do
		o=()
		[[ $v == of13 ]] && o=(-O OpenFlow13)
		cap flows "ofctl/show.$v" ovs-ofctl "${o[@]}" show br0
		cap flows "ofctl/dump-desc.$v" ovs-ofctl "${o[@]}" dump-desc br0
		cap flows "ofctl/dump-ports.$v" ovs-ofctl "${o[@]}" dump-ports br0
		cap flows "ofctl/dump-ports-1.$v" ovs-ofctl "${o[@]}" dump-ports br0 1
		cap flows "ofctl/dump-ports-desc.$v" ovs-ofctl "${o[@]}" dump-ports-desc br0
		cap flows "ofctl/dump-tables.$v" ovs-ofctl "${o[@]}" dump-tables br0
		cap flows "ofctl/dump-aggregate.$v" ovs-ofctl "${o[@]}" dump-aggregate br0
		cap flows "ofctl/dump-aggregate-table1.$v" ovs-ofctl "${o[@]}" dump-aggregate br0 table=1
		cap flows-sorted "ofctl/dump-groups.$v" ovs-ofctl "${o[@]}" dump-groups br0
		cap flows-sorted "ofctl/dump-group-stats.$v" ovs-ofctl "${o[@]}" dump-group-stats br0
		cap flows "ofctl/dump-flows-after-arp.$v" ovs-ofctl "${o[@]}" dump-flows br0 table=0
		cap flows "ofctl/get-frags.$v" ovs-ofctl "${o[@]}" get-frags br0
		capsh flows "ofctl/dump-table-features-head.$v" "ovs-ofctl ${o[*]} dump-table-features br0 | head -n 60"
	done
	cap flows-sorted "ofctl/dump-groups-2.of13" ovs-ofctl -O OpenFlow13 dump-groups br0 2
	cap flows "ofctl/dump-group-features.of13" ovs-ofctl -O OpenFlow13 dump-group-features br0
	cap flows "ofctl/dump-flows-bad-table.of13" ovs-ofctl -O OpenFlow13 dump-flows br0 table=300
	cap flows "ofctl/add-flow-bad-syntax.of13" ovs-ofctl -O OpenFlow13 add-flow br0 "table=0,tcp,tp_dst=80,actions=frobnicate"
	cap flows "ofctl/add-flow-bad-prereq.of13" ovs-ofctl -O OpenFlow13 add-flow br0 "table=0,tp_dst=80,actions=drop"
	ovs_down
}

PY=/usr/bin/python3
TRAFFIC=$HERE/traffic.py
APPCTL=(ovs-appctl) # OVS_RUNDIR points at the private OVS (see ovs-env.sh)

# bg NS CMD...: start CMD in namespace NS in the background, remember its PID
bg() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@" >>"$TMPD/bg.log" 2>&1 &
	BG_PIDS+=($!)
}
inl() { ip netns exec "$NS_L" "$@"; }
inr() { ip netns exec "$NS_R" "$@"; }

# appcap KIND NAME ARGS...: cap of "ovs-appctl ARGS..."
appcap() {
	local kind=$1 name=$2
	shift 2
	cap "$kind" "$name" "${APPCTL[@]}" "$@"
}

traffic_topology() { # traffic_topology P1 P2: hosts + OVS with ports P1=1 P2=2
	switch_ns
	hosts "$1" "$2"
	ovs_up -p "$1=1" -p "$2=2"
}

section_conntrack() {
	traffic_topology ggo-p1 ggo-p2
	must ovs-ofctl -O OpenFlow13 add-flows br0 "$FLOWS/ct-firewall.flows"
	must ovs-ofctl -O OpenFlow13 add-flows br0 "$FLOWS/ct-zone-mark.flows"
	SETUP="private OVS 3.1 in ggo-sw, ports ggo-p1=1 (to ggo-left 198.51.100.1, 2001:db8::1) ggo-p2=2 (to ggo-right 198.51.100.2, 2001:db8::2); flows tests/golden/flows/ct-firewall.flows + ct-zone-mark.flows; no traffic yet"
	appcap conntrack conntrack/empty.dump-conntrack dpctl/dump-conntrack
	appcap conntrack conntrack/empty.dump-conntrack-m-s dpctl/dump-conntrack -m -s
	appcap plain conntrack/empty.ct-stats-show dpctl/ct-stats-show
	appcap plain conntrack/empty.ct-get-nconns dpctl/ct-get-nconns
	appcap plain conntrack/empty.ct-bkts dpctl/ct-bkts
	appcap plain conntrack/empty.ipf-get-status dpctl/ipf-get-status
	appcap plain conntrack/empty.flush-conntrack dpctl/flush-conntrack

	bg "$NS_R" "$PY" "$TRAFFIC" tcp-server 7001 60
	bg "$NS_R" "$PY" "$TRAFFIC" udp-server 7002 60
	bg "$NS_R" "$PY" "$TRAFFIC" udp-server 7100 60
	inr "$PY" "$TRAFFIC" ready 7001 tcp 127.0.0.1 || log "tcp server not ready"
	sleep 0.3
	inl ping -q -c 2 -i 0.2 -W 2 "$IP4_R" >/dev/null || log "ping v4 failed"
	inl ping -q -6 -c 2 -i 0.2 -W 2 "$IP6_R" >/dev/null || log "ping v6 failed"
	inl "$PY" "$TRAFFIC" tcp-client 20001 "$IP4_R" 7001 || log "tcp v4 failed"
	inl "$PY" "$TRAFFIC" tcp-client 20002 "$IP6_R" 7001 || log "tcp v6 failed"
	bg "$NS_L" "$PY" "$TRAFFIC" tcp-client 20003 "$IP4_R" 7001 60
	inl "$PY" "$TRAFFIC" udp-client 20004 "$IP4_R" 7002 2 || log "udp v4 failed"
	inl "$PY" "$TRAFFIC" udp-client 20005 "$IP6_R" 7002 1 || log "udp v6 failed"
	inl "$PY" "$TRAFFIC" udp-client 20006 "$IP4_R" 7999 1 && log "udp to closed port got an answer?"
	inl "$PY" "$TRAFFIC" udp-client 20007 "$IP4_R" 7100 2 || log "udp zone 5 failed"
	inl ping -q -c 1 -s 3000 -W 2 "$IP4_R" >/dev/null || log "fragmented ping v4 failed"
	inl ping -q -6 -c 1 -s 3000 -W 2 "$IP6_R" >/dev/null || log "fragmented ping v6 failed"
	sleep 0.7

	SETUP="as conntrack/empty.*, then from ggo-left (tests/ovsref/traffic.py, fixed source ports): ping -c 2 198.51.100.2; ping -6 -c 2 2001:db8::2; TCP 20001->198.51.100.2:7001 and 20002->[2001:db8::2]:7001 (line echoed, closed); TCP 20003->198.51.100.2:7001 held open; UDP 20004->198.51.100.2:7002 x2 and 20005->[2001:db8::2]:7002 (echoed); UDP 20006->198.51.100.2:7999 (closed port: ICMP port unreachable); UDP 20007->198.51.100.2:7100 x2 (zone 5, mark 0x5, label 0xabcdef); ping -s 3000 v4 and v6 (fragmented); 0.7 s later"
	appcap conntrack conntrack/dump-conntrack dpctl/dump-conntrack
	appcap conntrack conntrack/dump-conntrack-m dpctl/dump-conntrack -m
	appcap conntrack conntrack/dump-conntrack-s dpctl/dump-conntrack -s
	appcap conntrack conntrack/dump-conntrack-m-s dpctl/dump-conntrack -m -s
	appcap conntrack conntrack/dump-conntrack-zone5 dpctl/dump-conntrack zone=5
	appcap conntrack conntrack/dump-conntrack-zone0 dpctl/dump-conntrack zone=0
	appcap conntrack conntrack/dump-conntrack-zone7-empty dpctl/dump-conntrack zone=7
	appcap conntrack conntrack/dump-conntrack-dp dpctl/dump-conntrack netdev@ovs-netdev
	appcap plain conntrack/ct-stats-show dpctl/ct-stats-show
	appcap plain conntrack/ct-stats-show-zone5 dpctl/ct-stats-show zone=5
	appcap plain conntrack/ct-get-nconns dpctl/ct-get-nconns
	appcap plain conntrack/ct-get-maxconns dpctl/ct-get-maxconns
	appcap plain conntrack/ct-get-tcp-seq-chk dpctl/ct-get-tcp-seq-chk
	appcap plain conntrack/ipf-get-status dpctl/ipf-get-status
	appcap ipf conntrack/ipf-get-status-m dpctl/ipf-get-status -m
	appcap plain conntrack/dump-dps dpctl/dump-dps
	SETUP="as conntrack/dump-conntrack, then the commands in this order (limits, maxconns)"
	appcap plain conntrack/limits.ct-get-limits-initial dpctl/ct-get-limits
	appcap plain conntrack/limits.ct-set-limits dpctl/ct-set-limits default=100 zone=5,limit=10 zone=7,limit=3
	appcap plain conntrack/limits.ct-get-limits dpctl/ct-get-limits
	appcap plain conntrack/limits.ct-get-limits-zone5 dpctl/ct-get-limits zone=5
	appcap plain conntrack/limits.ct-get-limits-zone5-7-9 dpctl/ct-get-limits zone=5,7,9
	appcap plain conntrack/limits.ct-del-limits-zone7 dpctl/ct-del-limits zone=7
	appcap plain conntrack/limits.ct-get-limits-after-del dpctl/ct-get-limits
	appcap plain conntrack/limits.ct-set-maxconns dpctl/ct-set-maxconns 5000
	appcap plain conntrack/limits.ct-get-maxconns dpctl/ct-get-maxconns
	appcap plain conntrack/limits.ct-enable-tcp-seq-chk dpctl/ct-enable-tcp-seq-chk
	appcap plain conntrack/limits.ct-get-tcp-seq-chk-enabled dpctl/ct-get-tcp-seq-chk
	appcap plain conntrack/limits.ct-disable-tcp-seq-chk dpctl/ct-disable-tcp-seq-chk
	appcap plain conntrack/limits.ct-get-tcp-seq-chk-disabled dpctl/ct-get-tcp-seq-chk
	appcap plain conntrack/limits.ipf-set-min-frag dpctl/ipf-set-min-frag v4 1000
	appcap plain conntrack/limits.ipf-set-max-nfrags dpctl/ipf-set-max-nfrags 500
	appcap plain conntrack/limits.ipf-set-disabled-v6 dpctl/ipf-set-disabled v6
	appcap plain conntrack/limits.ipf-get-status-changed dpctl/ipf-get-status
	appcap plain conntrack/limits.ipf-set-enabled-v6 dpctl/ipf-set-enabled v6
	SETUP="bad arguments, on the same OVS; output is ovs-appctl's stderr, exit status in this file"
	appcap plain conntrack/err.ct-set-maxconns-abc dpctl/ct-set-maxconns abc
	appcap plain conntrack/err.ct-set-maxconns-none dpctl/ct-set-maxconns
	appcap plain conntrack/err.ct-set-maxconns-negative dpctl/ct-set-maxconns -1
	appcap plain conntrack/err.flush-conntrack-zone-x dpctl/flush-conntrack zone=x
	appcap plain conntrack/err.flush-conntrack-bad-tuple dpctl/flush-conntrack ct_nw_src=abc
	appcap plain conntrack/err.ct-set-limits-zone-no-limit dpctl/ct-set-limits zone=1
	appcap plain conntrack/err.ct-set-limits-limit-abc dpctl/ct-set-limits zone=1,limit=abc
	appcap plain conntrack/err.ct-set-limits-default-abc dpctl/ct-set-limits default=abc
	appcap plain conntrack/err.ct-set-limits-zone-too-big dpctl/ct-set-limits zone=70000,limit=1
	appcap plain conntrack/err.ct-get-limits-zone-abc dpctl/ct-get-limits zone=abc
	appcap plain conntrack/err.ct-del-limits-none dpctl/ct-del-limits
	appcap plain conntrack/err.dump-conntrack-zone-abc dpctl/dump-conntrack zone=abc
	appcap plain conntrack/err.dump-conntrack-bad-option dpctl/dump-conntrack -x
	appcap plain conntrack/err.dump-conntrack-bad-dp dpctl/dump-conntrack netdev@nonexistent
	appcap plain conntrack/err.ct-stats-show-zone-abc dpctl/ct-stats-show zone=abc
	appcap plain conntrack/err.ipf-set-enabled-foo dpctl/ipf-set-enabled foo
	appcap plain conntrack/err.ipf-set-min-frag-abc dpctl/ipf-set-min-frag v4 abc
	appcap plain conntrack/err.ipf-set-min-frag-too-small dpctl/ipf-set-min-frag v4 10
	appcap plain conntrack/err.ipf-set-max-nfrags-abc dpctl/ipf-set-max-nfrags abc
	appcap plain conntrack/err.ct-get-sweep-interval dpctl/ct-get-sweep-interval
	appcap plain conntrack/err.list-zone-tp dpctl/list-zone-tp
	SETUP="as conntrack/dump-conntrack (limits changed as in conntrack/limits.*), then flushes in this order"
	appcap plain conntrack/flush.zone5 dpctl/flush-conntrack zone=5
	appcap conntrack conntrack/flush.zone5.dump-conntrack dpctl/dump-conntrack
	appcap plain conntrack/flush.tuple dpctl/flush-conntrack "ct_nw_src=198.51.100.1,ct_nw_dst=198.51.100.2,ct_nw_proto=17,ct_tp_src=20004,ct_tp_dst=7002"
	appcap conntrack conntrack/flush.tuple.dump-conntrack dpctl/dump-conntrack
	appcap plain conntrack/flush.all dpctl/flush-conntrack
	appcap conntrack conntrack/flush.all.dump-conntrack dpctl/dump-conntrack
	appcap plain conntrack/flush.all.ct-get-nconns dpctl/ct-get-nconns
	# servers and the held client (all bounded to 60 s) are stopped by PID in ovs_down
	ovs_down
}

# wait_pid PID SECONDS: wait for one of our background jobs to finish (bounded), then stop it
wait_pid() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		ovsenv_alive "$1" || break
		sleep 0.1
	done
	ovsenv_kill "$1" 2
	wait "$1" 2>/dev/null
}

# UDP 198.51.100.1:20001 -> 198.51.100.2:PORT, payload "hi", from 02:..:01 to 02:..:02
udp_hex() {
	case $1 in
	9999) echo 02000000000202000000000108004500001e000040004011e664c6336401c63364024e21270f000acdd56869 ;;
	9998) echo 02000000000202000000000108004500001e000040004011e664c6336401c63364024e21270e000acdd66869 ;;
	9997) echo 02000000000202000000000108004500001e000040004011e664c6336401c63364024e21270d000acdd76869 ;;
	9996) echo 02000000000202000000000108004500001e000040004011e664c6336401c63364024e21270c000acdd86869 ;;
	9995) echo 02000000000202000000000108004500001e000040004011e664c6336401c63364024e21270b000acdd96869 ;;
	esac
}

section_monitor() {
	local name pid p
	local -a variants=(
		"of10-nxt_packet_in|ovs-ofctl monitor br0 65534 -P nxt_packet_in"
		"of10-default|ovs-ofctl monitor br0 65534"
		"of10-standard|ovs-ofctl monitor br0 65534 -P standard"
		"of13-default|ovs-ofctl -O OpenFlow13 monitor br0 65534"
		"of13-standard|ovs-ofctl -O OpenFlow13 monitor br0 65534 -P standard"
		"of15-default|ovs-ofctl -O OpenFlow15 monitor br0 65534"
		"of15-watch|ovs-ofctl -O OpenFlow15 monitor br0 65534 watch:"
	)
	for v in "${variants[@]}"; do
		name=${v%%|*}
		switch_ns
		lone_ports ggo-p1 ggo-p2
		# (of15-*: the bridge allows OpenFlow15 too)
		if [[ $name == of15-* ]]; then
			ovs_up -p ggo-p1=1 -p ggo-p2=2 -P OpenFlow10,OpenFlow13,OpenFlow15
		else
			ovs_up -p ggo-p1=1 -p ggo-p2=2
		fi
		must ovs-ofctl -O OpenFlow13 add-flows br0 "$FLOWS/packet-in.flows"
		# shellcheck disable=SC2086
		timeout 10 ${v#*|} >"$TMPD/monitor.raw" 2>&1 &
		pid=$!
		BG_PIDS+=("$pid")
		sleep 0.7
		for p in 9999 9998 9997 9996 9995; do
			must ovs-ofctl packet-out br0 "in_port=1 packet=$(udp_hex $p) actions=table"
		done
		sleep 0.7
		ovsenv_kill "$pid" 2
		wait "$pid" 2>/dev/null
		SETUP="private OVS 3.1, ports ggo-p1=1 ggo-p2=2, fail-mode secure; ovs-ofctl -O OpenFlow13 add-flows br0 tests/golden/flows/packet-in.flows; the monitor below runs while, in this order, ovs-ofctl packet-out br0 'in_port=1 packet=HEX actions=table' injects UDP 198.51.100.1:20001 -> 198.51.100.2 ports 9999 9998 9997 9996 9995 (payload \"hi\", hex in capture.sh udp_hex); then the monitor is stopped (its own \"terminating with signal 15\" line is dropped)"
		mkdir -p "$GOLD/monitor"
		# (the last line, ovs-ofctl's "terminating with signal 15", is our stopping it)
		grep -v 'fatal_signal|WARN|terminating with signal' "$TMPD/monitor.raw" |
			"$NORMALIZE" monitor >"$GOLD/monitor/packet-in.$name.txt"
		{
			printf '# setup: %s\n' "$SETUP"
			printf '# normalize: monitor\n'
			printf '# exit status: (stopped)\n'
			printf '%s\n' "${v#*|}"
		} >"$GOLD/monitor/packet-in.$name.cmd"
		ovs_down
	done
}

section_nat() {
	traffic_topology ggo-p1 ggo-p2
	must ovs-ofctl -O OpenFlow13 add-flows br0 "$FLOWS/nat.flows"
	# the right host answers the SNAT address; the left host reaches the DNAT address
	ip -n "$NS_R" route add 203.0.113.0/24 dev ggo-r1
	ip -n "$NS_R" neigh replace 203.0.113.100 lladdr "$MAC_L" dev ggo-r1 nud permanent
	ip -n "$NS_R" neigh replace 2001:db8::100 lladdr "$MAC_L" dev ggo-r1 nud permanent
	ip -n "$NS_L" route add 203.0.113.0/24 dev ggo-l1
	ip -n "$NS_L" neigh replace 203.0.113.200 lladdr "$MAC_R" dev ggo-l1 nud permanent
	bg "$NS_R" "$PY" "$TRAFFIC" tcp-server 7001 60
	bg "$NS_R" "$PY" "$TRAFFIC" udp-server 7002 60
	inr "$PY" "$TRAFFIC" ready 7001 tcp 127.0.0.1 || log "tcp server not ready"
	sleep 0.3
	inl ping -q -c 2 -i 0.2 -W 2 "$IP4_R" >/dev/null || log "nat: ping SNAT failed"
	inl ping -q -6 -c 2 -i 0.2 -W 2 "$IP6_R" >/dev/null || log "nat: ping6 SNAT failed"
	inl "$PY" "$TRAFFIC" tcp-client 21011 "$IP4_R" 7001 || log "nat: tcp SNAT failed"
	bg "$NS_L" "$PY" "$TRAFFIC" tcp-client 21012 "$IP4_R" 7001 60
	inl "$PY" "$TRAFFIC" udp-client 21013 "$IP4_R" 7002 2 || log "nat: udp SNAT failed"
	inl "$PY" "$TRAFFIC" udp-client 21014 "$IP6_R" 7002 1 || log "nat: udp6 SNAT failed"
	inl "$PY" "$TRAFFIC" tcp-client 21015 203.0.113.200 8080 || log "nat: tcp DNAT failed"
	inl "$PY" "$TRAFFIC" udp-client 21016 203.0.113.200 8081 1 || log "nat: udp DNAT failed"
	inl ping -q -c 1 -W 2 203.0.113.200 >/dev/null || log "nat: ping DNAT failed"
	sleep 0.7
	SETUP="private OVS 3.1 in ggo-sw, ports ggo-p1=1 (ggo-left 198.51.100.1, 2001:db8::1) ggo-p2=2 (ggo-right 198.51.100.2, 2001:db8::2); flows tests/golden/flows/nat.flows; from ggo-left (traffic.py, fixed source ports): ping -c 2 198.51.100.2 and ping -6 -c 2 2001:db8::2 (SNAT); TCP 21011->198.51.100.2:7001 closed, TCP 21012->198.51.100.2:7001 held open, UDP 21013->198.51.100.2:7002 x2, UDP 21014->[2001:db8::2]:7002 (SNAT); TCP 21015->203.0.113.200:8080, UDP 21016->203.0.113.200:8081, ping -c 1 203.0.113.200 (DNAT); 0.7 s later"
	appcap conntrack-nat nat/dump-conntrack dpctl/dump-conntrack
	appcap conntrack-nat nat/dump-conntrack-m dpctl/dump-conntrack -m
	appcap conntrack-nat nat/dump-conntrack-s dpctl/dump-conntrack -s
	appcap plain nat/ct-stats-show dpctl/ct-stats-show
	appcap plain nat/ct-get-nconns dpctl/ct-get-nconns
	cap flows-hits nat/dump-flows-table1.of13 ovs-ofctl -O OpenFlow13 dump-flows br0 table=1
	ovs_down
}

# section_ctpkt: conntrack fed with crafted packets (ovs-ofctl packet-out), no
# hosts answering: the "other" protocol, a lone SYN, an ACK without a connection,
# and first fragments whose rest never comes (pending in the reassembler)
section_ctpkt() {
	local k
	switch_ns
	lone_ports ggo-p1 ggo-p2
	ovs_up -p ggo-p1=1 -p ggo-p2=2
	must ovs-ofctl -O OpenFlow13 add-flows br0 "$FLOWS/ct-firewall.flows"
	for k in gre syn ack udp6 frag-first frag6-first; do
		must ovs-ofctl packet-out br0 "in_port=1 packet=$("$PY" "$TRAFFIC" packet "$k") actions=table"
	done
	sleep 0.3
	SETUP="private OVS 3.1, ports ggo-p1=1 ggo-p2=2 (veth peers idle: nothing answers), flows tests/golden/flows/ct-firewall.flows; then, in this order, ovs-ofctl packet-out br0 'in_port=1 packet=HEX actions=table' of: tests/ovsref/traffic.py packet gre (IPv4 proto 47), syn (TCP SYN 20031->7001), ack (TCP ACK 20032->7001, no connection), udp6 (UDP 20033->7002 over IPv6), frag-first (IPv4 UDP first fragment only, id 0x1234), frag6-first (IPv6 first fragment only, id 0x5678)"
	appcap conntrack ctpkt/dump-conntrack dpctl/dump-conntrack
	appcap conntrack ctpkt/dump-conntrack-m dpctl/dump-conntrack -m
	appcap conntrack ctpkt/dump-conntrack-s dpctl/dump-conntrack -s
	appcap plain ctpkt/ct-stats-show dpctl/ct-stats-show
	appcap plain ctpkt/ipf-get-status dpctl/ipf-get-status
	appcap ipf ctpkt/ipf-get-status-m dpctl/ipf-get-status -m
	cap flows-hits ctpkt/dump-flows.of13 ovs-ofctl -O OpenFlow13 dump-flows br0
	ovs_down
}

# section_ctrewrite: OVS's "negative test for recirculation optimization"
# (flows/ct-rewrite.flows): TCP from the right host to the left host's
# floating address; between two ct actions the flows rewrite the tuple,
# which makes a second connection with its own mark
section_ctrewrite() {
	local h
	traffic_topology ggo-p1 ggo-p2
	must ovs-ofctl -O OpenFlow13 add-flows br0 "$FLOWS/ct-rewrite.flows"
	for h in "$NS_L:ggo-l1" "$NS_R:ggo-r1"; do
		ip -n "${h%%:*}" neigh replace 198.51.100.254 lladdr 02:00:00:00:01:fe dev "${h#*:}" nud permanent
		ip -n "${h%%:*}" route add 203.0.113.0/24 via 198.51.100.254 dev "${h#*:}"
	done
	bg "$NS_L" "$PY" "$TRAFFIC" tcp-server 17601 30
	inl "$PY" "$TRAFFIC" ready 17601 tcp 127.0.0.1 || log "tcp server not ready"
	sleep 0.3
	inr "$PY" "$TRAFFIC" tcp-client 17602 203.0.113.1 17601 || log "ctrewrite: tcp to the floating address failed"
	sleep 0.7
	SETUP="private OVS 3.1 in ggo-sw, ports ggo-p1=1 (ggo-left 198.51.100.1) ggo-p2=2 (ggo-right 198.51.100.2); both hosts route 203.0.113.0/24 via 198.51.100.254 (static neighbour 02:00:00:00:01:fe); flows tests/golden/flows/ct-rewrite.flows; from ggo-right: traffic.py tcp-client 17602 203.0.113.1 17601 (the server on ggo-left echoes, the client closes); 0.7 s later"
	appcap conntrack ctrewrite/dump-conntrack dpctl/dump-conntrack
	cap flows-hits ctrewrite/dump-flows.of13 ovs-ofctl -O OpenFlow13 dump-flows br0
	ovs_down
}

# section_learn: ovs-actions(7)'s MAC-learning switch built from learn
# (flows/learn-mac.flows; ICMP also learns an IP flow with a cookie, loads,
# fin timeouts, send_flow_rem and delete_learned; TCP runs fin_timeout): three
# pings left to right and one TCP exchange,
# the tables dumped sorted by the learned fields, then the learning flows
# deleted (delete_learned takes table 2's cookie-0x77 flows with them)
section_learn() {
	local sort=(--sort=dl_dst --sort=nw_dst --sort)
	traffic_topology ggo-p1 ggo-p2
	must ovs-ofctl -O OpenFlow13 add-flows br0 "$FLOWS/learn-mac.flows"
	inl ping -c 3 -i 0.2 -W 2 "$IP4_R" >/dev/null || log "learn: ping failed"
	bg "$NS_R" "$PY" "$TRAFFIC" tcp-server 17861 10
	inr "$PY" "$TRAFFIC" ready 17861 tcp 127.0.0.1 || log "learn: tcp server not ready"
	inl "$PY" "$TRAFFIC" tcp-client 17862 "$IP4_R" 17861 || log "learn: tcp failed"
	sleep 0.5
	"${APPCTL[@]}" revalidator/wait >/dev/null 2>&1
	SETUP="private OVS 3.1 in ggo-sw, ports ggo-p1=1 (ggo-left 198.51.100.1) ggo-p2=2 (ggo-right 198.51.100.2); flows tests/golden/flows/learn-mac.flows; from ggo-left: ping -c 3 -i 0.2 198.51.100.2, then traffic.py tcp-client 17862 198.51.100.2 17861 (server on ggo-right: one line echoed, then FINs); 0.5 s later ovs-appctl revalidator/wait"
	cap flows-hits learn/dump-flows.of13 ovs-ofctl -O OpenFlow13 "${sort[@]}" dump-flows br0
	cap flows-hits learn/dump-flows.of10 ovs-ofctl -O OpenFlow10 "${sort[@]}" dump-flows br0
	must ovs-ofctl -O OpenFlow13 del-flows br0 table=0
	SETUP="as learn/dump-flows, then ovs-ofctl -O OpenFlow13 del-flows br0 table=0"
	cap flows-hits learn/after-delete.of13 ovs-ofctl -O OpenFlow13 "${sort[@]}" dump-flows br0
	ovs_down
}

# section_learnlimit: learn with limit=3 and result_dst (flows/learn-limit.flows):
# UDP from six fixed source ports of the left host, two datagrams each (the
# right host echoes them); each learns a flow per source port, only three
# may exist, and table 1 counts the packets whose learn succeeded
# (reg5[3] set) apart from the others; once as OVS runs by default, once
# with no datapath flow cache (dump-flows.nocache)
section_learnlimit() {
	local sort=(--sort=tp_src --sort) p cache
	for cache in default nocache; do
		traffic_topology ggo-p1 ggo-p2
		# nocache: no datapath flows (other_config:flow-limit=0), so every
		# packet is translated, learns and gets its own result
		[[ $cache == nocache ]] && ovsenv_vsctl set Open_vSwitch . other_config:flow-limit=0
		must ovs-ofctl -O OpenFlow13 add-flows br0 "$FLOWS/learn-limit.flows"
		bg "$NS_R" "$PY" "$TRAFFIC" udp-server 7002 20
		inr "$PY" "$TRAFFIC" ready 7002 udp 127.0.0.1
		for p in 20041 20042 20043 20044 20045 20046; do
			inl "$PY" "$TRAFFIC" udp-client "$p" "$IP4_R" 7002 2 || log "learnlimit: udp from $p failed"
		done
		sleep 0.5
		"${APPCTL[@]}" revalidator/wait >/dev/null 2>&1
		SETUP="private OVS 3.1 in ggo-sw, ports ggo-p1=1 (ggo-left 198.51.100.1) ggo-p2=2 (ggo-right 198.51.100.2); flows tests/golden/flows/learn-limit.flows; traffic.py udp-server 7002 on ggo-right; from ggo-left traffic.py udp-client P 198.51.100.2 7002 2 for P = 20041..20046 in turn (two datagrams each, echoed); 0.5 s later ovs-appctl revalidator/wait"
		if [[ $cache == nocache ]]; then
			SETUP="$SETUP; ovs-vsctl set Open_vSwitch . other_config:flow-limit=0 before the flows (no datapath flow cache)"
			cap flows learnlimit/dump-flows.nocache ovs-ofctl -O OpenFlow13 "${sort[@]}" dump-flows br0
		else
			cap flows learnlimit/dump-flows ovs-ofctl -O OpenFlow13 "${sort[@]}" dump-flows br0
		fi
		ovs_down
	done
}

# section_ndopts: nd_options_type on real ND traffic (flows/nd-options.flows):
# the left host sends crafted solicitations and advertisements with and
# without link-layer address options (traffic.py send, KINDS below), then
# forgets the right host's IPv6 neighbour entry and pings it, so its kernel
# solicits and the right one advertises; the counters of the ND flows
ND_KINDS=(nd-ns-sll nd-ns-dad nd-ns-tll nd-ns-tll-sll nd-ns-sll-sll nd-na-tll nd-na nd-na-sll-tll nd-na-tll-tll nd-na-sll)
section_ndopts() {
	traffic_topology ggo-p1 ggo-p2
	sleep 2
	must ovs-ofctl -O OpenFlow13 add-flows br0 "$FLOWS/nd-options.flows"
	inl "$PY" "$TRAFFIC" send ggo-l1 "${ND_KINDS[@]}" || log "ndopts: send failed"
	ip -n "$NS_L" neigh del "$IP6_R" dev ggo-l1
	inl ping -6 -c 1 -W 2 "$IP6_R" >/dev/null || log "ndopts: ping failed"
	sleep 0.5
	"${APPCTL[@]}" revalidator/wait >/dev/null 2>&1
	SETUP="private OVS 3.1 in ggo-sw, ports ggo-p1=1 (ggo-left 198.51.100.1 2001:db8::1) ggo-p2=2 (ggo-right 198.51.100.2 2001:db8::2); 2 s later flows tests/golden/flows/nd-options.flows; from ggo-left: traffic.py send ggo-l1 ${ND_KINDS[*]} (0.05 s apart); ip neigh del 2001:db8::2 dev ggo-l1; ping -6 -c 1 2001:db8::2; 0.5 s later ovs-appctl revalidator/wait"
	cap flows ndopts/dump-flows ovs-ofctl -O OpenFlow13 --sort dump-flows br0 icmp6
	ovs_down
}

# section_bigbundle: 20000 flow-mods in one OpenFlow 1.5 bundle (flow i:
# table=i%4,priority=100+i%7,ip,nw_src=10.(i>>8).(i&255).1,actions=output:(1+i%2)),
# the same again with replace-flows, then 20000 others (table 5) and a bad
# one (group:77 does not exist) in one bundle, which is rolled back; the
# aggregate after each. tests' TestPrivilegedBigBundleVsOVS runs the same.
section_bigbundle() {
	switch_ns
	lone_ports ggo-p1 ggo-p2
	ovs_up -p ggo-p1=1 -p ggo-p2=2 -P OpenFlow10,OpenFlow13,OpenFlow15
	python3 -c 'for i in range(20000): print("table=%d,priority=%d,ip,nw_src=10.%d.%d.1,actions=output:%d" % (i%4, 100+i%7, i>>8, i&255, 1+i%2))' >"$TMPD/big.flows"
	{ sed 's/^table=[0-9]*,/table=5,/' "$TMPD/big.flows"; echo 'table=6,actions=group:77'; } >"$TMPD/bigbad.flows"
	SETUP="private OVS 3.1, ports ggo-p1=1 ggo-p2=2, protocols OpenFlow10,OpenFlow13,OpenFlow15; big.flows: 20000 flows generated as capture.sh section_bigbundle says; bigbad.flows: them in table 5 and table=6,actions=group:77; the steps in this order"
	cap flows bigbundle/add ovs-ofctl -O OpenFlow15 --bundle add-flows br0 "$TMPD/big.flows"
	cap flows bigbundle/aggregate-1 ovs-ofctl -O OpenFlow15 dump-aggregate br0
	cap flows bigbundle/replace ovs-ofctl -O OpenFlow15 --bundle replace-flows br0 "$TMPD/big.flows"
	cap flows bigbundle/add-bad ovs-ofctl -O OpenFlow15 --bundle add-flows br0 "$TMPD/bigbad.flows"
	cap flows bigbundle/aggregate-2 ovs-ofctl -O OpenFlow15 dump-aggregate br0
	ovs_down
}

# section_tunnel: tunnel metadata on ordinary ports (flows/tunnel.flows):
# three pings from the left host to the right one; the flows set the tunnel
# fields in table 0 and match them in later tables
section_tunnel() {
	traffic_topology ggo-p1 ggo-p2
	must ovs-ofctl add-tlv-map br0 "$(grep -v '^#' "$FLOWS/tunnel.tlv")"
	must ovs-ofctl -O OpenFlow13 add-flows br0 "$FLOWS/tunnel.flows"
	inl ping -c 3 -i 0.2 -W 2 "$IP4_R" >/dev/null || log "tunnel: ping failed"
	sleep 0.3
	SETUP="private OVS 3.1 in ggo-sw, ports ggo-p1=1 (ggo-left 198.51.100.1) ggo-p2=2 (ggo-right 198.51.100.2); TLV map tests/golden/flows/tunnel.tlv, flows tests/golden/flows/tunnel.flows; from ggo-left: ping -c 3 -i 0.2 -W 2 198.51.100.2"
	cap flows-hits tunnel/dump-flows.of13 ovs-ofctl -O OpenFlow13 dump-flows br0
	cap flows-hits tunnel/dump-flows.of10 ovs-ofctl dump-flows br0
	cap flows tunnel/dump-flows.of13-nostats ovs-ofctl -O OpenFlow13 dump-flows br0 --no-stats
	cap flows tunnel/dump-flows.of10-nostats ovs-ofctl dump-flows br0 --no-stats
	ovs_down
}

# section_mpls: MPLS (flows/mpls.flows): three pings from the left host to the
# right one; each direction is pushed into MPLS (one label one way, two the
# other), popped again label by label and matched on its inner IPv4 header
# after pop_mpls:0x0800,goto_table:2
section_mpls() {
	traffic_topology ggo-p1 ggo-p2
	must ovs-ofctl -O OpenFlow13 add-flows br0 "$FLOWS/mpls.flows"
	inl ping -c 3 -i 0.2 -W 2 "$IP4_R" >/dev/null || log "mpls: ping failed"
	sleep 0.3
	SETUP="private OVS 3.1 in ggo-sw, ports ggo-p1=1 (ggo-left 198.51.100.1) ggo-p2=2 (ggo-right 198.51.100.2); flows tests/golden/flows/mpls.flows; from ggo-left: ping -c 3 -i 0.2 -W 2 198.51.100.2"
	cap flows-hits mpls/dump-flows.of13 ovs-ofctl -O OpenFlow13 dump-flows br0
	cap flows-hits mpls/dump-flows.of10 ovs-ofctl dump-flows br0
	cap flows mpls/dump-flows.of13-nostats ovs-ofctl -O OpenFlow13 dump-flows br0 --no-stats
	cap flows mpls/dump-flows.of10-nostats ovs-ofctl dump-flows br0 --no-stats
	ovs_down
}

# section_tlv: the Geneve TLV table (NXT_TLV_TABLE_MOD / REQUEST): the
# ovs-ofctl commands of tests/golden/flows/tlv.steps in order, each with its
# output and exit status, in one transcript
section_tlv() {
	switch_ns
	ovs_up
	SETUP="private OVS 3.1 in ggo-sw (no ports); each line of tests/golden/flows/tlv.steps run as ovs-ofctl -vconsole:off CMD br0 ARGS"
	capsh flows tlv/transcript "grep -v '^#' tests/golden/flows/tlv.steps | while read -r cmd br args; do echo \"\\\$ ovs-ofctl \$cmd br0 \$args\"; ovs-ofctl -vconsole:off \$cmd br0 \$args 2>&1; echo \"exit \$?\"; done"
	ovs_down
}

# section_tlvfields: tun_metadata0..63 in matches and actions (flows, dumps
# in OpenFlow 1.0, 1.3 and 1.5, errors for unmapped fields, deleting a
# mapping in use): the ovs-ofctl commands of tests/golden/flows/tlv-fields.steps
# in order, each with its output and exit status, in one transcript
section_tlvfields() {
	switch_ns
	ovs_up -P OpenFlow10,OpenFlow13,OpenFlow15
	SETUP="private OVS 3.1 in ggo-sw (no ports, protocols OpenFlow10,OpenFlow13,OpenFlow15); each line of tests/golden/flows/tlv-fields.steps run as ovs-ofctl -vconsole:off CMD br0 ARGS"
	capsh flows tlv/fields "grep -v '^#' tests/golden/flows/tlv-fields.steps | while read -r cmd br args; do echo \"\\\$ ovs-ofctl \$cmd br0 \$args\"; ovs-ofctl -vconsole:off \$cmd br0 \$args 2>&1; echo \"exit \$?\"; done"
	ovs_down
}

# section_tlvfields2: tun_metadata0..63 in learn specs, push/pop,
# output_reg, ct zones, multipath and bundle_load, unmapped fields in groups
# and packet-outs, a 1.5 packet-out's match, and packet-outs through such
# flows: the ovs-ofctl commands of tests/golden/flows/tlv-fields2.steps, as
# section_tlvfields
section_tlvfields2() {
	switch_ns
	ovs_up -P OpenFlow10,OpenFlow13,OpenFlow15
	SETUP="private OVS 3.1 in ggo-sw (no ports, protocols OpenFlow10,OpenFlow13,OpenFlow15); each line of tests/golden/flows/tlv-fields2.steps run as ovs-ofctl -vconsole:off CMD br0 ARGS"
	capsh flows tlv/fields2 "grep -v '^#' tests/golden/flows/tlv-fields2.steps | while read -r cmd br args; do echo \"\\\$ ovs-ofctl \$cmd br0 \$args\"; ovs-ofctl -vconsole:off \$cmd br0 \$args 2>&1; echo \"exit \$?\"; done"
	ovs_down
}

# section_tlvlearn: tun_metadata0..63 in learn specs and the flows learn
# makes from them: the ovs-ofctl commands of tests/golden/flows/tlv-learn.steps,
# as section_tlvfields
section_tlvlearn() {
	switch_ns
	ovs_up -P OpenFlow10,OpenFlow13,OpenFlow15
	SETUP="private OVS 3.1 in ggo-sw (no ports, protocols OpenFlow10,OpenFlow13,OpenFlow15); each line of tests/golden/flows/tlv-learn.steps run as ovs-ofctl -vconsole:off CMD br0 ARGS"
	capsh flows tlv/learn "grep -v '^#' tests/golden/flows/tlv-learn.steps | while read -r cmd br args; do echo \"\\\$ ovs-ofctl \$cmd br0 \$args\"; ovs-ofctl -vconsole:off \$cmd br0 \$args 2>&1; echo \"exit \$?\"; done"
	ovs_down
}

# section_multipath: the link multipath picks and the member bundle_load
# picks for the frames of flows/multipath.packets, as OVS's ofproto/trace
# reports them (the registers of its "Final flow"): flows/multipath.flows
# (32 multipath actions, every field set and algorithm) and flows/bundle.flows
# (hrw over reserved ports, which are always live, and active_backup)
section_multipath() {
	local f
	switch_ns
	lone_ports g11x-mp1
	ovs_up -p g11x-mp1=1
	for f in multipath bundle; do
		must ovs-ofctl -O OpenFlow13 replace-flows br0 "$FLOWS/$f.flows"
		SETUP="private OVS 3.1, port 1 (veth, idle), flows tests/golden/flows/$f.flows; for each frame of tests/golden/flows/multipath.packets its name and ofproto/trace's Final flow"
		# shellcheck disable=SC2016
		(cd "$ROOT" && capsh plain "multipath/$f-trace" 'grep -v "^#" tests/golden/flows/multipath.packets | while IFS=$'"'"'\t'"'"' read -r name hex; do echo "packet $name"; ovs-appctl ofproto/trace br0 in_port=1 "$hex" | grep "^Final flow:"; done')
	done
	ovs_down
}

# section_grouphash: the bucket OVS's "hash" selection method picks
# (ofproto/trace's "using bucket N") in each select group of
# flows/grouphash.groups (added over OpenFlow 1.5), for the frames of
# flows/multipath.packets, one group after the other (table 0:
# actions=group:1,...,group:8); ofproto's TestOfctlGroupHashGolden compares.
section_grouphash() {
	switch_ns
	lone_ports g11g-gh1
	ovs_up -P OpenFlow10,OpenFlow13,OpenFlow15 -p g11g-gh1=1
	must ovs-ofctl -O OpenFlow15 add-groups br0 "$FLOWS/grouphash.groups"
	must ovs-ofctl -O OpenFlow15 add-flow br0 "actions=group:1,group:2,group:3,group:4,group:5,group:6,group:7,group:8"
	SETUP="private OVS 3.1, port 1 (veth, idle), groups tests/golden/flows/grouphash.groups (-O OpenFlow15), table 0 actions=group:1,...,group:8; for each frame of tests/golden/flows/multipath.packets its name and ofproto/trace's bucket choices"
	# shellcheck disable=SC2016
	(cd "$ROOT" && capsh plain "group-actions/grouphash-trace" 'grep -v "^#" tests/golden/flows/multipath.packets | while IFS=$'"'"'\t'"'"' read -r name hex; do echo "packet $name"; ovs-appctl ofproto/trace br0 in_port=1 "$hex" | grep -o "using bucket [0-9]*"; done')
	ovs_down
}

# section_bundlefail: bundle(...,active_backup,...,members:2,3) while port
# 2's link goes down and up again. A second right host (ggo-right2, the same
# addresses and MAC as ggo-right, IPv6 off) sits on port 3. In each phase
# the flows (flows/bundle-failover.flows) are installed afresh, the left host
# pings three times and dump-flows shows which of in_port=2 and in_port=3
# the replies came back through
section_bundlefail() {
	local ns2=${CAPTURE_NS_PREFIX:-ggo}-right2 phase
	switch_ns
	hosts ggo-p1 ggo-p2
	ip netns del "$ns2" 2>/dev/null
	must ip netns add "$ns2"
	ip netns exec "$ns2" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	must ip link add ggo-r1 netns "$ns2" address "$MAC_R" type veth peer name ggo-p3 netns "$NS_SW" address 02:00:00:00:00:03
	ip -n "$ns2" addr add "$IP4_R/24" dev ggo-r1
	ip -n "$ns2" link set ggo-r1 up
	ip -n "$ns2" neigh replace "$IP4_L" lladdr "$MAC_L" dev ggo-r1 nud permanent
	ip -n "$NS_SW" link set ggo-p3 up
	ovs_up -p ggo-p1=1 -p ggo-p2=2 -p ggo-p3=3
	for phase in up p2-down p2-up-again; do
		case $phase in
		p2-down) ip -n "$NS_SW" link set ggo-p2 down ;;
		p2-up-again) ip -n "$NS_SW" link set ggo-p2 up ;;
		esac
		sleep 1.5 # OVS's carrier poll
		must ovs-ofctl del-flows br0
		must ovs-ofctl add-flows br0 "$FLOWS/bundle-failover.flows"
		inl ping -c 3 -i 0.2 -W 2 "$IP4_R" >/dev/null || log "bundlefail $phase: ping failed"
		sleep 0.3
		SETUP="private OVS 3.1 in ggo-sw, ports ggo-p1=1 (ggo-left 198.51.100.1) ggo-p2=2 (ggo-right 198.51.100.2) ggo-p3=3 (ggo-right2, the same addresses, IPv6 off); phase $phase (p2-down: ip link set ggo-p2 down in ggo-sw; p2-up-again: up again), 1.5 s, del-flows and add-flows tests/golden/flows/bundle-failover.flows, from ggo-left: ping -c 3 -i 0.2 -W 2 198.51.100.2"
		cap flows-hits "bundlefail/dump-flows.$phase" ovs-ofctl dump-flows br0
	done
	ovs_down
	ip netns del "$ns2" 2>/dev/null
}

# section_ctflush: flushes by tuple (dpctl/flush-conntrack and ovs-ofctl ct-flush)
# of connections made by packet-out, one transcript of the steps in
# tests/golden/flows/ctflush.steps (its header says the format); the Go side
# is tests/ctflush_test.go, which builds the same transcript from gswitch
section_ctflush() {
	local line rc out
	local -a w
	switch_ns
	lone_ports ggo-p1 ggo-p2
	ovs_up -p ggo-p1=1 -p ggo-p2=2
	must ovs-ofctl -O OpenFlow13 add-flows br0 "$FLOWS/ctflush.flows"
	SETUP="private OVS 3.1, ports ggo-p1=1 ggo-p2=2 (veth peers idle), flows tests/golden/flows/ctflush.flows; the steps of tests/golden/flows/ctflush.steps in order (capture.sh section_ctflush); after each ofctl/appctl step its output, exit status and dpctl/dump-conntrack (normalized as conntrack)"
	mkdir -p "$GOLD/ctflush"
	{
		while read -r line; do
			[[ -z $line || $line == \#* ]] && continue
			read -r -a w <<<"$line"
			for i in "${!w[@]}"; do [[ ${w[$i]} == "''" ]] && w[$i]=""; done
			case ${w[0]} in
			packet)
				must ovs-ofctl packet-out br0 "in_port=1 packet=$("$PY" "$TRAFFIC" packet "${w[1]}") actions=table"
				continue
				;;
			ofctl) out=$(ovs-ofctl "${w[1]}" br0 "${w[@]:2}" 2>&1) ;;
			appctl) out=$("${APPCTL[@]}" "${w[@]:1}" 2>&1) ;;
			dump) out="" ;;
			*) log "ctflush: bad step $line"; exit 1 ;;
			esac
			rc=$?
			printf '$ %s\n' "$line"
			[[ -n $out ]] && printf '%s\n' "$out"
			printf '(exit %s)\n' "$rc"
			"${APPCTL[@]}" dpctl/dump-conntrack 2>&1 | "$NORMALIZE" conntrack
		done <"$FLOWS/ctflush.steps"
	} >"$TMPD/ctflush.raw"
	"$NORMALIZE" plain <"$TMPD/ctflush.raw" >"$GOLD/ctflush/transcript.txt"
	{
		printf '# setup: %s\n' "$SETUP"
		printf '# normalize: plain (each dump: conntrack)\n'
		printf '# exit status: 0\n'
		printf 'tests/ovsref/capture.sh ctflush\n'
	} >"$GOLD/ctflush/transcript.cmd"
	ovs_down
}

FTP_PASV_PORT=20100

section_tftp() {
	traffic_topology ggo-p1 ggo-p2
	must ovs-ofctl -O OpenFlow13 add-flows br0 "$FLOWS/tftp.flows"
	bg "$NS_R" "$PY" "$TRAFFIC" tftp-server 69 60 20069
	sleep 0.3
	inl "$PY" "$TRAFFIC" tftp-client 20061 "$IP4_R" || log "tftp: transfer failed"
	sleep 0.5
	SETUP="private OVS 3.1 in ggo-sw, ports ggo-p1=1 (ggo-left 198.51.100.1) ggo-p2=2 (ggo-right 198.51.100.2); flows tests/golden/flows/tftp.flows; in ggo-right: traffic.py tftp-server 69 (answers from port 20069, 600 bytes in 2 blocks); in ggo-left: traffic.py tftp-client 20061 198.51.100.2 (RRQ from port 20061, ACKs to 20069); 0.5 s later"
	appcap conntrack tftp/dump-conntrack dpctl/dump-conntrack
	appcap conntrack tftp/dump-conntrack-m dpctl/dump-conntrack -m
	cap flows-hits tftp/dump-flows.of13 ovs-ofctl -O OpenFlow13 dump-flows br0 table=1
	ovs_down
}

section_ftp() {
	ftp_run ftp talk-ftp
}

section_ftpnat() {
	ftp_run ftpnat ftp-nat
}

# the helper follows the connection: ct(nat) without alg= on established packets
section_ftpnatct() {
	ftp_run ftpnatct ftp-nat-ct
}

# the same on a server port other than 21: ct() and ct(nat) without alg= do not give
# its control packets to the helper (OVS's get_alg_ctl_type), so both transfers fail
section_ftpnatport() {
	ftp_run ftpnatport ftp-nat-port 2121
}

# ftp_run OUTDIR FLOWFILE [PORT]: passive and active FTP transfers through the switch
# (the server on PORT, default 21)
ftp_run() {
	local out=$1 flows=$2 port=${3:-21} mode dir pid hostport=$IP4_R
	[[ $port == 21 ]] || hostport=$IP4_R:$port
	if ! /usr/bin/python3 -c 'import pyftpdlib' 2>/dev/null; then
		log "ftp: python3-pyftpdlib missing (apt-get install python3-pyftpdlib); skipped"
		FAILED=1
		return 0
	fi
	for mode in passive active; do
		traffic_topology eth0 veth1
		must ovs-ofctl -O OpenFlow13 add-flows br0 "$FLOWS/$flows.flows"
		if [[ $out == ftpnat* ]]; then
			ip -n "$NS_R" route add 203.0.113.0/24 dev ggo-r1
			ip -n "$NS_R" neigh replace 203.0.113.100 lladdr "$MAC_L" dev ggo-r1 nud permanent
		fi
		dir=$TMPD/ftp
		mkdir -p "$dir"
		head -c 100000 /dev/zero | tr '\0' 'x' >"$dir/file.txt"
		bg "$NS_R" timeout 60 /usr/bin/python3 -m pyftpdlib -i "$IP4_R" -p "$port" -d "$dir" -r "$FTP_PASV_PORT-$FTP_PASV_PORT"
		pid=${BG_PIDS[-1]}
		inr "$PY" "$TRAFFIC" ready "$port" tcp "$IP4_R" || log "ftp server not ready"
		# one transfer (curl's control connection from port 20021; in passive mode its data
		# connection from 20022)
		if [[ $mode == passive ]]; then
			inl curl -sS --max-time 10 --disable-epsv --local-port 20021-20022 -o /dev/null "ftp://$hostport/file.txt" ||
				log "ftp: passive transfer failed"
		else
			inl curl -sS --max-time 10 --disable-eprt --ftp-port "$IP4_L:20040-20040" --local-port 20021-20022 -o /dev/null "ftp://$hostport/file.txt" ||
				log "ftp: active transfer failed"
		fi
		sleep 0.7
		SETUP="private OVS 3.1 in ggo-sw, ports eth0=1 (to ggo-left 198.51.100.1, FTP client) veth1=2 (to ggo-right 198.51.100.2, FTP server); flows tests/golden/flows/$flows.flows; in ggo-right: python3 -m pyftpdlib -i 198.51.100.2 -p $port -r $FTP_PASV_PORT-$FTP_PASV_PORT (anonymous, 100000-byte file.txt); in ggo-left: "
		if [[ $mode == passive ]]; then
			SETUP+="curl --disable-epsv --local-port 20021-20022 ftp://$hostport/file.txt (PASV; data to port $FTP_PASV_PORT)"
		else
			SETUP+="curl --disable-eprt --ftp-port 198.51.100.1:20040-20040 --local-port 20021-20022 ftp://$hostport/file.txt (PORT; server connects to 198.51.100.1:20040)"
		fi
		SETUP+="; 0.7 s later"
		appcap conntrack "$out/$mode.dump-conntrack" dpctl/dump-conntrack
		appcap conntrack "$out/$mode.dump-conntrack-m" dpctl/dump-conntrack -m
		appcap conntrack "$out/$mode.dump-conntrack-s" dpctl/dump-conntrack -s
		[[ $out == ftp ]] && appcap plain "$out/$mode.dump-conntrack-exp" dpctl/dump-conntrack-exp
		cap flows-hits "$out/$mode.dump-flows.of13" ovs-ofctl -O OpenFlow13 --names dump-flows br0 table=1
		ovs_down
	done
}

section_errors() {
	switch_ns
	lone_ports ggo-p1 ggo-p2
	ovs_up -p ggo-p1=1 -p ggo-p2=2 -t "$OFPORT_TCP"
	SETUP="private OVS 3.1, bridge br0 datapath_type=netdev protocols=OpenFlow10,OpenFlow13 fail-mode=secure, ports ggo-p1=1 ggo-p2=2, set-controller br0 ptcp:$OFPORT_TCP:127.0.0.1, no flows or groups at start (cases run in order on fresh connections; the *-ok cases add flows/group 1)"
	ip netns exec "$NS_SW" "$TMPD/rawof" -addr "127.0.0.1:$OFPORT_TCP" -ofp-print >"$TMPD/errors.tsv" 2>"$TMPD/rawof.err" ||
		{ log "rawof failed: $(cat "$TMPD/rawof.err")"; FAILED=1; }
	{
		echo "# OFPT_ERROR answers of Open vSwitch $(ovs-vswitchd --version | sed -n '1s/.* //p') to malformed OpenFlow messages; see README.md and tests/ovsref/rawof."
		cat "$TMPD/errors.tsv"
	} >"$GOLD/of-errors.tsv"
	{
		printf '# setup: %s\n' "$SETUP"
		printf '# exit status: 0\n'
		printf 'ip netns exec %s rawof -addr 127.0.0.1:%s -ofp-print > of-errors.tsv   # rawof = go build ./tests/ovsref/rawof\n' "$NS_SW" "$OFPORT_TCP"
	} >"$GOLD/of-errors.cmd"
	ovs_down

	# replies, byte for byte, to well-formed requests (fresh OVS, one group: with
	# more, the group-desc reply's order would follow OVS's hash order)
	switch_ns
	lone_ports ggo-p1 ggo-p2
	ovs_up -p ggo-p1=1 -p ggo-p2=2 -t "$OFPORT_TCP"
	must ovs-ofctl -O OpenFlow13 add-group br0 "group_id=1,type=all,bucket=output:1,bucket=output:2"
	SETUP="private OVS 3.1, bridge br0 datapath_type=netdev protocols=OpenFlow10,OpenFlow13 fail-mode=secure dpid 0000000000000001 hwaddr 02:00:00:00:00:fe, ports ggo-p1=1 (02:00:00:00:00:01) ggo-p2=2 (02:00:00:00:00:02), set-controller br0 ptcp:$OFPORT_TCP:127.0.0.1; ovs-ofctl -O OpenFlow13 add-group br0 'group_id=1,type=all,bucket=output:1,bucket=output:2'; no flows (cases run in order; the packet-in cases add one)"
	ip netns exec "$NS_SW" "$TMPD/rawof" -replies -addr "127.0.0.1:$OFPORT_TCP" -ofp-print >"$TMPD/replies.tsv" 2>"$TMPD/rawof.err" ||
		{ log "rawof -replies failed: $(cat "$TMPD/rawof.err")"; FAILED=1; }
	{
		echo "# Replies of Open vSwitch $(ovs-vswitchd --version | sed -n '1s/.* //p') to well-formed OpenFlow requests, byte for byte; see README.md and tests/ovsref/rawof."
		cat "$TMPD/replies.tsv"
	} >"$GOLD/of-replies.tsv"
	{
		printf '# setup: %s\n' "$SETUP"
		printf '# exit status: 0\n'
		printf 'ip netns exec %s rawof -replies -addr 127.0.0.1:%s -ofp-print > of-replies.tsv   # rawof = go build ./tests/ovsref/rawof\n' "$NS_SW" "$OFPORT_TCP"
	} >"$GOLD/of-replies.cmd"
	ovs_down
}

# of15: OpenFlow 1.5. (1) rawof -replies -of15: OVS's replies byte for byte
# (of15-replies.tsv; ofproto's TestGoldenReplies15). (2) the ovs-ofctl -O
# OpenFlow15 steps of tests/golden/of15/steps.tsv in order on a fresh OVS (the
# gswitch side is tests' TestPrivilegedOF15VsOVS).
section_of15() {
	local name kind args
	switch_ns
	lone_ports ggo-p1 ggo-p2
	ovs_up -p ggo-p1=1 -p ggo-p2=2 -t "$OFPORT_TCP" -P OpenFlow10,OpenFlow13,OpenFlow15
	SETUP="private OVS 3.1, bridge br0 datapath_type=netdev protocols=OpenFlow10,OpenFlow13,OpenFlow15 fail-mode=secure dpid 0000000000000001 hwaddr 02:00:00:00:00:fe, ports ggo-p1=1 (02:00:00:00:00:01) ggo-p2=2 (02:00:00:00:00:02), veth peers idle (IPv6 off), set-controller br0 ptcp:$OFPORT_TCP:127.0.0.1; no flows or groups (cases run in order)"
	ip netns exec "$NS_SW" "$TMPD/rawof" -replies -of15 -addr "127.0.0.1:$OFPORT_TCP" -ofp-print >"$TMPD/replies15.tsv" 2>"$TMPD/rawof.err" ||
		{ log "rawof -replies -of15 failed: $(cat "$TMPD/rawof.err")"; FAILED=1; }
	{
		echo "# Replies of Open vSwitch $(ovs-vswitchd --version | sed -n '1s/.* //p') to well-formed OpenFlow 1.5 requests, byte for byte; see README.md and tests/ovsref/rawof."
		cat "$TMPD/replies15.tsv"
	} >"$GOLD/of15-replies.tsv"
	{
		printf '# setup: %s\n' "$SETUP"
		printf '# exit status: 0\n'
		printf 'ip netns exec %s rawof -replies -of15 -addr 127.0.0.1:%s -ofp-print > of15-replies.tsv   # rawof = go build ./tests/ovsref/rawof\n' "$NS_SW" "$OFPORT_TCP"
	} >"$GOLD/of15-replies.cmd"
	ovs_down

	switch_ns
	lone_ports ggo-p1 ggo-p2
	ovs_up -p ggo-p1=1 -p ggo-p2=2 -P OpenFlow10,OpenFlow13,OpenFlow15
	SETUP="private OVS 3.1, bridge br0 datapath_type=netdev protocols=OpenFlow10,OpenFlow13,OpenFlow15 fail-mode=secure dpid 0000000000000001 hwaddr 02:00:00:00:00:fe, ports ggo-p1=1 (02:00:00:00:00:01) ggo-p2=2 (02:00:00:00:00:02), veth peers idle (IPv6 off); the steps run in this order, from the repository's top directory"
	while IFS=$'\t' read -r -a args; do
		[[ ${#args[@]} -eq 0 || ${args[0]} == \#* ]] && continue
		name=${args[0]} kind=${args[1]}
		(cd "$ROOT" && cap "$kind" "of15/$name" ovs-ofctl "${args[@]:2}")
	done <"$ROOT/tests/golden/of15/steps.tsv"
	ovs_down
}

# meters: the steps of tests/golden/meters/steps.tsv (add/mod/del-meters, dump-meters,
# meter-stats, meter-features, metered flows and packet-outs through them), in order, each
# with ovs-ofctl -O OpenFlow13 on one OVS; the gswitch side is ofproto's TestOfctlMetersGolden
section_meters() {
	local name kind args
	switch_ns
	lone_ports ggo-p1 ggo-p2
	ovs_up -p ggo-p1=1 -p ggo-p2=2
	SETUP="private OVS 3.1, bridge br0 datapath_type=netdev protocols=OpenFlow10,OpenFlow13 fail-mode=secure, ports ggo-p1=1 ggo-p2=2 (veth peers idle); the steps of tests/golden/meters/steps.tsv in order"
	while IFS=$'\t' read -r -a args; do
		[[ ${#args[@]} -eq 0 || ${args[0]} == \#* ]] && continue
		name=${args[0]} kind=${args[1]}
		cap "$kind" "meters/$name" ovs-ofctl -O OpenFlow13 "${args[@]:2}"
	done <"$ROOT/tests/golden/meters/steps.tsv"
	ovs_down
}

# section_queues: queue config and stats (OVS's netdev ports have no queues
# here) and flows with set_queue, enqueue and pop_queue, the ovs-ofctl
# steps of tests/golden/queues/steps.tsv in order
section_queues() {
	local name kind args
	switch_ns
	lone_ports ggo-p1 ggo-p2
	ovs_up -p ggo-p1=1 -p ggo-p2=2
	SETUP="private OVS 3.1, bridge br0 datapath_type=netdev protocols=OpenFlow10,OpenFlow13 fail-mode=secure, ports ggo-p1=1 ggo-p2=2 (veth peers idle), no QoS; the steps of tests/golden/queues/steps.tsv in order"
	while IFS=$'\t' read -r -a args; do
		[[ ${#args[@]} -eq 0 || ${args[0]} == \#* ]] && continue
		name=${args[0]} kind=${args[1]}
		cap "$kind" "queues/$name" ovs-ofctl "${args[@]:2}"
	done <"$ROOT/tests/golden/queues/steps.tsv"
	ovs_down
}

# write_index: tests/golden/INDEX.md, every golden file with its command, from the .cmd files
write_index() {
	local c f cmd setup kind rc
	{
		echo "# Index of golden files (generated by tests/ovsref/capture.sh from the .cmd files)"
		echo
		echo "Each entry: the file, the exact command (run with OVS_RUNDIR etc. pointing at the private OVS of"
		echo "tests/ovsref/ovs-env.sh; paths relative to the repository root), its exit status and normalization."
		echo "The setup of each group is given once, at its first file. See README.md."
		local last=""
		while IFS= read -r c; do
			f=${c%.cmd}
			[[ -e $f.txt ]] && f=$f.txt || f=$f.tsv
			setup=$(sed -n 's/^# setup: //p' "$c")
			kind=$(sed -n 's/^# normalize: //p' "$c")
			rc=$(sed -n 's/^# exit status: //p' "$c")
			cmd=$(grep -v '^#' "$c")
			if [[ $setup != "$last" ]]; then
				printf '\n## setup\n\n%s\n\n' "$setup"
				last=$setup
			fi
			printf -- '- `%s` — `%s` (exit %s%s)\n' "${f#"$GOLD"/}" "$cmd" "$rc" "${kind:+, normalize $kind}"
		done < <(find "$GOLD" -name '*.cmd' | LC_ALL=C sort)
	} >"$GOLD/INDEX.md"
}

# stale_cleanup: stop the daemons of an earlier run that was killed before its
# trap ran (found by their pid files under /tmp/ggo-ovs.*, checked by name and
# command line) -- only where the shell that started them (ovs-env.sh's
# $T/owner) is gone: ovs-env.sh has other users -- and delete this script's
# leftover namespaces (ggo-left, ggo-sw, ggo-right: one capture.sh at a time)
stale_cleanup() {
	local d f pid
	for d in /tmp/ggo-ovs.*; do
		[[ -d $d && $d != "${OVSENV_DIR:-}" ]] || continue
		ovsenv_owner_alive "$d" && continue
		for f in "$d/ovs-vswitchd.pid" "$d/ovsdb.pid"; do
			pid=$(cat "$f" 2>/dev/null) || continue
			if [[ -n $pid ]] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$d/"; then
				log "stopping stale $(cat "/proc/$pid/comm") $pid of $d"
				ovsenv_kill "$pid" 3
			fi
		done
		rm -rf "$d"
	done
	for d in /tmp/ggo-capture.*; do
		[[ -d $d && $d != "$TMPD" ]] || continue
		# the capture.sh that made it, if it still runs, holds its pid in it
		pid=$(cat "$d/capture.pid" 2>/dev/null)
		[[ -n $pid ]] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q capture.sh && continue
		rm -rf "$d"
	done
	del_ns
}

# ------------------------------------------------------------ main
if [[ ${1:-} == cleanup ]]; then
	stale_cleanup
	exit 0
fi
stale_cleanup
mkdir -p "$GOLD"
must go build -C "$ROOT" -o "$NORMALIZE" ./tests/ovsref/normalize
must go build -C "$ROOT" -o "$TMPD/rawof" ./tests/ovsref/rawof
SECTIONS=("$@")
((${#SECTIONS[@]})) || SECTIONS=(flows ofctl errors of15 conntrack ctpkt monitor nat ftp ftpnat ftpnatct ftpnatport tftp ctrewrite ctflush learn tunnel mpls meters tlv tlvfields tlvfields2 tlvlearn multipath bundlefail queues grouphash learnlimit ndopts bigbundle)
for s in "${SECTIONS[@]}"; do
	declare -F "section_$s" >/dev/null || { log "unknown section $s"; exit 2; }
done
ovs-vswitchd --version | head -1 >"$GOLD/ovs-version.txt"
for s in "${SECTIONS[@]}"; do
	log "section $s"
	"section_$s"
done
write_index
exit $FAILED
