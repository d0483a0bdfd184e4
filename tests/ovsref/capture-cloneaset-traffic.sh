#!/usr/bin/env bash
# capture-cloneaset-traffic.sh - real packets through OVS 3.1 for the cases
# of tests/golden/cloneaset/cases.tsv that TRAFFIC_CASES names: one private
# OVS (tests/ovsref/ovs-env.sh), ports PFX-p1..5 as ofports 1-5 whose veth
# peers PFX-pN-x stay in the switch's namespace; per case: del-flows,
# del-groups, the case's group and flows (-O OpenFlow13), then 3 UDP
# datagrams 198.51.100.1:5000 -> 198.51.100.2:9 sent from PFX-p1-x (static
# neighbour, IPv6 off), and each of ports 2-5's tx_packets increase as
# ovs-ofctl dump-ports reports it. TestPrivilegedCloneASetTraffic sends the
# same through gswitch. Run as root from the repository root:
#   PFX=s6b tests/ovsref/capture-cloneaset-traffic.sh
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
TRAFFIC_CASES="bucket-resubmit-write bucket-resubmit-clear two-buckets bucket-stack ct-in-clone ct-in-bucket-write bucket-clear-then-ct"
# shellcheck source=ovs-env.sh
source tests/ovsref/ovs-env.sh
trap ovsenv_stop EXIT
PFX=${PFX:-s5k}
ovsenv_start -n "$PFX-sw" -p "$PFX-p1=1" -p "$PFX-p2=2" -p "$PFX-p3=3" -p "$PFX-p4=4" -p "$PFX-p5=5" -s
nsx() { ip netns exec "$PFX-sw" "$@"; }
nsx sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
nsx ip addr add 198.51.100.1/24 dev "$PFX-p1-x"
nsx ip neigh replace 198.51.100.2 lladdr 02:00:00:00:02:01 dev "$PFX-p1-x" nud permanent
# tx_packets of ports 2-5, as "2=N 3=N 4=N 5=N"
txs() {
	ovsenv_ofctl dump-ports br0 | awk '
		/port +[0-9]+:/ { p = $2; sub(/:/, "", p) }
		/tx pkts=/ { n = $2; sub(/pkts=/, "", n); sub(/,/, "", n); tx[p] = n }
		END { printf "2=%s 3=%s 4=%s 5=%s\n", tx[2], tx[3], tx[4], tx[5] }'
}
send3() {
	nsx timeout 10 python3 -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("198.51.100.1", 5000))
for i in range(3):
    s.sendto(b"cloneaset", ("198.51.100.2", 9))
    time.sleep(0.1)'
}
out=tests/golden/cloneaset/traffic.txt
{
	echo "# setup: private OVS ($(ovs-vswitchd --version | head -1)), bridge br0 datapath_type=netdev protocols=OpenFlow10,OpenFlow13 fail-mode=secure, ports PFX-p1..5 as ofports 1-5 with their veth peers PFX-pN-x in the switch's namespace (IPv6 off; PFX-p1-x 198.51.100.1/24, 198.51.100.2 a static neighbour); per case named in the script: del-flows, del-groups, its group and flows from cases.tsv (-O OpenFlow13), dpctl/flush-conntrack, 3 UDP datagrams 198.51.100.1:5000 -> 198.51.100.2:9 from PFX-p1-x, tx_packets of ports 2-5 (ovs-ofctl dump-ports) after minus before"
	echo "# normalize: plain"
	echo "# exit status: 0"
	echo "tests/ovsref/capture-cloneaset-traffic.sh"
} > tests/golden/cloneaset/traffic.cmd
{
	for name in $TRAFFIC_CASES; do
		line=$(grep -P "^$name\t" tests/golden/cloneaset/cases.tsv)
		IFS=$'\t' read -r _ group flows <<<"$line"
		ovsenv_ofctl -O OpenFlow13 del-flows br0
		ovsenv_ofctl -O OpenFlow13 del-groups br0
		if [ "$group" != "-" ]; then ovsenv_ofctl -O OpenFlow13 add-group br0 "$group"; fi
		echo "$flows" | tr '|' '\n' | sed 's/^ *//; s/ *$//' | ovsenv_ofctl -O OpenFlow13 add-flows br0 -
		ovsenv_appctl dpctl/flush-conntrack >/dev/null
		before=$(txs)
		send3
		sleep 1
		after=$(txs)
		echo "case $name"
		paste -d' ' <(echo "$before" | tr ' ' '\n') <(echo "$after" | tr ' ' '\n') |
			awk '{ split($1, b, "="); split($2, a, "="); printf "%s%s=%d", (NR > 1 ? " " : "tx "), b[1], a[2] - b[2] } END { print "" }'
	done
} > "$out.tmp"
mv "$out.tmp" "$out"
