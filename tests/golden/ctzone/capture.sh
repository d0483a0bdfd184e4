#!/usr/bin/env bash
# capture.sh - the CT_Zone / CT_Timeout_Policy reference (issue 12): what OVS
# 3.1's ovs-vswitchd does with ovs-vsctl add-zone-tp / del-zone-tp on the
# netdev datapath, seen through ovs-appctl dpctl/dump-conntrack -s.
#
#   tests/golden/ctzone/capture.sh            (as root; writes ctzone.txt here)
#
# Runs steps.sh (the commands, echoed into the output) in a private OVS from
# tests/ovsref/ovs-env.sh (namespace s5z-ref, veths s5z-a/s5z-b); frames come
# from pkt.py through ovs-ofctl packet-out. Timeouts printed are the seconds
# left, so a value may be one less on a slow run; uuids are replaced by UUID.
#
# What OVS 3.1 shows (the rules vswitchd/ctzone.go follows):
#  - ovs-vswitchd applies Datapath["netdev"].ct_zones: each zone's
#    CT_Timeout_Policy.timeouts, unnamed keys keeping the defaults; the
#    userspace datapath honours them (udp_*, icmp_*, tcp_syn_sent,
#    tcp_established, ...; the kernel-only keys are accepted and unused).
#  - it creates no Datapath row; it fills a new row's capabilities.
#  - a connection takes its zone's policy when it is committed: one
#    committed before add-zone-tp keeps the defaults.
#  - bad keys, negative values and zones over 65535 never reach the switch:
#    ovsdb-server's schema refuses them.
#  - OVS 3.1's schema (8.3.1) has no zone limit column: limits are
#    dpctl/ct-set-limits only.
set -eu -o pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../../.." && pwd)
out=${1:-$here/ctzone.txt}
"$top/tests/ovsref/ovs-env.sh" -n s5z-ref -p s5z-a=1 -p s5z-b=2 -- bash "$here/steps.sh" >"$out.tmp"
sed -E 's/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/UUID/g' "$out.tmp" >"$out"
rm -f "$out.tmp"
