#!/usr/bin/env bash
# capture-pause.sh - record how Open vSwitch 3.1 pauses and resumes packets
# (controller(pause), NXT_PACKET_IN2 continuations, NXT_RESUME) for every case
# of tests/golden/pause/cases.tsv: a private OVS (tests/ovsref/ovs-env.sh,
# bridge br0, netdev datapath, OpenFlow10+13, fail-mode secure, ports
# PREFIX-p1=1 and PREFIX-p2=2, ptcp:17940) gets the case's flows
# (ovs-ofctl -O OpenFlow13 add-flows br0 tests/golden/pause/FLOWS.flows, after
# del-flows; first FLOWS.groups with add-groups, after del-groups, where
# there is one), then tests/ovsref/pausectl injects the UDP frame below with a
# packet-out (in_port=1, output:TABLE), prints the paused packet's
# NXT_PACKET_IN2, sends the NXT_RESUME its mode asks for and prints every
# answer (-ofp-print: decoded by ovs-ofctl too). What leaves port 2 (its
# veth peer, tcpdump -nn -e -t udp) follows as "port2: ...".
# NAME.txt is that output (tests/ovsref/normalize plain); tests' TestPrivilegedPauseVsOVS runs the same
# against gswitch and compares.
#
# monitor-*.txt: ovs-ofctl's own controller on basic.flows:
#   ovs-ofctl -O OpenFlow13 monitor br0 resume -P nxt_packet_in2 -mmm
# (ovs-ofctl resumes every paused packet; -mmm prints hex dumps) and the
# same with the default (standard OpenFlow 1.3) packet-in format: a
# paused packet's packet-in then carries no continuation, and nothing resumes.
#
# Usage (as root): tests/ovsref/capture-pause.sh
# Environment: GOLDEN_OUT=DIR writes DIR/pause/ instead of tests/golden/pause/;
# CAPTURE_NS=NAME is the namespace (default g11w-ovs; created and deleted
# again by ovs-env.sh).
set -u -o pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SRC=$ROOT/tests/golden/pause
GOLD=${GOLDEN_OUT:-$ROOT/tests/golden}/pause
PORT=17940
PKT=02000000000202000000000108004500001e000040004011e664c6336401c63364024e21270f000acdd56869
# shellcheck source=ovs-env.sh
source "$HERE/ovs-env.sh"

tmpd=$(mktemp -d /tmp/g11w-capture-pause.XXXXXX)
trap 'ovsenv_stop; rm -rf "$tmpd"' EXIT
go build -C "$ROOT" -o "$tmpd/pausectl" ./tests/ovsref/pausectl || exit 1
go build -C "$ROOT" -o "$tmpd/normalize" ./tests/ovsref/normalize || exit 1
mkdir -p "$GOLD"
ovsenv_start -n "${CAPTURE_NS:-g11w-ovs}" -p g11w-p1=1 -p g11w-p2=2 -t "$PORT" -s || exit 1
ovsenv_nsx ip link set g11w-p2-x up

flows() {
	ovsenv_ofctl -O OpenFlow13 del-flows br0 || exit 1
	ovsenv_ofctl -O OpenFlow13 del-groups br0 || exit 1
	if [[ -f $SRC/$1.groups ]]; then ovsenv_ofctl -O OpenFlow13 add-groups br0 "$SRC/$1.groups" || exit 1; fi
	ovsenv_ofctl -O OpenFlow13 add-flows br0 "$SRC/$1.flows" || exit 1
	ovsenv_appctl dpctl/flush-conntrack >/dev/null
}

# port2 CMD...: run CMD while tcpdump watches port 2's peer; print what it saw.
port2() {
	ovsenv_nsx timeout 4 tcpdump -nn -e -t -l -c 1 -i g11w-p2-x udp >"$tmpd/dump" 2>/dev/null &
	local pid=$!
	sleep 0.7
	"$@"
	wait "$pid"
	if grep -q . "$tmpd/dump"; then grep . "$tmpd/dump" | sed 's/^/port2: /'; else echo "port2: none"; fi
}

while IFS=$'\t' read -r name fl mode; do
	case $name in '' | '#'*) continue ;; esac
	flows "$fl"
	port2 ovsenv_nsx "$tmpd/pausectl" -addr 127.0.0.1:$PORT -in-port 1 -packet "$PKT" -mode "$mode" -ofp-print \
		2>&1 | "$tmpd/normalize" plain >"$GOLD/$name.txt"
done <"$SRC/cases.tsv"

# monitor FORMAT-ARGS...: ovs-ofctl monitor resume on basic.flows; the
# bridge UUID (random per bridge) is replaced by X.
monitor() {
	flows basic
	ovsenv_nsx timeout 4 ovs-ofctl -O OpenFlow13 monitor br0 resume "$@" >"$tmpd/mon" 2>&1 &
	local pid=$!
	sleep 1
	ovsenv_ofctl -O OpenFlow13 packet-out br0 "in_port=1 packet=$PKT actions=table" || exit 1
	wait "$pid"
	grep -v 'fatal_signal|WARN|terminating' "$tmpd/mon" | sed 's/continuation\.bridge=[0-9a-f-]*/continuation.bridge=X/'
}
port2 monitor -P nxt_packet_in2 | "$tmpd/normalize" plain >"$GOLD/monitor-nxt2.txt"
port2 monitor -P standard | "$tmpd/normalize" plain >"$GOLD/monitor-standard.txt"

ver=$(ovs-vswitchd --version | head -n1)
setup="private OVS ($ver), bridge br0 datapath_type=netdev protocols=OpenFlow10,OpenFlow13 fail-mode=secure, ports g11w-p1=1 g11w-p2=2 (veth peers g11w-p1-x, g11w-p2-x), ptcp:$PORT:127.0.0.1; tests/ovsref/capture-pause.sh (see its header); the flows below after del-flows and dpctl/flush-conntrack; tcpdump -nn -e -t -c 1 -i g11w-p2-x udp watches port 2 (port2: line)"
while IFS=$'\t' read -r name fl mode; do
	case $name in '' | '#'*) continue ;; esac
	grp=""
	[[ -f $SRC/$fl.groups ]] && grp="ovs-ofctl -O OpenFlow13 add-groups br0 tests/golden/pause/$fl.groups
"
	printf '# setup: %s\n# normalize: plain\n# exit status: 0\n%sovs-ofctl -O OpenFlow13 add-flows br0 tests/golden/pause/%s.flows\npausectl -addr 127.0.0.1:%s -in-port 1 -packet %s -mode %s -ofp-print   # pausectl = go build ./tests/ovsref/pausectl\n' \
		"$setup" "$grp" "$fl" "$PORT" "$PKT" "$mode" >"$GOLD/$name.cmd"
done <"$SRC/cases.tsv"
for f in nxt_packet_in2 standard; do
	n=nxt2
	[[ $f == standard ]] && n=standard
	printf '# setup: %s\n# normalize: plain\n# exit status: (stopped)\novs-ofctl -O OpenFlow13 add-flows br0 tests/golden/pause/basic.flows\novs-ofctl -O OpenFlow13 monitor br0 resume -P %s   # while: ovs-ofctl -O OpenFlow13 packet-out br0 "in_port=1 packet=%s actions=table"; its "terminating with signal" line dropped, continuation.bridge=UUID printed as X\n' \
		"$setup" "$f" "$PKT" >"$GOLD/monitor-$n.cmd"
done
