#!/usr/bin/env bash
# (NAT variant of capture-ovs31.sh.) Captures real OVS 3.1 (userspace datapath) conntrack tool output as golden
# files in ct/testdata/ovs31/. Run as root on a Debian 12 machine with
# openvswitch-switch 3.1 installed. It runs a private ovsdb-server and
# ovs-vswitchd inside a network namespace (gct-sw) with veth pairs to two
# host namespaces (gct-a, gct-b), sends ping, UDP and TCP traffic through a
# netdev bridge whose flows commit to conntrack, and records dpctl output.
set -u
. "$(dirname "$0")/ovs31-env.sh"
APP="$NS ovs-appctl -t $D/vswitchd.ctl"
$OF add-flow br0 "priority=100,arp,actions=NORMAL"
$OF add-flow br0 "priority=10,udp,in_port=gct-a1,actions=ct(commit,zone=3,nat(src=198.51.100.99)),output:gct-b1"
$OF add-flow br0 "priority=10,udp,in_port=gct-b1,actions=ct(zone=3,nat),output:gct-a1"
$OF add-flow br0 "priority=10,tcp,in_port=gct-a1,actions=ct(commit,nat(dst=198.51.100.2:8080)),output:gct-b1"
$OF add-flow br0 "priority=10,tcp,in_port=gct-b1,actions=ct(nat),output:gct-a1"
$OF add-flow br0 "priority=0,actions=drop"
AMAC=$(ip -n gct-a link show gct-a0 | awk '/ether/{print $2}')
BMAC=$(ip -n gct-b link show gct-b0 | awk '/ether/{print $2}')
ip -n gct-b neigh add 198.51.100.99 lladdr $AMAC dev gct-b0
ip -n gct-a neigh add 198.51.100.200 lladdr $BMAC dev gct-a0
ip netns exec gct-b python3 -c '
import socket;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);s.bind(("0.0.0.0",5353));d,a=s.recvfrom(100);s.sendto(d,a)' &
SRV=$!
ip netns exec gct-b python3 -c '
import socket,time;s=socket.socket();s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1);s.bind(("0.0.0.0",8080));s.listen(5)
c,a=s.accept();c.send(b"hello");time.sleep(20)' &
CLI=$!
sleep 0.3
ip netns exec gct-a python3 -c '
import socket;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);s.bind(("198.51.100.1",40000));s.settimeout(2);s.sendto(b"x",("198.51.100.2",5353));print(s.recvfrom(10))'
ip netns exec gct-a python3 -c '
import socket;s=socket.socket();s.bind(("198.51.100.1",41000));s.settimeout(3);s.connect(("198.51.100.200",80));print(s.recv(10))'
sleep 0.5
cap() { local name=$1; shift; $APP "$@" > "$OUT/$name.txt" 2>&1; echo "exit=$?" >> "$OUT/$name.txt"; }
cap nat-dump-conntrack dpctl/dump-conntrack
cap nat-dump-conntrack-m dpctl/dump-conntrack -m
$OF dump-flows br0 --no-stats > "$OUT/nat-flows.txt" 2>&1
echo done; ls $OUT | wc -l
