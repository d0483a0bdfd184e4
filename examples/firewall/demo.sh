#!/usr/bin/env bash
# The talk's simple stateful firewall, end to end, in network namespaces:
#
#   netns gsdemo-in               netns gsdemo-sw                    netns gsdemo-out
#   gsd-in 198.51.100.1  <-veth->  eth0 [gswitch br0] veth1  <-veth->  gsd-out 198.51.100.2
#          2001:db8::1             (port 1)          (port 2)                  2001:db8::2
#
# Flows are loaded with plain `ovs-ofctl add-flow br0 ...` as the talk types
# them. Connections from the inside get through with their replies; the outside
# cannot open any.
#
# Usage (as root):
#   demo.sh [path/to/gswitch]          gswitch configured by flags (--bridge, --port)
#   MODE=db demo.sh [path/to/gswitch]  gswitch as ovs-vswitchd: scripts/gswitch-ctl
#                                      starts ovsdb-server and gswitch, and br0
#                                      is made with ovs-vsctl
#   SWITCH=ovs demo.sh                 a private Open vSwitch 3.1
#                                      (userspace datapath; tests/ovsref/ovs-env.sh)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
SWITCH=${SWITCH:-gswitch}
# shellcheck source=../demo-lib.sh
source "$HERE/../demo-lib.sh"
demo_pick_switch "${1:-}"
NS_IN=gsdemo-in NS_SW=gsdemo-sw NS_OUT=gsdemo-out
TMP=$(mktemp -d /tmp/gsdemo.XXXXXX)
export OVS_RUNDIR=$TMP
PIDS=() # background processes, started with `ip netns exec` directly (it execs, so $! is the process)
FAILED=0
OVS_UP=0

DEMO_NS="$NS_IN $NS_SW $NS_OUT"
trap demo_cleanup EXIT INT TERM

inx() { ip netns exec "$NS_IN" "$@"; }
outx() { ip netns exec "$NS_OUT" "$@"; }

for n in $NS_IN $NS_SW $NS_OUT; do ip netns del "$n" 2>/dev/null || true; ip netns add "$n"; ip netns exec "$n" ip link set lo up; done
swx ip link add eth0 type veth peer name gsd-in netns $NS_IN
swx ip link add veth1 type veth peer name gsd-out netns $NS_OUT
swx ip link set eth0 up; swx ip link set veth1 up
inx ip link set gsd-in up; outx ip link set gsd-out up
inx ip addr add 198.51.100.1/24 dev gsd-in; inx ip addr add 2001:db8::1/64 dev gsd-in nodad
outx ip addr add 198.51.100.2/24 dev gsd-out; outx ip addr add 2001:db8::2/64 dev gsd-out nodad
swx sysctl -qw net.ipv6.conf.all.disable_ipv6=1

if [[ $SWITCH == ovs ]]; then
	# OVS 3.1's userspace datapath cannot take partial (offloaded) checksums
	# from a veth: its conntrack would see bad checksums (+inv). gswitch
	# can, so this is done for OVS only.
	inx ethtool -K gsd-in tx off >/dev/null; outx ethtool -K gsd-out tx off >/dev/null
fi
demo_start_br0

demo_add_flows "$HERE/firewall.flows" "the talk's firewall"

say "traffic"
ip netns exec "$NS_OUT" python3 -m http.server 8080 --bind :: >/dev/null 2>&1 &
PIDS+=($!)
ip netns exec "$NS_IN" python3 -m http.server 8081 --bind :: >/dev/null 2>&1 &
PIDS+=($!)
# Wait until both servers listen (python's start and its name lookups can
# take seconds on a loaded machine); the check looks inside each server's
# own namespace, so it sends nothing through the switch.
for _ in $(seq 200); do
	outx ss -Htln 'sport = :8080' | grep -q . && inx ss -Htln 'sport = :8081' | grep -q . && break
	sleep 0.1
done
check "ping inside -> outside (IPv4)" 0 inx ping -c 2 -W 2 198.51.100.2
check "ping inside -> outside (IPv6)" 0 inx ping -6 -c 2 -W 2 2001:db8::2
check "TCP inside -> outside:8080 (IPv4)" 0 inx timeout 10 curl -sf -o /dev/null http://198.51.100.2:8080/
check "TCP inside -> outside:8080 (IPv6)" 0 inx timeout 10 curl -sf -o /dev/null "http://[2001:db8::2]:8080/"
check "ping outside -> inside is dropped" 1 outx ping -c 2 -W 1 198.51.100.1
check "TCP outside -> inside:8081 is dropped" 1 outx timeout 5 curl -sf -o /dev/null --connect-timeout 3 http://198.51.100.1:8081/

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
