#!/usr/bin/env bash
# Differential capture for ct/nat's TestOVSFrames: every frame of in.txt
# (GNT_NAT_GEN=1 go test -run TestGenOVSInputs ./ct/nat writes it) goes
# through a private Open vSwitch 3.1 (userspace datapath, tests/ovsref/
# ovs-env.sh) with nat.flows by ovs-ofctl packet-out; capture.py records
# what leaves ports 1 and 2 in out.txt. As root. Namespace gnt-ovsd.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../../../../tests/ovsref/ovs-env.sh
source "$HERE/../../../../tests/ovsref/ovs-env.sh"
NS=gnt-ovsd
cleanup() {
	cp "$OVSENV_DIR"/ovs-vswitchd.log /tmp/gnt-ovsd-vswitchd.log 2>/dev/null || true
	ovsenv_stop || true
	ip netns del $NS 2>/dev/null || true
}
trap cleanup EXIT INT TERM
ip netns del $NS 2>/dev/null || true
ip netns add $NS
ip netns exec $NS sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
for p in gnt-a gnt-b; do
	ip netns exec $NS ip link add $p type veth peer name $p-x
	ip netns exec $NS ip link set $p up
	ip netns exec $NS ip link set $p-x up
done
ovsenv_start -n $NS -p gnt-a=1 -p gnt-b=2 -s
ovsenv_ofctl add-flows br0 "$HERE/nat.flows"
ovsenv_nsx python3 "$HERE/capture.py" "$HERE/in.txt" "$HERE/out.txt" br0 gnt-a-x gnt-b-x
ovsenv_appctl dpctl/dump-conntrack | sort >"$HERE/dump-conntrack.txt"
cat "$HERE/dump-conntrack.txt"
