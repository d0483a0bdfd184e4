# Sourced by the capture-ovs31*.sh scripts: a private OVS 3.1 (ovsdb-server and
# ovs-vswitchd, netdev bridge br0 in namespace gct-sw, veths to gct-a and gct-b),
# removed with everything it made when the script exits (unless KEEP is set).
# It defines OUT, D, NS, VS and OF for the script.
OUT=$(cd "$(dirname "$0")" && pwd)/ovs31
D=$(mktemp -d /tmp/gct-ovs.XXXX)
export OVS_RUNDIR=$D OVS_LOGDIR=$D OVS_DBDIR=$D OVS_SYSCONFDIR=$D
NS="ip netns exec gct-sw"
cleanup() {
	[ -f $D/vswitchd.pid ] && kill "$(cat $D/vswitchd.pid)" 2>/dev/null
	[ -f $D/db.pid ] && kill "$(cat $D/db.pid)" 2>/dev/null
	[ -n "${SRV:-}" ] && kill $SRV 2>/dev/null
	[ -n "${CLI:-}" ] && kill $CLI 2>/dev/null
	sleep 0.5
	for n in gct-sw gct-a gct-b; do ip netns del $n 2>/dev/null; done
	rm -rf "$D"
}
[ -z "${KEEP:-}" ] && trap cleanup EXIT
for n in gct-sw gct-a gct-b; do ip netns add $n; done
ip link add gct-a0 type veth peer name gct-a1
ip link add gct-b0 type veth peer name gct-b1
ip link set gct-a0 netns gct-a; ip link set gct-a1 netns gct-sw
ip link set gct-b0 netns gct-b; ip link set gct-b1 netns gct-sw
ip -n gct-a addr add 198.51.100.1/24 dev gct-a0
ip -n gct-b addr add 198.51.100.2/24 dev gct-b0
ip -n gct-a addr add 2001:db8::1/64 dev gct-a0 nodad
ip -n gct-b addr add 2001:db8::2/64 dev gct-b0 nodad
for n in a b; do
	ip -n gct-$n link set gct-${n}0 up; ip -n gct-$n link set lo up
	ip -n gct-sw link set gct-${n}1 up
	ip netns exec gct-$n ethtool -K gct-${n}0 tx off >/dev/null 2>&1
done
ovsdb-tool create $D/conf.db /usr/share/openvswitch/vswitch.ovsschema
$NS ovsdb-server $D/conf.db --remote=punix:$D/db.sock --pidfile=$D/db.pid --detach --log-file=$D/db.log
$NS ovs-vsctl --db=unix:$D/db.sock --no-wait init
$NS ovs-vswitchd unix:$D/db.sock --pidfile=$D/vswitchd.pid --detach --log-file=$D/vswitchd.log --unixctl=$D/vswitchd.ctl
VS="$NS ovs-vsctl --db=unix:$D/db.sock"
$VS add-br br0 -- set bridge br0 datapath_type=netdev -- set-fail-mode br0 secure
$VS add-port br0 gct-a1 -- add-port br0 gct-b1
sleep 1
OF="$NS ovs-ofctl -O OpenFlow13"
