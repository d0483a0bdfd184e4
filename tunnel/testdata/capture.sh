#!/usr/bin/env bash
# capture.sh - record how Open vSwitch 3.1's userspace datapath encapsulates
# and decapsulates Geneve and VXLAN (native tunnelling), for package tunnel's
# tests. A private OVS (tests/ovsref/ovs-env.sh, namespace s6g-ovs) runs:
#
#   br-int (netdev, fail-mode secure): s6g-vm=1 (veth; frames.py sends the
#     inner frames into its peer s6g-vm-x) and the tunnel ports of ports.txt
#     below (ofports 10-15), a TLV map, and flows.txt (inner UDP dst port
#     picks the tunnel port and what is set; everything from a tunnel port
#     goes to the controller).
#   br-phy (netdev, hwaddr 02:00:00:00:00:aa): s6g-phy=1 (veth); br-phy's
#     internal port holds the underlay addresses 198.51.100.1/24 and
#     2001:db8:100::1/64 in the namespace (OVS learns the routes from it);
#     the remotes' MAC 02:00:00:00:00:b2 is set with tnl/neigh/set.
#
# Outputs (in this directory):
#   capture.pcap   tcpdump -w on s6g-phy-x (br-phy's physical veth peer): the
#                  outer frames OVS sent (encap), and the outer frames
#                  frames.py sent in (dec-*, bad-*), in that order
#   packetins.txt  ovs-ofctl monitor br-int -P nxt_packet_in2: the packet-ins
#                  of the dec-* frames (their tunnel match), in order
#   drops.txt      per bad-* frame, the growth of OVS's coverage counters
#                  datapath_drop_tunnel_pop_error,
#                  drop_action_invalid_tunnel_metadata and
#                  datapath_drop_upcall_error, and whether a packet-in came
#   errors.txt     Interface.error of misconfigured tunnel ports
#   trace.txt      ofproto/trace of two decapsulated packets on br-int
#
# Usage (as root): tunnel/testdata/capture.sh
set -u -o pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
F="python3 $HERE/frames.py"
# shellcheck source=../../tests/ovsref/ovs-env.sh
source "$ROOT/tests/ovsref/ovs-env.sh"
tmpd=$(mktemp -d /tmp/s6g-capture.XXXXXX)
TCPDUMP_PID="" MON_PID=""
cleanup() {
	[[ -z $TCPDUMP_PID ]] || kill "$TCPDUMP_PID" 2>/dev/null
	[[ -z $MON_PID ]] || kill "$MON_PID" 2>/dev/null
	ovsenv_stop
	rm -rf "$tmpd"
}
trap cleanup EXIT
ovsenv_start -n s6g-ovs -b br-int -p s6g-vm=1 -t 19200 -s -m 02:00:00:00:00:fe || exit 1
NS=s6g-ovs
ip -n $NS link add s6g-phy type veth peer name s6g-phy-x || exit 1
ip -n $NS link set s6g-phy up
ip -n $NS link set s6g-phy-x up
ip netns exec $NS sysctl -qw net.ipv6.conf.s6g-phy-x.disable_ipv6=1 net.ipv6.conf.s6g-vm-x.disable_ipv6=1
ovsenv_vsctl add-br br-phy -- set bridge br-phy datapath_type=netdev 'other-config:hwaddr="02:00:00:00:00:aa"' \
	-- add-port br-phy s6g-phy -- set interface s6g-phy ofport_request=1 || exit 1
for i in $(seq 50); do ip -n $NS link show br-phy >/dev/null 2>&1 && break; sleep 0.1; done
ip -n $NS link set br-phy up
ip -n $NS addr add 198.51.100.1/24 dev br-phy
ip -n $NS -6 addr add 2001:db8:100::1/64 dev br-phy nodad
# the tunnel ports (ports.txt: name ofport options)
ovsenv_vsctl \
	-- add-port br-int s6g-g0 -- set interface s6g-g0 ofport_request=10 type=geneve options:remote_ip=198.51.100.2 options:key=flow options:csum=true \
	-- add-port br-int s6g-g1 -- set interface s6g-g1 ofport_request=11 type=geneve options:remote_ip=198.51.100.3 options:key=flow options:tos=inherit options:ttl=17 options:df_default=false \
	-- add-port br-int s6g-v0 -- set interface s6g-v0 ofport_request=12 type=vxlan options:remote_ip=198.51.100.4 options:key=flow \
	-- add-port br-int s6g-v1 -- set interface s6g-v1 ofport_request=13 type=vxlan options:remote_ip=198.51.100.5 options:key=99 options:dst_port=4790 options:csum=true options:tos=0x10 \
	-- add-port br-int s6g-g6 -- set interface s6g-g6 ofport_request=14 type=geneve options:remote_ip=2001:db8:100::2 options:key=flow \
	-- add-port br-int s6g-gf -- set interface s6g-gf ofport_request=15 type=geneve options:remote_ip=flow options:key=flow || exit 1
for n in 2 3 4 5 7; do ovsenv_appctl tnl/neigh/set br-phy 198.51.100.$n 02:00:00:00:00:b2 >/dev/null || exit 1; done
ovsenv_appctl tnl/neigh/set br-phy 2001:db8:100::2 02:00:00:00:00:b2 >/dev/null || exit 1
ovsenv_ofctl add-tlv-map br-int '{class=0xffff,type=0x80,len=4}->tun_metadata0,{class=0x0102,type=0x01,len=8}->tun_metadata1,{class=0x0103,type=0x81,len=4}->tun_metadata2' || exit 1
cat >"$tmpd/flows" <<'FLOWS'
priority=10,udp,tp_dst=2001,actions=set_field:0x123456->tun_id,set_field:0xaabbccdd->tun_metadata0,set_field:0x0102030405060708->tun_metadata1,output:10
priority=10,tcp,tp_dst=2001,actions=set_field:0x123456->tun_id,set_field:0xaabbccdd->tun_metadata0,set_field:0x0102030405060708->tun_metadata1,output:10
priority=10,udp6,tp_dst=2001,actions=set_field:0x123456->tun_id,set_field:0xaabbccdd->tun_metadata0,set_field:0x0102030405060708->tun_metadata1,output:10
priority=10,udp,tp_dst=2002,actions=set_field:0x42->tun_id,output:11
priority=10,udp,tp_dst=2003,actions=set_field:0x5000->tun_id,output:12
priority=10,udp,tp_dst=2004,actions=output:13
priority=10,udp,tp_dst=2005,actions=set_field:7->tun_id,set_field:0x11223344->tun_metadata0,output:14
priority=10,udp,tp_dst=2006,actions=set_field:0x99->tun_id,set_field:198.51.100.7->tun_dst,set_field:0x55667788->tun_metadata2,output:15
priority=5,in_port=10,actions=controller
priority=5,in_port=11,actions=controller
priority=5,in_port=12,actions=controller
priority=5,in_port=13,actions=controller
priority=5,in_port=14,actions=controller
priority=5,in_port=15,actions=controller
FLOWS
ovsenv_ofctl add-flows br-int "$tmpd/flows" || exit 1
sleep 1
{
	echo "# ovs-appctl ovs/route/show"; ovsenv_appctl ovs/route/show
	echo "# ovs-appctl tnl/neigh/show"; ovsenv_appctl tnl/neigh/show
	echo "# ovs-appctl tnl/ports/show -v"; ovsenv_appctl tnl/ports/show -v
	echo "# ovs-vsctl show"; ovsenv_vsctl show
} >"$HERE/setup.txt" 2>&1

ovsenv_nsx timeout 400 tcpdump -i s6g-phy-x -w "$HERE/capture.pcap" -U -nn udp 2>/dev/null &
TCPDUMP_PID=$!
timeout 400 ovs-ofctl monitor br-int 65534 -P nxt_packet_in2 >"$tmpd/monitor" 2>&1 &
MON_PID=$!
sleep 1.5
# encap: every inner frame twice (the second takes the datapath's cached flow)
for n in inner-g0 inner-g1 inner-v0 inner-v1 inner-g6 inner-gf inner-g0b inner-g0c inner-g0v6; do
	ovsenv_nsx $F send s6g-vm-x $n $n || exit 1
done
sleep 0.5
# decap
for n in dec-g0 dec-g1 dec-v0 dec-v1 dec-g6 dec-gf; do
	ovsenv_nsx $F send s6g-phy-x $n || exit 1
	sleep 0.3
done
counter() { ovsenv_appctl coverage/read-counter "$1"; }
: >"$HERE/drops.txt"
for n in bad-crit bad-optlen bad-udpsum bad-gbp bad-tlvlen bad-ver bad-proto bad-vni bad-noport; do
	sleep 1.2
	a=$(counter datapath_drop_tunnel_pop_error) b=$(counter drop_action_invalid_tunnel_metadata) u=$(counter datapath_drop_upcall_error)
	c=$(grep -c 'NXT_PACKET_IN2' "$tmpd/monitor")
	ovsenv_nsx $F send s6g-phy-x $n || exit 1
	sleep 2.5
	a2=$(counter datapath_drop_tunnel_pop_error) b2=$(counter drop_action_invalid_tunnel_metadata) u2=$(counter datapath_drop_upcall_error)
	c2=$(grep -c 'NXT_PACKET_IN2' "$tmpd/monitor")
	echo "$n datapath_drop_tunnel_pop_error+$((a2 - a)) drop_action_invalid_tunnel_metadata+$((b2 - b)) datapath_drop_upcall_error+$((u2 - u)) packet_in+$((c2 - c))" >>"$HERE/drops.txt"
done
sleep 0.5
kill "$TCPDUMP_PID" "$MON_PID" 2>/dev/null
wait "$TCPDUMP_PID" "$MON_PID" 2>/dev/null
TCPDUMP_PID="" MON_PID=""
cp "$tmpd/monitor" "$HERE/packetins.txt"
{
	echo "# ofproto/trace br-int in_port=10,tun_id=0x123456,tun_src=198.51.100.2,tun_dst=198.51.100.1,tun_metadata0=0xaabbccdd,udp"
	ovsenv_appctl ofproto/trace br-int in_port=10,tun_id=0x123456,tun_src=198.51.100.2,tun_dst=198.51.100.1,tun_metadata0=0xaabbccdd,udp
	echo "# ofproto/trace br-phy in_port=1 dec-g0"
	ovsenv_appctl ofproto/trace br-phy in_port=1 "$($F hex dec-g0)"
} >"$HERE/trace.txt" 2>&1

# Interface.error of bad tunnel options
bad() { # name type options...
	local n=$1 t=$2
	shift 2
	local -a o=()
	for x in "$@"; do o+=("options:$x"); done
	ovsenv_vsctl -- add-port br-int "$n" -- set interface "$n" type="$t" "${o[@]}" >/dev/null 2>&1
	printf '%s\t%s %s\t%s\n' "$n" "$t" "$*" "$(ovsenv_vsctl get interface "$n" error)"
	ovsenv_vsctl del-port br-int "$n"
}
{
	bad s6g-e1 geneve key=flow
	bad s6g-e2 vxlan remote_ip=198.51.100.9 local_ip=flow
	bad s6g-e3 geneve remote_ip=224.0.0.1
	bad s6g-e4 geneve remote_ip=198.51.100.9 local_ip=2001:db8::1
	bad s6g-e5 geneve remote_ip=198.51.100.9 packet_type=bogus
	bad s6g-e6 geneve remote_ip=bogus
	bad s6g-e7 geneve remote_ip=198.51.100.9 tos=300 packet_type=legacy_l3
	bad s6g-e8 vxlan remote_ip=198.51.100.9 exts=foo packet_type=legacy_l3
	bad s6g-e9 geneve remote_ip=198.51.100.9 tos=4 ttl=0 frobnicate=1
	bad s6g-ea vxlan remote_ip=ff02::1
	bad s6g-eb geneve remote_ip=flow local_ip=flow packet_type=ptap
} >"$HERE/errors.txt"
grep -i "netdev_vport\|tunnel\|native_tnl" "$OVSENV_DIR/ovs-vswitchd.log" | sed 's/^[^|]*|[^|]*|/|/' >"$HERE/vswitchd-log.txt"
echo "capture.sh: done" >&2
