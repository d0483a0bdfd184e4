#!/usr/bin/env bash
# capture.sh - tunnel edge cases of a switch daemon's userspace datapath
# (issue 13): IPv4 and IPv6 underlays, outer checksums and DF, packets
# that exceed the underlay MTU, what tnl/ports/show, the tunnel interfaces'
# status and coverage/show say, unreachable remotes, options changed in
# place and a tunnel that loops back into its own switch.
#
#   tests/golden/tunneledge/capture.sh [OUTDIR]          (as root)
#
# By default the daemon is Open vSwitch 3.1's ovs-vswitchd and OUTDIR is this
# directory (steps.txt: each command, its output and exit status).
# VSWITCHD=/path/to/gswitch runs gswitch with the same command line
# (tests/tunneledge_test.go does, and compares).
#
# Setup: namespace ${S7M_NS:-s7m-ref} holds ovsdb-server, the daemon and
# two bridges (datapath_type=netdev): br-phy (hwaddr 02:5e:00:07:00:01,
# NORMAL) with the underlay veth s7m-u0 and, on its internal port,
# 198.51.100.1/24 and 2001:db8::1/64; br-int (secure, the flows below)
# with the VM's veth s7m-v0 (ofport 1) and Geneve ports t4 (ofport 2,
# remote_ip 198.51.100.2, key 4) and t6 (ofport 3, remote_ip 2001:db8::2,
# key 6). The VM (namespace ${NS}-vm, 203.0.113.1/26 and 203.0.113.65/26)
# reaches 203.0.113.2 through t4 and 203.0.113.66 through t6: addresses of
# the peer (${NS}-pe), which runs OVS 3.1 (PEER_VSWITCHD) in both runs
# with the same two bridges mirrored (br-phy: s7m-u1, 198.51.100.2/24 and
# 2001:db8::2/64; br-int: Geneve g4 and g6 towards 198.51.100.1 and
# 2001:db8::1, internal ports pv4 and pv6 holding 203.0.113.2/26 and
# 203.0.113.66/26). The kernel has no Geneve module here. Every link has
# MTU 1500 and no offloads; no DAD, no
# router solicitations. Frames are shown by frames.py (distinct, sorted).
set -u -o pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=${1:-$here}
VSWITCHD=${VSWITCHD:-ovs-vswitchd}
PEER_VSWITCHD=${PEER_VSWITCHD:-ovs-vswitchd}
NS=${S7M_NS:-s7m-ref}
VM=$NS-vm PE=$NS-pe
SCHEMA=${OVS_SCHEMA:-/usr/share/openvswitch/vswitch.ovsschema}

T=$(mktemp -d /tmp/s7m-edge.XXXXXX) || exit 1
DB=unix:$T/db.sock
DB_PID="" VS_PID="" PDB_PID="" PVS_PID="" DUMP_PIDS="" MADE=""
export OVS_RUNDIR=$T OVS_DBDIR=$T OVS_LOGDIR=$T OVS_SYSCONFDIR=$T

nsx() { ip netns exec "$NS" "$@"; }
vm() { ip netns exec "$VM" "$@"; }
pe() { ip netns exec "$PE" "$@"; }
# alive, killpid
. "$here/../proc.sh"
cleanup() {
	local p
	for p in $DUMP_PIDS; do killpid "$p"; done
	if [[ -n $VS_PID ]]; then
		timeout 10 ovs-appctl -t "$T/vswitchd.ctl" exit --cleanup >/dev/null 2>&1
		killpid "$VS_PID"
	fi
	if [[ -n $DB_PID ]]; then
		timeout 10 ovs-appctl -t "$T/ovsdb.ctl" exit >/dev/null 2>&1
		killpid "$DB_PID"
	fi
	if [[ -n $PVS_PID ]]; then
		timeout 10 ovs-appctl -t "$T/pe/vswitchd.ctl" exit --cleanup >/dev/null 2>&1
		killpid "$PVS_PID"
	fi
	if [[ -n $PDB_PID ]]; then
		timeout 10 ovs-appctl -t "$T/pe/ovsdb.ctl" exit >/dev/null 2>&1
		killpid "$PDB_PID"
	fi
	for p in $MADE; do ip netns del "$p" 2>/dev/null; done
	[[ ${KEEP:-0} == 1 ]] || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

vsctl() { timeout 30 ovs-vsctl --db="$DB" --timeout=20 "$@"; }
appctl() { nsx timeout 20 ovs-appctl -t "$T/vswitchd.ctl" "$@"; }
ofctl() { nsx timeout 20 ovs-ofctl "$@"; }

for n in "$NS" "$VM" "$PE"; do
	if ip netns list | grep -qw -- "^$n"; then
		echo "capture.sh: namespace $n exists (another run?)" >&2
		exit 1
	fi
done
for n in "$NS" "$VM" "$PE"; do
	ip netns add "$n" && MADE="$MADE $n" || exit 1
	ip netns exec "$n" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
		net.ipv6.conf.all.router_solicitations=0 net.ipv6.conf.default.router_solicitations=0 || exit 1
	ip netns exec "$n" ip link set lo up
done
# The VM has no IPv6 (no chatter into the tunnels).
vm sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
nsx ip link add s7m-v0 address 02:5e:00:07:01:00 type veth peer name eth0 address 02:5e:00:07:01:01 || exit 1
nsx ip link set eth0 netns "$VM" || exit 1
nsx ip link add s7m-u0 address 02:5e:00:07:00:03 type veth peer name s7m-u1 address 02:5e:00:07:00:02 || exit 1
nsx ip link set s7m-u1 netns "$PE" || exit 1
nsx ip link set s7m-v0 up
# No ARP from the kernel on the underlay veths: it would answer for the
# bridge's address with the veth's MAC too, and which answer the other
# side learned would follow timing.
nsx ip link set s7m-u0 arp off up
vm ethtool -K eth0 tx off tso off gso off >/dev/null 2>&1
vm ip link set eth0 up
vm ip addr add 203.0.113.1/26 dev eth0
vm ip addr add 203.0.113.65/26 dev eth0
pe ethtool -K s7m-u1 tx off tso off gso off >/dev/null 2>&1
pe ip link set s7m-u1 arp off up
ovsdb-tool create "$T/conf.db" "$SCHEMA" || exit 1
nsx ovsdb-server "$T/conf.db" --remote="punix:$T/db.sock" --pidfile="$T/ovsdb.pid" \
	--unixctl="$T/ovsdb.ctl" --log-file="$T/ovsdb-server.log" --detach --no-chdir || exit 1
DB_PID=$(cat "$T/ovsdb.pid")
vsctl --no-wait init || exit 1
nsx "$VSWITCHD" "$DB" --pidfile="$T/ovs-vswitchd.pid" --unixctl="$T/vswitchd.ctl" \
	--log-file="$T/ovs-vswitchd.log" --detach --no-chdir || { cat "$T/ovs-vswitchd.log" >&2; exit 1; }
VS_PID=$(cat "$T/ovs-vswitchd.pid")
vsctl add-br br-phy -- set bridge br-phy datapath_type=netdev other-config:hwaddr=\"02:5e:00:07:00:01\" \
	-- add-port br-phy s7m-u0 \
	-- add-br br-int -- set bridge br-int datapath_type=netdev fail-mode=secure other-config:hwaddr=\"02:5e:00:07:00:fe\" \
	-- add-port br-int s7m-v0 -- set interface s7m-v0 ofport_request=1 \
	-- add-port br-int t4 -- set interface t4 type=geneve ofport_request=2 options:remote_ip=198.51.100.2 options:key=4 \
	-- add-port br-int t6 -- set interface t6 type=geneve ofport_request=3 options:remote_ip=2001:db8::2 options:key=6 || exit 1
for ((i = 0; i < 100; i++)); do nsx ip link show br-phy >/dev/null 2>&1 && break; sleep 0.1; done
nsx ip link set br-phy up || exit 1
nsx ip addr add 198.51.100.1/24 dev br-phy
nsx ip addr add 2001:db8::1/64 dev br-phy nodad
# The peer: OVS 3.1 (PEER_VSWITCHD) in $PE, its own database and run dir.
P=$T/pe
mkdir -p "$P"
PDB=unix:$P/db.sock
pvsctl() { timeout 30 ovs-vsctl --db="$PDB" --timeout=20 "$@"; }
pofctl() { OVS_RUNDIR=$P pe timeout 20 ovs-ofctl "$@"; }
ovsdb-tool create "$P/conf.db" "$SCHEMA" || exit 1
pe ovsdb-server "$P/conf.db" --remote="punix:$P/db.sock" --pidfile="$P/ovsdb.pid" \
	--unixctl="$P/ovsdb.ctl" --log-file="$P/ovsdb-server.log" --detach --no-chdir || exit 1
PDB_PID=$(cat "$P/ovsdb.pid")
pvsctl --no-wait init || exit 1
OVS_RUNDIR=$P OVS_DBDIR=$P OVS_LOGDIR=$P OVS_SYSCONFDIR=$P pe "$PEER_VSWITCHD" "$PDB" --pidfile="$P/ovs-vswitchd.pid" \
	--unixctl="$P/vswitchd.ctl" --log-file="$P/ovs-vswitchd.log" --detach --no-chdir || { cat "$P/ovs-vswitchd.log" >&2; exit 1; }
PVS_PID=$(cat "$P/ovs-vswitchd.pid")
pvsctl add-br br-phy -- set bridge br-phy datapath_type=netdev other-config:hwaddr=\"02:5e:00:07:00:02\" \
	-- add-port br-phy s7m-u1 \
	-- add-br br-int -- set bridge br-int datapath_type=netdev fail-mode=secure other-config:hwaddr=\"02:5e:00:07:02:fe\" \
	-- add-port br-int g4 -- set interface g4 type=geneve ofport_request=2 options:remote_ip=198.51.100.1 options:key=4 \
	-- add-port br-int g6 -- set interface g6 type=geneve ofport_request=3 options:remote_ip=2001:db8::1 options:key=6 \
	-- add-port br-int pv4 -- set interface pv4 type=internal ofport_request=4 mac=\"02:5e:00:07:02:04\" \
	-- add-port br-int pv6 -- set interface pv6 type=internal ofport_request=5 mac=\"02:5e:00:07:02:06\" || exit 1
for ((i = 0; i < 100; i++)); do pe ip link show pv6 >/dev/null 2>&1 && break; sleep 0.1; done
for d in br-phy pv4 pv6; do pe ip link set $d up || exit 1; done
pe ip addr add 198.51.100.2/24 dev br-phy
pe ip addr add 2001:db8::2/64 dev br-phy nodad
pe ip addr add 203.0.113.2/26 dev pv4
pe ip addr add 203.0.113.66/26 dev pv6
pofctl add-flows br-int - <<'FLOWS' || exit 1
in_port=2,actions=output:4
in_port=3,actions=output:5
in_port=4,actions=output:2
in_port=5,actions=output:3
FLOWS
cat >"$T/int.flows" <<'FLOWS'
table=0,priority=10,in_port=1,arp,arp_tpa=203.0.113.0/26,actions=output:2
table=0,priority=10,in_port=1,ip,nw_dst=203.0.113.0/26,actions=output:2
table=0,priority=10,in_port=1,arp,arp_tpa=203.0.113.64/26,actions=output:3
table=0,priority=10,in_port=1,ip,nw_dst=203.0.113.64/26,actions=output:3
table=0,priority=10,in_port=2,actions=output:1
table=0,priority=10,in_port=3,actions=output:1
FLOWS
ofctl add-flows br-int "$T/int.flows" || exit 1
sleep 2

mkdir -p "$out"
: >"$T/steps.txt"
# step CMD...: run CMD (a shell string) and keep its output and exit status
step() {
	local cmd=$1 rc
	sleep "${SETTLE:-1}"
	{
		echo "=== $cmd"
		(eval "$cmd") 2>&1 | sed "s|$T/|\$T/|g; s/[[:space:]]*$//"
		rc=${PIPESTATUS[0]}
		echo "=== exit $rc"
	} >>"$T/steps.txt"
}
# dump NAME NS IFACE [FILTER]: capture on IFACE of NS into $T/NAME.pcap
dump() {
	ip netns exec "$2" tcpdump -i "$3" -U -s 2000 -w "$T/$1.pcap" ${4:+"$4"} >/dev/null 2>&1 &
	DUMP_PIDS="$DUMP_PIDS $!"
	for ((i = 0; i < 50; i++)); do [[ -s $T/$1.pcap ]] && break; sleep 0.1; done
	sleep 0.5
}
# undump [-noarp] NAME: stop the captures, show NAME's frames
undump() {
	local p
	sleep 1
	for p in $DUMP_PIDS; do killpid "$p"; done
	DUMP_PIDS=""
	python3 "$here/frames.py" "$@"
}
# reach ADDR PING-ARGS...: whether the VM's pings to ADDR get an answer
reach() {
	local a=$1
	shift
	if vm ping -q -W 2 "$@" "$a" >/dev/null 2>&1; then echo "reached $a"; else echo "lost $a"; fi
}
# cov0: note the tunnel-related coverage counters (drops); covd: how much
# each grew since cov0
covnow() {
	appctl coverage/show | awk '$1 ~ /tunnel|tnl|neigh|recirc|drop_action|datapath_drop/ {print $1, $NF}' | sort
}
cov0() { { echo "- 0"; covnow; } >"$T/cov0"; }
covd() {
	covnow | awk 'NR == FNR {old[$1] = $2; next} $2 != old[$1] {print $1, "+" ($2 - old[$1])}' "$T/cov0" -
}
# t4tx: whether port t4 counted at least the 14 echo requests sent to it
t4tx() {
	ofctl dump-ports br-int t4 | awk '/tx pkts/ {split($2, a, "="); print (a[2] + 0 >= 14 ? "tx>=14" : "tx<14")}'
}
# logmark: note the end of the daemon's log; logs: its warnings and errors
# since, without time stamps and sequence numbers
logmark() { wc -l <"$T/ovs-vswitchd.log" >"$T/logmark"; }
logs() {
	tail -n +$(($(cat "$T/logmark") + 1)) "$T/ovs-vswitchd.log" | grep -E '\|(WARN|ERR|EMER)\|' |
		sed -E 's/^[^|]*\|[0-9]+\|//' | sort -u
}

step 'appctl tnl/ports/show'
step 'appctl tnl/ports/show -v'
step 'vsctl get interface t4 status && vsctl get interface t6 status && vsctl get interface t4 error'
# IPv4 and IPv6 underlays (first packets resolve the peer: ARP, NS).
dump ul "$PE" s7m-u1 "udp and ether src 02:5e:00:07:00:01"
step 'reach 203.0.113.2 -c 3 -i 0.3'
step 'reach 203.0.113.66 -c 3 -i 0.3'
step 'reach 203.0.113.2 -c 2 -i 0.3 -s 1000; reach 203.0.113.66 -c 2 -i 0.3 -s 1000'
step 'undump "$T/ul.pcap"'
step 'appctl tnl/neigh/show | sort'
step 'vsctl get interface t4 status && vsctl get interface t6 status'
# Outer checksums.
dump csum "$PE" s7m-u1 "udp and ether src 02:5e:00:07:00:01"
step 'vsctl set interface t4 options:csum=true -- set interface t6 options:csum=true && vsctl get interface t4 ofport && vsctl get interface t6 ofport'
step 'reach 203.0.113.2 -c 2 -i 0.3; reach 203.0.113.66 -c 2 -i 0.3'
step 'vsctl set interface t4 options:csum=false -- set interface t6 options:csum=false'
step 'reach 203.0.113.2 -c 2 -i 0.3; reach 203.0.113.66 -c 2 -i 0.3'
step 'undump -noarp "$T/csum.pcap"'
# DF: df_default=false clears it on the outer IPv4 header.
dump df "$PE" s7m-u1 "udp and ether src 02:5e:00:07:00:01"
step 'vsctl set interface t4 options:df_default=false'
step 'reach 203.0.113.2 -c 2 -i 0.3'
step 'vsctl remove interface t4 options df_default'
step 'reach 203.0.113.2 -c 2 -i 0.3'
step 'undump -noarp "$T/df.pcap"'
# Too big for the underlay: 1500-byte inner packets (VM MTU 1500) make
# 1550/1570-byte outer frames on a 1500-byte underlay.
logmark
dump big "$PE" s7m-u1 "udp and ether src 02:5e:00:07:00:01"
dump bigvm "$VM" eth0 icmp
step 'reach 203.0.113.2 -c 2 -i 0.3 -M do -s 1472; reach 203.0.113.66 -c 2 -i 0.3 -M do -s 1472'
step 'vsctl set interface t4 options:df_default=false && reach 203.0.113.2 -c 2 -i 0.3 -M do -s 1472; vsctl remove interface t4 options df_default'
step 'reach 203.0.113.2 -c 2 -i 0.3 -M dont -s 1472'
step 'reach 203.0.113.2 -c 3 -i 0.3 -s 1400'
step 'undump -noarp "$T/big.pcap"'
step 'undump -noarp "$T/bigvm.pcap"'
step 'vm ip route get 203.0.113.2 | head -1'
# The port's counters went on through every change of its options.
step 't4tx'
# The warning comes at once from OVS, from gswitch at its next look at
# the ports' counters (every database write-back: a few seconds).
step 'sleep 5; logs'
# Bad input from the underlay (bad.py: each kind of malformed Geneve
# frame, after a good one and one whose inner frame is too short): dropped
# and counted, the good one received; one at a time, so the counters show
# which counts what (OVS adds its threads' counts up about once a second:
# the pause). The unknown critical option comes last: OVS's
# megaflow for its drop would catch later good frames too.
t4rx() { ofctl dump-ports br-int t4 | awk '/rx pkts/ {split($4, a, "="); print a[2] + 0}'; }
logmark
for kind in good inner ipcsum iptrunc udpcsum optlen version proto nokey optrun critical; do
	cov0
	t4rx >"$T/rx0"
	step 'pe python3 "$here/bad.py" s7m-u1 '$kind' && sleep 2 && covd && echo "t4 received $(($(t4rx) - $(cat "$T/rx0")))"'
done
step 'logs'
# Unreachable remotes: no route (203.0.113.200), no neighbour answering
# (198.51.100.99), and an IPv6 remote without a neighbour.
logmark
step 'vsctl add-port br-int t9 -- set interface t9 type=geneve ofport_request=9 options:remote_ip=203.0.113.200 -- add-port br-int t8 -- set interface t8 type=vxlan ofport_request=8 options:remote_ip=198.51.100.99 -- add-port br-int t7 -- set interface t7 type=geneve ofport_request=7 options:remote_ip=2001:db8::99 options:key=7'
step 'vsctl get interface t9 status error ofport; vsctl get interface t8 status error ofport; vsctl get interface t7 status error ofport'
step 'appctl tnl/ports/show'
pkt=025e000007aa025e000007bb08004500001c00010000401100000000000000000000b1b1b1b100080000
cov0
step 'for p in 9 8 7 9 8 7; do ofctl packet-out br-int LOCAL output:$p '$pkt'; done; echo sent'
step 'ofctl dump-ports br-int t9 | sed -n 2,3p; ofctl dump-ports br-int t8 | sed -n 2,3p; ofctl dump-ports br-int t7 | sed -n 2,3p'
step 'covd'
step 'logs'
step 'vsctl del-port t9 -- del-port t8 -- del-port t7'
# Options changed in place: the port stays (same ofport), the new remote,
# key and destination port take effect.
logmark
dump inplace "$PE" s7m-u1 "udp and ether src 02:5e:00:07:00:01"
step 'vsctl set interface t4 options:key=5 && vsctl get interface t4 ofport error'
step 'reach 203.0.113.2 -c 1'
step 'vsctl set interface t4 options:key=4 options:dst_port=6082 && vsctl get interface t4 ofport error'
step 'appctl tnl/ports/show'
step 'reach 203.0.113.2 -c 1'
step 'vsctl remove interface t4 options dst_port && vsctl set interface t4 options:remote_ip=198.51.100.3 && vsctl get interface t4 ofport error'
step 'reach 203.0.113.2 -c 1'
step 'vsctl set interface t4 options:remote_ip=198.51.100.2'
# (OVS's revalidators take a moment to rewrite its cached flows: the step's pause.)
step 'reach 203.0.113.2 -c 3 -i 0.3'
step 'undump -noarp "$T/inplace.pcap"'
step 'logs'
# A loop: port tl's remote is the switch's own underlay address (its
# neighbour entry set by hand) and br-phy sends that VXLAN traffic from
# LOCAL back to LOCAL, where it is decapsulated into br-int, whose flow
# sends it out of tl again.
logmark
step 'appctl tnl/neigh/set br-phy 198.51.100.1 02:5e:00:07:00:01 && vsctl add-port br-int tl -- set interface tl type=vxlan ofport_request=10 options:remote_ip=198.51.100.1 && ofctl add-flow br-int in_port=10,actions=in_port && ofctl add-flow br-phy priority=100,in_port=LOCAL,udp,tp_dst=4789,actions=in_port'
cov0
step 'ofctl packet-out br-int LOCAL output:10 '$pkt' && echo sent'
step 'ofctl dump-ports br-int tl | sed -n 2,3p; ofctl dump-flows br-int in_port=10 | sed -n 2p | grep -o "n_packets=[0-9]*"; ofctl dump-flows br-phy udp | sed -n 2p | grep -o "n_packets=[0-9]*"'
step 'covd'
step 'logs'
step 'appctl tnl/ports/show'
cp "$T/steps.txt" "$out/steps.txt"
{
	echo "# setup: $("$VSWITCHD" --version | head -1) and ovsdb-server run by tests/golden/tunneledge/capture.sh (see its header); each step is the command, its output (the run's temp dir written \$T) and its exit status"
	echo "# normalize: plain"
	echo "tests/golden/tunneledge/capture.sh"
} >"$out/steps.cmd"
