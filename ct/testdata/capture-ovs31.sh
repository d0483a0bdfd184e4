#!/usr/bin/env bash
# Captures real OVS 3.1 (userspace datapath) conntrack tool output as golden
# files in ct/testdata/ovs31/. Run as root on a Debian 12 machine with
# openvswitch-switch 3.1 installed. It runs a private ovsdb-server and
# ovs-vswitchd inside a network namespace (gct-sw) with veth pairs to two
# host namespaces (gct-a, gct-b), sends ping, UDP and TCP traffic through a
# netdev bridge whose flows commit to conntrack, and records dpctl output.
set -u
. "$(dirname "$0")/ovs31-env.sh"
$OF add-flow br0 "priority=10,icmp,actions=ct(commit,zone=5,exec(set_field:17->ct_mark,set_field:0x1234->ct_label)),NORMAL"
$OF add-flow br0 "priority=10,udp,actions=ct(commit),NORMAL"
$OF add-flow br0 "priority=10,tcp,actions=ct(commit,zone=7),NORMAL"
$OF add-flow br0 "priority=10,icmp6,icmp_type=128,actions=ct(commit),NORMAL"
$OF add-flow br0 "priority=10,icmp6,icmp_type=129,actions=ct(commit),NORMAL"
$OF add-flow br0 "priority=0,actions=NORMAL"
APP="$NS ovs-appctl -t $D/vswitchd.ctl"
ip netns exec gct-a ping -c 2 -i 0.2 -W 1 198.51.100.2 || { echo PING FAILED; [ -n "${KEEP:-}" ] && exit 1; }
ip netns exec gct-a ping -6 -c 1 -W 1 2001:db8::2 >/dev/null
ip netns exec gct-b python3 -c '
import socket;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);s.bind(("198.51.100.2",5353));d,a=s.recvfrom(100);s.sendto(d,a)' &
sleep 0.3
ip netns exec gct-a python3 -c '
import socket;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);s.bind(("198.51.100.1",40000));s.settimeout(2);s.sendto(b"x",("198.51.100.2",5353));s.recv(10)'
ip netns exec gct-a python3 -c '
import socket;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);s.bind(("198.51.100.1",40001));s.sendto(b"x",("198.51.100.2",9))'
ip netns exec gct-b python3 -c '
import socket,time;s=socket.socket();s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1);s.bind(("198.51.100.2",8080));s.listen(5)
c,a=s.accept();c.recv(10);c.close()
c,a=s.accept();c.recv(10);time.sleep(30)' &
SRV=$!
sleep 0.3
ip netns exec gct-a python3 -c '
import socket;s=socket.socket();s.bind(("198.51.100.1",41000));s.connect(("198.51.100.2",8080));s.send(b"hi");s.recv(10);s.close()'
ip netns exec gct-a python3 -c '
import socket,time;s=socket.socket();s.bind(("198.51.100.1",41001));s.connect(("198.51.100.2",8080));s.send(b"hi");time.sleep(30)' &
CLI=$!
sleep 1
cap() { local name=$1; shift; $APP "$@" > "$OUT/$name.txt" 2>&1; echo "exit=$?" >> "$OUT/$name.txt"; }
cap dump-conntrack dpctl/dump-conntrack
cap dump-conntrack-m dpctl/dump-conntrack -m
cap dump-conntrack-s dpctl/dump-conntrack -s
cap dump-conntrack-ms dpctl/dump-conntrack -m -s
cap dump-conntrack-zone7 dpctl/dump-conntrack zone=7
cap dump-conntrack-dp dpctl/dump-conntrack netdev@ovs-netdev zone=5
cap ct-stats-show dpctl/ct-stats-show
cap ct-stats-show-m dpctl/ct-stats-show -m
cap ct-stats-show-zone7 dpctl/ct-stats-show zone=7
cap ct-get-nconns dpctl/ct-get-nconns
cap ct-get-maxconns dpctl/ct-get-maxconns
cap ct-set-maxconns dpctl/ct-set-maxconns 1000
cap ct-set-maxconns-bad dpctl/ct-set-maxconns abc
cap ct-get-maxconns-after dpctl/ct-get-maxconns
cap ct-get-limits-empty dpctl/ct-get-limits
cap ct-set-limits dpctl/ct-set-limits default=10 zone=7,limit=5 zone=9,limit=3
cap ct-set-limits-bad dpctl/ct-set-limits zone=7
cap ct-set-limits-bad2 dpctl/ct-set-limits zone=x,limit=4
cap ct-get-limits dpctl/ct-get-limits
cap ct-get-limits-zones dpctl/ct-get-limits zone=7,3
cap ct-del-limits dpctl/ct-del-limits zone=9
cap ct-get-limits-after-del dpctl/ct-get-limits
cap ct-get-tcp-seq-chk dpctl/ct-get-tcp-seq-chk
cap ct-disable-tcp-seq-chk dpctl/ct-disable-tcp-seq-chk
cap ct-get-tcp-seq-chk-off dpctl/ct-get-tcp-seq-chk
cap ct-enable-tcp-seq-chk dpctl/ct-enable-tcp-seq-chk
cap ipf-get-status dpctl/ipf-get-status
cap ipf-get-status-m dpctl/ipf-get-status -m
cap ipf-set-disabled dpctl/ipf-set-disabled v4
cap ipf-set-enabled dpctl/ipf-set-enabled v4
cap ipf-set-enabled-bad dpctl/ipf-set-enabled v5
cap ipf-set-min-frag dpctl/ipf-set-min-frag v4 1000
cap ipf-set-min-frag-small dpctl/ipf-set-min-frag v4 100
cap ipf-set-max-nfrags dpctl/ipf-set-max-nfrags 500
cap ipf-set-max-nfrags-big dpctl/ipf-set-max-nfrags 6000
cap dump-conntrack-exp dpctl/dump-conntrack-exp
cap ct-get-sweep-interval dpctl/ct-get-sweep-interval
cap flush-conntrack-bad dpctl/flush-conntrack zone=abc
cap flush-conntrack-badtuple dpctl/flush-conntrack "ct_nw_src=1.2.3"
cap flush-conntrack-badfield dpctl/flush-conntrack "foo=1"
cap flush-conntrack-port-noproto dpctl/flush-conntrack "ct_tp_src=5"
cap flush-conntrack-udp dpctl/flush-conntrack "ct_nw_src=198.51.100.1,ct_nw_dst=198.51.100.2,ct_nw_proto=17,ct_tp_src=40000,ct_tp_dst=5353"
cap dump-after-flush-udp dpctl/dump-conntrack
cap flush-conntrack-zone5 dpctl/flush-conntrack zone=5
cap dump-after-flush-zone5 dpctl/dump-conntrack
cap flush-conntrack-all dpctl/flush-conntrack
cap dump-after-flush-all dpctl/dump-conntrack
cap unknown-cmd dpctl/ct-frobnicate
cap too-many-args dpctl/ct-get-nconns a b c
echo done; ls $OUT | wc -l
