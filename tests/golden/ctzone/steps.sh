#!/usr/bin/env bash
# steps.sh - the commands of the CT_Zone / CT_Timeout_Policy reference, run by
# capture.sh inside a private OVS 3.1 (ovs-env.sh: bridge br0, netdev datapath,
# ports s5z-a=1, s5z-b=2). Each command is echoed with "$ " before its output;
# dump-conntrack -s lines are sorted (hash order otherwise).
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
run() { printf '$ %s\n' "$*"; "$@" 2>&1 | sed 's/^[0-9T:.-]*Z|[0-9]*|ovsdb_idl|WARN|/ovsdb_idl|WARN|/'; }
step() { printf '\n## %s\n' "$*"; }
pkt() { printf '$ packet-out %s\n' "$1"; ovs-ofctl packet-out br0 1 'resubmit(,0)' "$(python3 "$here/pkt.py" "$1")"; }
dump() { printf '$ ovs-appctl dpctl/dump-conntrack -s\n'; ovs-appctl dpctl/dump-conntrack -s | sort; }

step "no Datapath row yet: ovs-vsctl needs one (3.1 has no add-dp)"
run ovs-vsctl list-zone-tp netdev
run ovs-vsctl add-zone-tp netdev zone=5 udp_first=1
run ovs-vsctl -- --id=@m create Datapath datapath_version=0 -- set Open_vSwitch . datapaths:netdev=@m
step "ovs-vswitchd fills the new row's capabilities (sorted here)"
printf '$ ovs-vsctl list-dp-cap netdev | tr " " "\\n" | sort\n'
ovs-vsctl list-dp-cap netdev | tr ' ' '\n' | sort

step "flows committing UDP and ICMP in zone 5, TCP in zone 7"
run ovs-ofctl add-flow br0 'udp,actions=ct(commit,zone=5),output:2'
run ovs-ofctl add-flow br0 'icmp,actions=ct(commit,zone=5),output:2'
run ovs-ofctl add-flow br0 'tcp,actions=ct(commit,zone=7),output:2'
step "before any policy: the defaults (udp_first 60)"
pkt udp
dump

step "add-zone-tp"
run ovs-vsctl add-zone-tp netdev zone=5 udp_first=300 udp_single=200 udp_multiple=100 icmp_first=150 icmp_reply=120
run ovs-vsctl add-zone-tp netdev zone=7 tcp_syn_sent=77 tcp_established=1000 tcp_close_wait=9
run ovs-vsctl list-zone-tp netdev
step "a connection committed before the policy keeps the defaults (udp_single 60, udp_multiple 30)"
pkt udp
dump
pkt udpr
dump
step "new connections take the zone's policy"
run ovs-appctl dpctl/flush-conntrack
pkt udp
pkt icmp
pkt syn
dump
pkt udp
dump
pkt udpr
dump

step "bad input: refused by ovs-vsctl or by ovsdb-server's schema"
run ovs-vsctl add-zone-tp netdev zone=5 udp_first=2
run ovs-vsctl add-zone-tp netdev zone=6 foo=3
run ovs-vsctl add-zone-tp netdev zone=6 udp_first=-1
run ovs-vsctl add-zone-tp netdev zone=70000 udp_first=3
run ovs-vsctl add-zone-tp netdev zone=6
run ovs-vsctl list-zone-tp netdev

step "--may-exist replaces zone 5's policy (only udp_multiple=50 now)"
run ovs-vsctl --may-exist add-zone-tp netdev zone=5 udp_multiple=50
run ovs-vsctl list-zone-tp netdev
run ovs-appctl dpctl/flush-conntrack
pkt udp
dump
pkt udpr
dump

step "del-zone-tp: new connections get the defaults again"
run ovs-vsctl del-zone-tp netdev zone=5
run ovs-vsctl del-zone-tp netdev zone=5
run ovs-vsctl --if-exists del-zone-tp netdev zone=5
run ovs-vsctl list-zone-tp netdev
run ovs-appctl dpctl/flush-conntrack
pkt udp
pkt icmp
pkt syn
dump
printf '$ ovs-vsctl --columns=ct_zones list Datapath | sed uuid\n'
ovs-vsctl --columns=ct_zones list Datapath | sed -E 's/[0-9a-f]{8}-[0-9a-f-]{27}/UUID/g'
printf '$ ovs-vsctl --columns=timeouts list CT_Timeout_Policy\n'
ovs-vsctl --columns=timeouts list CT_Timeout_Policy
run ovs-appctl dpctl/ct-get-limits
