#!/usr/bin/env bash
# capture.sh - the tunnel underlay reference (issue 13): the route table and
# neighbour cache of a switch daemon's userspace datapath, as
# `ovs-appctl ovs/route/*` and `tnl/neigh/*` show them, in a namespace whose
# routes change while it runs, and ARP/ND snooped from real traffic.
#
#   tests/golden/underlay/capture.sh [OUTDIR]          (as root)
#
# By default the daemon is Open vSwitch 3.1's ovs-vswitchd and OUTDIR is this
# directory: steps.txt (each command, its output and exit status) and
# snoop.pcap (every frame the peer sent into the bridge during the snooping
# step) and miss.pcap (the ARP and ND frames that reached the peer after
# packets were sent to Geneve ports whose remote has no neighbour entry). VSWITCHD=/path/to/gswitch runs gswitch with the same command line
# (tests/underlay_test.go does, and compares).
#
# Setup: namespace ${S6R_NS:-s6r-ref} holds ovsdb-server, the daemon and
# bridge br-phy (datapath_type=netdev, hwaddr 02:5e:00:00:06:01, standalone:
# NORMAL) with port s6r-p0, a veth whose peer s6r-p0-x (02:5e:00:00:06:02,
# 198.51.100.2/24, 2001:db8::2/64) is in namespace ${S6R_NS}-peer. br-phy's
# internal port has 198.51.100.1/24, 203.0.113.1/24 and 2001:db8::1/64; no
# DAD anywhere, so addresses and routes are there at once. Before the
# snooping step a second bridge br-int gets a Geneve port (remote_ip
# 198.51.100.2): OVS snoops only while its datapath has a tunnel port.
set -u -o pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=${1:-$here}
VSWITCHD=${VSWITCHD:-ovs-vswitchd}
NS=${S6R_NS:-s6r-ref}
PEER=$NS-peer
SCHEMA=${OVS_SCHEMA:-/usr/share/openvswitch/vswitch.ovsschema}

T=$(mktemp -d /tmp/s6r-und.XXXXXX) || exit 1
DB=unix:$T/db.sock
DB_PID="" VS_PID="" DUMP_PID="" MADE_NS="" MADE_PEER=""
export OVS_RUNDIR=$T OVS_DBDIR=$T OVS_LOGDIR=$T OVS_SYSCONFDIR=$T

nsx() { ip netns exec "$NS" "$@"; }
peer() { ip netns exec "$PEER" "$@"; }
# alive, killpid
. "$(dirname "${BASH_SOURCE[0]}")/../proc.sh"
cleanup() {
	[[ -z $DUMP_PID ]] || killpid "$DUMP_PID"
	if [[ -n $VS_PID ]]; then
		timeout 10 ovs-appctl -t "$T/vswitchd.ctl" exit --cleanup >/dev/null 2>&1
		killpid "$VS_PID"
	fi
	if [[ -n $DB_PID ]]; then
		timeout 10 ovs-appctl -t "$T/ovsdb.ctl" exit >/dev/null 2>&1
		killpid "$DB_PID"
	fi
	[[ -z $MADE_PEER ]] || ip netns del "$PEER" 2>/dev/null
	[[ -z $MADE_NS ]] || ip netns del "$NS" 2>/dev/null
	[[ ${KEEP:-0} == 1 ]] || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

vsctl() { timeout 30 ovs-vsctl --db="$DB" --timeout=20 "$@"; }
appctl() { nsx timeout 20 ovs-appctl -t "$T/vswitchd.ctl" "$@"; }

for n in "$NS" "$PEER"; do
	if ip netns list | grep -qw -- "^$n"; then
		echo "capture.sh: namespace $n exists (another run?)" >&2
		exit 1
	fi
done
ip netns add "$NS" && MADE_NS=1 || exit 1
ip netns add "$PEER" && MADE_PEER=1 || exit 1
for x in nsx peer; do
	$x sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
		net.ipv6.conf.all.router_solicitations=0 net.ipv6.conf.default.router_solicitations=0 || exit 1
	$x ip link set lo up
done
nsx ip link add s6r-p0 address 02:5e:00:00:06:03 type veth peer name s6r-p0-x address 02:5e:00:00:06:02 || exit 1
nsx ip link set s6r-p0-x netns "$PEER" || exit 1
nsx ip link set s6r-p0 up
peer ip link set s6r-p0-x up
peer ip addr add 198.51.100.2/24 dev s6r-p0-x
peer ip addr add 2001:db8::2/64 dev s6r-p0-x nodad

ovsdb-tool create "$T/conf.db" "$SCHEMA" || exit 1
nsx ovsdb-server "$T/conf.db" --remote="punix:$T/db.sock" --pidfile="$T/ovsdb.pid" \
	--unixctl="$T/ovsdb.ctl" --log-file="$T/ovsdb-server.log" --detach --no-chdir || exit 1
DB_PID=$(cat "$T/ovsdb.pid")
vsctl --no-wait init || exit 1
nsx "$VSWITCHD" "$DB" --pidfile="$T/ovs-vswitchd.pid" --unixctl="$T/vswitchd.ctl" \
	--log-file="$T/ovs-vswitchd.log" --detach --no-chdir || { cat "$T/ovs-vswitchd.log" >&2; exit 1; }
VS_PID=$(cat "$T/ovs-vswitchd.pid")
vsctl add-br br-phy -- set bridge br-phy datapath_type=netdev other-config:hwaddr=\"02:5e:00:00:06:01\" \
	-- add-port br-phy s6r-p0 || exit 1
for ((i = 0; i < 100; i++)); do nsx ip link show br-phy >/dev/null 2>&1 && break; sleep 0.1; done
nsx ip link set br-phy up || exit 1
nsx ip addr add 198.51.100.1/24 dev br-phy
nsx ip addr add 203.0.113.1/24 dev br-phy
nsx ip addr add 2001:db8::1/64 dev br-phy nodad
sleep 2

mkdir -p "$out"
: >"$T/steps.txt"
# step CMD...: run CMD (a shell string) and keep its output and exit status
step() {
	local cmd=$1 rc
	sleep "${SETTLE:-1}"
	{
		echo "=== $cmd"
		(eval "$cmd") 2>&1 | sed "s|$T/|\$T/|g"
		rc=${PIPESTATUS[0]}
		echo "=== exit $rc"
	} >>"$T/steps.txt"
}

# The kernel's routes, learned at start.
step 'appctl ovs/route/show'
# Routes added and removed while running (learned again on every change).
step 'nsx ip route add 203.0.113.128/25 via 198.51.100.2 && nsx ip -6 route add 2001:db8:1::/48 via 2001:db8::2 && nsx ip route add default via 198.51.100.2'
step 'appctl ovs/route/show'
step 'nsx ip route del 203.0.113.128/25'
step 'appctl ovs/route/show'
# User routes.
step 'appctl ovs/route/add 198.51.100.128/25 br-phy'
step 'appctl ovs/route/add 203.0.113.0/24 br-phy 198.51.100.2 pkt_mark=7'
step 'appctl ovs/route/add 2001:db8:2::/64 br-phy 2001:db8::2'
step 'appctl ovs/route/add 2001:db8:3::/64 br-phy pkt_mark=0x10'
step 'appctl ovs/route/add 198.51.100.7 br-phy'
step 'appctl ovs/route/add 198.51.100.0/255.255.255.192 br-phy'
step 'appctl ovs/route/show'
step 'appctl ovs/route/add 198.51.100.0/33 br-phy'
step 'appctl ovs/route/add 198.51.100.0/24 br-phy 2001:db8::2'
step 'appctl ovs/route/add 2001:db8::/64 br-phy 198.51.100.2'
step 'appctl ovs/route/add 198.51.100.0/24 br-phy pkt_mark=x'
step 'appctl ovs/route/add 198.51.100.0/24 br-phy 198.51.100.2 mark=1'
step 'appctl ovs/route/add 198.51.100.0/24 s6r-nodev'
step 'appctl ovs/route/add 198.51.100.0/24 lo'
step 'appctl ovs/route/add 198.51.100.0/24'
step 'appctl ovs/route/add 198.51.100.0/24 br-phy 198.51.100.2 pkt_mark=1 extra'
step 'appctl ovs/route/add bogus br-phy'
# Lookups.
step 'appctl ovs/route/lookup 198.51.100.2'
step 'appctl ovs/route/lookup 198.51.100.200'
step 'appctl ovs/route/lookup 203.0.113.9'
step 'appctl ovs/route/lookup 203.0.113.9 pkt_mark=7'
step 'appctl ovs/route/lookup 203.0.113.200'
step 'appctl ovs/route/lookup 2001:db8::2'
step 'appctl ovs/route/lookup 2001:db8:1::5'
step 'appctl ovs/route/lookup 2001:db8:3::5'
step 'appctl ovs/route/lookup 2001:db8:3::5 pkt_mark=16'
step 'appctl ovs/route/lookup 2001:db8:ffff::1'
step 'appctl ovs/route/lookup 198.51.100.1'
step 'appctl ovs/route/lookup 127.0.0.1'
step 'appctl ovs/route/lookup 198.51.100.0/24'
step 'appctl ovs/route/lookup 198.51.100.2 pkt_mark'
# Deletions.
step 'appctl ovs/route/del 198.51.100.128/25'
step 'appctl ovs/route/del 198.51.100.128/25'
step 'appctl ovs/route/del 203.0.113.0/24'
step 'appctl ovs/route/del 203.0.113.0/24 pkt_mark=7'
step 'appctl ovs/route/del 198.51.100.0/24'
step 'appctl ovs/route/del 2001:db8:2::/64 pkt_mark=0'
step 'appctl ovs/route/del bogus'
step 'appctl ovs/route/del 198.51.100.0/24 junk'
step 'appctl ovs/route/show'
# A link change: the kernel drops br-phy's routes, then has them again.
step 'nsx ip link set br-phy down'
step 'appctl ovs/route/show'
step 'nsx ip link set br-phy up && nsx ip addr add 2001:db8::1/64 dev br-phy nodad && nsx ip route add default via 198.51.100.2'
step 'appctl ovs/route/show'
step 'nsx ip addr del 203.0.113.1/24 dev br-phy'
step 'appctl ovs/route/show'
# The neighbour cache by hand.
step 'appctl tnl/neigh/show'
step 'appctl tnl/neigh/set br-phy 198.51.100.9 02:5e:00:00:06:09'
step 'appctl tnl/neigh/set br-phy 2001:db8::9 2:5e:0:0:6:a'
step 'appctl tnl/arp/set br-x 198.51.100.10 02:5e:00:00:06:0b'
step 'appctl tnl/neigh/set br-phy 198.51.100.9 02:5e:00:00:06:0c'
step 'appctl tnl/neigh/show'
step 'appctl tnl/arp/show'
step 'appctl tnl/neigh/set br-phy 198.51.100.300 02:5e:00:00:06:09'
step 'appctl tnl/neigh/set br-phy 2001:db8::zz 02:5e:00:00:06:09'
step 'appctl tnl/neigh/set br-phy 198.51.100.9 02:5e:00:00:06'
step 'appctl tnl/neigh/set br-phy 198.51.100.9 02:5e:00:00:06:09:01'
step 'appctl tnl/neigh/set br-phy 198.51.100.9'
step 'appctl tnl/neigh/aging'
step 'appctl tnl/neigh/aging 0'
step 'appctl tnl/neigh/aging 3601'
step 'appctl tnl/neigh/aging x'
step 'appctl tnl/neigh/aging 120'
step 'appctl tnl/arp/aging'
step 'appctl tnl/neigh/flush'
step 'appctl tnl/neigh/show'
step 'appctl tnl/arp/flush'
# Snooping: what the peer sends into the bridge (kept in snoop.pcap). OVS
# snoops only while its datapath has a tunnel port (ovs_native_tunneling_is_on):
# br-int gets a Geneve port first.
step 'vsctl add-br br-int -- set bridge br-int datapath_type=netdev -- add-port br-int s6r-gnv -- set interface s6r-gnv type=geneve options:remote_ip=198.51.100.2'
peer tcpdump -i s6r-p0-x -Q out -U -w "$T/snoop.pcap" >/dev/null 2>&1 &
DUMP_PID=$!
sleep 1
step 'nsx ping -c1 -W2 198.51.100.2 >/dev/null; nsx ping -6 -c1 -W2 2001:db8::2 >/dev/null; peer ping -c1 -W2 198.51.100.1 >/dev/null; echo pinged'
step 'peer python3 "$here/garp.py" s6r-p0-x; echo sent'
step 'appctl tnl/neigh/show'
killpid "$DUMP_PID"
DUMP_PID=""
# A neighbour cache miss: a packet to each Geneve port (IPv4 and IPv6
# remote) makes OVS send an ARP request and a neighbour solicitation through
# br-phy; what reaches the peer is kept in miss.pcap.
step 'appctl tnl/neigh/flush && vsctl add-port br-int s6r-gnv6 -- set interface s6r-gnv6 type=geneve options:remote_ip=2001:db8::2'
peer tcpdump -i s6r-p0-x -Q in -U -w "$T/miss.pcap" 'arp or icmp6' >/dev/null 2>&1 &
DUMP_PID=$!
sleep 1
pkt=025e000006aa025e000006bb08004500001c00010000401125a0c6336464c633646504d204d200080000
step 'nsx timeout 20 ovs-ofctl packet-out br-int LOCAL output:s6r-gnv '$pkt' && sleep 1 && nsx timeout 20 ovs-ofctl packet-out br-int LOCAL output:s6r-gnv6 '$pkt' && sleep 1; echo sent'
step 'appctl tnl/neigh/show'
killpid "$DUMP_PID"
DUMP_PID=""
step 'appctl ovs/route/show'
cp "$T/steps.txt" "$out/steps.txt"
{
	echo "# setup: $("$VSWITCHD" --version | head -1) and ovsdb-server run by tests/golden/underlay/capture.sh (see its header); each step is the command, its output (the run's temp dir written \$T) and its exit status"
	echo "# normalize: plain"
	echo "tests/golden/underlay/capture.sh"
} >"$out/steps.cmd"
cp "$T/snoop.pcap" "$out/snoop.pcap"
[[ ! -f $T/miss.pcap ]] || cp "$T/miss.pcap" "$out/miss.pcap"
