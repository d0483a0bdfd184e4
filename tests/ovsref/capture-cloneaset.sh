#!/usr/bin/env bash
# capture-cloneaset.sh - record OVS 3.1's translation of clone(...) with an
# action set: for every case of tests/golden/cloneaset/cases.tsv (one private
# OVS, tests/ovsref/ovs-env.sh; ports 1-5 are idle veths), del-flows and
# del-groups, add the case's group and flows with ovs-ofctl -O OpenFlow13,
# and keep ofproto/trace's "Datapath actions:" line. Run as root from the
# repository root:  tests/ovsref/capture-cloneaset.sh
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
# shellcheck source=ovs-env.sh
source tests/ovsref/ovs-env.sh
trap ovsenv_stop EXIT
# PFX names the namespace and veths (unique to whoever runs the capture)
PFX=${PFX:-s5k}
ovsenv_start -n "$PFX-sw" -p "$PFX-p1=1" -p "$PFX-p2=2" -p "$PFX-p3=3" -p "$PFX-p4=4" -p "$PFX-p5=5" -s
out=tests/golden/cloneaset/traces.txt
# datapath port number -> OpenFlow port ($PFX-pN is ofport N), so that the
# golden names OpenFlow ports: "Datapath actions: 3,2" means ports 3 and 2;
# a port number is a number standing alone between commas and parentheses,
# as in "clone(ct,recirc(0x1),1),3" (a recirculation's own translation,
# which ofproto/trace prints after the first, has a line of its own)
map=$(ovsenv_appctl dpctl/show | sed -n "s/^ *port \([0-9]*\): $PFX-p\([0-9]\).*/\1=\2/p" | tr '\n' ' ')
ofports() {
	MAP="$map" perl -ne 'BEGIN { %p = map { split /=/ } split " ", $ENV{MAP} }
		s/(?<=[ ,(])(\d+)(?=[,)]|$)/exists $p{$1} ? $p{$1} : $1/ge; print'
}
{
	echo "# setup: private OVS ($(ovs-vswitchd --version | head -1)), bridge br0 datapath_type=netdev protocols=OpenFlow10,OpenFlow13 fail-mode=secure, ports PFX-p1..5 as ofports 1-5; per case of tests/golden/cloneaset/cases.tsv: del-flows, del-groups, add its group and flows (-O OpenFlow13), then the command below, datapath port numbers printed as OpenFlow ports"
	echo "# normalize: plain"
	echo "# exit status: 0"
	echo "tests/ovsref/capture-cloneaset.sh   # runs, per case: echo \"case NAME\"; ovs-appctl ofproto/trace br0 in_port=1,udp,nw_src=198.51.100.1,nw_dst=198.51.100.2 | grep '^Datapath actions:' (one line per translation: the packet's, then each recirculation's)"
} > tests/golden/cloneaset/traces.cmd
{
	grep -v '^#' tests/golden/cloneaset/cases.tsv | while IFS=$'\t' read -r name group flows; do
		ovsenv_ofctl -O OpenFlow13 del-flows br0
		ovsenv_ofctl -O OpenFlow13 del-groups br0
		if [ "$group" != "-" ]; then ovsenv_ofctl -O OpenFlow13 add-group br0 "$group"; fi
		echo "$flows" | tr '|' '\n' | sed 's/^ *//; s/ *$//' | ovsenv_ofctl -O OpenFlow13 add-flows br0 -
		echo "case $name"
		ovsenv_appctl ofproto/trace br0 in_port=1,udp,nw_src=198.51.100.1,nw_dst=198.51.100.2 | grep '^Datapath actions:' | ofports
	done
} > "$out.tmp"
mv "$out.tmp" "$out"
