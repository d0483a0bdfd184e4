#!/usr/bin/env bash
# Captures real OVS 3.1 (userspace datapath) conntrack tool output as golden
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
