#!/usr/bin/env bash
# (Connection-limit variant of capture-ovs31.sh.) Captures real OVS 3.1 (userspace datapath) conntrack tool output as golden
# files in ct/testdata/ovs31/. Run as root on a Debian 12 machine with
# openvswitch-switch 3.1 installed. It runs a private ovsdb-server and
# ovs-vswitchd inside a network namespace (gct-sw) with veth pairs to two
# host namespaces (gct-a, gct-b), sends ping, UDP and TCP traffic through a
# netdev bridge whose flows commit to conntrack, and records dpctl output.
set -u
. "$(dirname "$0")/ovs31-env.sh"
APP="$NS ovs-appctl -t $D/vswitchd.ctl"
$OF add-flow br0 "table=0,priority=100,arp,actions=NORMAL"
$OF add-flow br0 "table=0,priority=10,ip,actions=ct(commit,table=1)"
$OF add-flow br0 "table=1,priority=10,ct_state=+trk+new-est-inv,actions=NORMAL"
$OF add-flow br0 "table=1,priority=10,ct_state=+trk+est-new-inv,actions=NORMAL"
$OF add-flow br0 "table=1,priority=10,ct_state=+trk+inv,actions=NORMAL"
$OF add-flow br0 "table=1,priority=0,actions=NORMAL"
$APP dpctl/ct-set-maxconns 0 >/dev/null
ip netns exec gct-a ping -c 1 -W 1 198.51.100.2 > /dev/null
$OF dump-flows br0 table=1 | sed 's/ cookie=[^,]*, duration=[^,]*,//; s/ idle_age=[^,]*,//' | sort > "$OUT/limit-flows.txt"
$APP dpctl/ct-get-nconns > "$OUT/limit-nconns.txt"
echo "(ct-set-maxconns 0, then one ping: table 1 counters per ct_state)" >> "$OUT/limit-flows.txt"
echo done; ls $OUT | wc -l
