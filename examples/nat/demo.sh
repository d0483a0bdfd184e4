#!/usr/bin/env bash
# NAT with the switch as a router, end to end, in network namespaces:
#
#   netns gnt-priv                      netns gnt-sw                  netns gnt-srv
#   gnt-p 198.51.100.10/24 <-veth-> eth0 [switch br0] veth1 <-veth-> gnt-s 203.0.113.5/24
#         2001:db8:1::10/64         (port 1)       (port 2)                2001:db8:2::5/64
#   default via 198.51.100.1,                                       203.0.113.100-101 and
#   2001:db8:1::1 (the switch)                                      2001:db8:2::100-101
#                                                                   are the switch's
#
# The switch has no IP stack: the hosts get static neighbour entries that
# name its router MAC 02:00:00:00:00:fe (the private host for its gateway,
# the server for the NAT addresses), and the flows (nat.flows) rewrite MACs
# as a router would, so no ARP or ND crosses it.
#   SNAT: the private host reaches the server as 203.0.113.100-101 /
#         2001:db8:2::100-101, ports 20000-20099
#         (ct(commit,nat(src=203.0.113.100-203.0.113.101:20000-20099)),
#         replies through ct(nat)): ping, TCP (HTTP), UDP, and an ICMP port
#         unreachable coming back (+rel, quoted header translated).
#   nat(src=203.0.113.100) without ports (TCP to port 8001): the source
#         port is kept, and moved only on a clash (two private addresses
#         using source port 555: the second moves into 600-1023, OVS's
#         class for ports 512-1023).
#   DNAT: the server's connections to 203.0.113.100:80 ([2001:db8:2::100]:80)
#         reach 198.51.100.10:8080 ([2001:db8:1::10]:8080)
#         (ct(commit,nat(dst=198.51.100.10:8080))); from source port 40000
#         to 203.0.113.100:80 and then to 203.0.113.101:80 (forwarded to the
#         same place), the second one's port moves to 40001.
# echo.py answers every request with the address and port it came from, so
# each check sees the translation.
#
# Usage (as root):
#   demo.sh [path/to/gswitch]      run it with gswitch (configured by flags;
#                                  MODE=db: as ovs-vswitchd, started by
#                                  scripts/gswitch-ctl, br0 made with ovs-vsctl) (needs NAT in the
#                                  tracker: ct/nat)
#   SWITCH=ovs demo.sh             run it with a private Open vSwitch 3.1
#                                  (userspace datapath; tests/ovsref/ovs-env.sh)
#
# Packages (Debian): iproute2 iputils-ping curl python3 openvswitch-switch
# ethtool (openvswitch-switch for ovs-ofctl, and with ethtool for SWITCH=ovs).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
SWITCH=${SWITCH:-gswitch}
# shellcheck source=../demo-lib.sh
source "$HERE/../demo-lib.sh"
demo_pick_switch "${1:-}"
PY=$(command -v python3)
ECHO=$HERE/echo.py
NS_PRIV=gnt-priv NS_SW=gnt-sw NS_SRV=gnt-srv
PRIV=198.51.100.10 PRIV2=198.51.100.11 PRIV6=2001:db8:1::10 GW=198.51.100.1 GW6=2001:db8:1::1
SRV=203.0.113.5 SRV6=2001:db8:2::5
PUB=203.0.113.100 PUB2=203.0.113.101 PUB6=2001:db8:2::100 PUB62=2001:db8:2::101
MAC_GW=02:00:00:00:00:fe MAC_PRIV=02:00:00:00:01:10 MAC_SRV=02:00:00:00:02:05
TMP=$(mktemp -d /tmp/gntnat.XXXXXX)
export OVS_RUNDIR=$TMP
PIDS=() # background processes, started with `ip netns exec` directly (it execs, so $! is the process)
FAILED=0
OVS_UP=0

DEMO_NS="$NS_PRIV $NS_SW $NS_SRV"
trap demo_cleanup EXIT INT TERM

privx() { ip netns exec "$NS_PRIV" "$@"; }
srvx() { ip netns exec "$NS_SRV" "$@"; }
# seen "what" REGEX command...: the command succeeds and its output (what
# the far end saw as our address and port) matches REGEX.
seen() {
	local what=$1 re=$2 rc=0 out; shift 2
	out=$("$@" 2>&1) || rc=1
	if [[ $rc == 0 && $out =~ ^$re$ ]]; then
		echo "  ok:   $what (seen as $out)"
	else
		echo "  FAIL: $what (rc $rc, seen as '$out', want $re)"; FAILED=1
	fi
}

for n in $NS_PRIV $NS_SW $NS_SRV; do ip netns del "$n" 2>/dev/null || true; ip netns add "$n"; ip netns exec "$n" ip link set lo up; done
swx ip link add eth0 type veth peer name gnt-p netns $NS_PRIV
swx ip link add veth1 type veth peer name gnt-s netns $NS_SRV
swx ip link set eth0 up; swx ip link set veth1 up
swx sysctl -qw net.ipv6.conf.all.disable_ipv6=1
privx ip link set gnt-p address $MAC_PRIV up
privx ip addr add $PRIV/24 dev gnt-p; privx ip addr add $PRIV2/24 dev gnt-p; privx ip addr add $PRIV6/64 dev gnt-p nodad
privx ip neigh replace $GW lladdr $MAC_GW dev gnt-p nud permanent
privx ip -6 neigh replace $GW6 lladdr $MAC_GW dev gnt-p nud permanent
privx ip route add default via $GW dev gnt-p
privx ip -6 route add default via $GW6 dev gnt-p
srvx ip link set gnt-s address $MAC_SRV up
srvx ip addr add $SRV/24 dev gnt-s; srvx ip addr add $SRV6/64 dev gnt-s nodad
for a in $PUB $PUB2; do srvx ip neigh replace $a lladdr $MAC_GW dev gnt-s nud permanent; done
for a in $PUB6 $PUB62; do srvx ip -6 neigh replace $a lladdr $MAC_GW dev gnt-s nud permanent; done

if [[ $SWITCH == ovs ]]; then
	# OVS 3.1's userspace datapath cannot take partial (offloaded) checksums
	# from a veth: its conntrack would see bad checksums (+inv). gswitch
	# can, so this is done for OVS only.
	privx ethtool -K gnt-p tx off >/dev/null; srvx ethtool -K gnt-s tx off >/dev/null
fi
demo_start_br0

demo_add_flows "$HERE/nat.flows" "the NAT flows"

say "address echo servers: $NS_SRV :8000 and :8001 (TCP/HTTP and UDP), $NS_PRIV :8080"
ip netns exec "$NS_SRV" "$PY" "$ECHO" serve 8000 >"$TMP/echo-srv.log" 2>&1 &
PIDS+=($!)
ip netns exec "$NS_SRV" "$PY" "$ECHO" serve 8001 >"$TMP/echo-srv1.log" 2>&1 &
PIDS+=($!)
ip netns exec "$NS_PRIV" "$PY" "$ECHO" serve 8080 >"$TMP/echo-priv.log" 2>&1 &
PIDS+=($!)
for p in 8000 8001; do
	for _ in $(seq 50); do srvx bash -c "exec 3<>/dev/tcp/$SRV/$p" 2>/dev/null && break; sleep 0.1; done
done
for _ in $(seq 50); do privx bash -c "exec 3<>/dev/tcp/$PRIV/8080" 2>/dev/null && break; sleep 0.1; done

C=(timeout 10 curl -sS --max-time 8)
P4="(203\.0\.113\.10[01])"
P6="(2001:db8:2::10[01])"
NATPORT="200[0-9][0-9]"
say "SNAT: $NS_PRIV -> $NS_SRV, seen by the server as $PUB-$PUB2 / $PUB6-$PUB62, ports 20000-20099"
check "ping $SRV (IPv4)" 0 privx ping -c 2 -W 2 $SRV
check "ping $SRV6 (IPv6)" 0 privx ping -6 -c 2 -W 2 $SRV6
seen "TCP to $SRV:8000" "$P4 $NATPORT" privx "${C[@]}" http://$SRV:8000/
seen "TCP to [$SRV6]:8000" "$P6 $NATPORT" privx "${C[@]}" "http://[$SRV6]:8000/"
seen "UDP to $SRV:8000" "$P4 $NATPORT" privx "$PY" "$ECHO" udp $SRV 8000
seen "UDP to [$SRV6]:8000" "$P6 $NATPORT" privx "$PY" "$ECHO" udp $SRV6 8000
check "UDP to $SRV:9 (closed): ICMP port unreachable back through NAT (+rel)" 0 privx "$PY" "$ECHO" udp-refused $SRV 9
check "UDP to [$SRV6]:9 (closed): ICMPv6 port unreachable back through NAT (+rel)" 0 privx "$PY" "$ECHO" udp-refused $SRV6 9

say "nat(src=$PUB), no port range: the port moves only on a clash"
seen "TCP from $PRIV:555 to $SRV:8001" "203\.0\.113\.100 555" privx "${C[@]}" --interface $PRIV --local-port 555 http://$SRV:8001/
seen "TCP from $PRIV2:555 to $SRV:8001 (clash)" "203\.0\.113\.100 (6[0-9][0-9]|[7-9][0-9][0-9]|10[0-2][0-9])" \
	privx "${C[@]}" --interface $PRIV2 --local-port 555 http://$SRV:8001/

say "DNAT: $NS_SRV -> $PUB:80 / [$PUB6]:80, forwarded to $PRIV:8080 / [$PRIV6]:8080 (client address kept)"
seen "TCP to $PUB:80" "203\.0\.113\.5 [0-9]+" srvx "${C[@]}" http://$PUB:80/
seen "TCP to [$PUB6]:80" "2001:db8:2::5 [0-9]+" srvx "${C[@]}" "http://[$PUB6]:80/"
seen "TCP from port 40000 to $PUB:80" "203\.0\.113\.5 40000" srvx "$PY" "$ECHO" get $PUB 80 40000
seen "TCP from port 40000 to $PUB2:80 (same reply tuple: the client port moves)" "203\.0\.113\.5 40001" \
	srvx "$PY" "$ECHO" get $PUB2 80 40000
check "TCP to $PUB:81 (no forward) is dropped" 1 srvx timeout 5 curl -sf -o /dev/null --connect-timeout 3 http://$PUB:81/
check "TCP to $PRIV:8080 directly (no route, no flow) fails" 1 srvx timeout 5 curl -sf -o /dev/null --connect-timeout 3 http://$PRIV:8080/

say "ovs-ofctl dump-flows br0"
swx ovs-ofctl dump-flows br0
say "$DUMP"
dump_conntrack | sort
if [[ $FAILED != 0 ]]; then
	echo; echo "demo: some checks FAILED"
	[[ $SWITCH == ovs ]] || { echo "gswitch log:"; cat "$TMP/gswitch.log"; }
	exit 1
fi
echo; echo "demo: all checks passed ($SWITCH, $MODE)"
