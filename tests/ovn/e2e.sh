#!/usr/bin/env bash
# e2e.sh - issue 13's end-to-end OVN test: real OVN 23.03 (Debian's
# ovn-central and ovn-host) drives the switch daemon of two chassis, and
# real traffic between VMs, through the logical router, the ACLs, the load
# balancer, NAT and the gateway's localnet port checks what it installed.
#
# Usage (as root):
#   SWITCH=ovs tests/ovn/e2e.sh            the chassis run ovs-vswitchd 3.1
#   SWITCH=gswitch tests/ovn/e2e.sh        the chassis run gswitch, started
#                                          with ovs-vswitchd's command line
#                                          (GSWITCH_BIN, default bin/gswitch)
# Prints one line per check on stdout, "CHECK: ok" or "CHECK: fail"; the
# details of a failure go to stderr. The same lines from both switches are
# what tests/ovn_e2e_test.go compares. Exit status 0 when every check
# passed, 1 when one failed, 2 when the setup failed.
#
# Environment: OVN_E2E_PREFIX (namespace and interface prefix, default
# s7o), OVN_E2E_PORT (first of 5 TCP ports for listeners, default 19500),
# OVN_E2E_KEEP=1 (keep the temp dirs with every log), OVN_E2E_PAUSE=N (keep
# everything running up to N seconds after the checks, for a look inside).
#
# The setup is tests/ovn/lib.sh's (capture-ovn.sh's): central NB/SB
# ovsdb-servers and ovn-northd, chassis hv1 (the gateway chassis) and hv2,
# each namespace PFX-hvN with a private ovsdb-server, the switch daemon,
# br-int and br-ex (localnet, physnet:br-ex) and ovn-controller, its
# topology (ovn_configure_nb). This script adds:
#   - br-phy on each chassis (netdev): the underlay veth PFX-uN is its port
#     and the encap address moves to its LOCAL port, as the userspace
#     datapath needs (tunnel traffic is routed through an OVS bridge); MTU
#     1600 on the underlay, room for Geneve's headers
#   - VIF sw0-p3 (hv1, 198.51.100.13) for same-chassis switching
#   - the load balancer and the web ACL on this test's ports (listeners
#     only in the PORT range): lb0 198.51.100.200:PORT -> .11:PORT+1,
#     .139:PORT+1; pg_web allows tcp to PORT+1 and PORT+2
#   - one namespace per VM (PFX-sw0-p1, ...) holding its VIF's peer, and
#     the external host PFX-ext (203.0.113.126/25, the router's default
#     next hop) on hv1's br-ex
set -u -o pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SWITCH=${SWITCH:-ovs}
PORT=${OVN_E2E_PORT:-19500}
PY=(python3 "$HERE/e2e.py")
case $SWITCH in
ovs | gswitch) ;;
*)
	echo "e2e.sh: SWITCH must be ovs or gswitch" >&2
	exit 2
	;;
esac
OVN_PREFIX=${OVN_E2E_PREFIX:-s7o}
OVN_GSWITCH=${GSWITCH_BIN:-$ROOT/bin/gswitch}
OVN_KEEP=${OVN_E2E_KEEP:-0}
OVN_LOG_TAG=e2e
# shellcheck source=lib.sh
source "$HERE/lib.sh"
P=$OVN_PREFIX

log() { printf 'e2e: %s\n' "$*" >&2; }
die() {
	log "setup: $*"
	exit 2
}

BGPIDS=() # traffic helpers
FAILED=0
declare -A IFACE # VM name -> its interface

cleanup() {
	local p
	for p in "${BGPIDS[@]}"; do ovsenv_kill "$p" 5; done
	ovn_cleanup
}
trap cleanup EXIT
trap 'exit 130' INT TERM

in_ns() {
	local n=$1
	shift
	ip netns exec "$n" "$@"
}
# chdir NAME: chassis NAME's run dir (its logs, ovn-controller.log)
chdir() { cat "$OVN_C/$1.dir"; }

# e2e_nb: this test's changes to ovn_configure_nb's topology
e2e_nb() {
	local u
	ovn_nbctl lsp-add sw0 sw0-p3 -- lsp-set-addresses sw0-p3 "02:00:00:00:00:13 198.51.100.13 2001:db8:0:1::13" || return 1
	ovn_nbctl pg-set-ports pg_all sw0-p1 sw0-p2 sw0-p3 sw1-p1 sw1-p2 || return 1
	ovn_nbctl set load_balancer lb0 \
		"vips={\"198.51.100.200:$PORT\"=\"198.51.100.11:$((PORT + 1)),198.51.100.139:$((PORT + 1))\"}" || return 1
	u=$(ovn_nbctl --bare --columns=_uuid find acl priority=1002 'match="outport == @pg_web && ip4 && ip4.src == {198.51.100.0/25, 198.51.100.128/25} && tcp.dst == {80, 443}"') || return 1
	[[ -n $u ]] || { log "no web ACL to move to this test's ports"; return 1; }
	ovn_nbctl set acl "$u" "match=\"outport == @pg_web && ip4 && ip4.src == {198.51.100.0/25, 198.51.100.128/25} && tcp.dst == {$((PORT + 1)), $((PORT + 2))}\"" || return 1
}

# phy N IP: chassis N's br-phy with the underlay port, IP moved onto it
phy() {
	local n=$1 ip=$2 u=$P-u$1 i
	ovn_on "hv$n" ovsenv_vsctl add-br br-phy -- set bridge br-phy datapath_type=netdev \
		"other-config:hwaddr=\"02:00:00:00:0$n:fc\"" -- add-port br-phy "$u" || return 1
	for ((i = 0; i < 100; i++)); do ip -n "$P-hv$n" link show br-phy >/dev/null 2>&1 && break; sleep 0.1; done
	ip -n "$P-hv$n" addr del "$ip/26" dev "$u" || return 1
	ip -n "$P-hv$n" link set br-phy up || return 1
	ip -n "$P-hv$n" addr add "$ip/26" dev br-phy || return 1
}

# vm CH VIF NAME MAC ADDR4/LEN GW4 ADDR6/LEN GW6: VM NAME (namespace
# PFX-NAME) on chassis CH's VIF, no offloads (the frames on the wire)
vm() {
	local ch=$1 vif=$2 name=$3
	shift 3
	ovn_vm "$ch" "$vif" "$P-$name" "$@" || die "vm $name"
	in_ns "$P-$name" ethtool -K "$vif-x" tx off tso off gso off >/dev/null 2>&1
	IFACE[$name]=$vif-x
}

setup() {
	local n
	command -v python3 >/dev/null && command -v ethtool >/dev/null || die "python3 and ethtool needed"
	ovn_check_tools "$SWITCH" || die "tools"
	ovn_central_start || die "central"
	ovn_configure_nb >/dev/null || die "ovn_configure_nb"
	e2e_nb || die "e2e_nb"
	for n in "$P-hv1" "$P-hv2" "$P-ext"; do
		! ip netns list | grep -qw -- "^$n" || die "namespace $n exists (another run?)"
	done
	ovn_underlay 1 203.0.113.201 2 203.0.113.202 || die "underlay"
	ip -n "$P-hv1" link set "$P-u1" mtu 1600 && ip -n "$P-hv2" link set "$P-u2" mtu 1600 || die "underlay mtu"
	ovn_chassis_start 1 203.0.113.201 "$SWITCH" "$P-v1:sw0-p1" "$P-v2:sw1-p1" "$P-v5:sw0-p3"
	ovn_chassis_start 2 203.0.113.202 "$SWITCH" "$P-v3:sw0-p2" "$P-v4:sw1-p2"
	ovn_chassis_wait_up hv1 hv2 || die "chassis did not come up"
	phy 1 203.0.113.201 || die "hv1 br-phy"
	phy 2 203.0.113.202 || die "hv2 br-phy"
	vm hv1 "$P-v1" sw0-p1 02:00:00:00:00:11 198.51.100.11/25 198.51.100.1 2001:db8:0:1::11/64 2001:db8:0:1::1
	vm hv1 "$P-v2" sw1-p1 02:00:00:00:01:39 198.51.100.139/25 198.51.100.129 2001:db8:0:2::139/64 2001:db8:0:2::1
	vm hv1 "$P-v5" sw0-p3 02:00:00:00:00:13 198.51.100.13/25 198.51.100.1 2001:db8:0:1::13/64 2001:db8:0:1::1
	vm hv2 "$P-v3" sw0-p2 02:00:00:00:00:12 198.51.100.12/25 198.51.100.1 2001:db8:0:1::12/64 2001:db8:0:1::1
	vm hv2 "$P-v4" sw1-p2 02:00:00:00:01:40 198.51.100.140/25 198.51.100.129 2001:db8:0:2::140/64 2001:db8:0:2::1
	# the external host on hv1's br-ex (the localnet network)
	ovn_netns_add "$P-ext" || die "netns $P-ext"
	ip link add "$P-x1" netns "$P-hv1" type veth peer name eth0 netns "$P-ext" || die "ext veth"
	in_ns "$P-ext" ip link set eth0 address 02:00:00:00:fe:7e
	in_ns "$P-ext" ethtool -K eth0 tx off tso off gso off >/dev/null 2>&1
	in_ns "$P-ext" ip link set eth0 up
	in_ns "$P-ext" ip addr add 203.0.113.126/25 dev eth0
	ip -n "$P-hv1" link set "$P-x1" up
	ovn_on hv1 ovsenv_vsctl add-port br-ex "$P-x1" || die "ext port"
	IFACE[ext]=eth0
}

# restart_switch N: stop chassis N's switch daemon (ovs-appctl exit) and
# start it again with the same command line; ovn-controller reconnects and
# programs it afresh. br-phy's address is given again (in case its device
# was made anew). The new daemon is stopped by the chassis as the old one
# would have been (ovs-appctl exit --cleanup), and by PID in cleanup.
restart_switch() {
	local n=$1 ip=$2 dir old new i vs
	dir=$(chdir "hv$n")
	old=$(cat "$dir/ovs-vswitchd.pid") || return 1
	timeout 10 ovs-appctl -t "$dir/ovs-vswitchd.ctl" exit >/dev/null 2>&1
	for ((i = 0; i < 100; i++)); do ovsenv_alive "$old" || break; sleep 0.1; done
	ovsenv_alive "$old" && return 1
	vs=ovs-vswitchd
	[[ $SWITCH == gswitch ]] && vs=$OVN_GSWITCH
	ovn_on "hv$n" ovsenv_nsx "$vs" "unix:$dir/db.sock" --pidfile="$dir/ovs-vswitchd.pid" \
		--unixctl="$dir/ovs-vswitchd.ctl" --log-file="$dir/ovs-vswitchd.log" --detach --no-chdir \
		</dev/null >>"$dir/daemons.stderr" 2>&1 || return 1
	new=$(cat "$dir/ovs-vswitchd.pid") || return 1
	BGPIDS+=("$new")
	ln -sf ovs-vswitchd.ctl "$dir/ovs-vswitchd.$new.ctl"
	for ((i = 0; i < 100; i++)); do ip -n "$P-hv$n" link show br-phy >/dev/null 2>&1 && break; sleep 0.1; done
	ip -n "$P-hv$n" link set br-phy up || return 1
	ip -n "$P-hv$n" addr replace "$ip/26" dev br-phy || return 1
}

# result NAME OK [DETAIL]: the check's line; DETAIL goes to stderr on failure
result() {
	if [[ $2 == 0 ]]; then
		echo "$1: ok"
	else
		echo "$1: fail"
		FAILED=1
		[[ -z ${3:-} ]] || log "$1: $3"
	fi
}

# ping_check NAME FROM DEST [ARGS]: up to 10 one-second tries for a reply
ping_check() {
	local name=$1 from=$2 dst=$3 i out rc=1
	shift 3
	for ((i = 0; i < 10; i++)); do
		out=$(in_ns "$P-$from" timeout 3 ping -n -c 1 -W 1 "$@" "$dst" 2>&1) && { rc=0; break; }
	done
	result "$name" "$rc" "$out"
}

# serve VM PORT: the TCP name server in VM's namespace for 600 s (at most);
# stopped by the PID it writes (python3 may be a wrapper that forks)
serve() {
	local f=$OVN_C/serve.$1.$2.pid i
	in_ns "$P-$1" "${PY[@]}" serve "$2" "$1" 600 "$f" </dev/null >/dev/null 2>&1 &
	BGPIDS+=($!)
	for ((i = 0; i < 50; i++)); do [[ -s $f ]] && break; sleep 0.1; done
	[[ -s $f ]] && BGPIDS+=("$(cat "$f")")
}
# sink VM PORT: the byte-counting TCP sink in VM's namespace (as serve)
sink() {
	local f=$OVN_C/sink.$1.$2.pid i
	in_ns "$P-$1" "${PY[@]}" sink "$2" 600 "$f" </dev/null >/dev/null 2>&1 &
	BGPIDS+=($!)
	for ((i = 0; i < 50; i++)); do [[ -s $f ]] && break; sleep 0.1; done
	[[ -s $f ]] && BGPIDS+=("$(cat "$f")")
}
# connect FROM HOST PORT [TIMEOUT]: one connection, the server's line on stdout
connect() {
	in_ns "$P-$1" timeout 10 "${PY[@]}" connect "$2" "$3" "${4:-3}"
}

wait_ready() {
	# every VIF bound and reported up by its chassis
	local p
	for p in sw0-p1 sw0-p2 sw0-p3 sw1-p1 sw1-p2; do
		if ! ovn_nbctl --timeout=60 wait-until logical_switch_port "$p" up=true >/dev/null 2>&1; then
			result "setup $p up" 1 "$(ovn_nbctl get logical_switch_port "$p" up 2>&1)"
			return 1
		fi
	done
	ovn_nbctl --timeout=60 --wait=hv sync >/dev/null 2>&1 || {
		result "setup hv sync" 1 "ovn-nbctl --wait=hv sync timed out"
		return 1
	}
	result "setup vifs up" 0
}

checks() {
	local out rc i n seen1 seen2
	ping_check "ping4 same-chassis sw0-p1->sw0-p3" sw0-p1 198.51.100.13
	ping_check "ping6 same-chassis sw0-p1->sw0-p3" sw0-p1 2001:db8:0:1::13
	ping_check "ping4 cross-chassis sw0-p1->sw0-p2" sw0-p1 198.51.100.12
	ping_check "ping6 cross-chassis sw0-p1->sw0-p2" sw0-p1 2001:db8:0:1::12
	ping_check "ping4 router sw0-p2->lrp-sw0" sw0-p2 198.51.100.1
	ping_check "ping6 router sw0-p2->lrp-sw0" sw0-p2 2001:db8:0:1::1
	ping_check "ping4 routed same-chassis sw0-p1->sw1-p1" sw0-p1 198.51.100.139
	ping_check "ping4 routed cross-chassis sw0-p2->sw1-p2" sw0-p2 198.51.100.140
	ping_check "ping6 routed cross-chassis sw0-p2->sw1-p2" sw0-p2 2001:db8:0:2::140

	# QoS: sw0-p2's packets leave with DSCP 10 (seen by the receiver)
	in_ns "$P-sw0-p1" timeout 10 tcpdump -i "${IFACE[sw0-p1]}" -n -c 1 \
		'icmp and src host 198.51.100.12 and (ip[1] & 0xfc) == 0x28' >/dev/null 2>&1 &
	n=$!
	BGPIDS+=("$n")
	sleep 1
	for ((i = 0; i < 5; i++)); do
		in_ns "$P-sw0-p2" timeout 3 ping -n -c 1 -W 1 198.51.100.11 >/dev/null 2>&1
		ovsenv_alive "$n" || break
	done
	wait "$n"
	result "qos dscp=10 sw0-p2->sw0-p1" $? "no echo request with DSCP 10 reached sw0-p1"

	serve sw0-p1 $((PORT + 1))
	serve sw1-p1 $((PORT + 1))
	serve sw1-p1 $((PORT + 3))
	serve ext $((PORT + 4))
	sink sw0-p1 $((PORT + 2))
	sleep 0.5

	# allow-related: tcp to PORT+1 of a pg_web port is allowed (and its replies)
	out=$(connect sw0-p2 198.51.100.139 $((PORT + 1)))
	[[ $out == "sw1-p1 198.51.100.12" ]]
	result "acl allow-related tcp sw0-p2->sw1-p1:$((PORT + 1))" $? "$out"
	# bulk: 4 MB of full-sized frames through Geneve (the sink counts them)
	out=$(in_ns "$P-sw0-p2" timeout 40 "${PY[@]}" send 198.51.100.11 $((PORT + 2)) 4194304 30 2>&1)
	[[ $out == 4194304 ]]
	result "tcp 4MB cross-chassis sw0-p2->sw0-p1:$((PORT + 2))" $? "$out"
	# drop: tcp to PORT+3 (a listener is there) is dropped, and logged on hv1
	out=$(connect sw0-p2 198.51.100.139 $((PORT + 3)) 2)
	[[ $out == error* ]]
	result "acl drop tcp sw0-p2->sw1-p1:$((PORT + 3))" $? "connected: $out"
	rc=1
	for ((i = 0; i < 20; i++)); do
		grep -q "name=\"web-drop\", verdict=drop, severity=alert, direction=to-lport: tcp,.*nw_src=198.51.100.12,nw_dst=198.51.100.139.*tp_dst=$((PORT + 3))" \
			"$(chdir hv1)/ovn-controller.log" && { rc=0; break; }
		sleep 0.25
	done
	result "acl drop logged by ovn-controller hv1" "$rc" "no acl_log line in hv1's ovn-controller.log"

	# the load balancer: both backends from sw0-p2, then hairpin from sw0-p1
	# (30 connections at most; 3 failed ones in a row end the loop)
	seen1=0 seen2=0 n=0
	for ((i = 0; i < 30 && n < 3 && (seen1 == 0 || seen2 == 0); i++)); do
		out=$(connect sw0-p2 198.51.100.200 "$PORT")
		case $out in
		"sw0-p1 198.51.100.12") seen1=1 n=0 ;;
		"sw1-p1 198.51.100.12") seen2=1 n=0 ;;
		*) n=$((n + 1)) ;;
		esac
	done
	[[ $seen1 == 1 && $seen2 == 1 ]]
	result "lb vip both backends sw0-p2->198.51.100.200:$PORT" $? "sw0-p1 seen=$seen1 sw1-p1 seen=$seen2, last: $out"
	n=0 rc=1
	for ((i = 0; i < 30 && n < 3; i++)); do
		out=$(connect sw0-p1 198.51.100.200 "$PORT")
		case $out in
		"sw0-p1 198.51.100.200") rc=0 && break ;;
		"sw1-p1 "*) n=0 ;;
		*) n=$((n + 1)) ;;
		esac
	done
	[[ $rc == 0 ]]
	result "lb hairpin sw0-p1->198.51.100.200:$PORT->sw0-p1" $? "last: $out"

	# NAT at the gateway chassis, over localnet to the external host
	out=$(connect sw1-p2 203.0.113.126 $((PORT + 4)))
	[[ $out == "ext 203.0.113.10" ]]
	result "snat sw1-p2->ext source 203.0.113.10" $? "$out"
	out=$(connect sw0-p1 203.0.113.126 $((PORT + 4)))
	[[ $out == "ext 203.0.113.20" ]]
	result "fip sw0-p1->ext source 203.0.113.20" $? "$out"
	ping_check "fip ping4 ext->203.0.113.20" ext 203.0.113.20
	# the web ACL's address sets: from outside them the allowed port is dropped
	out=$(connect ext 203.0.113.20 $((PORT + 1)) 2)
	[[ $out == error* ]]
	result "acl drop tcp ext->203.0.113.20:$((PORT + 1)) (source outside the address sets)" $? "connected: $out"
	# the load balancer from the other switch, through lr0
	seen1=0 seen2=0 n=0
	for ((i = 0; i < 30 && n < 3 && (seen1 == 0 || seen2 == 0); i++)); do
		out=$(connect sw1-p2 198.51.100.200 "$PORT")
		case $out in
		"sw0-p1 "*) seen1=1 n=0 ;;
		"sw1-p1 198.51.100.140") seen2=1 n=0 ;;
		*) n=$((n + 1)) ;;
		esac
	done
	[[ $seen1 == 1 && $seen2 == 1 ]]
	result "lb vip both backends sw1-p2->198.51.100.200:$PORT (routed)" $? "sw0-p1 seen=$seen1 sw1-p1 seen=$seen2, last: $out"

	# native DHCP, answered by ovn-controller (controller(pause) and resume)
	out=$(in_ns "$P-sw0-p2" timeout 20 "${PY[@]}" dhcp4 "${IFACE[sw0-p2]}" 10 2>&1)
	[[ $out == *"offer 198.51.100.12 server 198.51.100.1"*"ack 198.51.100.12 router 198.51.100.1 lease 3600 mask 255.255.255.128"* ]]
	result "dhcp4 sw0-p2 offer and ack 198.51.100.12" $? "$out"
	out=$(in_ns "$P-sw0-p2" timeout 20 "${PY[@]}" dhcp6 "${IFACE[sw0-p2]}" 10 2>&1)
	[[ $out == "advertise 2001:db8:0:1::12" ]]
	result "dhcp6 sw0-p2 advertise 2001:db8:0:1::12" $? "$out"

	# the switch daemon of hv2 restarts: ovn-controller programs it again
	if restart_switch 2 203.0.113.202; then
		ping_check "ping4 cross-chassis after hv2's switch restarted sw0-p1->sw0-p2" sw0-p1 198.51.100.12
		ping_check "ping4 routed after hv2's switch restarted sw0-p2->sw1-p1" sw0-p2 198.51.100.139
	else
		result "ping4 cross-chassis after hv2's switch restarted sw0-p1->sw0-p2" 1 "restart failed"
		result "ping4 routed after hv2's switch restarted sw0-p2->sw1-p1" 1 "restart failed"
	fi

	# gateway_mtu: a 1428-byte IPv4 packet with DF towards the gateway port
	# gets ICMP "frag needed" with MTU 1400 (last: the VM keeps the PMTU)
	rc=1
	for ((i = 0; i < 5; i++)); do
		out=$(in_ns "$P-sw0-p2" timeout 3 ping -n -c 1 -W 1 -M do -s 1400 203.0.113.126 2>&1)
		[[ $out == *"Frag needed and DF set (mtu = 1400)"* ]] && { rc=0; break; }
	done
	result "gateway_mtu frag-needed sw0-p2->ext 1428 bytes" "$rc" "$out"
}

setup
wait_ready && checks
if [[ -n ${OVN_E2E_PAUSE:-} ]]; then
	# for debugging: keep everything running until $OVN_C/resume appears
	log "paused up to ${OVN_E2E_PAUSE}s: touch $OVN_C/resume to go on"
	for ((i = 0; i < OVN_E2E_PAUSE * 5; i++)); do [[ -e $OVN_C/resume ]] && break; sleep 0.2; done
fi
# what OVN saw, for a failure's details
if [[ $FAILED == 1 ]]; then
	{
		echo "--- hv1 ofctl dump-flows br-int (with packets)"
		ovn_on hv1 timeout 20 ovs-ofctl -O OpenFlow15 dump-flows br-int 2>&1 | grep -v 'n_packets=0,' | head -100
		echo "--- hv2"
		ovn_on hv2 timeout 20 ovs-ofctl -O OpenFlow15 dump-flows br-int 2>&1 | grep -v 'n_packets=0,' | head -100
		for n in 1 2; do
			echo "--- hv$n ovn-controller log (warnings)"
			grep -E 'WARN|ERR' "$(chdir hv$n)/ovn-controller.log" | tail -20
		done
	} >&2
	exit 1
fi
exit 0
