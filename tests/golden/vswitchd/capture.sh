#!/usr/bin/env bash
# capture.sh - the "gswitch as ovs-vswitchd" reference (issue 12): a private
# ovsdb-server and a switch daemon driven by the user's ovs-vsctl commands, with
# what ovs-vsctl, ovs-ofctl and the database show after each step.
#
#   tests/golden/vswitchd/capture.sh [OUTDIR]          (as root)
#
# By default the daemon is Open vSwitch 3.1's ovs-vswitchd and OUTDIR is this
# directory (the goldens). VSWITCHD=/path/to/gswitch runs gswitch in its place
# with the same command line (ovs-vswitchd's: the database as positional argument,
# --pidfile --unixctl --log-file --detach --no-chdir); the privileged Go test
# (tests/vswitchd_test.go) does that into a temp dir and compares each step's
# file with the golden after golden.Normalize("vswitchd", ...).
#
# Each step NN-name.txt holds the raw output of the commands of one step
# followed by the state: `ovs-vsctl show`, `ovs-vsctl list` of the tables the
# daemon writes (Open_vSwitch, Bridge, Port, Interface, Controller), and
# `ovs-ofctl -O OpenFlow13 show` and `dump-ports-desc` of each bridge. Files are stored
# normalized (go run ./tests/ovsref/normalize vswitchd): uuids become the
# name of the row they point to, random MACs/ifindexes/counters/times X.
#
# Everything runs in namespace ${S5R_NS:-s5r-ref} (created and deleted here) with
# database, sockets and logs in a temp dir; interfaces are veths s5r-v0..3 (MACs
# 02:5e:00:00:00:0N, fixed so the bridge MAC OVS picks is reproducible);
# controller ports 18440 (nobody listens) and 18441 (a tiny OpenFlow listener,
# ctl.py beside this script).
#
# What OVS 3.1 shows here (the rules gswitch follows):
#  - ofport: LOCAL (the bridge's own internal port) is 65534; other ports are
#    numbered per bridge 1, 2, 3 ... in the order they were added (across
#    transactions; ports added in one transaction are numbered in hash order),
#    a deleted port's number is not reused while others are free (s5r-v2 got
#    4, not the freed 1); ofport_request is honoured when free; a duplicate
#    request gets the next free number (s5r-v2 asked 7, held by s5r-v1, got 4)
#    and no error.
#  - an interface whose device does not exist: ofport -1, error "could not
#    open network device NAME (No such device)", admin_state, link_state,
#    link_speed, link_resets, mac_in_use, mtu, ifindex empty, status {};
#    ovs-vsctl prints the error ("Error detected while setting up") and exits 0.
#    When the device appears later the port is added then with the next free
#    number (s5r-nodev got 5).
#  - an unknown type: ofport -1, error "could not open network device NAME
#    (Address family not supported by protocol)".
#  - a patch whose peer is gone keeps its ofport, error "No usable peer 'PEER'
#    exists in 'netdev' datapath."; patch ports: ifindex 0, statistics
#    rx/tx_bytes/packets only, status {}, link and admin up, no mtu/speed.
#  - Controller: is_connected, role=other and status {sec_since_connect,
#    state=ACTIVE} once connected; {last_error="Connection refused",
#    state=BACKOFF} when nobody listens.
#  - Open_vSwitch: cur_cfg follows next_cfg, datapath_types [netdev, system],
#    iface_types, dpdk_initialized false, dpdk_version none; ovs_version,
#    system_type and system_version stay empty (ovs-ctl writes them).
#  - Controller inactivity_probe, max_backoff and connection_mode changed on a
#    connected controller: it stays connected (no new hello; OVS's
#    ofconn_reconfigure). A change of the bridge's protocols drops it, even
#    when its version stays allowed, and it connects again (a new hello, with
#    the highest version now allowed).
#  - mtu_request sets the device's MTU (mtu follows); the bridge's internal
#    ports without one (LOCAL br0 here) take the smallest MTU of the other
#    ports (s5r-i0's requested 1300), as ofproto's update_mtu_ofproto.
#  - Bridge: datapath_version "<built-in>", datapath_id from the bridge MAC
#    (random here: OVS does not take a locally administered port MAC) or
#    other_config:datapath-id.
set -u -o pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../../.." && pwd)
out=${1:-$here}
VSWITCHD=${VSWITCHD:-ovs-vswitchd}
NS=${S5R_NS:-s5r-ref}
SCHEMA=${OVS_SCHEMA:-/usr/share/openvswitch/vswitch.ovsschema}
PORT_DOWN=${S5R_PORT_DOWN:-18440}
PORT_UP=${S5R_PORT_UP:-18441}

T=$(mktemp -d /tmp/s5r-vsw.XXXXXX) || exit 1
DB=unix:$T/db.sock
DB_PID="" VS_PID="" CTL_PID="" MADE_NS=""
export OVS_RUNDIR=$T OVS_DBDIR=$T OVS_LOGDIR=$T OVS_SYSCONFDIR=$T

nsx() { ip netns exec "$NS" "$@"; }
# alive, killpid
. "$(dirname "${BASH_SOURCE[0]}")/../proc.sh"
cleanup() {
	if [[ -n $VS_PID ]]; then
		timeout 10 ovs-appctl -t "$T/vswitchd.ctl" exit --cleanup >/dev/null 2>&1
		killpid "$VS_PID"
	fi
	[[ -z $CTL_PID ]] || killpid "$CTL_PID"
	if [[ -n $DB_PID ]]; then
		timeout 10 ovs-appctl -t "$T/ovsdb.ctl" exit >/dev/null 2>&1
		killpid "$DB_PID"
	fi
	[[ -z $MADE_NS ]] || ip netns del "$NS" 2>/dev/null
	[[ ${KEEP:-0} == 1 ]] || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

vsctl() { timeout 30 ovs-vsctl --db="$DB" --timeout=20 "$@"; }

if ip netns list | grep -qw -- "^$NS"; then
	echo "capture.sh: namespace $NS exists (another run?)" >&2
	exit 1
fi
ip netns add "$NS" && MADE_NS=1 || exit 1
nsx ip link set lo up
for i in 0 1 2 3; do
	nsx ip link add "s5r-v$i" address "02:5e:00:00:00:0$((i + 1))" type veth peer name "s5r-v$i-x" address "02:5e:00:00:01:0$((i + 1))" || exit 1
	nsx ip link set "s5r-v$i" up
	nsx ip link set "s5r-v$i-x" up
done

ovsdb-tool create "$T/conf.db" "$SCHEMA" || exit 1
nsx ovsdb-server "$T/conf.db" --remote="punix:$T/db.sock" --pidfile="$T/ovsdb.pid" \
	--unixctl="$T/ovsdb.ctl" --log-file="$T/ovsdb-server.log" --detach --no-chdir || exit 1
DB_PID=$(cat "$T/ovsdb.pid")
vsctl --no-wait init || exit 1
nsx "$VSWITCHD" "$DB" --pidfile="$T/ovs-vswitchd.pid" --unixctl="$T/vswitchd.ctl" \
	--log-file="$T/ovs-vswitchd.log" --detach --no-chdir || { cat "$T/ovs-vswitchd.log" >&2; exit 1; }
VS_PID=$(cat "$T/ovs-vswitchd.pid")
ln -sf vswitchd.ctl "$T/ovs-vswitchd.$VS_PID.ctl"

mkdir -p "$out"
bridges=()

# state: what the database and the switch show now
state() {
	local b t
	echo "### ovs-vsctl show"
	vsctl show 2>&1
	for t in Open_vSwitch Bridge Port Interface Controller; do
		echo "### ovs-vsctl list $t"
		vsctl list "$t" 2>&1
	done
	for b in "${bridges[@]}"; do
		echo "### ovs-ofctl -O OpenFlow13 show $b"
		nsx timeout 20 ovs-ofctl -O OpenFlow13 show "$b" 2>&1
		echo "### ovs-ofctl -O OpenFlow13 dump-ports-desc $b"
		nsx timeout 20 ovs-ofctl -O OpenFlow13 dump-ports-desc "$b" 2>&1
	done
}

# step NAME CMD...: run CMD (a shell string, its output and exit status kept),
# then record the state into NN-NAME.txt
n=0
step() {
	local name=$1 cmd=$2 raw rc
	n=$((n + 1))
	raw=$T/$(printf '%02d' "$n")-$name.raw
	{
		echo "### $cmd"
		(eval "$cmd") 2>&1
		rc=$?
		echo "### exit $rc"
		sleep "${SETTLE:-1}"
		state
	} >"$raw"
	(cd "$top" && go run ./tests/ovsref/normalize vswitchd) <"$raw" >"$out/$(basename "$raw" .raw).txt"
	{
		echo "# setup: $("$VSWITCHD" --version | head -1) and ovsdb-server run by tests/golden/vswitchd/capture.sh (see its header), after the steps numbered before this one"
		echo "# normalize: vswitchd"
		echo "# exit status: $(sed -n 's/^### exit //p' "$raw" | head -1)"
		echo "$cmd"
	} >"$out/$(basename "$raw" .raw).cmd"
}

step init-only ':'
bridges=(br0)
step add-br 'vsctl add-br br0 -- set bridge br0 datapath_type=netdev'
step add-ports 'vsctl add-port br0 s5r-v0 -- add-port br0 s5r-v1 -- set interface s5r-v1 ofport_request=7'
step internal 'vsctl add-port br0 s5r-i0 -- set interface s5r-i0 type=internal'
# ctlwait STATE: wait (up to 15 s) until the one Controller row's status has state=STATE
ctlwait() {
	local i
	for ((i = 0; i < 150; i++)); do
		vsctl --columns=status list Controller 2>/dev/null | grep -q "state=$1" && return 0
		sleep 0.1
	done
	echo "controller never reached state $1"
	return 1
}
step controller-down "vsctl set-controller br0 tcp:127.0.0.1:$PORT_DOWN && ctlwait BACKOFF"
ip netns exec "$NS" /usr/bin/python3 "$here/ctl.py" "$PORT_UP" 300 "$T/ctl.log" "$T/ps.log" &
CTL_PID=$!
for ((i = 0; i < 50; i++)); do nsx ss -ltn | grep -q "127.0.0.1:$PORT_UP " && break; sleep 0.1; done
step controller-up "vsctl set-controller br0 tcp:127.0.0.1:$PORT_UP && ctlwait ACTIVE"
bridges=(br0 br1)
step patch 'vsctl add-br br1 -- set bridge br1 datapath_type=netdev -- add-port br0 s5r-pa0 -- set interface s5r-pa0 type=patch options:peer=s5r-pa1 -- add-port br1 s5r-pa1 -- set interface s5r-pa1 type=patch options:peer=s5r-pa0'
step del-port 'vsctl del-port br0 s5r-v0'
step protocols 'vsctl set bridge br0 protocols=OpenFlow13 && nsx timeout 20 ovs-ofctl -O OpenFlow10 show br0'
step no-device 'vsctl add-port br0 s5r-nodev'
step bad-type 'vsctl add-port br0 s5r-bad -- set interface s5r-bad type=s5r-bogus'
step dup-ofport 'vsctl add-port br0 s5r-v2 -- set interface s5r-v2 ofport_request=7'
step device-appears 'nsx ip link add s5r-nodev type veth peer name s5r-nodev-x && nsx ip link set s5r-nodev up'
# (two transactions: ports added in one transaction are numbered in hash order)
step readd 'vsctl add-port br1 s5r-v0 && vsctl add-port br1 s5r-v3'
step fixed-ids 'vsctl set bridge br1 other-config:datapath-id=00000000000000b1 other-config:hwaddr=\"02:5e:00:00:00:b1\" fail_mode=secure'
step del-br 'vsctl del-br br1'
bridges=(br0)
step wait 'vsctl set bridge br0 protocols=OpenFlow10,OpenFlow13 && vsctl get Open_vSwitch . next_cfg cur_cfg'
# ctlmark, ctlsince: the hellos ctl.py logged since the mark (reconnections)
ctlmark() { wc -l <"$T/ctl.log" >"$T/ctl.mark"; }
ctlsince() { tail -n +$(($(cat "$T/ctl.mark") + 1)) "$T/ctl.log"; }
step controller-options 'ctlmark && vsctl set controller br0 inactivity_probe=30000 max_backoff=2000 connection_mode=out-of-band && sleep 3 && ctlsince'
step protocols-reconnect 'ctlmark && vsctl set bridge br0 protocols=OpenFlow10 && sleep 3 && ctlsince'
step protocols-same 'ctlmark && vsctl set bridge br0 protocols=OpenFlow10 other-config:s5r-note=1 && sleep 3 && ctlsince'
step mtu-request 'vsctl set interface s5r-v1 mtu_request=1400 -- set interface s5r-i0 mtu_request=1300'
# The bridge's Ethernet address (bridge_configure_datapath_id): hwaddr changed
# in place (flows stay), the datapath id derived from it; without hwaddr the
# lowest universal MAC among the ports (find_local_hw_addr), else the bridge
# uuid's first 6 bytes marked random; Interface mac on internal ports only.
# psmark, pssince: the port-status messages ctl.py logged since the mark, sorted
psmark() { touch "$T/ps.log"; wc -l <"$T/ps.log" >"$T/ps.mark"; }
pssince() { tail -n +$(($(cat "$T/ps.mark") + 1)) "$T/ps.log" | sort; }
# uuidmac BRIDGE: whether its datapath_id is OVS's default_ea: the bytes of the
# bridge uuid's first two 32-bit parts as stored on this (little-endian) host,
# marked random
uuidmac() {
	local u d e
	u=$(vsctl get bridge "$1" _uuid | tr -d -- -) d=$(vsctl get bridge "$1" datapath_id | tr -d '"')
	e=$(printf '0000%02x%s' $(((0x${u:6:2} & ~1) | 2)) "${u:4:2}${u:2:2}${u:0:2}${u:14:2}${u:12:2}")
	if [[ $d == "$e" ]]; then echo "$1: datapath_id is the bridge uuid's default_ea"; else echo "$1: datapath_id $d, not $e"; fi
}
# (protocols 1.0 and 1.3 again, so the state's OpenFlow 1.3 show works; the controller reconnects before the mark)
vsctl set bridge br0 protocols=OpenFlow10,OpenFlow13 >/dev/null && sleep 3
step hwaddr-change 'nsx timeout 20 ovs-ofctl add-flow br0 "priority=5,ip,actions=ct(commit),NORMAL" && ctlmark && psmark && vsctl set bridge br0 other-config:hwaddr=\"02:5e:00:00:00:a0\" && sleep 3 && ctlsince && pssince && nsx timeout 20 ovs-ofctl dump-flows br0 --no-stats'
step hwaddr-unset 'ctlmark && psmark && vsctl remove bridge br0 other-config hwaddr && sleep 3 && ctlsince && pssince && uuidmac br0'
# (one port per step: a port added while the controller reconnects gets no port-status)
step global-port1 'nsx ip link add s5r-g1 address 00:5e:00:00:00:21 type veth peer name s5r-g1-x address 02:5e:00:00:01:21 && nsx ip link set s5r-g1 up && ctlmark && psmark && vsctl add-port br0 s5r-g1 && sleep 3 && ctlsince && pssince'
step global-port2 'nsx ip link add s5r-g2 address 00:5e:00:00:00:12 type veth peer name s5r-g2-x address 02:5e:00:00:01:12 && nsx ip link set s5r-g2 up && ctlmark && psmark && vsctl add-port br0 s5r-g2 && sleep 3 && ctlsince && pssince'
step global-del 'ctlmark && psmark && vsctl del-port br0 s5r-g2 && sleep 3 && ctlsince && pssince'
step iface-mac 'ctlmark && psmark && vsctl set interface s5r-i0 mac=\"00:5e:00:00:00:05\" && sleep 3 && ctlsince && pssince'
step iface-mac-ignored 'ctlmark && psmark && vsctl set interface s5r-g1 mac=\"00:5e:00:00:00:01\" -- set interface br0 mac=\"00:5e:00:00:00:02\" && sleep 3 && ctlsince && pssince'
step hwaddr-multicast 'ctlmark && psmark && vsctl set bridge br0 other-config:hwaddr=\"01:5e:00:00:00:01\" && sleep 3 && ctlsince && pssince'
step fixed-dpid 'ctlmark && psmark && vsctl set bridge br0 other-config:datapath-id=00000000000000a1 && sleep 3 && ctlsince && pssince'
step hwaddr-fixed-dpid 'ctlmark && psmark && vsctl set bridge br0 other-config:hwaddr=\"02:5e:00:00:00:a2\" && sleep 3 && ctlsince && pssince'
step port-mac 'ctlmark && psmark && vsctl set port s5r-g1 mac=\"00:5e:00:00:00:03\" -- remove bridge br0 other-config datapath-id -- remove bridge br0 other-config hwaddr && sleep 3 && ctlsince && pssince'
