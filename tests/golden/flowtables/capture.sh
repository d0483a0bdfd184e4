#!/usr/bin/env bash
# capture.sh - the Bridge flow_tables reference (issue 12): a private
# ovsdb-server and a switch daemon, one netdev bridge br0 whose Flow_Table rows
# ovs-vsctl creates and changes, with what ovs-ofctl shows after each step.
#
#   tests/golden/flowtables/capture.sh [OUTDIR]          (as root)
#
# By default the daemon is Open vSwitch 3.1's ovs-vswitchd and OUTDIR is this
# directory (the goldens). VSWITCHD=/path/to/gswitch runs gswitch in its place
# with ovs-vswitchd's command line; TestPrivilegedFlowTablesGoldens
# (tests/flowtables_test.go) does that into a temp dir and compares each step.
# Files are stored normalized (go run ./tests/ovsref/normalize vswitchd).
#
# Each step NN-name.txt holds the commands' output, then the state: ovs-ofctl
# dump-tables (OpenFlow 1.0 and 1.3), dump-flows --no-stats of tables 0-3, and
# the distinct log lines about flow tables ("bridge|" lines with "table" or
# "prefixes") the daemon wrote during the step, without time and sequence
# number, sorted (OVS logs them again at every reconfiguration, gswitch when
# the bridge's tables change: the steps that log change a table).
#
# What OVS 3.1 shows here (the rules gswitch follows):
#  - name: the table's name in dump-tables (1.0's ofp_table_stats name, 1.3's
#    table features), changed in place; a row without name: no name again.
#  - flow_limit: max_entries; an add past it with overflow_policy refuse (or
#    unset) fails with OFPFMFC_TABLE_FULL, a learned flow past it is not added;
#    an add that replaces a flow (same match and priority) is no new flow.
#  - overflow_policy=evict: an add past the limit evicts one flow that has a
#    hard or idle timeout: from the eviction group (groups: the subfields'
#    values in the flow's match) with the most such flows, the one of lowest
#    importance, then the one expiring first. With none evictable, TABLE_FULL.
#    Lowering the limit evicts at once (refuse: the flows stay).
#  - prefixes: OVS logs which fields it uses, or warns about a field it
#    cannot use; the schema itself refuses more than 3.
#  - a 1.4+ table-mod's eviction flag (ovs-ofctl mod-table br0 4 evict)
#    evicts with the database's limit even under refuse; dump-table-desc
#    shows eviction=on only for that (not for overflow_policy=evict).
#  - ovs-ofctl --names shows and takes the table's name (table="s6f-evict").
#  - flows survive every change of the table configuration.
set -u -o pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../../.." && pwd)
out=${1:-$here}
VSWITCHD=${VSWITCHD:-ovs-vswitchd}
NS=${S6F_NS:-s6f-ref}
SCHEMA=${OVS_SCHEMA:-/usr/share/openvswitch/vswitch.ovsschema}

T=$(mktemp -d /tmp/s5r-vsw.XXXXXX) || exit 1
DB=unix:$T/db.sock
DB_PID="" VS_PID="" MADE_NS=""
export OVS_RUNDIR=$T OVS_DBDIR=$T OVS_LOGDIR=$T OVS_SYSCONFDIR=$T

nsx() { ip netns exec "$NS" "$@"; }
# alive, killpid
. "$(dirname "${BASH_SOURCE[0]}")/../proc.sh"
cleanup() {
	if [[ -n $VS_PID ]]; then
		timeout 10 ovs-appctl -t "$T/vswitchd.ctl" exit --cleanup >/dev/null 2>&1
		killpid "$VS_PID"
	fi
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
ofctl() { nsx timeout 20 ovs-ofctl "$@"; }

if ip netns list | grep -qw -- "^$NS"; then
	echo "capture.sh: namespace $NS exists (another run?)" >&2
	exit 1
fi
ip netns add "$NS" && MADE_NS=1 || exit 1
nsx ip link set lo up

ovsdb-tool create "$T/conf.db" "$SCHEMA" || exit 1
nsx ovsdb-server "$T/conf.db" --remote="punix:$T/db.sock" --pidfile="$T/ovsdb.pid" \
	--unixctl="$T/ovsdb.ctl" --log-file="$T/ovsdb-server.log" --detach --no-chdir || exit 1
DB_PID=$(cat "$T/ovsdb.pid")
vsctl --no-wait init || exit 1
nsx "$VSWITCHD" "$DB" --pidfile="$T/ovs-vswitchd.pid" --unixctl="$T/vswitchd.ctl" \
	--log-file="$T/ovs-vswitchd.log" --detach --no-chdir || { cat "$T/ovs-vswitchd.log" >&2; exit 1; }
VS_PID=$(cat "$T/ovs-vswitchd.pid")

mkdir -p "$out"

state() {
	local v t
	for v in OpenFlow10 OpenFlow13; do
		echo "### ovs-ofctl -O $v dump-tables br0 (tables 0-3)"
		ofctl -O $v dump-tables br0 2>&1 | awk '/^  table [4-9]|^  table [1-9][0-9]|^  tables /{exit} {print}'
	done
	for t in 0 1 2 3; do
		echo "### ovs-ofctl --no-stats dump-flows br0 table=$t"
		ofctl --no-stats dump-flows br0 table=$t 2>&1 | sort
	done
	echo "### log"
	tail -n +$(($(cat "$T/log.mark") + 1)) "$T/ovs-vswitchd.log" |
		grep -E '\|bridge\|.*(table|prefixes)' | cut -d'|' -f3- | sort -u
}

n=0
step() {
	local name=$1 cmd=$2 raw rc
	n=$((n + 1))
	raw=$T/$(printf '%02d' "$n")-$name.raw
	wc -l <"$T/ovs-vswitchd.log" >"$T/log.mark"
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
		echo "# setup: $("$VSWITCHD" --version | head -1) and ovsdb-server run by tests/golden/flowtables/capture.sh (see its header), after the steps numbered before this one"
		echo "# normalize: vswitchd"
		echo "# exit status: $(sed -n 's/^### exit //p' "$raw" | head -1)"
		echo "$cmd"
	} >"$out/$(basename "$raw" .raw).cmd"
}

# ft TABLE: the Flow_Table row of br0's table TABLE
ft() { vsctl get bridge br0 "flow_tables:$1"; }
# pkt SRC: an Ethernet frame from 02:5e:00:00:aa:SRC (type 0x88b5, zero padding)
pkt() { printf 'ffffffffffff025e0000aa%s88b5%0120d' "$1" 0; }

step add-br 'vsctl add-br br0 -- set bridge br0 datapath_type=netdev protocols=OpenFlow10,OpenFlow13,OpenFlow15'
step name 'vsctl -- --id=@t create Flow_Table name=s6f-main -- set bridge br0 flow_tables:0=@t && ofctl -O OpenFlow13 dump-table-features br0 | sed -n "1,/^  table 1/p" | grep -E "^  table|^  tables|max_entries|metadata: match"'
step rename 'vsctl set Flow_Table $(ft 0) name=s6f-renamed'
step refuse 'vsctl set Flow_Table $(ft 0) flow_limit=3 && for i in 1 2 3; do ofctl add-flow br0 "priority=$i,ip,nw_dst=203.0.113.$i,actions=drop"; done && ofctl add-flow br0 "priority=4,ip,nw_dst=203.0.113.4,actions=drop"; ofctl -O OpenFlow13 add-flow br0 "priority=5,ip,nw_dst=203.0.113.5,actions=drop"; ofctl add-flow br0 "priority=2,ip,nw_dst=203.0.113.2,actions=output:LOCAL"; ofctl mod-flows br0 "ip,nw_dst=203.0.113.1,actions=output:LOCAL"'
step refuse-policy 'vsctl set Flow_Table $(ft 0) overflow_policy=refuse && ofctl add-flow br0 "priority=6,ip,nw_dst=203.0.113.6,actions=drop"'
step lower-refuse 'vsctl set Flow_Table $(ft 0) flow_limit=2 && ofctl add-flow br0 "priority=7,ip,nw_dst=203.0.113.7,actions=drop"'
step learn 'vsctl -- --id=@t create Flow_Table flow_limit=1 -- set bridge br0 flow_tables:1=@t && for s in 01 02; do ofctl packet-out br0 "in_port=LOCAL packet=$(pkt $s) actions=learn(table=1,hard_timeout=600,NXM_OF_ETH_SRC[],output:NXM_OF_IN_PORT[])"; done'
step evict-setup 'vsctl -- --id=@t create Flow_Table flow_limit=6 overflow_policy=evict groups=\"NXM_OF_IN_PORT[]\" -- set bridge br0 flow_tables:2=@t &&
ofctl add-flow br0 "table=2,in_port=1,dl_dst=02:5e:00:00:bb:0a,hard_timeout=3000,actions=drop" &&
ofctl add-flow br0 "table=2,in_port=1,dl_dst=02:5e:00:00:bb:0b,hard_timeout=1000,actions=drop" &&
ofctl -O OpenFlow15 add-flow br0 "table=2,in_port=1,dl_dst=02:5e:00:00:bb:0c,hard_timeout=2000,importance=5,actions=drop" &&
ofctl add-flow br0 "table=2,in_port=1,dl_dst=02:5e:00:00:bb:0d,idle_timeout=4000,actions=drop" &&
ofctl add-flow br0 "table=2,in_port=2,dl_dst=02:5e:00:00:bb:0e,hard_timeout=100,actions=drop" &&
ofctl add-flow br0 "table=2,in_port=3,dl_dst=02:5e:00:00:bb:0f,actions=drop"'
step evict-largest 'ofctl add-flow br0 "table=2,in_port=2,dl_dst=02:5e:00:00:bb:10,hard_timeout=500,actions=drop"'
step evict-importance 'ofctl add-flow br0 "table=2,in_port=2,dl_dst=02:5e:00:00:bb:11,hard_timeout=200,actions=drop"'
step evict-lower 'vsctl set Flow_Table $(ft 2) flow_limit=5'
step evict-permanent 'vsctl -- --id=@t create Flow_Table flow_limit=2 overflow_policy=evict -- set bridge br0 flow_tables:3=@t &&
ofctl add-flow br0 "table=3,priority=1,actions=drop" &&
ofctl add-flow br0 "table=3,priority=2,idle_timeout=300,actions=drop" &&
ofctl add-flow br0 "table=3,priority=3,actions=drop"; ofctl add-flow br0 "table=3,priority=4,hard_timeout=300,actions=drop"'
step unname 'vsctl clear Flow_Table $(ft 0) name && vsctl remove bridge br0 flow_tables 1'
step prefixes 'vsctl set Flow_Table $(ft 0) prefixes=ip_dst,ipv6_src'
step prefixes-none 'vsctl set Flow_Table $(ft 0) prefixes=none'
step prefixes-bad 'vsctl set Flow_Table $(ft 0) prefixes=tcp_src,s6f_bogus,ip_src'
step prefixes-four 'vsctl set Flow_Table $(ft 0) prefixes=ip_src,ip_dst,ipv6_src,ipv6_dst'
step groups-bad 'vsctl set Flow_Table $(ft 2) groups=\"s6f_bogus[]\",\"NXM_OF_IN_PORT[]x\"'
# desc: OpenFlow 1.5's table description of tables 0-4
desc() { ofctl -O OpenFlow15 dump-table-desc br0 | awk '/^  table 5:/{exit} {print}'; }
step of-evict 'vsctl -- --id=@t create Flow_Table flow_limit=1 -- set bridge br0 flow_tables:4=@t &&
ofctl add-flow br0 "table=4,priority=1,hard_timeout=300,actions=drop" && ofctl add-flow br0 "table=4,priority=2,hard_timeout=300,actions=drop";
ofctl -O OpenFlow15 mod-table br0 4 evict && desc && ofctl add-flow br0 "table=4,priority=2,hard_timeout=300,actions=drop" && ofctl --no-stats dump-flows br0 table=4'
step of-noevict 'ofctl -O OpenFlow15 mod-table br0 4 noevict && desc; ofctl add-flow br0 "table=4,priority=3,hard_timeout=300,actions=drop"; ofctl --no-stats dump-flows br0 table=4'
step names 'vsctl set Flow_Table $(ft 2) name=s6f-evict && ofctl --names --no-stats dump-flows br0 table=2 | sort && ofctl --names --no-stats dump-flows br0 table=s6f-evict | sort'
