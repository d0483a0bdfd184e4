#!/usr/bin/env bash
# (NAT ct_state variant of capture-ovs31.sh.) Captures real OVS 3.1 (userspace datapath) conntrack tool output as golden
# files in ct/testdata/ovs31/. Run as root on a Debian 12 machine with
# openvswitch-switch 3.1 installed. It runs a private ovsdb-server and
# ovs-vswitchd inside a network namespace (gct-sw) with veth pairs to two
# host namespaces (gct-a, gct-b), sends ping, UDP and TCP traffic through a
# netdev bridge whose flows commit to conntrack, and records dpctl output.
set -u
OUT=$(cd "$(dirname "$0")" && pwd)/ovs31
D=$(mktemp -d /tmp/gct-ovs.XXXX)
export OVS_RUNDIR=$D OVS_LOGDIR=$D OVS_DBDIR=$D OVS_SYSCONFDIR=$D
NS="ip netns exec gct-sw"
cleanup() {
	[ -f $D/vswitchd.pid ] && kill "$(cat $D/vswitchd.pid)" 2>/dev/null
	[ -f $D/db.pid ] && kill "$(cat $D/db.pid)" 2>/dev/null
	[ -n "${SRV:-}" ] && kill $SRV 2>/dev/null
	[ -n "${CLI:-}" ] && kill $CLI 2>/dev/null
	sleep 0.5
	for n in gct-sw gct-a gct-b; do ip netns del $n 2>/dev/null; done
	rm -rf "$D"
}
[ -z "${KEEP:-}" ] && trap cleanup EXIT
for n in gct-sw gct-a gct-b; do ip netns add $n; done
ip link add gct-a0 type veth peer name gct-a1
ip link add gct-b0 type veth peer name gct-b1
ip link set gct-a0 netns gct-a; ip link set gct-a1 netns gct-sw
ip link set gct-b0 netns gct-b; ip link set gct-b1 netns gct-sw
ip -n gct-a addr add 198.51.100.1/24 dev gct-a0
ip -n gct-b addr add 198.51.100.2/24 dev gct-b0
ip -n gct-a addr add 2001:db8::1/64 dev gct-a0 nodad
ip -n gct-b addr add 2001:db8::2/64 dev gct-b0 nodad
for n in a b; do
	ip -n gct-$n link set gct-${n}0 up; ip -n gct-$n link set lo up
	ip -n gct-sw link set gct-${n}1 up
	ip netns exec gct-$n ethtool -K gct-${n}0 tx off >/dev/null 2>&1
done
ovsdb-tool create $D/conf.db /usr/share/openvswitch/vswitch.ovsschema
$NS ovsdb-server $D/conf.db --remote=punix:$D/db.sock --pidfile=$D/db.pid --detach --log-file=$D/db.log
$NS ovs-vsctl --db=unix:$D/db.sock --no-wait init
$NS ovs-vswitchd unix:$D/db.sock --pidfile=$D/vswitchd.pid --detach --log-file=$D/vswitchd.log --unixctl=$D/vswitchd.ctl
VS="$NS ovs-vsctl --db=unix:$D/db.sock"
$VS add-br br0 -- set bridge br0 datapath_type=netdev -- set-fail-mode br0 secure
$VS add-port br0 gct-a1 -- add-port br0 gct-b1
sleep 1
OF="$NS ovs-ofctl -O OpenFlow13"
APP="$NS ovs-appctl -t $D/vswitchd.ctl"
$OF add-flow br0 "table=0,priority=100,arp,actions=NORMAL"
$OF add-flow br0 "table=0,priority=10,udp,in_port=gct-a1,actions=ct(commit,zone=3,nat(src=198.51.100.99),table=1)"
$OF add-flow br0 "table=0,priority=10,udp,in_port=gct-b1,actions=ct(zone=3,nat,table=1)"
$OF add-flow br0 "table=0,priority=0,actions=drop"
$OF add-flow br0 "table=1,priority=10,in_port=gct-a1,ct_state=+trk+new+snat-dnat-est-rpl-inv,actions=output:gct-b1"
$OF add-flow br0 "table=1,priority=10,in_port=gct-a1,ct_state=+trk+est+snat-dnat-new-rpl-inv,actions=output:gct-b1"
$OF add-flow br0 "table=1,priority=10,in_port=gct-b1,ct_state=+trk+est+rpl+dnat-snat-new-inv,actions=output:gct-a1"
$OF add-flow br0 "table=1,priority=0,actions=drop"
AMAC=$(ip -n gct-a link show gct-a0 | awk '/ether/{print $2}')
ip -n gct-b neigh add 198.51.100.99 lladdr $AMAC dev gct-b0
ip netns exec gct-b python3 -c '
import socket;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);s.bind(("0.0.0.0",5353))
for i in range(2):
  d,a=s.recvfrom(100);s.sendto(d,a)' &
SRV=$!
sleep 0.3
ip netns exec gct-a python3 -c '
import socket;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);s.bind(("198.51.100.1",40000));s.settimeout(2)
for i in range(2):
  s.sendto(b"x",("198.51.100.2",5353));print(s.recvfrom(10))'
sleep 2 # flow statistics come from the datapath with a delay
$OF dump-flows br0 table=1 | sed 's/ cookie=[^,]*, duration=[^,]*,//; s/ idle_age=[^,]*,//' | sort > "$OUT/nat-state-flows.txt"
echo "(two UDP request/response pairs: table 1 counters per ct_state)" >> "$OUT/nat-state-flows.txt"
echo done; ls $OUT | wc -l
