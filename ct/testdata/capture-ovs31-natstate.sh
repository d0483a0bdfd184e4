#!/usr/bin/env bash
# (NAT ct_state variant of capture-ovs31.sh.) Captures real OVS 3.1 (userspace datapath) conntrack tool output as golden
# files in ct/testdata/ovs31/. Run as root on a Debian 12 machine with
# openvswitch-switch 3.1 installed. It runs a private ovsdb-server and
# ovs-vswitchd inside a network namespace (gct-sw) with veth pairs to two
# host namespaces (gct-a, gct-b), sends ping, UDP and TCP traffic through a
# netdev bridge whose flows commit to conntrack, and records dpctl output.
set -u
. "$(dirname "$0")/ovs31-env.sh"
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
